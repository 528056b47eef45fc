"""P11 — answers over 16 KiB on a kept-alive connection (issue 10, item 10).

Browsers keep their connection to the gateway open.  eventlet's server writes an answer
longer than its 16 KiB buffer in two sends, the header lines and then the body; with
Nagle's algorithm on the connection the body's last segment waited for the client's
ACK of the header segment, which a kept-alive client delays (~40 ms on Linux), while a
young connection ACKs at once.  The gateway now sets TCP_NODELAY on every connection
(services/gateway/http.py, NoDelayProtocol).

Each answer is fetched one after another (closed loop, one request in flight) with
http.client, two ways, interleaved request by request (so both see the same machine):

  kept alive      one connection for every request (as a browser does)
  new connection  a connection opened and closed for each request

for three answers: a 50-ticket queue page as an agent (`GET /api/v1/tickets?view=mine
&limit=50`: a fresh agent takes 50 tickets first), the OpenAPI document (public, the
largest answer) and the queue counts (small, under 16 KiB: the control).  Per step:
latency p50/p95/p99/max, the requests that took ≥ 35 ms (the stall), and the gateway
process's CPU per request (utime + stime of its /proc/<pid>/stat, read around each
request).

Settings: KEFU_BENCH_P11_REQUESTS (measured requests per step, default 400; 20 more warm up).
"""
import http.client
import json
import os
import random
import time
import uuid

from bench import generate, harness
from bench.load import percentile

REQUESTS = int(os.environ.get("KEFU_BENCH_P11_REQUESTS", 400))
WARM = 20
PAGE = 50
STALL_MS = 35.0
HOST, PORT = "127.0.0.1", 8800


def gateway_pid() -> int:
    return int((harness.ROOT / "var" / "run" / "test" / "gateway.pid").read_text().strip())


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / harness.CLK


def get(conn: http.client.HTTPConnection, path: str, headers: dict) -> bytes:
    conn.request("GET", path, headers=headers)
    reply = conn.getresponse()
    body = reply.read()
    if reply.status != 200:
        raise RuntimeError(f"GET {path}: HTTP {reply.status}: {body[:160]!r}")
    if reply.getheader("Connection", "").lower() == "close":
        raise RuntimeError(f"GET {path}: the gateway closed the connection")
    return body


def compare(path: str, headers: dict, pid: int) -> dict[str, dict]:
    """Figures of `path` on one kept-alive connection and on a new connection per request,
    the two interleaved (one of each in turn, which first alternating) so both see the
    same machine; the gateway's CPU is read around each request."""
    kept = http.client.HTTPConnection(HOST, PORT, timeout=30)
    times: dict[str, list[float]] = {"kept alive": [], "new connection": []}
    cpu = dict.fromkeys(times, 0.0)
    size = 0

    def one(mode: str, measured: bool) -> None:
        nonlocal size
        conn = kept if mode == "kept alive" else http.client.HTTPConnection(HOST, PORT,
                                                                           timeout=30)
        cpu_before = cpu_seconds(pid)
        started = time.perf_counter()
        try:
            size = len(get(conn, path, headers))
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            if conn is not kept:
                conn.close()
        if measured:
            times[mode].append(elapsed)
            cpu[mode] += cpu_seconds(pid) - cpu_before

    try:
        for i in range(WARM + REQUESTS):
            order = ("kept alive", "new connection")
            for mode in order if i % 2 else order[::-1]:
                one(mode, i >= WARM)
    finally:
        kept.close()
    out = {}
    for mode, values in times.items():
        values.sort()
        out[mode] = {"size": size, "requests": len(values), "mean": sum(values) / len(values),
                     "p50": percentile(values, 50), "p95": percentile(values, 95),
                     "p99": percentile(values, 99), "max": values[-1],
                     "stalled": sum(1 for t in values if t >= STALL_MS),
                     "cpu_ms": cpu[mode] * 1000 / len(values)}
    return out


def queue_page() -> tuple[str, str, dict]:
    """(what, path, headers) of a 50-ticket queue page as an agent: a fresh agent in a
    fresh group takes 50 tickets over a customer of its own (accepted by the agent, so
    they are its `mine` queue; the group's unassigned queue if accepting fails)."""
    from tests.system import Client
    admin = Client("admin", harness.system())
    tag = uuid.uuid4().hex[:8]
    group, username, password = f"p11{tag}", f"p11agent{tag}", "Pw-" + uuid.uuid4().hex
    ok(admin.post("/api/v1/groups", {"name": group, "display_name": "压测P11组"}), 201)
    ok(admin.create_staff({"username": username, "display_name": "压测P11坐席",
                           "password": password, "roles": ["agent"], "groups": [group]}), 201)
    customer = ok(admin.post("/api/v1/customers", {
        "name": "压测客户", "phones": ["139" + "".join(random.choices("0123456789", k=8))]}),
        201)
    agent = Client(username, password)
    rng = random.Random(11)
    kinds = list(generate.TEMPLATES)
    tickets = []
    for _ in range(PAGE):
        kind = rng.choice(kinds)
        text = rng.choice(generate.TEMPLATES[kind]).replace(
            "{p}", rng.choice(generate.PRODUCT_NAMES)).replace("{n}", str(rng.randint(2, 9)))
        tickets.append(ok(agent.post("/api/v1/tickets", {
            "customer_id": customer["id"], "kind": kind, "subject": text[:30],
            "content": text + rng.choice(generate.SUFFIXES_TEXT), "group_name": group}), 201))
    token = {"Authorization": agent.http.headers["Authorization"]}
    accepted = sum(agent.post(f"/api/v1/tickets/{t['id']}/accept", {}).status_code == 200
                   for t in tickets)
    if accepted == PAGE:
        return (f"queue page, {PAGE} tickets (agent, mine)",
                f"/api/v1/tickets?view=mine&limit={PAGE}", token)
    return (f"queue page, {PAGE} tickets (agent, group unassigned)",
            f"/api/v1/tickets?view=group_unassigned&group={group}&limit={PAGE}", token)


def ok(reply, status: int) -> dict:
    if reply.status_code != status:
        raise RuntimeError(f"{reply.request.method} {reply.request.path_url}: HTTP "
                           f"{reply.status_code}: {reply.text[:200]}")
    body = reply.json()
    return body.get("staff", body) if isinstance(body, dict) else body


def measure() -> dict:
    harness.system()
    pid = gateway_pid()
    what, page, auth = queue_page()
    conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
    tickets = len(json.loads(get(conn, page, auth))["tickets"])
    conn.close()
    answers = [(what, page, auth),
               ("OpenAPI document", "/api/v1/openapi.json", {}),
               ("queue counts (small: the control)", "/api/v1/queues/counts", auth)]
    rows = []
    for name, path, headers in answers:
        for mode, figures in compare(path, headers, pid).items():
            rows.append({"answer": name, "path": path, "connection": mode, **figures})
        time.sleep(0.5)
    return {"rows": rows, "tickets": tickets}


def run() -> str:
    result = measure()
    lines = [
        "## P11 — answers over 16 KiB on a kept-alive connection",
        "",
        "Issue 10, item 10: on a kept-alive connection (what browsers use) every answer over "
        "16 KiB stalled about 40 ms (Nagle's algorithm against the client's delayed ACK).  "
        "Target: kept alive no slower than a new connection (p50 and p95 within 10 % + 2 ms).",
        "",
        f"One request in flight at a time (closed loop, http.client), {REQUESTS} measured "
        f"requests per row after {WARM} of warm-up; `kept alive`: one connection for all, "
        "`new connection`: one per request; the two interleaved request by request, so "
        "both see the same machine.  `≥ 35 ms`: requests that took that long (the "
        "stall, on an answer that is otherwise quicker).  Gateway CPU: utime + stime of its "
        "process (/proc/<pid>/stat) read around each request, per request.  "
        f"The queue page held {result['tickets']} tickets.",
        "",
        "| answer | bytes | connection | mean ms | p50 ms | p95 ms | p99 ms | max ms |"
        " ≥ 35 ms | gateway CPU ms/request |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        lines.append(f"| {r['answer']} | {r['size']:,} | {r['connection']} | {r['mean']:.2f} |"
                     f" {r['p50']:.2f} | {r['p95']:.2f} | {r['p99']:.2f} | {r['max']:.2f} |"
                     f" {r['stalled']} | {r['cpu_ms']:.2f} |")
    by = {(r["answer"], r["connection"]): r for r in result["rows"]}
    verdicts = []
    for name in dict.fromkeys(r["answer"] for r in result["rows"]):
        kept, new = by[(name, "kept alive")], by[(name, "new connection")]
        ok = all(kept[p] <= new[p] * 1.1 + 2.0 for p in ("p50", "p95"))
        verdicts.append(f"- {name}: kept alive p50 / p95 {kept['p50']:.2f} / {kept['p95']:.2f} ms"
                        f" against {new['p50']:.2f} / {new['p95']:.2f} ms on new connections —"
                        f" {'meets' if ok else 'misses'} the target.")
    lines += ["", *verdicts]
    return "\n".join(lines).rstrip() + "\n"

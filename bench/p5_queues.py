"""P5 — queues with counts through the gateway over the 5,000,000-ticket data set.

Agents of the ticket data set (bench/generate.py: 300 agents with deterministic ids,
15 in each of 20 groups) sign in for real: the bench enrols the ones it uses as staff
accounts in the gateway's test database with the data set's ids (the admin API makes
its own ids; the tickets' assignee ids must be the token's subject), so "my tickets"
is the agent's generated backlog and "my group's unassigned" the group's.  Measured,
each on its own at a fixed rate and then mixed:

- `GET /api/v1/tickets?view=mine`                      (first page, 20 newest)
- `GET /api/v1/tickets?view=mine&cursor=…`             (the second page, keyset)
- `GET /api/v1/tickets?view=group_unassigned`          (first page)
- `GET /api/v1/queues/counts`                          (the trigger-kept counters)

Target p95 ≤ 50 ms.  Besides, the database alone: the queue service's own SQL
(services/ticket/store/queues.py) on one connection, closed loop — the floor.
"""
import json
import os
import time
from urllib.parse import quote

import urllib3

from bench import generate, harness
from bench.load import open_loop, percentile

TICKETS = int(os.environ.get("KEFU_BENCH_TICKETS", 5_000_000))
CUSTOMERS = int(os.environ.get("KEFU_BENCH_CUSTOMERS", 1_000_000))
SEED = 7
RATE = 50           # each endpoint on its own
MIXED_RATE = 100    # the four in rotation
TARGET_P95 = 50.0
PASSWORD = "bench-p5-agent-pass-1"
AGENTS_USED = 20    # one per group: the second agent of each


def agents_used(seed: int = SEED) -> list[dict]:
    everyone = generate.ticket_agents(seed)
    return [everyone[g * generate.AGENTS_PER_GROUP + 1] for g in range(AGENTS_USED)]


def enrol(agents: list[dict]) -> None:
    """Staff accounts with the data set's ids in the gateway's test database (and their
    groups), password PASSWORD; an account already there is left as it is."""
    from services.gateway.domain.accounts import hash_password
    uri = os.environ.get("KEFU_GATEWAY_OWNER_DB_URI")
    if not uri:
        raise SystemExit("KEFU_GATEWAY_OWNER_DB_URI is not set")
    password_hash = hash_password(PASSWORD)
    conn = generate._connect(uri)
    try:
        with conn.cursor() as cur:
            for agent in agents:
                cur.execute("INSERT INTO staff_group (name, display_name) VALUES (%s, %s)"
                            " ON CONFLICT DO NOTHING", (agent["group"], f"压测{agent['group']}"))
                cur.execute("INSERT INTO staff (id, username, display_name, password_hash, roles,"
                            " groups, clearance) VALUES (%s, %s, %s, %s, %s, %s, 0)"
                            " ON CONFLICT DO NOTHING",
                            (agent["id"], agent["username"], agent["display_name"],
                             password_hash, ["agent"], [agent["group"]]))
        conn.commit()
    finally:
        conn.close()


def sign_in(username: str, seconds: float = 240.0):
    """A signed-in Client; retried while the system drains what an earlier scenario left
    queued (P3 at an overload rate leaves minutes of creates behind)."""
    from tests.system import Client
    deadline = time.monotonic() + seconds
    while True:
        try:
            return Client(username, PASSWORD)
        except Exception:  # noqa: BLE001 — still draining, or not up yet
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


def tokens(agents: list[dict]) -> list[str]:
    out = []
    for agent in agents:
        client = sign_in(agent["username"])
        if client.staff["id"] != agent["id"]:
            raise RuntimeError(f"{agent['username']} signed in as {client.staff['id']}")
        out.append(client.http.headers["Authorization"])
    return out


def fetch(http, path: str, token: str) -> dict:
    from tests.system import BASE
    reply = http.request("GET", BASE + path, headers={"Authorization": token}, retries=False,
                         timeout=10.0)
    if reply.status != 200:
        raise RuntimeError(f"HTTP {reply.status}: {reply.data[:160]!r}")
    return json.loads(reply.data)


def caller(http, requests: list[tuple[str, str]], check):
    position = [0]

    def call():
        path, token = requests[position[0] % len(requests)]
        position[0] += 1
        check(fetch(http, path, token))
    return call


def _page(answer: dict) -> None:
    if "tickets" not in answer:
        raise RuntimeError("no tickets list in the answer")


def _nonempty(answer: dict) -> None:
    if not answer.get("tickets"):
        raise RuntimeError("an empty queue where the data set has tickets")


def _counts(answer: dict) -> None:
    if not isinstance(answer, dict) or not answer:
        raise RuntimeError("no counts")


def database_floor(agents: list[dict], rounds: int = 200) -> dict:
    """The queue service's SQL alone on one connection (closed loop): ms per kind."""
    from services.ticket.store import queues as store
    conn = generate._connect(generate._ticket_uri())
    out = {}
    try:
        cur = conn.cursor()
        kinds = {
            "mine": lambda a: store.list_tickets(
                cur, {"view": "mine", "assignee_id": a["id"]}, {}, None, 21, None, None),
            "group_unassigned": lambda a: store.list_tickets(
                cur, {"view": "group_unassigned", "groups": [a["group"]]}, {}, None, 21, None,
                None),
            "counts": lambda a: store.counts(cur, a["id"], [a["group"]]),
        }
        for name, query in kinds.items():
            times = []
            for i in range(rounds):
                started = time.perf_counter()
                query(agents[i % len(agents)])
                conn.rollback()
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            out[name] = {"p50": percentile(times, 50), "p95": percentile(times, 95),
                         "max": times[-1]}
    except Exception as exc:  # noqa: BLE001 — the store may be changing: report, go on
        out["error"] = f"{type(exc).__name__}: {exc}"[:200]
    finally:
        conn.close()
    return out


def measure() -> dict:
    data = generate.ensure_tickets(TICKETS, SEED, CUSTOMERS, SEED)
    harness.system()
    agents = agents_used()
    enrol(agents)
    keys = tokens(agents)
    http = urllib3.PoolManager(maxsize=1000, block=False)
    sizes, mine2 = [], []
    for agent, token in zip(agents, keys, strict=True):
        counts = fetch(http, "/api/v1/queues/counts", token)
        first = fetch(http, "/api/v1/tickets?view=mine", token)
        group = fetch(http, "/api/v1/tickets?view=group_unassigned", token)
        sizes.append({"agent": agent["username"], "counts": counts,
                      "mine_page": len(first["tickets"]), "group_page": len(group["tickets"])})
        if first.get("next_cursor"):
            mine2.append((f"/api/v1/tickets?view=mine&cursor={quote(first['next_cursor'])}",
                          token))
    mine = [("/api/v1/tickets?view=mine", t) for t in keys]
    group = [("/api/v1/tickets?view=group_unassigned", t) for t in keys]
    counts = [("/api/v1/queues/counts", t) for t in keys]
    steps_def = [("my tickets, first page", mine, _nonempty, RATE),
                 ("my tickets, second page", mine2 or mine, _page, RATE),
                 ("my group's unassigned, first page", group, _nonempty, RATE),
                 ("queue counts", counts, _counts, RATE)]
    mixed = [r for four in zip(mine, mine2 or mine, group, counts, strict=False) for r in four]
    steps_def.append(("the four mixed", mixed, lambda a: None, MIXED_RATE))
    warm = caller(http, mixed, lambda a: None)
    deadline, quick = time.monotonic() + 180, 0  # what an earlier scenario left queued drains
    while quick < 20 and time.monotonic() < deadline:
        started = time.monotonic()
        try:
            warm()
            quick = quick + 1 if time.monotonic() - started < 0.05 else 0
        except Exception:  # noqa: BLE001 — still draining
            quick = 0
            time.sleep(0.5)
    for _ in range(200):
        warm()
    steps = []
    for name, requests, check, rate in steps_def:
        before = harness.cpu_snapshot()
        figures = open_loop(caller(http, requests, check), rate, harness.SECONDS,
                            harness.WARMUP)
        figures["cpu"] = harness.cpu_share(before, harness.cpu_snapshot(),
                                           int(rate * (harness.SECONDS + harness.WARMUP)))
        figures["name"] = name
        steps.append(figures)
    floor = database_floor(agents)
    return {"data": data, "steps": steps, "sizes": sizes, "floor": floor, "agents": agents}


def _open_mine(counts: dict) -> int | None:
    """The agent's open tickets from a counts answer (`mine_total`)."""
    total = counts.get("mine_total") if isinstance(counts, dict) else None
    return total if isinstance(total, int) else None


def _group_unassigned(counts: dict) -> int | None:
    groups = counts.get("groups") if isinstance(counts, dict) else None
    totals = [g.get("total") for g in groups or () if isinstance(g.get("total"), int)]
    return sum(totals) if totals else None


def run() -> str:
    result = measure()
    data, steps, floor = result["data"], result["steps"], result["floor"]
    status = data["counts"].get("status", {})
    open_count = sum(status.get(s, 0) for s in generate.OPEN_STATUSES)
    made = (f"generated in {data['seconds']:.0f} s" if data["generated"]
            else f"already loaded (its generation took {data['seconds']:.0f} s)")
    tables = "\n".join(harness.row(f"{f['name']} at {f['rate']:.0f}/s", f) for f in steps)
    verdicts = "\n".join(
        f"- {f['name']}: {'meets' if f['errors'] == 0 and f['p95'] <= TARGET_P95 else 'misses'}"
        f" p95 ≤ {TARGET_P95:g} ms (p95 {f['p95']:.1f} ms, {f['errors']} errors)"
        + (f"; errors {f['error_kinds']}" if f["errors"] else "") for f in steps)
    opened = [n for n in (_open_mine(s["counts"]) for s in result["sizes"]) if n is not None]
    unassigned = [n for n in (_group_unassigned(s["counts"]) for s in result["sizes"])
                  if n is not None]
    backlog = (f"{min(opened)}–{max(opened)} open tickets each, their groups"
               f" {min(unassigned or [0])}–{max(unassigned or [0])} unassigned (from the counts)"
               if opened else "their backlog: see the counts answer")
    example = json.dumps(result["sizes"][0]["counts"], ensure_ascii=False)[:400]
    if "error" in floor:
        floor_text = f"Database floor not measured: {floor['error']}"
    else:
        floor_text = "\n".join(
            f"- {name}: p50 {v['p50']:.2f} ms, p95 {v['p95']:.2f} ms, max {v['max']:.2f} ms"
            for name, v in floor.items())
    cpu = "\n\n".join(
        f"CPU during \"{f['name']}\" at {f['rate']:.0f}/s:\n\n{harness.cpu_table(f['cpu'])}"
        for f in steps)
    return f"""## P5 — queues with counts through the gateway at {data['n']:,} tickets

Target: p95 ≤ {TARGET_P95:g} ms.

Data set: {data['n']:,} tickets from seed {data['seed']} over {CUSTOMERS:,} customers
(bench/generate.py `ensure_tickets`), {made}: {open_count:,} open
({', '.join(f'{s} {status.get(s, 0):,}' for s in generate.OPEN_STATUSES)}), the rest
closed, cancelled or resolved; 300 agents in 20 groups.

{len(result['agents'])} agents of the data set, one per group, signed in through the gateway
(their accounts enrolled with the data set's ids); {backlog}.  An answer of theirs to
`/api/v1/queues/counts`: `{example}`.
Requests rotate over the agents; every answer is checked (HTTP 200; first pages not
empty).  {harness.method()}

{harness.HEADER}
{tables}

{verdicts}

The database alone (services/ticket/store/queues.py on one connection, 200 rounds,
closed loop):

{floor_text}

{cpu}
"""

"""P12 — the console's pages through the gateway over the 5,000,000-ticket data set.

The agents of P5 (the data set's own, enrolled as staff accounts) sign in through the
console's login page like a browser and keep their session cookie; each page is then
asked at a fixed rate on kept-alive connections (as a browser does), and the answer is
checked (HTTP 200, the page's own marker).  Pages:

- `GET /`                       the workbench: counts, my ten newest, the inbox (parallel)
- `GET /tickets?view=mine`      a queue page of 50 tickets
- `GET /tickets/<id>`           a ticket's detail: record, trail, actions
- `GET /customers?q=<name>`     a customer search

Target (issue 10): every page ≤ 200 ms server time — read here as the p95 on loopback,
which includes the client's few tenths of a millisecond.
"""
import os
import re
import time
from urllib.parse import quote

import urllib3

from bench import generate, harness
from bench.load import open_loop
from bench.p5_queues import PASSWORD, agents_used, enrol

TICKETS = int(os.environ.get("KEFU_BENCH_TICKETS", 5_000_000))
CUSTOMERS = int(os.environ.get("KEFU_BENCH_CUSTOMERS", 1_000_000))
SEED = 7
RATE = 20
TARGET_P95 = 200.0
MARKERS = {"workbench": "<h1>工作台</h1>", "queue": "<h1>工单</h1>",
           "ticket": 'id="ticket-serial"', "search": 'id="customer-results"'}


def sign_in(http, username: str, seconds: float = 240.0) -> str:
    """The console's session cookie of a sign-in through the login form."""
    from tests.system import BASE
    deadline = time.monotonic() + seconds
    while True:
        reply = http.request("POST", BASE + "/login", fields={
            "username": username, "password": PASSWORD, "next": "/"}, encode_multipart=False,
            redirect=False, retries=False, timeout=10.0)
        cookie = re.search(r"kefu_session=([^;]+)", reply.headers.get("Set-Cookie", ""))
        if reply.status == 303 and cookie:
            return "kefu_session=" + cookie[1]
        if time.monotonic() > deadline:
            raise RuntimeError(f"sign-in of {username}: HTTP {reply.status}")
        time.sleep(2)  # still draining what an earlier scenario left


def fetch(http, path: str, cookie: str, marker: str) -> str:
    from tests.system import BASE
    reply = http.request("GET", BASE + path, headers={"Cookie": cookie}, redirect=False,
                         retries=False, timeout=10.0)
    body = reply.data.decode("utf-8")
    if reply.status != 200 or marker not in body:
        raise RuntimeError(f"HTTP {reply.status}: {body[:120]!r}")
    return body


def caller(http, requests: list[tuple[str, str]], marker: str):
    position = [0]

    def call():
        path, cookie = requests[position[0] % len(requests)]
        position[0] += 1
        fetch(http, path, cookie, marker)
    return call


def measure() -> dict:
    data = generate.ensure_tickets(TICKETS, SEED, CUSTOMERS, SEED)
    harness.system()
    agents = agents_used()
    enrol(agents)
    http = urllib3.PoolManager(maxsize=200, block=False)
    cookies = [sign_in(http, agent["username"]) for agent in agents]
    tickets, sizes = [], []
    for cookie in cookies:
        page = fetch(http, "/tickets?view=mine", cookie, MARKERS["queue"])
        ids = re.findall(r'data-href="/tickets/([0-9a-f-]{36})"', page)
        sizes.append((len(page), len(ids)))
        tickets += [(f"/tickets/{i}", cookie) for i in ids[:5]]
    import random
    rng = random.Random(SEED)
    names = [generate.person_name(rng) for _ in range(40)]  # names as the data set makes them
    steps_def = [
        ("workbench `/`", [("/", c) for c in cookies], "workbench"),
        ("queue page `/tickets?view=mine` (50 rows)", [("/tickets?view=mine", c)
                                                      for c in cookies], "queue"),
        ("ticket detail `/tickets/<id>`", tickets, "ticket"),
        ("customer search `/customers?q=`", [(f"/customers?q={quote(n)}", cookies[i % len(
            cookies)]) for i, n in enumerate(names)], "search"),
    ]
    for _, requests, kind in steps_def:  # warm every path once
        for path, cookie in requests[:20]:
            fetch(http, path, cookie, MARKERS[kind])
    steps = []
    for name, requests, kind in steps_def:
        before = harness.cpu_snapshot()
        figures = open_loop(caller(http, requests, MARKERS[kind]), RATE, harness.SECONDS,
                            harness.WARMUP)
        figures["cpu"] = harness.cpu_share(before, harness.cpu_snapshot(),
                                           int(RATE * (harness.SECONDS + harness.WARMUP)))
        figures["name"] = name
        steps.append(figures)
    return {"data": data, "steps": steps, "sizes": sizes, "agents": agents}


def run() -> str:
    result = measure()
    data, steps = result["data"], result["steps"]
    made = (f"generated in {data['seconds']:.0f} s" if data["generated"]
            else f"already loaded (its generation took {data['seconds']:.0f} s)")
    tables = "\n".join(harness.row(f"{f['name']} at {f['rate']:.0f}/s", f) for f in steps)
    verdicts = "\n".join(
        f"- {f['name']}: {'meets' if f['errors'] == 0 and f['p95'] <= TARGET_P95 else 'misses'}"
        f" p95 ≤ {TARGET_P95:g} ms (p95 {f['p95']:.1f} ms, {f['errors']} errors,"
        f" {harness.cpu_ms_per_request(f['cpu']):.1f} CPU ms per page)"
        + (f"; errors {f['error_kinds']}" if f["errors"] else "") for f in steps)
    page_bytes = [size for size, _ in result["sizes"]]
    cpu = "\n\n".join(
        f"CPU during \"{f['name']}\" at {f['rate']:.0f}/s:\n\n"
        f"{harness.cpu_table(f['cpu'], 'page')}" for f in steps)
    return f"""## P12 — the console's pages at {data['n']:,} tickets

Target (issue 10): every page ≤ {TARGET_P95:g} ms server time.

Data set: {data['n']:,} tickets over {CUSTOMERS:,} customers (seed {data['seed']}), {made}.
{len(result['agents'])} of its agents signed in through the login page (session cookie);
requests rotate over them on kept-alive connections; every answer is checked (HTTP 200
and the page's own marker).  Queue pages were {min(page_bytes):,}–{max(page_bytes):,}
bytes.

{harness.method()}

| step | rate | requests | errors | p50 ms | p95 ms | p99 ms | max ms |
|---|---|---|---|---|---|---|---|
{tables}

{verdicts}

{cpu}
"""

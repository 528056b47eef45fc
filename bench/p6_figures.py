"""P6 — ticket figures from the rollups over the 5,000,000-ticket data set.

1. The report service's facts are made from the ticket service by a rebuild (R4):
   `POST /api/v1/reports/rebuilds` as an admin, then its state read every 5 s until it is
   done — its time and its CPU over all processes per ticket read.  Skipped when the
   report already holds one fact per ticket of the data set (the rebuild's time is then
   the one in the section the earlier run wrote: it says so).
2. The figures a manager's dashboard asks for (asked as an admin: the same scope): 90
   days by day × kind, × agent, × group, the curve's counters created, resolved and
   closed as columns (`GET /api/v1/reports/tickets?period=day&from=…&to=…&by=…
   &measures=…&layout=columns`) through the gateway, open loop — target p95 ≤ 50 ms.
3. The same figures by a plain GROUP BY on the ticket service's own table (created per
   China day and key, over the same 90 days), in the same run, each timed 5 times: the
   rollups must answer ≥ 20× faster (p50 against the GROUP BY's median).
Every answer is checked: HTTP 200 with the 90 days' points.
"""
import datetime
import os
import time

import urllib3

from bench import generate, harness
from bench.load import open_loop, percentile
from services.common.zone import CHINA

TICKETS = int(os.environ.get("KEFU_BENCH_TICKETS", 5_000_000))
CUSTOMERS = int(os.environ.get("KEFU_BENCH_CUSTOMERS", 1_000_000))
SEED = 7
RATE = float(os.environ.get("KEFU_BENCH_P6_RATE", 10))
TARGET_P95, TARGET_SPEEDUP = 50.0, 20.0
LAST = generate.TICKET_LAST_DAY
# by -> the ticket table's column of the same grouping
GROUPINGS = {"kind": "kind", "agent": "assignee_id", "group": "group_name"}
# The steps: (label, by, group asked — None: every group).  By agent twice: every agent
# (a manager's table of all 301) and one group's 15 (a supervisor's curves, the board's).
ONE_GROUP = "group00"
STEPS = (("kind", "kind", None), ("agent", "agent", None),
         ("agent in one group", "agent", ONE_GROUP), ("group", "group", None))
# Days asked per grouping: 90 (by agent, the data set's 301 agents × 90 days is 27,090
# points: above the bound of an answer with every figure, 20,000, and within that of one
# with three, 50,000 — domain/figures.py max_points).
DAYS = {"kind": 90, "agent": 90, "group": 90}
# The figures asked: those the base-table GROUP BY counts too (a curve's).
MEASURES = "created,resolved,closed"
# ... answered as columns (arrays per measure and key: what a chart draws from)
ASKED = f"&measures={MEASURES}&layout=columns"


def first_day(by: str) -> datetime.date:
    return LAST - datetime.timedelta(days=DAYS[by] - 1)
REBUILD_LIMIT = float(os.environ.get("KEFU_BENCH_P6_REBUILD_SECONDS", 5400))
# KEFU_BENCH_P6_FRESH=1: the report's ticket facts and rollups emptied first, so the
# rebuild measured is one from nothing (what a new install or a lost database needs).
FRESH = os.environ.get("KEFU_BENCH_P6_FRESH") == "1"


def _count(uri: str, sql: str) -> int:
    conn = generate._connect(uri)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return int(cur.fetchone()["n"])
    finally:
        conn.close()


def _report_uri() -> str:
    uri = os.environ.get("KEFU_REPORT_OWNER_DB_URI")
    if not uri:
        raise SystemExit("KEFU_REPORT_OWNER_DB_URI is not set: "
                         "export KEFU_ENV=test; . deploy/local/env.sh")
    return uri


def counts() -> tuple[int, int]:
    tickets = _count(generate._ticket_uri(), "SELECT count(*) AS n FROM ticket")
    facts = _count(_report_uri(), "SELECT count(*) AS n FROM ticket_fact")
    return tickets, facts


def empty_report() -> None:
    """The report's ticket facts and rollups emptied, finished runs forgotten."""
    conn = generate._connect(_report_uri())
    try:
        with conn.cursor() as cur:
            cur.execute("TRUNCATE ticket_fact, ticket_repeat_link, ticket_day_kind,"
                        " ticket_day_staff, ticket_month, ticket_time_day, rollup_fix")
            cur.execute("DELETE FROM report_rebuild")
        conn.commit()
    finally:
        conn.close()


def last_rebuild() -> dict | None:
    """The newest finished rebuild as its row keeps it (tickets, pages, seconds)."""
    conn = generate._connect(_report_uri())
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT tickets, pages, started_at, finished_at,"
                        " extract(epoch FROM finished_at - started_at) AS seconds"
                        " FROM report_rebuild WHERE state = 'done'"
                        " ORDER BY finished_at DESC LIMIT 1")
            row = cur.fetchone()
            return dict(row) if row else None
    finally:
        conn.close()


def rebuild(admin) -> dict:
    """A rebuild asked for and followed to its end: its state, seconds and CPU."""
    before = harness.cpu_snapshot()
    started = time.monotonic()
    reply = admin.post("/api/v1/reports/rebuilds", {})
    if reply.status_code != 202:
        raise RuntimeError(f"rebuild refused: {reply.status_code} {reply.text[:200]}")
    rebuild_id = reply.json()["id"]
    state = reply.json()
    while time.monotonic() - started < REBUILD_LIMIT:
        time.sleep(5)
        reply = admin.get(f"/api/v1/reports/rebuilds/{rebuild_id}")
        if reply.status_code != 200:
            continue  # the session refreshes itself; a slow answer is asked again
        state = reply.json()
        if state["state"] in ("done", "failed"):
            break
    seconds = time.monotonic() - started
    share = harness.cpu_share(before, harness.cpu_snapshot(), int(state.get("tickets") or 0))
    return {"state": state, "seconds": seconds, "cpu": share}


def _in_group(group: str | None) -> str:
    return f"&group_name={group}" if group else ""


def asker(http, token: str, by: str, group: str | None = None):
    from tests.system import BASE
    url = (f"{BASE}/api/v1/reports/tickets?period=day&from={first_day(by)}&to={LAST}"
           f"&by={by}{ASKED}{_in_group(group)}")

    def ask():
        reply = http.request("GET", url, headers={"Authorization": token}, retries=False,
                             timeout=10.0)
        if reply.status != 200:
            raise RuntimeError(f"HTTP {reply.status}: {reply.data[:120]!r}")
        if b'"values"' not in reply.data:
            raise RuntimeError("200 without the values")
    return ask


def points(admin, by: str, group: str | None = None) -> int:
    """The points of one answer (-1: it did not come, e.g. a 504 after the step)."""
    try:
        reply = admin.get(f"/api/v1/reports/tickets?period=day&from={first_day(by)}&to={LAST}"
                          f"&by={by}{ASKED}{_in_group(group)}")
        reply.raise_for_status()
    except Exception:  # noqa: BLE001 — said in the section as -1
        return -1
    answer = reply.json()
    return len(answer["keys"]) * len(answer["periods"])


def _group_by(column: str) -> str:
    """The base-table grouping by one column, as literal text per column."""
    return {
        "kind": "SELECT (accepted_at AT TIME ZONE 'Asia/Shanghai')::date AS day, kind AS key,"
                " count(*) AS created, count(resolved_at) AS resolved,"
                " count(*) FILTER (WHERE status = 'closed') AS closed FROM ticket"
                " WHERE accepted_at >= %s AND accepted_at < %s"
                " AND (%s::text IS NULL OR group_name = %s) GROUP BY 1, 2",
        "assignee_id": "SELECT (accepted_at AT TIME ZONE 'Asia/Shanghai')::date AS day,"
                       " assignee_id AS key, count(*) AS created,"
                       " count(resolved_at) AS resolved,"
                       " count(*) FILTER (WHERE status = 'closed') AS closed FROM ticket"
                       " WHERE accepted_at >= %s AND accepted_at < %s"
                " AND (%s::text IS NULL OR group_name = %s) GROUP BY 1, 2",
        "group_name": "SELECT (accepted_at AT TIME ZONE 'Asia/Shanghai')::date AS day,"
                      " group_name AS key, count(*) AS created,"
                      " count(resolved_at) AS resolved,"
                      " count(*) FILTER (WHERE status = 'closed') AS closed FROM ticket"
                      " WHERE accepted_at >= %s AND accepted_at < %s"
                " AND (%s::text IS NULL OR group_name = %s) GROUP BY 1, 2",
    }[column]


def group_by(column: str, days: int, group: str | None = None, runs: int = 5) -> dict:
    """The same grouping on the base table (of one group's tickets when `group`), timed
    `runs` times (the first warms the cache)."""
    start = datetime.datetime.combine(LAST - datetime.timedelta(days=days - 1), datetime.time(),
                                      CHINA)
    end = start + datetime.timedelta(days=days)
    conn = generate._connect(generate._ticket_uri())
    times, rows = [], 0
    try:
        with conn.cursor() as cur:
            for _ in range(runs):
                began = time.perf_counter()
                cur.execute(_group_by(column), (start, end, group, group))
                rows = len(cur.fetchall())
                times.append((time.perf_counter() - began) * 1000)
            cur.execute("SELECT count(*) AS n FROM ticket WHERE accepted_at >= %s"
                        " AND accepted_at < %s AND (%s::text IS NULL OR group_name = %s)",
                        (start, end, group, group))
            window = int(cur.fetchone()["n"])
    finally:
        conn.close()
    return {"median": percentile(sorted(times), 50), "min": min(times), "rows": rows,
            "window": window}


def measure() -> dict:
    from tests.system import Client
    data = generate.ensure_tickets(TICKETS, SEED, CUSTOMERS, SEED)
    admin = Client("admin", harness.system())
    if FRESH:
        empty_report()
    tickets, facts = counts()
    made = rebuild(admin) if facts != tickets else None
    tickets, facts = counts()
    # An admin reads every group's figures, as a manager does (the same scope: all); a
    # manager's account would wait for a second admin's approval (202).
    token = admin.http.headers["Authorization"]
    http = urllib3.PoolManager(maxsize=100, block=False)
    steps = []
    for label, by, group in STEPS:
        column = GROUPINGS[by]
        ask = asker(http, token, by, group)
        for _ in range(20):
            ask()
        before = harness.cpu_snapshot()
        figures = open_loop(ask, RATE, harness.SECONDS, harness.WARMUP)
        figures["cpu"] = harness.cpu_share(before, harness.cpu_snapshot(),
                                           figures["requests"])
        figures["by"], figures["label"] = by, label
        figures["points"] = points(admin, by, group)
        figures["base"] = group_by(column, DAYS[by], group)
        steps.append(figures)
    return {"data": data, "rebuild": made, "tickets": tickets, "facts": facts,
            "last": last_rebuild() if made is None else None,
            "steps": steps}


def verdict(f: dict) -> str:
    speedup = f["base"]["median"] / f["p50"] if f["p50"] else float("nan")
    ok = f["errors"] == 0 and f["p95"] <= TARGET_P95 and speedup >= TARGET_SPEEDUP
    return (f"by {f['label']}: {'meets' if ok else 'misses'} the target (p95 {f['p95']:.1f} ms"
            f" ≤ {TARGET_P95:g} ms; {speedup:.0f}× the GROUP BY's {f['base']['median']:.0f} ms"
            f" median over {f['base']['window']:,} tickets, ≥ {TARGET_SPEEDUP:g}×;"
            f" {f['points']:,} points, the GROUP BY {f['base']['rows']:,} rows)")


def _rebuild_text(made: dict | None, tickets: int, facts: int, last: dict | None) -> str:
    if made is None:
        told = (f"  The last finished rebuild, as its row keeps it: **{last['tickets']:,}"
                f" tickets in {float(last['seconds']):.0f} s** ({last['pages']:,} pages,"
                f" {last['started_at']:%Y-%m-%d %H:%M} UTC; its CPU was not measured by"
                f" this run)." if last else "")
        return (f"The report already held one fact per ticket ({facts:,} facts for "
                f"{tickets:,} tickets): no rebuild this run.{told}")
    state = made["state"]
    cost = harness.cpu_ms_per_request(made["cpu"])
    start = "an emptied report" if FRESH else "the report as found"
    return (f"**Rebuild of every rollup from {int(state.get('tickets') or 0):,} tickets"
            f" (from {start}):"
            f" {made['seconds']:.0f} s** (state `{state['state']}`, {state.get('pages')}"
            f" pages{'; error ' + str(state.get('error')) if state.get('error') else ''}),"
            f" {cost:.2f} CPU ms per ticket over all processes; afterwards {facts:,} facts"
            f" for {tickets:,} tickets.\n\nCPU during the rebuild:\n\n"
            f"{harness.cpu_table(made['cpu'], 'ticket')}")


def run() -> str:
    result = measure()
    steps = result["steps"]
    tables = "\n".join(harness.row(f"{DAYS[f['by']]} days by day × {f['label']}", f)
                       for f in steps)
    cpu = "\n\n".join(
        f"CPU while asking by {f['label']} (per request):\n\n{harness.cpu_table(f['cpu'])}"
        for f in steps)
    return f"""## P6 — figures from the rollups at {result['data']['n']:,} tickets

Targets: 90 days by day × kind / agent / group through the gateway p95 ≤ {TARGET_P95:g} ms
and ≥ {TARGET_SPEEDUP:g}× faster than the same GROUP BY on the base table, same run; the
rebuild of all rollups from the data set, with its time.

Data set: {result['data']['n']:,} tickets (bench/generate.py `ensure_tickets`), days
up to {LAST} asked for (the data set's last 90 days), as an admin (every group, the
scope a manager has; "in one group": `group_name={ONE_GROUP}`, its 15 agents — what a
supervisor's per-agent curves read, and the base GROUP BY of that group's tickets), the
figures `measures={MEASURES}` (a curve's; those the GROUP BY
below counts) as `layout=columns` (one array per measure and key group).

{_rebuild_text(result['rebuild'], result['tickets'], result['facts'], result['last'])}

{harness.method()}

{harness.HEADER}
{tables}

{chr(10).join('- ' + verdict(f) for f in steps)}

The base-table grouping: per China day and key, the tickets accepted, resolved and
closed over the 90 days, on the ticket database's own table (owner connection, no
statement timeout), 5 runs, the median; it counts less than the rollups answer (no
times, breaches or repeats), so the ratio is a lower bound.

{cpu}
"""

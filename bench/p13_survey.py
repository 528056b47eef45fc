"""P13 — the survey service (issue 12, "Bench"): an agent's follow-up list and CSAT/NPS by
agent × month through the gateway, p95 ≤ 50 ms; a campaign frozen from a
100,000-customer segment and spread over 50 agents ≤ 10 s.

Data, in the survey's test database (made once per database: a marker table says so):
- 200,000 follow-up tasks over 100 agents in 10 groups (2,000 each: about 20% open —
  due from three days ago to two weeks ahead —, 5% missed, the rest done over the last
  year), COPY from a seeded generator;
- 1,000,000 answers over the last 12 months (agent 40%, keypad 40%, link 20%; CSAT on
  each, NPS on most agent and link answers) by the same agents, COPY straight into
  `answer`, so the daily rollup is kept by the service's own trigger
  (migration 0002) row by row, as the service builds it; the keypad's offers
  (`ivr_offer`: each rated call, and a fifth more offered and not rated) with them.
- the campaign's segment: customers of the 1,000,000-customer data set (bench/generate.py)
  created before a day chosen so that at least 100,000 match (as P8 does); its 50
  agents are enrolled in the survey's staff read model.

Measured through the gateway (tokens signed with the test key, as P8 does), each step on
its own at a fixed rate:
- `GET /api/v1/followups/mine?view=open` and `?view=done` (first page, 50), rotating
  over the 100 agents, at 50/s;
- at 10/s (reports are opened, not polled by every seat),
  `GET /api/v1/satisfaction?by=agent&period=month` as a manager (all 100 agents × 12
  months: 1,200 figures and the keypad's shares), and as a group's supervisor
  (`by=agent,source`, their group's 10 agents);
- a campaign: `POST /api/v1/campaigns`, then its list frozen by the survey's timer
  (streamed from the customer service's segment RPC), read until `list_state` is
  `frozen`: seconds from the request; three campaigns, one after the other.
Besides, the database alone: the survey's own SQL (services/survey/store) on one
connection, closed loop, with EXPLAIN ANALYZE of the slowest.
"""
import datetime
import io
import json
import os
import random
import subprocess
import sys
import time
import uuid

import urllib3

from bench import generate, harness
from bench.load import open_loop, percentile
from bench.p1_screen_pop import SEED as CUSTOMER_SEED
from bench.p8_bulk import boundary_day

SEED = 13
TASKS = int(os.environ.get("KEFU_BENCH_FOLLOWUPS", 200_000))
ANSWERS = int(os.environ.get("KEFU_BENCH_ANSWERS", 1_000_000))
CUSTOMERS = int(os.environ.get("KEFU_BENCH_CUSTOMERS", 1_000_000))
SEGMENT = int(os.environ.get("KEFU_BENCH_CAMPAIGN_CUSTOMERS", 100_000))
AGENTS, GROUPS, CAMPAIGN_AGENTS = 100, 10, 50
RATE = 50  # an agent's list: the whole call centre refreshing
FIGURE_RATE = 10  # a report: supervisors and managers opening the figures
TARGET_P95 = 50.0
TARGET_FREEZE_S = 10.0
CAMPAIGNS = 3
KINDS = ("consultation", "after_sales", "complaint", "suggestion")
CATEGORIES = [f"bench-cat-{i:02d}" for i in range(20)]
VERSION = 1


def agents() -> list[dict]:
    return [{"id": f"bench-fu-agent-{i:03d}", "username": f"bench_fu_{i:03d}",
             "group": f"回访{i % GROUPS + 1}组"} for i in range(AGENTS)]


def _uri() -> str:
    uri = os.environ.get("KEFU_SURVEY_OWNER_DB_URI")
    if not uri:
        raise SystemExit("KEFU_SURVEY_OWNER_DB_URI is not set: "
                         "export KEFU_ENV=test; . deploy/local/env.sh")
    return uri


# ---------------------------------------------------------------- the data set
MARKER = """CREATE TABLE IF NOT EXISTS bench_survey_dataset (
    tasks integer NOT NULL, answers integer NOT NULL, seed integer NOT NULL,
    version integer NOT NULL, seconds jsonb NOT NULL,
    generated_at timestamptz NOT NULL DEFAULT now())"""


def _copy(cur, table: str, columns: tuple[str, ...], rows) -> int:
    """COPY rows (tuples; None is NULL) into table, 100,000 a round."""
    n, buffer = 0, io.StringIO()

    def flush():
        buffer.seek(0)
        cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
        cur.connection.commit()  # the rollups' rows: a few versions each, not 300 a xact
        buffer.seek(0)
        buffer.truncate()

    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
        n += 1
        if n % 100_000 == 0:
            flush()
    flush()
    return n


TASK_COLUMNS = ("ticket_id", "ticket_serial", "ticket_kind", "category_id", "customer_id",
                "groups", "assignee_id", "status", "outcome", "resolved_at", "due_at",
                "missed_at", "completed_at", "attempts", "satisfaction", "created_at")


def task_rows(now: datetime.datetime, rng: random.Random):
    people = agents()
    for i in range(TASKS):
        agent = people[i % AGENTS]
        roll = rng.random()
        if roll < 0.20:  # open: due from three days ago to two weeks ahead
            status, due = "open", now + datetime.timedelta(hours=rng.uniform(-72, 336))
        elif roll < 0.25:
            status, due = "missed", now - datetime.timedelta(hours=rng.uniform(24, 8760))
        else:
            status, due = "done", now - datetime.timedelta(hours=rng.uniform(1, 8760))
        resolved = due - datetime.timedelta(days=2)
        done = status == "done"
        yield (str(uuid.UUID(int=rng.getrandbits(128))), f"BF-{i:08d}", rng.choice(KINDS),
               rng.choice(CATEGORIES), str(uuid.UUID(int=rng.getrandbits(128))),
               "{" + agent["group"] + "}", agent["id"], status,
               rng.choice(("reached", "reached", "reached", "unreachable")) if done else None,
               resolved.isoformat(), due.isoformat(),
               due.isoformat() if status == "missed" else None,
               (due - datetime.timedelta(hours=rng.uniform(0, 24))).isoformat() if done else None,
               rng.randint(1, 3) if done else 0,
               rng.choice(("satisfied", "satisfied", "average", "unsatisfied")) if done else None,
               resolved.isoformat())


ANSWER_COLUMNS = ("source", "questionnaire_id", "customer_id", "agent_id", "group_name",
                  "ticket_id", "call_id", "ticket_kind", "category_id", "csat_score",
                  "nps_score", "ivr_key", "answered_at")
CSAT_WEIGHTS = ((5, 45), (4, 30), (3, 13), (2, 7), (1, 5))
NPS_WEIGHTS = [(s, w) for s, w in zip(range(11), (2, 1, 1, 2, 2, 4, 6, 10, 18, 24, 30),
                                      strict=True)]


def _weighted(pairs):
    values, weights = zip(*pairs, strict=True)
    return lambda rng: rng.choices(values, weights)[0]


def answer_rows(now: datetime.datetime, rng: random.Random, questionnaire_id: str,
                offers: list):
    people = agents()
    csat, nps = _weighted(CSAT_WEIGHTS), _weighted(NPS_WEIGHTS)
    keys = {5: "1", 4: "2", 3: "3", 2: "4"}
    for i in range(ANSWERS):
        agent = people[rng.randrange(AGENTS)]
        at = now - datetime.timedelta(seconds=rng.uniform(0, 365 * 86400))
        kind, category = rng.choice(KINDS), rng.choice(CATEGORIES)
        roll = rng.random()
        source = "agent" if roll < 0.4 else "ivr" if roll < 0.8 else "link"
        score = csat(rng)
        if source == "ivr":
            score = max(score, 2)  # the keypad's default mapping has 4 keys: 5, 4, 3, 2
            call = f"bench-call-{i:08d}"
            offers.append((call, agent["id"], agent["group"], kind, category, at.isoformat(),
                           "true"))
            if rng.random() < 0.2:
                offers.append((f"bench-call-{i:08d}-n", agent["id"], agent["group"], kind,
                               category, at.isoformat(), "false"))
            yield ("ivr", None, None, agent["id"], agent["group"], None, call, kind,
                   category, score, None, keys[score], at.isoformat())
        else:
            yield (source, questionnaire_id, str(uuid.UUID(int=rng.getrandbits(128))),
                   agent["id"], agent["group"], str(uuid.UUID(int=rng.getrandbits(128))), None,
                   kind, category, score, nps(rng) if rng.random() < 0.7 else None, None,
                   at.isoformat())


def ensure_data() -> dict:
    """The tasks and answers in the survey's test database (once per database), made in
    a fresh interpreter (COPY does not work under eventlet's green psycopg2)."""
    subprocess.run([sys.executable, "-m", "bench.p13_survey"], check=True, env={**os.environ})
    conn = generate._connect(_uri())
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT seconds, generated_at > now() - interval '1 hour' AS fresh"
                        " FROM bench_survey_dataset")
            marker = cur.fetchone()
    finally:
        conn.close()
    return {"generated": marker["fresh"], "seconds": marker["seconds"]}


def make_data() -> dict:
    conn = generate._connect(_uri())
    try:
        with conn.cursor() as cur:
            cur.execute(MARKER)
            cur.execute("SELECT tasks, answers, seed, version, seconds FROM bench_survey_dataset")
            marker = cur.fetchone()
            conn.commit()
            if marker and (marker["tasks"], marker["answers"], marker["seed"],
                           marker["version"]) == (TASKS, ANSWERS, SEED, VERSION):
                return {"generated": False, "seconds": marker["seconds"]}
            if marker:
                raise SystemExit("the survey test database holds another P13 data set: "
                                 "reset the test databases (make migrate-test)")
            rng = random.Random(SEED)
            cur.execute("SELECT now() AS now")
            now = cur.fetchone()["now"]
            seconds = {}
            started = time.monotonic()
            _copy(cur, "followup_task", TASK_COLUMNS, task_rows(now, rng))
            cur.execute("ANALYZE followup_task")
            conn.commit()
            seconds["tasks"] = time.monotonic() - started
            cur.execute(
                "INSERT INTO questionnaire (name, version, status, title, questions,"
                " created_by, published_by, published_at) VALUES ('bench_p13', 1,"
                " 'published', '压测问卷', %s, 'bench', 'bench', now()) RETURNING id::text",
                (json.dumps([{"key": "overall", "kind": "scale", "text": "满意度",
                              "required": True, "options": [], "csat": True,
                              "max_length": None}]),))
            questionnaire_id = cur.fetchone()["id"]
            started = time.monotonic()
            offers: list = []
            _copy(cur, "answer", ANSWER_COLUMNS, answer_rows(now, rng, questionnaire_id, offers))
            seconds["answers_with_rollup"] = time.monotonic() - started
            started = time.monotonic()
            _copy(cur, "ivr_offer", ("call_id", "agent_id", "group_name", "ticket_kind",
                                     "category_id", "offered_at", "rated"), offers)
            cur.execute("ANALYZE answer")
            cur.execute("ANALYZE satisfaction_day")
            cur.execute("ANALYZE ivr_offer")
            seconds["offers"] = time.monotonic() - started
            cur.execute("INSERT INTO bench_survey_dataset (tasks, answers, seed, version,"
                        " seconds) VALUES (%s, %s, %s, %s, %s)",
                        (TASKS, ANSWERS, SEED, VERSION, json.dumps(seconds)))
            conn.commit()
        # The load rewrote each rollup row hundreds of times (one trigger update per
        # answer): vacuum them as autovacuum would have in a day's steady state.
        conn.autocommit = True
        with conn.cursor() as cur:
            for table in ("satisfaction_day", "satisfaction_month", "ivr_offer_day",
                          "ivr_offer_month"):
                cur.execute(f"VACUUM ANALYZE {table}")  # noqa: S608 — our own names
        return {"generated": True, "seconds": seconds}
    finally:
        conn.close()


def enrol_campaign_agents() -> list[str]:
    """The first 50 agents in the survey's staff read model (what staff events make)."""
    conn = generate._connect(_uri())
    try:
        with conn.cursor() as cur:
            people = agents()[:CAMPAIGN_AGENTS]
            for a in people:
                cur.execute("INSERT INTO staff_member (id, username, display_name, roles,"
                            " groups) VALUES (%s, %s, %s, '{agent}', %s)"
                            " ON CONFLICT (id) DO NOTHING",
                            (a["id"], a["username"], a["username"], [a["group"]]))
        conn.commit()
        return [a["id"] for a in people]
    finally:
        conn.close()


def sizes() -> dict:
    conn = generate._connect(_uri())
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) AS n FROM followup_task WHERE assignee_id LIKE"
                        " 'bench-fu-agent-%'")
            tasks = cur.fetchone()["n"]
            cur.execute("SELECT count(*) AS n, count(*) FILTER (WHERE source = 'ivr') AS ivr"
                        " FROM answer")
            answers = cur.fetchone()
            cur.execute("SELECT count(*) AS n FROM satisfaction_day")
            rollup = cur.fetchone()["n"]
            cur.execute("SELECT count(*) AS n FROM ivr_offer")
            offers = cur.fetchone()["n"]
            cur.execute("SELECT status, count(*) AS n FROM followup_task"
                        " WHERE assignee_id = 'bench-fu-agent-000' GROUP BY 1 ORDER BY 1")
            one = {r["status"]: r["n"] for r in cur.fetchall()}
        return {"tasks": tasks, "answers": answers["n"], "ivr_answers": answers["ivr"],
                "rollup": rollup, "offers": offers, "one_agent": one}
    finally:
        conn.close()


# ---------------------------------------------------------------- through the gateway
def fetch(http, method: str, path: str, token: str, body=None, key=None) -> dict:
    from tests.system import BASE
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if key:
        headers["Idempotency-Key"] = key
    reply = http.request(method, BASE + path, headers=headers, retries=False, timeout=30.0,
                         body=json.dumps(body).encode() if body is not None else None)
    if reply.status >= 300:
        raise RuntimeError(f"HTTP {reply.status}: {reply.data[:160]!r}")
    return json.loads(reply.data)


def caller(http, requests: list[tuple[str, str]], check):
    position = [0]

    def call():
        path, token = requests[position[0] % len(requests)]
        position[0] += 1
        check(fetch(http, "GET", path, token))
    return call


def _tasks(answer: dict) -> None:
    if not answer.get("tasks"):
        raise RuntimeError("an empty follow-up list where the data set has tasks")


def _figures(expected: int):
    def check(answer: dict) -> None:
        if len(answer.get("figures") or ()) < expected:
            raise RuntimeError(f"{len(answer.get('figures') or ())} figures, "
                               f"expected at least {expected}")
    return check


def step(http, name: str, requests, check, rate: float = RATE) -> dict:
    warm = caller(http, requests, check)
    deadline, quick = time.monotonic() + 120, 0  # what an earlier step left queued drains
    while quick < 20 and time.monotonic() < deadline:
        started = time.monotonic()
        try:
            warm()
            quick = quick + 1 if time.monotonic() - started < 0.1 else 0
        except Exception:  # noqa: BLE001 — still draining
            quick = 0
            time.sleep(0.5)
    before = harness.cpu_snapshot()
    figures = open_loop(caller(http, requests, check), rate, harness.SECONDS, harness.WARMUP)
    figures["cpu"] = harness.cpu_share(before, harness.cpu_snapshot(),
                                       int(rate * (harness.SECONDS + harness.WARMUP)))
    figures["name"] = name
    return figures


def campaign_runs(http, agent_ids: list[str]) -> dict:
    """CAMPAIGNS campaigns, one after the other: seconds from the request to the list
    frozen, and the list's size."""
    from tests.helpers import token
    day_ordinal, segment_size = boundary_day(SEGMENT)
    before = datetime.date.fromordinal(day_ordinal).isoformat()
    starts = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=30)
    runs = []
    for n in range(CAMPAIGNS):
        boss = token(("supervisor",), staff_id="bench-p13-boss", clearance=3, ttl=900)
        started = time.monotonic()
        made = fetch(http, "POST", "/api/v1/campaigns", boss, {
            "theme": f"压测活动{n + 1}", "venue": "onsite", "place": "压测店",
            "capacity": 500, "starts_at": starts.isoformat(),
            "ends_at": (starts + datetime.timedelta(hours=8)).isoformat(),
            "segment": {"created_before": before}, "agent_ids": agent_ids},
            key=uuid.uuid4().hex)
        accept_ms = (time.monotonic() - started) * 1000
        deadline = time.monotonic() + 300
        found = made
        while found.get("list_state") == "freezing" and time.monotonic() < deadline:
            time.sleep(0.1)
            found = fetch(http, "GET", f"/api/v1/campaigns/{made['id']}", boss)
        runs.append({"seconds": time.monotonic() - started, "accept_ms": accept_ms,
                     "state": found.get("list_state"), "failure": found.get("failure"),
                     "total": (found.get("figures") or {}).get("total")})
    return {"runs": runs, "segment_size": segment_size, "before": before}


# ---------------------------------------------------------------- the database alone
# The keypad's shares as services/survey/store/answers.py read them before migration 0006
# (a GROUP BY over every offer): the reference the rollup is compared with, same run.
RAW_IVR_COUNTS = """
SELECT to_char(date_trunc('month', o.offered_at AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM-DD')
           AS period, o.agent_id, count(*) AS offered, count(*) FILTER (WHERE o.rated) AS rated
  FROM ivr_offer o GROUP BY 1, 2
"""


def database_floor(rounds: int = 100) -> dict:
    from services.survey.store import answers as answer_store
    from services.survey.store import tasks as task_store
    conn = generate._connect(_uri())
    out: dict = {}
    people = agents()
    try:
        cur = conn.cursor()
        today = (datetime.datetime.now(datetime.UTC), datetime.datetime.now(datetime.UTC))
        month = {"from_day": None, "to_day": None, "from": None, "to": None}
        kinds = {
            "my follow-ups, open": lambda i: task_store.page(
                cur, "open", {"mine": True, "staff_id": people[i % AGENTS]["id"]}, None, 50,
                today),
            "my follow-ups, done": lambda i: task_store.page(
                cur, "done", {"mine": True, "staff_id": people[i % AGENTS]["id"]}, None, 50,
                today),
            "CSAT/NPS by agent × month (monthly rollup)":
                lambda i: answer_store.satisfaction_counts(cur, ("agent",), "month", month,
                                                           None, True),
            "CSAT/NPS by agent × month (daily rollup of every dimension)":
                lambda i: answer_store.satisfaction_counts(cur, ("agent",), "month", month,
                                                           None, False),
            "keypad offered/rated by agent × month (monthly rollup)":
                lambda i: answer_store.ivr_counts(cur, ("agent",), "month", month, None, True),
            "keypad offered/rated by agent × month (daily rollup of every dimension)":
                lambda i: answer_store.ivr_counts(cur, ("agent",), "month", month, None,
                                                  False),
            "keypad offered/rated by agent × month, GROUP BY over the offers (the SQL"
            " before migration 0006)": lambda i: cur.execute(RAW_IVR_COUNTS),
        }
        for name, query in kinds.items():
            times = []
            for i in range(rounds):
                started = time.perf_counter()
                query(i)
                conn.rollback()
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            out[name] = {"p50": percentile(times, 50), "p95": percentile(times, 95),
                         "max": times[-1]}
        params = answer_store._params(("agent",), "month", month, None)
        plans = {}
        for name, sql in (("SATISFACTION_MONTHLY", answer_store.SATISFACTION_MONTHLY),
                          ("SATISFACTION_COUNTS (daily)", answer_store.SATISFACTION_COUNTS)):
            cur.execute("EXPLAIN (ANALYZE, BUFFERS OFF, TIMING OFF) " + sql, params)
            plans[name] = [next(iter(r.values())) for r in cur.fetchall()]
            conn.rollback()
        out["plans"] = plans
    except Exception as exc:  # noqa: BLE001 — report, go on
        out["error"] = f"{type(exc).__name__}: {exc}"[:300]
    finally:
        conn.close()
    return out


def measure() -> dict:
    from tests.helpers import token
    data = ensure_data()
    customers = generate.ensure_customers(CUSTOMERS, CUSTOMER_SEED)
    campaign_agents = enrol_campaign_agents()
    counts = sizes()
    harness.system()
    http = urllib3.PoolManager(maxsize=1000, block=False)
    people = agents()
    mine_tokens = [token(("agent",), staff_id=a["id"], groups=(a["group"],), ttl=900)
                   for a in people]
    manager = token(("manager",), staff_id="bench-p13-manager", clearance=3, ttl=900)
    supervisors = [token(("supervisor",), staff_id=f"bench-p13-sup-{g}", groups=(g,), ttl=900)
                   for g in sorted({a["group"] for a in people})]
    plan = [
        ("my follow-ups, open (first page of 50)",
         [("/api/v1/followups/mine?view=open", t) for t in mine_tokens], _tasks),
        ("my follow-ups, done (first page of 50)",
         [("/api/v1/followups/mine?view=done", t) for t in mine_tokens], _tasks),
        ("CSAT/NPS by agent × month, all agents (manager)",
         [("/api/v1/satisfaction?by=agent&period=month", manager)], _figures(AGENTS * 12)),
        ("CSAT/NPS by agent × source × month, one group (supervisor)",
         [("/api/v1/satisfaction?by=agent,source&period=month", t) for t in supervisors],
         _figures(AGENTS // GROUPS * 12)),
    ]
    rates = [RATE, RATE, FIGURE_RATE, FIGURE_RATE]
    steps = []
    for (name, requests, check), rate in zip(plan, rates, strict=True):
        try:
            steps.append(step(http, name, requests, check, rate))
            print(harness.row(name, steps[-1]), flush=True)
        except Exception as exc:  # noqa: BLE001 — the others still run; reported as failed
            steps.append({"name": name, "rate": rate, "requests": 0, "errors": 1,
                          "error_kinds": {f"{type(exc).__name__}: {str(exc)[:120]}": 1},
                          **dict.fromkeys(("p50", "p95", "p99", "max"), float("nan")),
                          "cpu": {"wall": 1, "groups": {}, "requests": 0, "busy": 0}})
    try:
        campaign = campaign_runs(http, campaign_agents)
    except Exception as exc:  # noqa: BLE001 — reported in the section
        campaign = {"runs": [{"seconds": float("nan"), "accept_ms": float("nan"),
                              "state": "error", "failure": f"{type(exc).__name__}: {exc}"[:200],
                              "total": None}], "segment_size": 0, "before": "—"}
    print(f"campaigns: {campaign['runs']}", flush=True)
    floor = database_floor()
    return {"data": data, "customers": customers, "counts": counts, "steps": steps,
            "campaign": campaign, "floor": floor}


def run() -> str:
    r = measure()
    data, counts, steps, campaign, floor = (r["data"], r["counts"], r["steps"], r["campaign"],
                                            r["floor"])
    made = "generated in " + ", ".join(f"{k.replace('_', ' ')} {v:.0f} s"
                                       for k, v in data["seconds"].items())
    if not data["generated"]:
        made = "already loaded (" + made + ")"
    tables = "\n".join(harness.row(f"{f['name']} at {f['rate']:.0f}/s", f) for f in steps)
    verdicts = [
        f"{f['name']}: {'meets' if f['errors'] == 0 and f['p95'] <= TARGET_P95 else 'misses'}"
        f" p95 ≤ {TARGET_P95:g} ms (p95 {f['p95']:.1f} ms, {f['errors']} errors,"
        f" {harness.cpu_ms_per_request(f['cpu']):.1f} CPU ms per request)"
        + (f"; errors {f['error_kinds']}" if f["errors"] else "") for f in steps]
    runs = campaign["runs"]
    frozen = [x for x in runs if x["state"] == "frozen"]
    worst = max((x["seconds"] for x in runs), default=float("nan"))
    met = len(frozen) == len(runs) and worst <= TARGET_FREEZE_S
    verdicts.append(
        f"campaign frozen from {campaign['segment_size']:,} customers over "
        f"{CAMPAIGN_AGENTS} agents: {len(frozen)} of {len(runs)} frozen, slowest "
        f"{worst:.1f} s: {'meets' if met else 'misses'}"
        f" ≤ {TARGET_FREEZE_S:g} s")
    campaign_lines = "\n".join(
        f"| {i + 1} | {x['accept_ms']:.0f} | {x['seconds']:.2f} | {x['state']} |"
        f" {x['total'] if x['total'] is not None else '—'} |"
        + (f" {x['failure']}" if x.get("failure") else "") for i, x in enumerate(runs))
    errors = "".join(f"\nErrors of {f['name']}: {f['error_kinds']}" for f in steps if f["errors"])
    if "error" in floor:
        floor_text = f"Database floor not measured: {floor['error']}"
    else:
        floor_text = "\n".join(
            f"- {name}: p50 {v['p50']:.2f} ms, p95 {v['p95']:.2f} ms, max {v['max']:.2f} ms"
            for name, v in floor.items() if name != "plans")
        floor_text += "".join(
            f"\n\nEXPLAIN ANALYZE of `{name}` (by agent × month, all time):\n\n```\n"
            + "\n".join(lines[:14]) + "\n```" for name, lines in floor["plans"].items())
    cpu = "\n\n".join(
        f"CPU during \"{f['name']}\" at {f['rate']:.0f}/s:\n\n{harness.cpu_table(f['cpu'])}"
        for f in steps)
    one = ", ".join(f"{k} {v:,}" for k, v in counts["one_agent"].items())
    return f"""## P13 — the survey service: follow-up lists, CSAT/NPS, a campaign's list

Targets (issue 12): an agent's follow-up task list and CSAT/NPS by agent × month over
1,000,000 answers, p95 ≤ {TARGET_P95:g} ms; a campaign frozen from a 100,000-customer
segment and spread over 50 agents ≤ {TARGET_FREEZE_S:g} s.

Data set (bench/p13_survey.py, seed {SEED}; {made}): {counts['tasks']:,} follow-up tasks
over {AGENTS} agents in {GROUPS} groups (one agent's: {one}); {counts['answers']:,} answers
over the last 12 months ({counts['ivr_answers']:,} of them keypad ratings), COPY into
`answer` with the service's rollup trigger keeping `satisfaction_day`
({counts['rollup']:,} rows); {counts['offers']:,} keypad offers.  Campaigns: customers of
the {r['customers']['n']:,}-customer data set created before {campaign['before']}
({campaign['segment_size']:,} of them).

Through the gateway (tokens signed with the test key); requests rotate over the agents
(or groups); every answer is checked (HTTP 200, a non-empty list; at least the expected
number of figures).  {harness.method()}

{harness.HEADER}
{tables}
{errors}

A campaign, `POST /api/v1/campaigns` as a supervisor, then `GET /api/v1/campaigns/<id>`
every 0.1 s until its list is frozen (the survey's timer streams the segment from the
customer service and deals the invitations to the {CAMPAIGN_AGENTS} agents in turn, in
one transaction):

| campaign | request ms | frozen after s | list | invitations |
|---|---|---|---|---|
{campaign_lines}

{chr(10).join('- ' + v for v in verdicts)}

The database alone (services/survey/store on one connection, 100 rounds, closed loop):

{floor_text}

{cpu}
"""


if __name__ == "__main__":
    print(f"P13 data set: {make_data()}", flush=True)

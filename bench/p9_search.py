"""P9 — fuzzy customer search over the 1,000,000-customer data set (target p95 ≤ 50 ms).

A mix of what agents type, drawn from the data set itself (deterministic sample):
the full name (张伟), its first characters (张伟 of 张伟芳, 张 of 张伟), full pinyin
(zhangwei), initials (zw), the last four digits of a phone (尾号) and a run of seven
digits from its middle.  Measured three ways:

1. the database alone: the service's own search SQL and card loading on one
   connection, closed loop — the floor, and per kind of query;
2. at the RPC level: `customer.search_customers` through RabbitMQ from a pool of
   standalone nameko proxies, open loop (the target is checked here);
3. through the gateway: `GET /api/v1/customers/search?q=…`, open loop.
"""
import os
import random
import time
from collections import Counter, defaultdict
from urllib.parse import quote

import eventlet
import urllib3
from eventlet.queue import Empty, LightQueue
from nameko.standalone.rpc import ClusterRpcProxy

from bench import generate, harness
from bench.load import open_loop, percentile

CUSTOMERS = int(os.environ.get("KEFU_BENCH_CUSTOMERS", 1_000_000))
SEED = 7
SAMPLE = 3000
RPC_RATES = (50, 100)
GATEWAY_RATE = 50
TARGET_P95 = 50.0
LIMIT = 20
KINDS = ("name", "name prefix", "pinyin", "initials", "phone tail", "phone run")
AGENT = {"username": "bench-p9-agent", "display_name": "压测坐席P9",
         "password": "bench-p9-agent-pass-1", "roles": ["agent"], "groups": [],
         "clearance": 0}


# ---------------------------------------------------------------- the data set
def search_keys_in_step() -> dict:
    """The generator's reload rebuilds the search keys at its commit (migration 0003);
    marks left for the service's timer (bulk imports) are completed here, so that the
    figures are those of the whole data set.  Returns what it found and did."""
    conn = generate._connect(generate._owner_uri())
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT (SELECT count(*) FROM customer_search_dirty) AS dirty,"
                        " (SELECT count(*) FROM customer_search) AS keys,"
                        " (SELECT count(*) FROM customer WHERE destroyed_at IS NULL"
                        "  AND merged_into IS NULL) AS live")
            state = dict(cur.fetchone())
            state["rebuilt_seconds"] = None
            if state["dirty"] or state["keys"] != state["live"]:
                started = time.perf_counter()
                cur.execute("SET maintenance_work_mem = '512MB'")
                cur.execute("SELECT customer_search_rebuild()")
                state["rebuilt_seconds"] = time.perf_counter() - started
            conn.commit()
            conn.autocommit = True
            # A fresh bulk load leaves rows in the GIN indexes' pending lists, which every
            # search would scan until autovacuum merges them: merge them now.
            cur.execute("VACUUM (ANALYZE) customer_search, customer_phone_search")
            cur.execute("SELECT pg_size_pretty(pg_total_relation_size('customer_search')"
                        " + pg_total_relation_size('customer_phone_search')) AS size")
            state["size"] = cur.fetchone()["size"]
    finally:
        conn.close()
    return state


def sample_queries(k: int = SAMPLE, seed: int = SEED) -> list[dict]:
    """k queries in equal shares of KINDS, each with the customer it was drawn from."""
    conn = generate._connect(generate._owner_uri())
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) AS n FROM customer")
            total = cur.fetchone()["n"]
            percent = min(100.0, 100.0 * k * 2 / max(total, 1))
            cur.execute(
                "SELECT c.id::text, c.name, c.name_pinyin, c.name_initials,"
                " (SELECT p.e164 FROM customer_phone p WHERE p.customer_id = c.id"
                "  ORDER BY p.position LIMIT 1) AS e164"
                " FROM customer c TABLESAMPLE BERNOULLI (%s) REPEATABLE (%s)"
                " WHERE c.destroyed_at IS NULL AND c.merged_into IS NULL ORDER BY c.id",
                (percent, seed))
            rows = cur.fetchall()
    finally:
        conn.close()
    rng = random.Random(seed)
    rng.shuffle(rows)
    queries = []
    for i, r in enumerate(rows[:k]):
        kind = KINDS[i % len(KINDS)]
        national = (r["e164"] or "")[3:]
        if kind.startswith("phone") and len(national) < 8:
            kind = "pinyin"
        q = {"name": r["name"],
             "name prefix": r["name"][:2] if len(r["name"]) >= 3 else r["name"][:1],
             "pinyin": r["name_pinyin"], "initials": r["name_initials"],
             "phone tail": national[-4:], "phone run": national[2:9]}[kind]
        queries.append({"kind": kind, "q": q, "id": r["id"]})
    return queries


# ---------------------------------------------------------------- 1. the database alone
def database_only(queries: list[dict]) -> dict:
    """Closed loop on one connection, exactly the service's SQL (the search handler:
    the ids, then the cards) in one transaction bound to an agent, per query."""
    import psycopg2
    import psycopg2.extras

    from services.common.db import Tx
    from services.common.identity import Principal
    from services.customer.handlers import access, search

    agent = Principal("bench-p9", "bench-p9", frozenset({"agent"}), frozenset(), 0)
    conn = psycopg2.connect(os.environ["KEFU_CUSTOMER_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    by_kind: dict[str, list[float]] = defaultdict(list)
    hits: Counter = Counter()
    try:
        for rounds in range(2):  # the first round warms the caches
            for query in queries:
                started = time.perf_counter()
                with conn.cursor() as cur:
                    access.bind_principal(cur, agent)
                    found = search.search_customers(Tx(cur, None),
                                                    {"q": query["q"], "limit": LIMIT})
                conn.commit()
                ids = [card["id"] for card in found["customers"]]
                if rounds:
                    by_kind[query["kind"]].append((time.perf_counter() - started) * 1000)
                    hits[query["kind"]] += query["id"] in ids
    finally:
        conn.close()
    out = {}
    for kind in KINDS:
        ms = sorted(by_kind[kind])
        if ms:
            out[kind] = {"n": len(ms), "p50": percentile(ms, 50), "p95": percentile(ms, 95),
                         "p99": percentile(ms, 99), "max": ms[-1],
                         "found": hits[kind] / len(ms)}
    every = sorted(v for values in by_kind.values() for v in values)
    out["all"] = {"n": len(every), "p50": percentile(every, 50), "p95": percentile(every, 95),
                  "p99": percentile(every, 99), "max": every[-1],
                  "found": sum(hits.values()) / len(every)}
    return out


# ---------------------------------------------------------------- 2. RPC
class ProxyPool:
    """One standalone ClusterRpcProxy per request in flight (a proxy is not safe to share
    between greenthreads), all calling as the same agent."""

    def __init__(self, uri: str, token: str, size: int):
        self.config = {"AMQP_URI": uri, "serializer": "json"}
        self.context = {"auth_token": token}
        self.free: LightQueue = LightQueue()
        self.runners: list[ClusterRpcProxy] = []
        for _ in range(size):
            self.free.put(self._new())

    def _new(self):
        runner = ClusterRpcProxy(self.config, context_data=self.context, timeout=30)
        self.runners.append(runner)
        return runner.start()

    def search(self, q: str) -> dict:
        try:
            proxy = self.free.get_nowait()
        except Empty:
            proxy = self._new()
        try:
            return proxy.customer.search_customers({"q": q, "limit": LIMIT})
        finally:
            self.free.put(proxy)

    def close(self) -> None:
        for runner in self.runners:
            runner.stop()


def cycling(queries: list[dict], ask, service_ms: dict):
    """A call for open_loop: the next query of the mix; also keeps, per kind, the time
    from the call's own start (the open-loop figure counts from the schedule)."""
    position = [0]

    def call():
        query = queries[position[0] % len(queries)]
        position[0] += 1
        started = time.perf_counter()
        if not ask(query["q"]):
            raise RuntimeError(f"no answer for {query['kind']} {query['q']!r}")
        service_ms[query["kind"]].append((time.perf_counter() - started) * 1000)
    return call


def rpc_steps(queries: list[dict], token: str) -> list[dict]:
    pool = ProxyPool(os.environ["KEFU_AMQP_URI"], token, 20)
    try:
        def ask(q):
            return pool.search(q)["customers"]
        warm: dict = defaultdict(list)
        warm_call = cycling(queries, ask, warm)
        for _ in range(300):
            warm_call()
        steps = []
        for rate in RPC_RATES:
            eventlet.sleep(2)
            kinds: dict = defaultdict(list)
            before = harness.cpu_snapshot()
            figures = open_loop(cycling(queries, ask, kinds), rate, harness.SECONDS,
                                harness.WARMUP)
            figures["cpu"] = harness.cpu_share(before, harness.cpu_snapshot(),
                                               int(rate * (harness.SECONDS + harness.WARMUP)))
            figures["kinds"] = {k: sorted(v) for k, v in kinds.items()}
            steps.append(figures)
        return steps
    finally:
        pool.close()


# ---------------------------------------------------------------- 3. gateway
def agent_header(admin_password: str) -> str:
    from tests.system import Client
    admin = Client("admin", admin_password)
    reply = admin.post("/api/v1/staff", AGENT)
    if reply.status_code not in (201, 409):
        raise RuntimeError(f"could not create the bench agent: {reply.status_code} {reply.text}")
    return Client(AGENT["username"], AGENT["password"]).http.headers["Authorization"]


def gateway_step(queries: list[dict], header: str) -> dict:
    import json

    from tests.system import BASE
    http = urllib3.PoolManager(maxsize=200, block=False, headers={"Authorization": header})

    def ask(q):
        reply = http.request("GET", f"{BASE}/api/v1/customers/search?q={quote(q)}"
                                    f"&limit={LIMIT}", retries=False, timeout=30.0)
        if reply.status != 200:
            raise RuntimeError(f"HTTP {reply.status}: {reply.data[:120]!r}")
        return json.loads(reply.data)["customers"]
    kinds: dict = defaultdict(list)
    warm = cycling(queries, ask, defaultdict(list))
    for _ in range(200):
        warm()
    figures = open_loop(cycling(queries, ask, kinds), GATEWAY_RATE, harness.SECONDS,
                        harness.WARMUP)
    figures["kinds"] = {k: sorted(v) for k, v in kinds.items()}
    return figures


# ---------------------------------------------------------------- the section
def _kind_table(db: dict, step: dict) -> str:
    lines = ["| kind of query | example | found the customer drawn (top 20) |"
             f" database p50 / p95 ms | RPC at {step['rate']:.0f}/s p50 / p95 / p99 ms |",
             "|---|---|---|---|---|"]
    for kind in KINDS:
        if kind not in db:
            continue
        d, ms = db[kind], step["kinds"].get(kind, [])
        rpc = (f"{percentile(ms, 50):.1f} / {percentile(ms, 95):.1f} / {percentile(ms, 99):.1f}"
               if ms else "–")
        lines.append(f"| {kind} | {EXAMPLES[kind]} | {d['found']:.0%} | {d['p50']:.2f} /"
                     f" {d['p95']:.2f} | {rpc} |")
    return "\n".join(lines)


def _db_row(d: dict) -> str:
    return (f"| database only, closed loop, one connection | – | {d['n']} | 0 | {d['p50']:.2f} |"
            f" {d['p95']:.2f} | {d['p99']:.2f} | {d['max']:.2f} |")


EXAMPLES = {"name": "张伟", "name prefix": "张伟 (of 张伟芳)", "pinyin": "zhangwei",
            "initials": "zw", "phone tail": "8000", "phone run": "0013800"}


def run() -> str:
    from tests.helpers import token as staff_token

    data = generate.ensure_customers(CUSTOMERS, SEED)
    keys = search_keys_in_step()
    queries = sample_queries()
    mix = Counter(q["kind"] for q in queries)
    db = database_only(queries)
    password = harness.system()
    token = staff_token(("agent",), staff_id="bench-p9", ttl=900)  # the test keys
    rpc = rpc_steps(queries, token)
    gateway = gateway_step(queries, agent_header(password))
    target = next(s for s in rpc if s["rate"] == RPC_RATES[0])
    ok = target["errors"] == 0 and target["p95"] <= TARGET_P95
    rebuilt = (f"rebuilt before measuring in {keys['rebuilt_seconds']:.0f} s (the data set "
               f"was loaded in bulk, leaving {keys['dirty']:,} marks for the service's timer)"
               if keys["rebuilt_seconds"] is not None else "already complete")
    rows = "\n".join(harness.row(f"search over RPC at {s['rate']:.0f}/s", s) for s in rpc)
    details = "\n".join(
        f"- {label} {s['rate']:.0f}/s: most requests in flight {s['max_in_flight']}, started"
        f" > 5 ms late {s['late_starts']}, load generator {s['generator_cpu']:.2f} cores"
        + (f"; errors {s['error_kinds']}" if s["errors"] else "")
        for label, s in [*(("RPC", s) for s in rpc), ("gateway", gateway)])
    return f"""## P9 — fuzzy customer search at {data['n']:,} customers

Target: p95 ≤ {TARGET_P95:g} ms (measured at the RPC level, `customer.search_customers`;
the gateway figure is given too).

Data set: {data['n']:,} customers from seed {data['seed']} (bench/generate.py),
{data['counts']['customer_phone']:,} phones.  Search keys (migration 0003:
`customer_search`, `customer_phone_search`, {keys['size']} with their indexes):
{rebuilt}.

Mix: {len(queries):,} queries drawn from the data set (seeded sample), in equal shares —
{", ".join(f"{k} {n}" for k, n in mix.items())} — each answered with up to {LIMIT} cards
(masked phones) as an agent (clearance 0).  A request fails unless it answers with at
least one customer.  {harness.method()}

{harness.HEADER}
{_db_row(db["all"])}
{rows}
{harness.row(f"search through the gateway at {gateway['rate']:.0f}/s", gateway)}

**{"Meets" if ok else "Misses"} the target at {target['rate']:.0f}/s over RPC: p95
{target['p95']:.1f} ms (target ≤ {TARGET_P95:g} ms), {target['errors']} errors.**

Per kind of query (database: closed loop; RPC: time from each call's own start, at
{target['rate']:.0f}/s):

{_kind_table(db, target)}

{details}

CPU during the RPC step at {target['rate']:.0f}/s:

{harness.cpu_table(target['cpu'], 'search')}

How it is fast: exact and prefix matches on btree indexes first (text_pattern_ops), then
trigram substrings; the search keys live in tables of their own because row-level
security on `customer` keeps PostgreSQL from using an index for LIKE or pg_trgm's `%`
(not leakproof).  The trigram "did you mean" for a misspelt query runs only when nothing
matched as typed, and is the slow path: a misspelt pinyin sharing its first syllable with
tens of thousands of names (zhangsna) takes about 100 ms in the database.  "Found the
customer drawn" below 100% is the nature of common names: 张伟 has more than {LIMIT}
namesakes, and the agent narrows with a phone or the number.
"""

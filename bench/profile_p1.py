"""Where the screen pop's time goes (not part of `make bench`; run under the test lock):

    flock -o var/test.lock bash -c 'export KEFU_ENV=test; . deploy/local/env.sh;
        .venv/bin/python -m bench.profile_p1 [RATE ...]'

1. one request at a time (closed loop): the unloaded latency of the screen pop, of the
   customer `lookup` RPC alone and of the ticket `list_for_customer` RPC alone (the
   difference is the gateway: HTTP, werkzeug, token, JSON);
2. for each RATE (default 100 200): open loop for 30 s with the CPU of each process,
   what PostgreSQL's backends are doing (pg_stat_activity sampled every 20 ms) and,
   when py-spy is on PATH or in PY_SPY, where gateway, customer and ticket spend their
   busy time, by component and by function (py-spy record, 20 s).  py-spy is not a
   project dependency: `python3 -m pip install --target /tmp/pyspy py-spy==0.4.3` and
   PY_SPY=/tmp/pyspy/bin/py-spy.
Prints a report (py-spy's raw stacks stay in /tmp); writes nothing into the repository.
"""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402

import collections  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from services.common.green import prepare_process  # noqa: E402

prepare_process()

import urllib3  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from bench import generate, harness  # noqa: E402
from bench.load import open_loop, percentile  # noqa: E402
from bench.p1_screen_pop import CUSTOMERS, SEED, agent_tokens, sample_lookups, screen_pop  # noqa: E402

ROOT = harness.ROOT


def closed_loop(call, n: int = 400) -> dict:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"p50": percentile(times, 50), "p90": percentile(times, 90),
            "p99": percentile(times, 99)}


def pids() -> dict[str, int]:
    out = {}
    for svc in ("gateway", "customer", "ticket"):
        path = ROOT / "var" / "run" / "test" / f"{svc}.pid"
        out[svc] = int(path.read_text().strip())
    return out


def py_spy_record(pid: int, seconds: int, out: str):
    spy = os.environ.get("PY_SPY") or shutil.which("py-spy")
    if not spy:
        return None
    return subprocess.Popen([spy, "record", "-p", str(pid), "-d", str(seconds), "-r", "250",
                             "-f", "raw", "-o", out, "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


COMPONENTS = (  # (label, path prefixes as py-spy prints them); nearest the leaf decides
    ("AMQP client (kombu, py-amqp, nameko.amqp)", ("kombu/", "amqp/", "nameko/amqp/")),
    ("PostgreSQL client (psycopg2)", ("psycopg2/", "services/common/green.py")),
    ("JWT verification", ("jwt/",)),
    ("marshmallow", ("marshmallow/",)),
    ("JSON", ("json/",)),
    ("HTTP (eventlet.wsgi, werkzeug)", ("werkzeug/", "eventlet/wsgi.py", "http/", "email/")),
    ("nameko machinery", ("nameko/",)),
    ("logging, metrics", ("logging/", "prometheus_client/")),
    ("service code (services/)", ("services/",)),
)
IDLE = ("Hub.do_poll", "Hub.wait (eventlet/hubs/poll.py")


def _path(frame: str) -> str:
    return frame[frame.rfind("(") + 1:]


def _component(frames: list[str]) -> str:
    if any(frames[-1].startswith(idle) for idle in IDLE):
        return "idle"
    for frame in reversed(frames):
        path = _path(frame)
        for label, prefixes in COMPONENTS:
            if path.startswith(prefixes):
                return label
    if any(_path(f).startswith("eventlet/") for f in frames):
        return "eventlet scheduling"
    return "other"


def top_functions(raw_path: str, n: int = 15) -> str:
    """Where a process's busy samples go: by component, and the hottest functions."""
    own: collections.Counter = collections.Counter()
    parts: collections.Counter = collections.Counter()
    samples = 0
    try:
        lines = open(raw_path).read().splitlines()
    except OSError:
        return "  (no py-spy output)"
    for line in lines:
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        component = _component(frames)
        if component == "idle":
            continue
        samples += int(count)
        parts[component] += int(count)
        own[frames[-1]] += int(count)
    out = [f"  {samples} busy samples (idle excluded); by component:"]
    out += [f"    {c / samples:6.1%}  {label}" for label, c in parts.most_common()]
    out.append(f"  hottest functions (self, top {n}):")
    out += [f"    {c / samples:6.1%}  {f}" for f, c in own.most_common(n)]
    return "\n".join(out)


def pg_activity_sampler(stop: list, seen: collections.Counter):
    conn = generate._connect(os.environ["KEFU_CUSTOMER_OWNER_DB_URI"])
    conn.autocommit = True
    cur = conn.cursor()
    while not stop:
        cur.execute("SELECT state, wait_event_type, wait_event, left(query, 90) AS q"
                    " FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND state <> 'idle'")
        for r in cur.fetchall():
            seen[(r["state"], r["wait_event_type"] or "CPU", r["wait_event"] or "",
                  r["q"])] += 1
        seen["_samples"] += 1
        eventlet.sleep(0.02)
    conn.close()


def main(rates: list[float]) -> None:
    data = generate.ensure_customers(CUSTOMERS, SEED)
    print("data set:", data["counts"], flush=True)
    lookups = sample_lookups()
    harness.system()
    http = urllib3.PoolManager(maxsize=1000, block=False)
    outcomes: collections.Counter = collections.Counter()
    tokens = agent_tokens()
    pop = screen_pop(http, lookups, outcomes, tokens)
    for _ in range(300):
        pop()
    print("\n== unloaded latency, one request at a time (ms)")
    print("  screen pop via gateway   ", closed_loop(pop))
    config = {"AMQP_URI": os.environ["KEFU_AMQP_URI"], "serializer": "json"}
    raw_token = tokens[0].split(" ", 1)[1]
    with ClusterRpcProxy(config, context_data={"auth_token": raw_token}) as rpc:
        position = [0]

        def lookup():
            item = lookups[position[0] % len(lookups)]
            position[0] += 1
            return rpc.customer.lookup({"phone": item["typed"]}, True)

        found = lookup()
        cid = found["matches"][0]["id"]
        print("  customer.lookup RPC      ", closed_loop(lookup))
        print("  ticket.list_for_customer ",
              closed_loop(lambda: rpc.ticket.list_for_customer(cid, 10)))
        print("  customer.health RPC      ", closed_loop(lambda: rpc.customer.health()))
    for rate in rates:
        print(f"\n== open loop at {rate:.0f}/s, 30 s", flush=True)
        tmp = tempfile.mkdtemp(prefix=f"kefu-prof-{rate:.0f}-")
        spies = {svc: py_spy_record(pid, 20, f"{tmp}/{svc}.txt") for svc, pid in pids().items()}
        stop: list = []
        seen: collections.Counter = collections.Counter()
        sampler = eventlet.spawn(pg_activity_sampler, stop, seen)
        before = harness.cpu_snapshot()
        figures = open_loop(pop, rate, 30, 3)
        share = harness.cpu_share(before, harness.cpu_snapshot(), int(rate * 33))
        stop.append(True)
        sampler.wait()
        for spy in spies.values():
            if spy:
                spy.wait()
        print({k: (round(v, 2) if isinstance(v, float) else v) for k, v in figures.items()})
        print(harness.cpu_table(share))
        samples = seen.pop("_samples", 1)
        print(f"  pg_stat_activity, {samples} samples: average active backends "
              f"{sum(seen.values()) / samples:.2f}; top:")
        for (state, wtype, wevent, query), count in seen.most_common(12):
            print(f"    {count / samples:5.2f}  {state} {wtype}/{wevent}  {query!r}")
        for svc in spies:
            print(f"\n  py-spy {svc}:")
            print(top_functions(f"{tmp}/{svc}.txt"))
        print(f"  (py-spy raw stacks kept in {tmp})")
    harness.shutdown()


if __name__ == "__main__":
    main([float(a) for a in sys.argv[1:]] or [100.0, 200.0])

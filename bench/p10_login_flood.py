"""P10 — the gateway's memory and sign-in under a flood of wrong passwords (issue 9,
finding 9; TARGETS.md P10: a service process ≤ 200 MB RSS; S7: repeated failures
throttled).

200 connections, each a green thread with a connection of its own from an address of
its own (127.1.0.1, 127.1.0.2, ...: a botnet, so the throttle per address does not
stop it alone), post wrong passwords to POST /api/v1/auth/login as fast as answers
come back (closed loop), for the measured seconds, in two steps:

  one account    every connection guesses the password of one agent (brute force):
                 the throttle per account and address answers 429 without hashing
  sprayed        every request names another account, half of them real (password
                 spraying): each guess is a fresh account, so it reaches the argon2id
                 hash, which the sign-in guard runs one at a time with a short queue
                 and refuses past it (503) — memory stays bounded

Meanwhile two real agents sign in with the right password once a second from other
addresses: one from the client it signed in from before (it presents its device
token: counted apart, served first), one from a new client (no device token): how many
got in, and how long it took.  The gateway's resident memory
(VmRSS of its process) is sampled every 200 ms; the peak (VmHWM) is read at the end.
"""
import time
import uuid
from collections import Counter

import eventlet
import urllib3

from bench import harness
from bench.load import percentile

CONNECTIONS = 200
RSS_LIMIT_MB = 200


def gateway_pid() -> int:
    return int((harness.ROOT / "var" / "run" / "test" / "gateway.pid").read_text().strip())


def memory_mb(pid: int, field: str) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def make_agent(admin, prefix: str) -> tuple[str, str, str]:
    """(username, password, the device token of its first sign-in)."""
    from tests.system import BASE
    username, password = f"{prefix}{uuid.uuid4().hex[:10]}", "Pw-" + uuid.uuid4().hex
    reply = admin.create_staff({"username": username, "display_name": "压测坐席",
                                "password": password, "roles": ["agent"]})
    assert reply.status_code == 201, reply.text
    first = urllib3.request("POST", f"{BASE}/api/v1/auth/login",
                            json={"username": username, "password": password})
    assert first.status == 200, first.data
    return username, password, first.json()["device_token"]


def flood(step: str, usernames, real: list, seconds: float) -> dict:
    from tests.system import BASE
    url = f"{BASE}/api/v1/auth/login"
    statuses: Counter = Counter()
    latencies: list[float] = []
    legit: dict[str, list[tuple[int, float]]] = {"known": [], "new": []}
    rss: list[float] = []
    pid = gateway_pid()
    stop = time.monotonic() + seconds
    guesses = iter(usernames)

    def attacker(number: int) -> None:
        http = urllib3.PoolManager(maxsize=1, block=True,
                                   source_address=(f"127.1.{number // 250}.{number % 250 + 1}", 0))
        while time.monotonic() < stop:
            body = {"username": next(guesses), "password": "wrong-" + uuid.uuid4().hex[:8]}
            started = time.perf_counter()
            try:
                reply = http.request("POST", url, json=body, retries=False, timeout=30.0)
                statuses[reply.status] += 1
            except Exception as exc:  # noqa: BLE001 — counted by kind
                statuses[type(exc).__name__] += 1
                continue
            latencies.append(time.perf_counter() - started)

    def real_user(kind: str, user: tuple[str, str, str], address: str) -> None:
        http = urllib3.PoolManager(maxsize=1, source_address=(address, 0))
        body = {"username": user[0], "password": user[1]}
        if kind == "known":
            body["device"] = user[2]
        while time.monotonic() < stop:
            started = time.perf_counter()
            reply = http.request("POST", url, json=body, retries=False, timeout=30.0)
            legit[kind].append((reply.status, time.perf_counter() - started))
            eventlet.sleep(1.0)

    def sampler() -> None:
        while time.monotonic() < stop:
            rss.append(memory_mb(pid, "VmRSS"))
            eventlet.sleep(0.2)

    rss_before = memory_mb(pid, "VmRSS")
    before = harness.cpu_snapshot()
    pool = eventlet.GreenPool(CONNECTIONS + 2)
    pool.spawn(sampler)
    pool.spawn(real_user, "known", real[0], "127.0.0.2")
    pool.spawn(real_user, "new", real[1], "127.0.0.3")
    for number in range(CONNECTIONS):
        pool.spawn(attacker, number)
    pool.waitall()
    answered = sum(v for k, v in statuses.items() if isinstance(k, int))
    cpu = harness.cpu_share(before, harness.cpu_snapshot(), answered)
    latencies.sort()
    figures = {}
    for kind, tries in legit.items():
        times = sorted(t for _, t in tries)
        figures[kind] = {"ok": sum(1 for status, _ in tries if status == 200),
                         "tries": len(tries),
                         "statuses": dict(Counter(s for s, _ in tries)),
                         "p50": percentile(times, 50) * 1000,
                         "max": (times[-1] * 1000) if times else float("nan")}
    return {"step": step, "statuses": dict(statuses), "answered": answered,
            "rate": answered / seconds, "p50": percentile(latencies, 50) * 1000,
            "p99": percentile(latencies, 99) * 1000, "max": latencies[-1] * 1000,
            "cpu": cpu, "rss_before": rss_before, "rss_max": max(rss),
            "hwm": memory_mb(pid, "VmHWM"), "real": figures}


def sprayed(real_names: list[str]):
    """Usernames for password spraying: every other one a real account, the rest
    unknown; each used once (a fresh account per guess)."""
    i = 0
    while True:
        i += 1
        yield real_names[i % len(real_names)] if i % 2 else f"nobody{uuid.uuid4().hex[:12]}"


def measure() -> list[dict]:
    from tests.system import Client
    password = harness.system()
    admin = Client("admin", password)
    victim = make_agent(admin, "victim")[0]
    real = [make_agent(admin, "realuser"), make_agent(admin, "newclient")]
    spray_targets = [make_agent(admin, "spray")[0] for _ in range(50)]
    seconds = harness.SECONDS
    steps = [flood("one account", iter(lambda: victim, None), real, seconds)]
    time.sleep(2)
    steps.append(flood("sprayed", sprayed(spray_targets), real, seconds))
    return steps


def run() -> str:
    steps = measure()
    lines = [
        "## P10 — the gateway under a 200-connection flood of wrong passwords",
        "",
        f"Target: the gateway's resident memory ≤ {RSS_LIMIT_MB} MB (TARGETS.md P10), "
        "repeated failures throttled (S7).",
        "",
        f"{CONNECTIONS} connections, each from an address of its own, post wrong passwords as "
        f"fast as answers come back, {harness.SECONDS:.0f} s per step; a real agent signs in "
        "once a second meanwhile from another address.  "
        "`one account`: every guess names the same agent.  `sprayed`: every guess names "
        "another account (half real, half unknown).  Latency is per answer (closed loop).",
        "",
        "| step | answers | answers/s | statuses | p50 ms | p99 ms | max ms | gateway RSS "
        "before → max MB | peak (VmHWM) MB | real sign-ins ok: known device / new client |"
        " their p50 / max ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in steps:
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(s["statuses"].items(), key=str))
        lines.append(
            f"| {s['step']} | {s['answered']} | {s['rate']:.0f} | {statuses} | {s['p50']:.1f} |"
            f" {s['p99']:.1f} | {s['max']:.1f} | {s['rss_before']:.0f} → {s['rss_max']:.0f} |"
            f" {s['hwm']:.0f} | {s['real']['known']['ok']} of {s['real']['known']['tries']} /"
            f" {s['real']['new']['ok']} of {s['real']['new']['tries']} |"
            f" {s['real']['known']['p50']:.0f} / {s['real']['known']['max']:.0f};"
            f" {s['real']['new']['p50']:.0f} / {s['real']['new']['max']:.0f} |")
    peak = max(s["hwm"] for s in steps)
    lines += ["", f"**Gateway peak resident memory {peak:.0f} MB: "
              f"{'meets' if peak <= RSS_LIMIT_MB else 'misses'} the {RSS_LIMIT_MB} MB target.**",
              ""]
    for s in steps:
        lines += [f"CPU during `{s['step']}` (per answered sign-in):", "",
                  harness.cpu_table(s["cpu"], "sign-in"), ""]
        for kind, real in s["real"].items():
            if real["ok"] < real["tries"]:
                lines.append(f"- `{s['step']}`: the real agent ({kind}) was refused "
                             f"{real['tries'] - real['ok']} of {real['tries']} times "
                             f"({real['statuses']}).")
    return "\n".join(lines).rstrip() + "\n"

"""An open-loop load generator: requests start on a fixed schedule whether or
not earlier ones have answered, and each latency is measured from its
scheduled start, so a slow reply cannot hide the queue behind it.

Runs in an eventlet-patched process (bench/__main__.py patches first)."""
import resource
import time
from collections import Counter

import eventlet


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def open_loop(call, rate: float, seconds: float, warmup: float, concurrency: int = 1000) -> dict:
    """Call `call()` `rate` times a second for warmup + seconds; figures of the measured part.

    Besides the percentiles: `errors` and `error_kinds` (exception text → count),
    `max_in_flight`, `late_starts` (started > 5 ms after schedule: the generator itself
    was behind) and `generator_cpu` (this process's CPU, in cores, while measuring)."""
    pool = eventlet.GreenPool(concurrency)
    latencies: list[float] = []
    kinds: Counter = Counter()
    state = {"in_flight": 0, "max_in_flight": 0, "late": 0}
    start = time.perf_counter() + 0.05
    total = int(rate * (warmup + seconds))
    measured_from = int(rate * warmup)
    marks = {}

    def one(i: int, scheduled: float) -> None:
        measured = i >= measured_from
        state["in_flight"] += 1
        state["max_in_flight"] = max(state["max_in_flight"], state["in_flight"])
        if measured and time.perf_counter() - scheduled > 0.005:
            state["late"] += 1
        try:
            call()
        except Exception as exc:  # noqa: BLE001 — every failure is counted, by kind
            if measured:
                kinds[f"{type(exc).__name__}: {str(exc)[:100]}"] += 1
            return
        finally:
            state["in_flight"] -= 1
        if measured:
            latencies.append(time.perf_counter() - scheduled)

    for i in range(total):
        scheduled = start + i / rate
        if i == measured_from:
            marks["cpu"], marks["wall"] = _cpu_seconds(), time.perf_counter()
        delay = scheduled - time.perf_counter()
        if delay > 0:
            eventlet.sleep(delay)
        pool.spawn_n(one, i, scheduled)
    pool.waitall()
    wall = time.perf_counter() - marks.get("wall", start)
    generator_cpu = (_cpu_seconds() - marks.get("cpu", 0.0)) / wall if wall > 0 else 0.0
    latencies.sort()
    ms = [v * 1000 for v in latencies]
    return {"rate": rate, "seconds": seconds, "requests": total - measured_from,
            "errors": sum(kinds.values()), "error_kinds": dict(kinds.most_common(5)),
            "p50": percentile(ms, 50), "p95": percentile(ms, 95), "p99": percentile(ms, 99),
            "max": ms[-1] if ms else float("nan"), "max_in_flight": state["max_in_flight"],
            "late_starts": state["late"], "generator_cpu": generator_cpu}

"""An open-loop load generator: requests start on a fixed schedule whether or
not earlier ones have answered, and each latency is measured from its
scheduled start, so a slow reply cannot hide the queue behind it."""
import time

import eventlet


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def open_loop(call, rate: float, seconds: float, warmup: float, concurrency: int = 500) -> dict:
    """Call `call()` `rate` times a second; returns latency figures of the measured part."""
    pool = eventlet.GreenPool(concurrency)
    latencies: list[float] = []
    errors = [0]
    start = time.perf_counter() + 0.05
    total = int(rate * (warmup + seconds))
    measured_from = int(rate * warmup)

    def one(i: int, scheduled: float) -> None:
        try:
            call()
        except Exception:
            if i >= measured_from:
                errors[0] += 1
            return
        if i >= measured_from:
            latencies.append(time.perf_counter() - scheduled)

    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            eventlet.sleep(delay)
        pool.spawn_n(one, i, scheduled)
    pool.waitall()
    latencies.sort()
    ms = [v * 1000 for v in latencies]
    return {"rate": rate, "seconds": seconds, "requests": total - measured_from,
            "errors": errors[0], "p50": percentile(ms, 50), "p95": percentile(ms, 95),
            "p99": percentile(ms, 99), "max": ms[-1] if ms else float("nan")}

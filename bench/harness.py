"""What every scenario shares: run length, the system under test, CPU accounting,
the machine's description and the markdown of a latency table.

Settings (environment):
  KEFU_BENCH_SECONDS  measured seconds per load step (default 60; TARGETS.md wants ≥ 60)
  KEFU_BENCH_WARMUP   warm-up seconds before each measured step (default 10)
"""
import os
import platform
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("KEFU_BENCH_SECONDS", os.environ.get("BENCH_SECONDS", 60)))
WARMUP = float(os.environ.get("KEFU_BENCH_WARMUP", os.environ.get("BENCH_WARMUP", 10)))
SHORT = SECONDS < 60  # a quick check, not a figure for TARGETS.md

_started = {"password": None}


def system() -> str:
    """Start the whole system under test once (tests/system.py: test databases, vhost
    kefu_test, gateway on 127.0.0.1:8800); returns the admin password.  The runner
    stops it after the last scenario."""
    from tests.system import start_system
    if _started["password"] is None:
        _started["password"] = start_system()
    return _started["password"]


def shutdown() -> None:
    from tests.system import stop_system
    if _started["password"] is not None:
        stop_system()
        _started["password"] = None


# ---------------------------------------------------------------- the machine
def _meminfo_gib() -> float:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    return float("nan")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> str:
    return (f"{os.cpu_count()} cores ({_cpu_model()}), {_meminfo_gib():.1f} GiB memory"
            f" (from /proc), Linux {platform.release()}, Python {platform.python_version()}")


# ---------------------------------------------------------------- CPU accounting
CLK = os.sysconf("SC_CLK_TCK")


def _pid_names() -> dict[int, str]:
    names = {os.getpid(): "load generator (bench)"}
    run = ROOT / "var" / "run" / "test"
    for pidfile in run.glob("*.pid"):
        try:
            names[int(pidfile.read_text().strip())] = f"{pidfile.stem} service"
        except (OSError, ValueError):
            pass
    return names


def _group(pid: int, comm: str, names: dict[int, str]) -> str:
    if pid in names:
        return names[pid]
    if comm == "postgres":
        return "PostgreSQL"
    if comm in ("beam.smp", "erl_child_setup", "inet_gethost", "epmd"):
        return "RabbitMQ"
    return "other processes"


def cpu_snapshot() -> dict:
    """CPU seconds used so far, per process group, plus the machine's busy/total."""
    names = _pid_names()
    groups: dict[str, float] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1: stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        seconds = (int(fields[11]) + int(fields[12])) / CLK
        group = _group(int(entry.name), comm, names)
        groups[group] = groups.get(group, 0.0) + seconds
    with open("/proc/stat") as f:
        cpu = [int(v) for v in f.readline().split()[1:]]
    idle = cpu[3] + cpu[4]
    return {"at": time.monotonic(), "groups": groups,
            "busy": (sum(cpu[:8]) - idle) / CLK, "total": sum(cpu[:8]) / CLK}


def cpu_share(before: dict, after: dict, requests: int = 0) -> dict:
    """Per group: cores used between two snapshots (1.0 = one whole core) and, given the
    number of requests served in between, CPU milliseconds per request.  Processes that
    ended in between are missed, hence `machine busy` from /proc/stat as the truth."""
    wall = after["at"] - before["at"]
    groups = {}
    for group, seconds in after["groups"].items():
        used = seconds - before["groups"].get(group, 0.0)
        if used > 0.005 * wall:
            groups[group] = {"cores": used / wall,
                             "ms_per_request": used * 1000 / requests if requests else None}
    return {"wall": wall, "groups": groups, "requests": requests,
            "busy": (after["busy"] - before["busy"]) / wall}


def cpu_table(share: dict, label: str = "request") -> str:
    per = bool(share["requests"])
    lines = ["| process | CPU (cores) |" + (f" CPU ms per {label} |" if per else ""),
             "|---|---|" + ("---|" if per else "")]
    system_ms = 0.0
    for group, value in sorted(share["groups"].items(), key=lambda kv: -kv[1]["cores"]):
        cell = ""
        if per:
            cell = f" {value['ms_per_request']:.2f} |"
            if group != "other processes":
                system_ms += value["ms_per_request"]
        lines.append(f"| {group} | {value['cores']:.2f} |{cell}")
    lines.append(f"| **machine busy, all processes ({os.cpu_count()} cores)** |"
                 f" **{share['busy']:.2f}** |" + (f" **{system_ms:.2f}** (without other"
                                                   f" processes) |" if per else ""))
    return "\n".join(lines)


def cpu_ms_per_request(share: dict) -> float:
    """CPU ms per request of everything but unrelated processes (services, PostgreSQL,
    RabbitMQ, the load generator)."""
    return sum(v["ms_per_request"] or 0.0 for g, v in share["groups"].items()
               if g != "other processes")


# ---------------------------------------------------------------- latency tables
HEADER = ("| what | rate | requests | errors | p50 ms | p95 ms | p99 ms | max ms |\n"
          "|---|---|---|---|---|---|---|---|")


def row(name: str, f: dict) -> str:
    return (f"| {name} | {f['rate']:.0f}/s | {f['requests']} | {f['errors']} | {f['p50']:.2f} |"
            f" {f['p95']:.2f} | {f['p99']:.2f} | {f['max']:.2f} |")


def method() -> str:
    return (f"Open loop: requests start on a fixed schedule whether or not earlier ones have "
            f"answered; each latency is measured from its scheduled start.  {WARMUP:.0f} s "
            f"warm-up, {SECONDS:.0f} s measured per step; the load generator runs on the same "
            f"machine as everything else." + (
                "  **Shortened run (KEFU_BENCH_SECONDS < 60): a smoke test, not a figure.**"
                if SHORT else ""))

"""`make bench` / `python -m bench [p1 p7 ...]`: run benchmark scenarios, write bench/RESULTS.md.

A scenario is a module bench/pN_<name>.py with `run() -> str` returning its markdown
section (starting with a `## PN — ...` heading).  With no names every scenario runs,
in the order p1, p2, p9, p3, p5, p7, then the others by number (p7 import last among
the known ones: it adds customers to the data set the others measure).  Before the
first scenario over tickets (p1, p3, p5, p6) the 5,000,000-ticket data set is made
or found (bench/generate.py ensure_tickets; KEFU_BENCH_TICKETS=0 skips it).  A scenario asked for
whose module does not exist yet is skipped with a line saying so.

bench/RESULTS.md keeps one section per scenario between marker comments; a run
replaces the sections of the scenarios it ran and keeps the others (each section
carries the date and command that produced it).  Exit status 1 if a scenario failed.

Settings: KEFU_BENCH_SECONDS (measured seconds per step, default 60), KEFU_BENCH_WARMUP
(default 10).  Needs the test environment: `export KEFU_ENV=test; . deploy/local/env.sh`,
migrated test databases, and the test lock: `flock -o var/test.lock make bench`.
"""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402

import datetime  # noqa: E402
import importlib  # noqa: E402
import os  # noqa: E402
import pkgutil  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402

from services.common.green import prepare_process  # noqa: E402

prepare_process()

import bench  # noqa: E402
from bench import harness  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
KNOWN = {"p1": "p1_screen_pop", "p2": "p2_rpc", "p3": "p3_create", "p5": "p5_queues",
         "p7": "p7_import", "p9": "p9_search"}
FIRST = ("p1", "p2", "p9", "p3", "p5", "p7")
# Scenarios that measure over the ticket data set: it is made (or found) before the first
# of them runs, so that P1's screen pop shows the callers' tickets too.
OVER_TICKETS = ("p1", "p3", "p4", "p5", "p6")
TICKETS = int(os.environ.get("KEFU_BENCH_TICKETS", 5_000_000))
CUSTOMERS = int(os.environ.get("KEFU_BENCH_CUSTOMERS", 1_000_000))
SECTION = re.compile(r"<!-- bench:(p\d+|notes) -->\n(.*?)<!-- /bench:\1 -->\n", re.S)


def discover() -> dict[str, str]:
    """Short name (p7) -> module name (p7_import): the known ones and any bench/pN_*.py."""
    found = dict(KNOWN)
    for info in pkgutil.iter_modules(bench.__path__):
        match = re.match(r"(p\d+)_\w+$", info.name)
        if match:
            found[match.group(1)] = info.name
    return found


def ordered(names: list[str]) -> list[str]:
    """Scenarios in run order; `notes` (hand-written reading of the figures) last."""
    rest = sorted((n for n in names if n not in FIRST and n != "notes"), key=lambda n: int(n[1:]))
    return [n for n in FIRST if n in names] + rest + (["notes"] if "notes" in names else [])


def read_sections() -> dict[str, str]:
    if not RESULTS.exists():
        return {}
    return {name: body for name, body in SECTION.findall(RESULTS.read_text(encoding="utf-8"))}


def stamp(section: str, when: str, command: str) -> str:
    line = f"_Measured {when} by `{command}`._"
    head, _, tail = section.strip().partition("\n")
    if head.startswith("#"):
        return f"{head}\n\n{line}\n\n{tail.strip()}\n"
    return f"{line}\n\n{section.strip()}\n"


def write_results(sections: dict[str, str], when: str, command: str) -> None:
    body = "".join(f"<!-- bench:{name} -->\n{sections[name].rstrip()}\n\n<!-- /bench:{name} -->\n"
                   for name in ordered(list(sections)))
    RESULTS.write_text(f"""# Benchmark results

Last run: {when}, `{command}`.
Machine: {harness.machine()}.
Everything — PostgreSQL, RabbitMQ, the six services and the load generator — runs on this
one machine.
How to measure (shared/TARGETS.md): open-loop load at a fixed arrival rate, latency from
each request's scheduled start, {harness.WARMUP:.0f} s warm-up, {harness.SECONDS:.0f} s
measured, p50/p95/p99/max and the error count.  Data set: bench/generate.py (1,000,000
customers from seed 7, reproducible).  Each section below says when it was measured; a
section not re-run keeps its earlier figures; "Reading the figures" at the end is written
by hand and kept as it is by the runner.

{body}""", encoding="utf-8")


def main(argv: list[str]) -> int:
    available = discover()
    wanted = [a.lower() for a in argv] or ordered(list(available))
    names = []
    for arg in wanted:
        short = re.match(r"(p\d+)", arg)
        if not short:
            known = ", ".join(ordered(list(available)))
            raise SystemExit(f"unknown scenario {arg!r}; known: {known}")
        names.append(short.group(1))
    when = f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC"
    command = ("make bench" if os.environ.get("MAKELEVEL") and not argv
               else " ".join(["python -m bench", *argv]))
    sections = read_sections()
    failed: list[str] = []
    ran: list[str] = []
    tickets_ready = False
    try:
        for name in names:
            module_name = available.get(name)
            if module_name is None:
                print(f"{name}: no bench/{name}_*.py yet — skipped", flush=True)
                continue
            try:
                module = importlib.import_module(f"bench.{module_name}")
            except ModuleNotFoundError as exc:
                if exc.name == f"bench.{module_name}":
                    print(f"{name}: bench/{module_name}.py does not exist yet — skipped",
                          flush=True)
                    continue
                raise
            if name in OVER_TICKETS and TICKETS and not tickets_ready:
                started = time.monotonic()
                from bench import generate
                made = generate.ensure_tickets(TICKETS, 7, CUSTOMERS, 7)
                tickets_ready = True
                print(f"ticket data set: {made['n']:,} tickets"
                      f" {'generated' if made['generated'] else 'already there'}"
                      f" ({time.monotonic() - started:.0f} s)", flush=True)
            print(f"{name}: running bench/{module_name}.py", flush=True)
            started = time.monotonic()
            try:
                section = module.run()
            except Exception as exc:  # noqa: BLE001 — report, keep going with the others
                traceback.print_exc()
                failed.append(name)
                section = (f"## {name.upper()} — FAILED\n\nThe run stopped with "
                           f"`{type(exc).__name__}: {str(exc)[:300]}`; see the bench output.\n")
            print(f"{name}: done in {time.monotonic() - started:.0f} s", flush=True)
            sections[name] = stamp(section, when, command)
            write_results(sections, when, command)  # after each: a crash keeps what ran
            ran.append(name)
    finally:
        harness.shutdown()
    if ran:
        print(f"wrote {RESULTS} ({', '.join(ran)})"
              + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    else:
        print(f"no scenario ran; {RESULTS} unchanged")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

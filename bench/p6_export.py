"""P6 — a 1,000,000-row XLSX export streamed with memory ≤ 200 MB (issue 13, R3).

    python -m bench.p6_export [rows]

Writes `rows` generated rows (default 1,000,000) of the ticket figures table grouped by
group and agent — the widest report table: the day, two keys, 18 measures, some cells
empty — through the gateway's own writer (services/gateway/handlers/report_files.py
`xlsx_file`: xlsxwriter in constant_memory mode into an anonymous temporary file), then
reads the file back in the chunks the route sends, all in a child process; prints the
child's peak resident memory (getrusage of the child: the whole process, interpreter
and libraries included) and the seconds of each step.  No stack is needed.

Not a `make bench` scenario: bench/__main__ takes one module per number, and P6's is
p6_figures (the dashboards); `section(measure())` gives this one's lines for its report.
"""
import datetime
import json
import resource
import subprocess
import sys
import time

ROWS = 1_000_000
TARGET_MB = 200.0


def rows(count: int):
    """`count` rows of the ticket figures by group and agent: 90 days × 20 groups × the
    agents, counters from the row number, times empty where a day has none."""
    first = datetime.date(2026, 9, 1)
    for n in range(count):
        created = n % 17
        seconds = None if n % 5 == 0 else 60.0 + (n % 3600) / 7
        yield (first + datetime.timedelta(days=n % 90), f"组{n % 20:02d}",
               f"00000000-0000-4000-8000-{n % 5000:012d}", created, created // 2,
               created // 3, n % 2, n % 3 == 0, n % 7 == 0, n % 11 == 0, n % 13 == 0,
               created // 4, created // 5, created, created // 3,
               seconds, None if seconds is None else seconds * 3, seconds,
               None if seconds is None else seconds * 10,
               None if seconds is None else seconds * 40, seconds)


def child(count: int) -> None:
    """In the child: write, then send (read in chunks), and say how long each took."""
    from services.gateway.domain import report_tables
    from services.gateway.handlers import report_files

    report = report_tables.TICKETS
    keys = (report.keys["group"], report.keys["agent"])
    columns = (report.period, *keys, *report.measures)
    started = time.monotonic()
    file, size = report_files.xlsx_file(report.name, columns,
                                        (tuple(int(v) if isinstance(v, bool) else v
                                               for v in row) for row in rows(count)))
    written = time.monotonic()
    sent = sum(len(piece) for piece in report_files.chunks(file))
    done = time.monotonic()
    assert sent == size and file.closed
    print(json.dumps({"rows": count, "columns": len(columns), "bytes": size,
                      "write_seconds": written - started, "send_seconds": done - written}))


def measure(count: int = ROWS) -> dict:
    """The export in a child process: its figures and the child's peak RSS in MB."""
    started = time.monotonic()
    ran = subprocess.run([sys.executable, "-m", "bench.p6_export", "--child", str(count)],
                         capture_output=True, text=True, check=True)
    seconds = time.monotonic() - started
    figures = json.loads(ran.stdout.strip().splitlines()[-1])
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    return {**figures, "seconds": seconds, "peak_rss_mb": peak_kb / 1024}


def section(result: dict) -> str:
    ok = result["peak_rss_mb"] <= TARGET_MB
    return (f"XLSX export of {result['rows']:,} rows × {result['columns']} columns "
            f"({result['bytes'] / 1e6:.1f} MB file) through the gateway's writer: peak RSS "
            f"{result['peak_rss_mb']:.0f} MB (target ≤ {TARGET_MB:.0f} MB: "
            f"{'met' if ok else 'MISSED'}), written in {result['write_seconds']:.1f} s, "
            f"read back in chunks in {result['send_seconds']:.2f} s, "
            f"{result['seconds']:.1f} s in all (process start included)")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        child(int(argv[1]))
        return 0
    result = measure(int(argv[0]) if argv else ROWS)
    print(section(result))
    return 0 if result["peak_rss_mb"] <= TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

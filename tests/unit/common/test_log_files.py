"""Log and pid files are the operator's alone (issue 9, finding 11: log files were
world-readable).  The part of deploy/local/services.sh that makes the log and run
folders (between its `private files` markers) runs here on a temporary folder, then a
log is written the way `start` writes one (`>>` under the script's umask)."""
import re
import stat
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "deploy" / "local" / "services.sh"
BLOCK = re.compile(r"^# -- private files.*?^# -- end of private files", re.M | re.S)


def test_finding11_service_logs_and_their_folders_are_private(tmp_path):
    """Issue 9 finding 11: a new log is 0600 in a 0700 folder, and a log left readable by
    an earlier run is made private too."""
    match = BLOCK.search(SCRIPT.read_text(encoding="utf-8"))
    assert match, "deploy/local/services.sh has no '# -- private files' block"
    old = tmp_path / "log" / "test"
    old.mkdir(parents=True, mode=0o755)
    (old / "gateway.log").write_text("old\n")
    (old / "gateway.log").chmod(0o644)
    script = (f"set -euo pipefail\numask 022\nRUN={tmp_path}/run/test LOG={old}\n"
              f"{match.group(0)}\necho x >>\"$LOG/ticket.log\"\n")
    subprocess.run(["bash", "-c", script], check=True, timeout=30)
    for path in (old / "ticket.log", old / "gateway.log"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for folder in (old, tmp_path / "run" / "test"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder

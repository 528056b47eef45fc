"""A simulator in a child process (`python -m simulators`), for callers whose process
is monkey-patched by eventlet: there every green thread shares one OS thread, so
asyncio (aiosmtpd's loop) allows a single running loop per process, and a blocking call
anywhere would stall the simulator.  Same face as the in-process one."""
import os
import select
import subprocess
import sys
from pathlib import Path

from simulators import secrets

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 15


class SimulatorProcess:
    def __init__(self, http: str, smtp: str | None, callback_base: str, secrets_dir: Path,
                 maildir: Path, smtp_tls: bool = False):
        command = [sys.executable, "-m", "simulators", "--http", http, "--smtp", smtp or "off",
                   "--callback-base", callback_base or "", "--secrets", str(secrets_dir),
                   "--maildir", str(maildir), "--until-stdin-closes"]
        if smtp_tls:
            command.append("--smtp-tls")
        path = os.environ.get("PYTHONPATH")
        env = dict(os.environ, PYTHONPATH=str(ROOT) + (os.pathsep + path if path else ""))
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     env=env, cwd=ROOT)
        ready, _, _ = select.select([self.proc.stdout], [], [], READY_TIMEOUT)
        line = self.proc.stdout.readline().decode().split() if ready else []
        self.proc.stdout.close()
        if len(line) != 5 or line[:2] != ["simulators:", "http"]:
            self.stop()
            raise RuntimeError(f"the simulator did not start (exit {self.proc.returncode})")
        self.url = line[2]
        self.smtp_port = int(line[4].rpartition(":")[2]) if line[4] != "off" else None
        self.secrets = secrets.load(Path(secrets_dir))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdin:
            self.proc.stdin.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

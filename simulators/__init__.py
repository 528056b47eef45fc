"""Local stand-ins for notify's outside providers (docs/providers.md): SMS shaped like
Alibaba Cloud and Tencent Cloud, group robots, webhook receivers, an SMTP server, and a
`/_sim/...` API to read what they received.  Dev and test tooling, not a service.

    from simulators import start
    sim = start(http="127.0.0.1:0", smtp="127.0.0.1:0", callback_base="http://127.0.0.1:8800",
                secrets_dir=Path("var/secrets"), maildir=tmp / "mail")
    sim.url, sim.smtp_port ... sim.stop()

Imports stay lazy here: `python3 -m simulators.secrets` runs without the venv.
"""
import sys
from pathlib import Path


def start(http: str = "127.0.0.1:0", smtp: str | None = "127.0.0.1:0", *,
          callback_base: str = "", secrets_dir: Path, maildir: Path,
          smtp_tls: bool = False, in_process: bool | None = None):
    """A running simulator with `.url`, `.smtp_port`, `.secrets` and `.stop()`.

    In this process (threads) unless eventlet has monkey-patched it (`python -m tests`):
    then in a child process (simulators/process.py says why).  `in_process` forces it."""
    args = (http, smtp, callback_base, secrets_dir, maildir, smtp_tls)
    if in_process is None:
        eventlet = sys.modules.get("eventlet.patcher")
        in_process = not (eventlet and eventlet.is_monkey_patched("thread"))
    if not in_process:
        from simulators.process import SimulatorProcess
        return SimulatorProcess(*args)
    from simulators.server import Simulator
    return Simulator(*args).start()

"""`python -m simulators`: the provider simulator and SMTP server, in the foreground.

    python -m simulators --http 127.0.0.1:8900 --smtp 127.0.0.1:2525 \\
        --callback-base http://127.0.0.1:8000 --secrets var/secrets --maildir var/mail/run

Every option defaults from the environment deploy/local/env.sh exports
(KEFU_PROVIDERS_URL, KEFU_SMTP_ADDRESS, KEFU_CALLBACK_BASE, KEFU_VAR, KEFU_MAILDIR).
Loopback addresses only.  Once listening it prints one line:
`simulators: http http://127.0.0.1:8900 smtp 127.0.0.1:2525` (ports chosen when 0).
"""
import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit


def _defaults() -> dict:
    env = os.environ
    var = Path(env.get("KEFU_VAR") or "var")
    providers = env.get("KEFU_PROVIDERS_URL") or "http://127.0.0.1:8900"
    return {
        "http": urlsplit(providers).netloc or providers,
        "smtp": env.get("KEFU_SMTP_ADDRESS") or "127.0.0.1:2525",
        "callback_base": env.get("KEFU_CALLBACK_BASE") or "http://127.0.0.1:8000",
        "secrets": var / "secrets",
        "maildir": Path(env.get("KEFU_MAILDIR") or var / "mail" / env.get("KEFU_ENV", "run")),
    }


def _until_closed(done: threading.Event) -> None:
    """Set `done` when standard input reaches its end (raw reads: no buffer lock held
    at interpreter shutdown)."""
    while os.read(0, 4096):
        pass
    done.set()


def main(argv: list[str] | None = None) -> int:
    d = _defaults()
    p = argparse.ArgumentParser(prog="python -m simulators", description=__doc__.split("\n")[0])
    p.add_argument("--http", default=d["http"], help="host:port of the HTTP side (%(default)s)")
    p.add_argument("--smtp", default=d["smtp"], help="host:port of SMTP, or 'off' (%(default)s)")
    p.add_argument("--callback-base", default=d["callback_base"],
                   help="where receipts and uplinks go (%(default)s)")
    p.add_argument("--secrets", type=Path, default=d["secrets"], help="%(default)s")
    p.add_argument("--maildir", type=Path, default=d["maildir"], help="%(default)s")
    p.add_argument("--smtp-tls", action="store_true",
                   help="offer STARTTLS (self-signed certificate beside the maildir)")
    p.add_argument("--log-level", default="INFO")
    p.add_argument("--until-stdin-closes", action="store_true",
                   help="stop when standard input closes (a parent process's child)")
    args = p.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from simulators.server import Simulator
    try:
        sim = Simulator(args.http, None if args.smtp in ("", "off") else args.smtp,
                        args.callback_base, args.secrets, args.maildir, args.smtp_tls).start()
    except (ValueError, OSError, TimeoutError) as e:
        print(f"simulators: {e}", file=sys.stderr)
        return 2
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    if args.until_stdin_closes:
        threading.Thread(target=_until_closed, args=(done,), daemon=True).start()
    smtp = f"{args.smtp.rpartition(':')[0]}:{sim.smtp_port}" if sim.smtp_port else "off"
    print(f"simulators: http {sim.url} smtp {smtp}", flush=True)
    done.wait()
    sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

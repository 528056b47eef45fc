"""Run pytest with eventlet and psycopg2 patched before anything else imports.

    python -m tests tests/unit [pytest options]

nameko's pytest plugin does not monkey-patch; patching late breaks sockets
and locks already imported, so this runner does it first.
"""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402

import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402

from services.common.green import prepare_process  # noqa: E402

prepare_process()


def dump_greenlets(*_):
    """`kill -USR1 <pid>` writes where every greenthread of a hung run waits
    to /tmp/kefu-greenlets-<pid>.txt (pytest captures stderr)."""
    import gc
    import traceback

    import greenlet
    with open(f"/tmp/kefu-greenlets-{os.getpid()}.txt", "w") as out:
        for obj in gc.get_objects():
            if isinstance(obj, greenlet.greenlet) and obj.gr_frame is not None:
                out.write("".join(traceback.format_stack(obj.gr_frame)) + "\n")


signal.signal(signal.SIGUSR1, dump_greenlets)
args = sys.argv[1:]
if os.environ.get("KEFU_AMQP_BASE_URI"):
    args += ["--amqp-uri", os.environ["KEFU_AMQP_BASE_URI"] + "/",
             "--rabbit-ctl-uri", os.environ["KEFU_RABBIT_CTL_URI"]]
code = pytest.main(args)
sys.exit(code)

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
import sys  # noqa: E402

import pytest  # noqa: E402

from services.common.green import patch_psycopg  # noqa: E402

patch_psycopg()
args = sys.argv[1:]
if os.environ.get("KEFU_AMQP_BASE_URI"):
    args += ["--amqp-uri", os.environ["KEFU_AMQP_BASE_URI"] + "/",
             "--rabbit-ctl-uri", os.environ["KEFU_RABBIT_CTL_URI"]]
code = pytest.main(args)
sys.exit(code)

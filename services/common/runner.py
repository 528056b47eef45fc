"""Start one service: `python -m services.common.runner <name>`.

Patches eventlet and psycopg2 before anything else imports them, sets up JSON
logging, reads the service's config.yaml and runs it with nameko's runner.
"""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402 — must precede every other import

import importlib  # noqa: E402
import logging.config  # noqa: E402
import sys  # noqa: E402

from nameko.cli.run import run  # noqa: E402

from services.common.config import SERVICE_NAMES, service_config  # noqa: E402
from services.common.green import patch_psycopg  # noqa: E402
from services.common.logs import logging_config  # noqa: E402

SERVICE_CLASSES = {name: f"services.{name}.service" for name in SERVICE_NAMES}


def service_class(name: str):
    module = importlib.import_module(SERVICE_CLASSES[name])
    return module.SERVICE


def main(argv: list[str]) -> None:
    if len(argv) != 1 or argv[0] not in SERVICE_NAMES:
        sys.exit(f"usage: python -m services.common.runner {{{'|'.join(SERVICE_NAMES)}}}")
    name = argv[0]
    patch_psycopg()
    config = service_config(name)
    logging.config.dictConfig(logging_config(config.get("LOG_LEVEL", "INFO")))
    run([service_class(name)], config)


if __name__ == "__main__":
    main(sys.argv[1:])

"""Start one service: `python -m services.common.runner <name>`.

Patches eventlet, psycopg2 and nameko's RPC replies before anything else runs,
sets up JSON logging, reads the service's configuration and runs it with
nameko's runner.
"""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402 — must precede every other import

import importlib  # noqa: E402
import logging.config  # noqa: E402
import sys  # noqa: E402

from nameko.cli.run import run  # noqa: E402

from services.common import registry  # noqa: E402
from services.common.config import service_config  # noqa: E402
from services.common.green import prepare_process  # noqa: E402
from services.common.logs import logging_config  # noqa: E402


def service_class(name: str):
    registry.entry(name)
    return importlib.import_module(f"services.{name}.service").SERVICE


def main(argv: list[str]) -> None:
    if len(argv) != 1 or argv[0] not in registry.NAMES:
        sys.exit(f"usage: python -m services.common.runner {{{'|'.join(registry.NAMES)}}}")
    name = argv[0]
    prepare_process()
    config = service_config(name)
    logging.config.dictConfig(logging_config(config.get("LOG_LEVEL", "INFO")))
    run([service_class(name)], config)


if __name__ == "__main__":
    main(sys.argv[1:])

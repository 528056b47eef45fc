"""Service configuration: the shared services/common/config.yaml, then the service's
own services/<name>/config.yaml, with nameko's ${ENV:default} substitution.

Four settings differ only by the service's name, so they are derived from the
registry instead of being written in every file: DB_URI (KEFU_<NAME>_DB_URI, set by
deploy/local/env.sh), AMQP_URI (KEFU_<NAME>_AMQP_URI: the service's own broker user,
services.common.broker; else the shared AMQP_URI of config.yaml), METRICS_ADDRESS
(KEFU_<NAME>_METRICS_ADDRESS, else the registry's port on 127.0.0.1) and
SYSTEM_SIGNING_KEY (KEFU_<NAME>_SYSTEM_KEY: the path of the private key that signs this
service's system tokens — its own, no other's).
"""
import os
from pathlib import Path

import yaml
from nameko.cli.main import setup_yaml_parser

from services.common import registry

SERVICES_DIR = Path(__file__).resolve().parent.parent
SHARED_CONFIG = SERVICES_DIR / "common" / "config.yaml"


def load_config(path: str | Path) -> dict:
    setup_yaml_parser()
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def service_config(name: str) -> dict:
    entry = registry.entry(name)
    config = load_config(SHARED_CONFIG)
    config["DB_URI"] = os.environ.get(f"{entry.env_prefix}_DB_URI", "")
    config["AMQP_URI"] = os.environ.get(f"{entry.env_prefix}_AMQP_URI") or config["AMQP_URI"]
    config["METRICS_ADDRESS"] = os.environ.get(f"{entry.env_prefix}_METRICS_ADDRESS") or \
        f"127.0.0.1:{entry.metrics_port}"
    config["SYSTEM_SIGNING_KEY"] = os.environ.get(f"{entry.env_prefix}_SYSTEM_KEY", "")
    own = SERVICES_DIR / name / "config.yaml"
    if own.exists():
        config.update(load_config(own))
    return config

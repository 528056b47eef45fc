"""Service configuration: each service's config.yaml with ${ENV:default} substitution.

nameko's own YAML loader does the substitution; this module exposes it for the
command-line tools (migrate, declare-queues) that read the same files.
"""
from pathlib import Path

import yaml
from nameko.cli.main import setup_yaml_parser

SERVICES_DIR = Path(__file__).resolve().parent.parent
SERVICE_NAMES = ("customer", "ticket", "survey", "notify", "report", "gateway")


def load_config(path: str | Path) -> dict:
    setup_yaml_parser()
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def service_config(name: str) -> dict:
    return load_config(SERVICES_DIR / name / "config.yaml")

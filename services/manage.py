"""Operator commands, run by make and deploy scripts, never at service start.

    python -m services.manage <service|all> <command> [arguments]

Every service has the platform's commands:

    migrate     apply its database migrations (yoyo, as its owner role)
    declare     declare the queues of its event handlers (before any publisher runs)

and its own, in services/<service>/manage.py as `COMMANDS = {"name": function}`
(each function takes the command's arguments and returns an exit status), e.g.

    python -m services.manage customer verify-access-log
    python -m services.manage gateway ensure-admin var/secrets/admin-password

Settings come from the environment (source deploy/local/env.sh first).
"""
import importlib
import os
import sys

from yoyo import get_backend, read_migrations

from services.common import registry
from services.common.config import SERVICES_DIR, service_config

COMMON_MIGRATIONS = SERVICES_DIR / "common" / "migrations"


def migrate(name: str) -> int:
    variable = f"{registry.entry(name).env_prefix}_OWNER_DB_URI"
    uri = os.environ.get(variable)
    if not uri:
        raise SystemExit(f"{variable} is not set: source deploy/local/env.sh first")
    backend = get_backend(uri)
    migrations = read_migrations(str(COMMON_MIGRATIONS), str(SERVICES_DIR / name / "migrations"))
    with backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    print(f"migrate {name}: {len(pending)} applied")
    return 0


def declare(name: str) -> int:
    from services.common.events import declare_subscriptions
    from services.common.runner import service_class

    queues = declare_subscriptions(service_class(name), service_config(name))
    print(f"declare {name}: {', '.join(queues) or 'no subscriptions'}")
    return 0


PLATFORM = {"migrate": migrate, "declare": declare}


def service_commands(name: str) -> dict:
    try:
        module = importlib.import_module(f"services.{name}.manage")
    except ModuleNotFoundError as exc:
        if exc.name != f"services.{name}.manage":
            raise
        return {}
    return module.COMMANDS


def run(name: str, command: str, args: list[str]) -> int:
    if command in PLATFORM:
        if args:
            raise SystemExit(f"{command} takes no arguments")
        return PLATFORM[command](name)
    own = service_commands(name)
    if command not in own:
        known = ", ".join([*PLATFORM, *own])
        raise SystemExit(f"{name} has no command {command!r}: {known}")
    return own[command](*args)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        raise SystemExit(__doc__)
    target, command, args = argv[0], argv[1], argv[2:]
    names = registry.NAMES if target == "all" else (registry.entry(target).name,)
    status = 0
    for name in names:
        if target == "all" and command not in PLATFORM and command not in service_commands(name):
            continue
        status = run(name, command, args) or status
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Operator commands, run by make and deploy scripts, never at service start.

    python -m services.manage <service|all> <command> [arguments]

Every service has the platform's commands:

    migrate     apply its database migrations (yoyo, as its owner role)
    declare     declare the queues of its event handlers and the exchanges they bind
                to (before any publisher runs), as the operator, and set its broker
                user's rights on that vhost (services/common/broker.py)

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
    from kombu import Connection

    from services.common import broker
    from services.common.events import declare_subscriptions
    from services.common.runner import service_class

    operator, management = os.environ.get("KEFU_AMQP_URI"), os.environ.get("KEFU_RABBIT_CTL_URI")
    if not operator or not management:
        raise SystemExit("KEFU_AMQP_URI and KEFU_RABBIT_CTL_URI (the operator's) are not set: "
                         "source deploy/local/env.sh first")
    service = service_class(name)
    config = {**service_config(name), "AMQP_URI": operator}
    queues = declare_subscriptions(service, config)
    grants = broker.grants(service, importlib.import_module(f"services.{name}.contract").CONTRACT)
    vhost = Connection(operator).virtual_host
    broker.Management(management).grant(vhost, grants)
    print(f"declare {name}: {', '.join(queues) or 'no subscriptions'}; "
          f"broker user {grants.user} granted its rights on {vhost}")
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

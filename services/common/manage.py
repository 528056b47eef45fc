"""Operator commands run by make/deploy, never at service start.

    python -m services.common.manage migrate [service ...]   # yoyo, as the owner role
    python -m services.common.manage declare [service ...]   # subscriber queues
"""
import os
import sys

from yoyo import get_backend, read_migrations

from services.common.config import SERVICE_NAMES, SERVICES_DIR, service_config

COMMON_MIGRATIONS = SERVICES_DIR / "common" / "migrations"


def migrate(name: str) -> int:
    uri = os.environ.get(f"KEFU_{name.upper()}_OWNER_DB_URI")
    if not uri:
        raise SystemExit(f"KEFU_{name.upper()}_OWNER_DB_URI is not set: "
                         "source deploy/local/env.sh first")
    backend = get_backend(uri)
    migrations = read_migrations(str(COMMON_MIGRATIONS), str(SERVICES_DIR / name / "migrations"))
    with backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    return len(pending)


def declare(name: str) -> list[str]:
    from services.common.events import declare_subscriptions
    from services.common.runner import service_class

    return declare_subscriptions(service_class(name), service_config(name))


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in ("migrate", "declare"):
        raise SystemExit(__doc__)
    names = argv[1:] or list(SERVICE_NAMES)
    for name in names:
        if argv[0] == "migrate":
            print(f"migrate {name}: {migrate(name)} applied")
        else:
            print(f"declare {name}: {', '.join(declare(name)) or 'no subscriptions'}")


if __name__ == "__main__":
    main(sys.argv[1:])

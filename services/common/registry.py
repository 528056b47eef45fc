"""The registry of services (services/registry.txt), as Python reads it.

Each service has a name (its package under services/ and its nameko name), a
metrics port (the run port; the test system listens 100 higher) and a database
(the run database and its runtime role; `<database>_owner` runs migrations, and
the test database is `<database>_test`; the same name is its broker user).  The Makefile
and deploy/local/*.sh read the same file, so a service is added in one line.
"""
from dataclasses import dataclass
from pathlib import Path

REGISTRY_FILE = Path(__file__).resolve().parent.parent / "registry.txt"
TEST_PORT_OFFSET = 100


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    metrics_port: int
    database: str

    @property
    def test_metrics_port(self) -> int:
        return self.metrics_port + TEST_PORT_OFFSET

    @property
    def broker_user(self) -> str:
        """The RabbitMQ user it logs in as (deploy/local/stack.sh makes it; its rights:
        services.common.broker).  Its events carry this user as their user_id."""
        return self.database

    @property
    def env_prefix(self) -> str:
        """KEFU_<NAME>: the prefix of its settings in the environment (deploy/local/env.sh)."""
        return f"KEFU_{self.name.upper()}"


def read(path: Path = REGISTRY_FILE) -> tuple[ServiceEntry, ...]:
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        name, port, database = words
        entries.append(ServiceEntry(name, int(port), database))
    return tuple(entries)


SERVICES = read()
NAMES = tuple(entry.name for entry in SERVICES)
BY_NAME = {entry.name: entry for entry in SERVICES}


def entry(name: str) -> ServiceEntry:
    try:
        return BY_NAME[name]
    except KeyError:
        raise SystemExit(f"no service {name!r} in {REGISTRY_FILE}: one of {', '.join(NAMES)}") \
            from None

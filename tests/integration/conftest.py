"""Integration tier: real containers on real RabbitMQ (a fresh vhost per test,
made by nameko's rabbit_config fixture) and the *_test PostgreSQL databases."""
import os

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from services.common import registry
from services.common.config import service_config
from services.common.identity import CONTEXT_KEY
from tests.helpers import key_config, token


@pytest.fixture
def config_for(rabbit_config):
    """The service's own config.yaml, pointed at this test's vhost and test database."""
    def build(name: str, **over) -> dict:
        config = service_config(name)
        config.update(rabbit_config)
        config["DB_URI"] = os.environ[f"KEFU_{name.upper()}_DB_URI"]
        config.update(key_config(name))  # the test keys (with KEFU_ENV=test, the same)
        config["METRICS_ADDRESS"] = None
        config["EVENT_RETRY_DELAYS_MS"] = [50, 100]
        # Every container here logs in as the tier's one broker user, so every service's
        # events come from it (issue 9, finding 3; the system has a user per service).
        config["EVENT_PUBLISHERS"] = dict.fromkeys(registry.NAMES, rabbit_config["username"])
        config.update(over)
        return config
    return build


@pytest.fixture
def start(container_factory, config_for):
    """Start a service container from its name; declares its event queues first."""
    from services.common.events import declare_subscriptions
    from services.common.runner import service_class

    def run(name: str, **over):
        config = config_for(name, **over)
        declare_subscriptions(service_class(name), config)
        container = container_factory(service_class(name), config)
        container.start()
        return container
    return run


@pytest.fixture
def rpc(rabbit_config):
    """rpc(service, roles=...) -> a proxy calling as a staff member with those roles."""
    proxies = []

    def make(service: str, roles=("agent",), auth_token=None, **token_kwargs):
        context = {CONTEXT_KEY: auth_token if auth_token is not None
                   else token(roles, **token_kwargs)}
        proxy = ServiceRpcProxy(service, rabbit_config, context_data=context, timeout=10)
        proxies.append(proxy)
        return proxy.start()

    yield make
    for proxy in proxies:
        proxy.stop()

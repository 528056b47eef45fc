"""Broker users made for one integration test (issue 9, finding 3): the integration tier
connects as one administrator on a fresh vhost per test, so a test that needs another
broker identity (a forger, a service's own user) makes it here, through the management
API as the operator, and deletes it at the end."""
import os
import uuid
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from kombu import Connection


def as_user(amqp_uri: str, user: str, password: str) -> str:
    """The same broker and vhost, logged in as `user`."""
    parts = urlsplit(amqp_uri)
    host = parts.netloc.rsplit("@", 1)[-1]
    login = f"{quote(user, safe='')}:{quote(password, safe='')}"
    return urlunsplit(parts._replace(netloc=f"{login}@{host}"))


def user_of(amqp_uri: str) -> str:
    return Connection(amqp_uri).userid


class BrokerUsers:
    """users.make() -> (name, amqp uri) of a new broker user; users.delete_all() at the end."""

    def __init__(self, rabbit_config: dict):
        self.rabbit_config = rabbit_config
        self.api = os.environ["KEFU_RABBIT_CTL_URI"].rstrip("/") + "/api"
        self.made: list[str] = []

    def make(self, everything_on_the_vhost: bool = True) -> tuple[str, str]:
        name = f"kefu_it_{uuid.uuid4().hex[:12]}"
        password = uuid.uuid4().hex
        reply = requests.put(f"{self.api}/users/{name}",
                             json={"password": password, "tags": ""}, timeout=10)
        reply.raise_for_status()
        self.made.append(name)
        if everything_on_the_vhost:
            vhost = quote(self.rabbit_config["vhost"], safe="")
            reply = requests.put(f"{self.api}/permissions/{vhost}/{name}",
                                 json={"configure": ".*", "write": ".*", "read": ".*"},
                                 timeout=10)
            reply.raise_for_status()
        return name, as_user(self.rabbit_config["AMQP_URI"], name, password)

    def delete_all(self) -> None:
        for name in self.made:
            requests.delete(f"{self.api}/users/{name}", timeout=10)
        self.made = []

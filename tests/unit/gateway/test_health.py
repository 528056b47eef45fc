"""/healthz names what fails and nothing more (issue 9, finding 11 "/healthz echoes
exception text"): the detail of a failure goes to the log, not to an anonymous caller."""
import logging
from contextlib import contextmanager

from services.gateway.handlers import health

SECRET = "could not connect to 10.1.2.3:5432 as kefu_gateway password=hunter2"


class Broken:
    @contextmanager
    def transaction(self):
        raise RuntimeError(SECRET)
        yield  # pragma: no cover


class Healthy:
    @contextmanager
    def transaction(self):
        class Cursor:
            def execute(self, *_):
                pass

            def fetchone(self):
                return {"ok": 1}
        yield type("Tx", (), {"cur": Cursor()})()


class Reply:
    def __init__(self, value):
        self.value = value

    def result(self):
        if isinstance(self.value, Exception):
            raise self.value
        return self.value


class Peer:
    def __init__(self, value):
        self.health = type("Method", (), {"call_async": lambda _self: Reply(value)})()


def test_finding11_healthz_names_the_failing_checks_and_logs_the_detail(caplog):
    peers = {"customer": Peer({"ok": True}), "ticket": Peer(RuntimeError(SECRET)),
             "notify": Peer({"ok": False})}
    with caplog.at_level(logging.WARNING):
        checks = health.check(Broken(), peers, timeout=1)
    assert checks == {"gateway": False, "customer": True, "ticket": False, "notify": False}
    assert SECRET not in repr(checks)
    assert "hunter2" in caplog.text  # the operator finds the reason in the log


def test_healthz_all_answer():
    checks = health.check(Healthy(), {"customer": Peer({"ok": True})}, timeout=1)
    assert checks == {"gateway": True, "customer": True}

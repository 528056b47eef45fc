"""Fixtures: a simulator (threads of the test process) on free ports with fresh
secrets and maildir, and a receiver standing in for notify's callbacks."""
import pytest

from simulators import start
from tests.unit.simulators.client import Receiver


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def sim(tmp_path, receiver):
    s = start(http="127.0.0.1:0", smtp="127.0.0.1:0", callback_base=receiver.url,
              secrets_dir=tmp_path / "secrets", maildir=tmp_path / "mail" / "test")
    yield s
    s.stop()

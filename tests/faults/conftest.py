import pytest

from tests.system import Client, start_system, stop_system


@pytest.fixture(scope="module")
def admin():
    password = start_system()
    yield Client("admin", password)
    stop_system()

import pytest

from tests.system import Client, start_system, stop_system


@pytest.fixture(scope="session")
def admin_password():
    password = start_system()
    yield password
    stop_system()


@pytest.fixture(scope="session")
def admin(admin_password):
    return Client("admin", admin_password)

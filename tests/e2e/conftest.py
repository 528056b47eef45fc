import pytest

from tests.system import Client, second_admin, start_system, stop_system


@pytest.fixture(scope="session")
def admin_password():
    password = start_system()
    yield password
    stop_system()


@pytest.fixture(scope="session")
def admin(admin_password):
    """The first admin; a second admin approves the accounts it makes above the ceiling."""
    first = Client("admin", admin_password)
    first.approver = second_admin(first)
    return first

"""Issue 9, finding 4: a system identity reading a classified archive was let through
by the Python rule, unlogged (`archive_decision` allowed the system principal anything),
while the database withheld the archive from it (row-level security was told it reads
no classified archive).  Now the two rules are one: a system identity reads like a
classified reader bounded by its clearance and by the borrowing grants (top secret
needs one, which no system identity holds), and every such read is logged."""
import pytest

from services.common.identity import SYSTEM, SYSTEM_CLEARANCE, Principal
from services.customer.domain import access as rules
from tests.integration.customer.test_second_wall import classified_customer, count, runtime_as

SYSTEM_PRINCIPAL = Principal(id="system:ticket", username="ticket", roles=frozenset({SYSTEM}),
                             groups=frozenset(), clearance=SYSTEM_CLEARANCE)
ARCHIVE = "SELECT count(*) AS n FROM customer_archive WHERE customer_id = %s"


@pytest.fixture
def customers(start, rpc):
    start("customer")
    return rpc


@pytest.mark.parametrize("level", [1, 2, 3])
def test_finding4_the_python_rule_and_the_database_agree_on_system_reads(customers, level):
    cid = classified_customer(customers, level)["id"]
    decision = rules.archive_decision(SYSTEM_PRINCIPAL, level, has_grant=False)
    settings = rules.session_settings(SYSTEM_PRINCIPAL)
    with runtime_as(settings["principal"], int(settings["clearance"]),
                    settings["classified"] == "on", tuple(settings["roles"].split(","))) as cur:
        database_shows = count(cur, ARCHIVE, cid) == 1
    assert decision.allowed == database_shows, (decision, database_shows)
    assert decision.log_action is not None, "a system read of a classified archive is logged"

"""The fuzz tier runs last in `make test`: the fuzzer, as an admin, changes what the
whole system shares (it defines required custom fields, SLA policies, calendar days,
categories...), which would break any test after it.  It starts the system as the
end-to-end tier does."""
from tests.e2e.conftest import admin, admin_password  # noqa: F401 — the same fixtures

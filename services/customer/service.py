"""The customer service 客户档案: the archive with its confidentiality, borrowing log,
destruction, import/export, duplicates, segments and search (C1–C9).

The entrypoints live by area in services/customer/entrypoints/ and are mixed in
here; every transaction starts by telling row-level security who is asking.
"""
from services.common.db import Database
from services.common.health import HealthCheck
from services.common.identity import Identity
from services.common.metrics import Metrics
from services.customer.contract import SERVICE
from services.customer.entrypoints.access import AccessEntrypoints
from services.customer.entrypoints.destruction import DestructionEntrypoints
from services.customer.entrypoints.imports import ImportsEntrypoints
from services.customer.entrypoints.records import RecordsEntrypoints
from services.customer.entrypoints.search import SearchEntrypoints
from services.customer.store.access import bind_principal


class CustomerService(RecordsEntrypoints, AccessEntrypoints, ImportsEntrypoints,
                      SearchEntrypoints, DestructionEntrypoints, HealthCheck):
    name = SERVICE

    db = Database(on_begin=bind_principal)
    principal = Identity()
    metrics = Metrics()


SERVICE = CustomerService

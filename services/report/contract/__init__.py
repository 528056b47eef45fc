"""The report service 业务统计 — its contract index: every RPC and every event.

Schemas live by area (contract/daily.py).  Errors are besides Unauthenticated
and Forbidden, which any call may answer.
"""
from services.common.contracts import Consumes, Contract, Operation
from services.common.errors import Invalid
from services.report.contract.daily import DailyQuery, DailySeries
from services.vocabulary import STAFF

SERVICE = "report"

CONTRACT = Contract(
    SERVICE,
    operations=[
        #         name             roles  input       output       errors
        Operation("tickets_daily", STAFF, DailyQuery, DailySeries, (Invalid,)),
    ],
    consumes=[
        Consumes("ticket", "ticket_created"),  # -> tickets per business day and kind
    ],
)

"""The survey service 回访/满意度/市场活动 — its contract index: every RPC and every event.

Follow-ups, questionnaires and campaigns (V1–V5) arrive with their own issue; for
now the service answers only `health` (every contract has it).
"""
from services.common.contracts import Contract

SERVICE = "survey"

CONTRACT = Contract(SERVICE, operations=[])

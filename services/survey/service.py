"""The survey service 回访/满意度/市场活动: platform in place, operations to come (V1–V5).

The index of operations and events is contract/__init__.py.
"""
from services.common.db import Database
from services.common.health import HealthCheck
from services.common.identity import Identity
from services.common.metrics import Metrics
from services.survey import contract


class SurveyService(HealthCheck):
    name = contract.SERVICE

    db = Database()
    principal = Identity()
    metrics = Metrics()


SERVICE = SurveyService

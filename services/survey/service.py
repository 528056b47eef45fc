"""The survey service 回访/满意度/市场活动: platform in place, operations to come."""
from services.common.db import Database
from services.common.health import HealthCheck
from services.common.metrics import Metrics
from services.survey import contract


class SurveyService(HealthCheck):
    name = contract.SERVICE

    db = Database()
    metrics = Metrics()


SERVICE = SurveyService

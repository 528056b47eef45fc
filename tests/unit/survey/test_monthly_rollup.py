"""V4: when the figures may be read from the monthly rollups (month, agent, group,
source; migration 0006) — only for questions those rows answer exactly."""
import datetime

import pytest

from services.survey.domain.satisfaction import monthly

D = datetime.date


@pytest.mark.parametrize(("by", "period", "query", "expected"), [
    (("agent",), "month", {}, True),
    ((), "all", {}, True),
    (("agent", "group", "source"), "month", {"source": "ivr", "agent_id": "a"}, True),
    (("agent",), "month", {"from_day": D(2026, 1, 1), "to_day": D(2026, 3, 31)}, True),
    (("agent",), "month", {"from_day": D(2024, 2, 1), "to_day": D(2024, 2, 29)}, True),
    (("agent",), "week", {}, False),
    (("agent",), "day", {}, False),
    (("agent", "kind"), "month", {}, False),
    (("category",), "all", {}, False),
    (("agent",), "month", {"ticket_kind": "complaint"}, False),
    (("agent",), "month", {"category_id": "c1"}, False),
    (("agent",), "month", {"from_day": D(2026, 1, 2)}, False),
    (("agent",), "month", {"to_day": D(2026, 3, 30)}, False),
    (("agent",), "all", {"from_day": D(2025, 2, 1), "to_day": D(2025, 2, 28)}, True),
])
def test_v4_the_monthly_rollups_answer_whole_months_without_kind_or_category(
        by, period, query, expected):
    assert monthly(by, period, query) is expected

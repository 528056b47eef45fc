"""R2: report periods are validated at the boundary."""
import pytest
from marshmallow import ValidationError

from services.report.contract.daily import DailyQuery


def test_to_before_from_is_refused_on_the_to_field():
    with pytest.raises(ValidationError) as caught:
        DailyQuery().load({"from": "2026-11-22", "to": "2026-11-01"})
    assert "to" in caught.value.messages


def test_valid_period_loads_dates():
    period = DailyQuery().load({"from": "2026-11-01", "to": "2026-11-22"})
    assert (period["to_day"] - period["from_day"]).days == 21

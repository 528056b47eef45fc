"""T3: repeat rules — defaults, the inclusive window edge, 0 turns detection off.
(The SQL itself is proven against PostgreSQL in tests/integration/ticket.)"""
import datetime

import pytest
from marshmallow import ValidationError

from services.ticket.contract import forms as contract_forms
from services.ticket.domain import repeat

NOW = datetime.datetime(2026, 11, 22, 10, 0, tzinfo=datetime.UTC)


def test_a_kind_without_a_rule_uses_seven_days_and_half_similarity():
    assert repeat.rule("complaint", None) == {"kind": "complaint", "window_days": 7,
                                              "threshold": 0.5}


def test_an_admin_rule_wins():
    stored = {"kind": "complaint", "window_days": 30, "threshold": 0.7}
    assert repeat.rule("complaint", stored) == stored


def test_the_window_starts_exactly_window_days_before():
    assert repeat.window_start(NOW, 7) == NOW - datetime.timedelta(days=7)
    assert repeat.window_start(NOW, 7) == datetime.datetime(2026, 11, 15, 10, 0,
                                                            tzinfo=datetime.UTC)


def test_zero_days_turns_detection_off():
    assert not repeat.enabled({"window_days": 0})
    assert repeat.enabled({"window_days": 1})


@pytest.mark.parametrize("body, field", [
    ({"kind": "x", "window_days": 7, "threshold": 0.5}, "kind"),
    ({"kind": "complaint", "window_days": -1, "threshold": 0.5}, "window_days"),
    ({"kind": "complaint", "window_days": 366, "threshold": 0.5}, "window_days"),
    ({"kind": "complaint", "window_days": 7, "threshold": 0}, "threshold"),
    ({"kind": "complaint", "window_days": 7, "threshold": 1.5}, "threshold"),
])
def test_bad_rules_are_refused(body, field):
    with pytest.raises(ValidationError) as exc:
        contract_forms.RepeatRule().load(body)
    assert field in exc.value.messages

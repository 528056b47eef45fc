"""T1: categories under each kind with typed forms; form values checked per field."""
import decimal

import pytest
from marshmallow import ValidationError

from services.common.errors import Invalid
from services.ticket.contract import forms as contract_forms
from services.ticket.contract import tickets as contract
from services.ticket.domain import forms, tickets

REPAIR_FORM = [
    {"name": "fault_type", "label": "故障类型", "type": "choice", "required": True,
     "choices": ["不制冷", "漏水", "噪音"]},
    {"name": "parts", "type": "multi_choice", "choices": ["压缩机", "电容", "遥控器"], "max": 2},
    {"name": "note", "type": "text", "min": 2, "max": 10},
    {"name": "rooms", "type": "number", "min": 1, "max": 9},
    {"name": "bought_on", "type": "date"},
    {"name": "visit_at", "type": "datetime"},
    {"name": "site", "type": "address", "required": True},
    {"name": "callback", "type": "phone"},
    {"name": "has_invoice", "type": "boolean"},
]


def category(**over) -> dict:
    body = {"kind": "after_sales", "subtype": "repair", "name": "空调维修", "form": REPAIR_FORM}
    body.update(over)
    return contract_forms.CategoryIn().load(body)


def definitions() -> list[dict]:
    return forms.storable(category()["form"])


def reasons(exc) -> dict:
    return exc.value.fields


class TestCategoryDefinitions:
    def test_every_kind_and_after_sales_subtype_is_known(self):
        assert contract.KINDS == ("consultation", "after_sales", "complaint", "suggestion")
        assert set(contract.AFTER_SALES_TYPES) == {
            "delivery", "installation", "repair", "maintenance", "return", "exchange"}
        for subtype in contract.AFTER_SALES_TYPES:
            assert category(subtype=subtype)["subtype"] == subtype

    def test_after_sales_needs_a_subtype_and_others_take_none(self):
        with pytest.raises(ValidationError) as exc:
            category(subtype=None)
        assert "subtype" in exc.value.messages
        with pytest.raises(ValidationError) as exc:
            category(kind="complaint", subtype="repair")
        assert "subtype" in exc.value.messages
        assert category(kind="complaint", subtype=None, form=[])["kind"] == "complaint"

    def test_every_field_type_is_accepted(self):
        assert {f["type"] for f in category()["form"]} == set(contract_forms.FIELD_TYPES)

    @pytest.mark.parametrize("field, where", [
        ({"name": "x", "type": "choice"}, "choices"),
        ({"name": "x", "type": "choice", "choices": ["a", "a"]}, "choices"),
        ({"name": "x", "type": "text", "choices": ["a"]}, "choices"),
        ({"name": "x", "type": "date", "min": 1}, "min"),
        ({"name": "x", "type": "number", "min": 5, "max": 1}, "min"),
        ({"name": "x", "type": "text", "max": 2.5}, "max"),
        ({"name": "X-bad", "type": "text"}, "name"),
        ({"name": "x", "type": "colour"}, "type"),
        ({"name": "x", "type": "text", "secret": True}, "secret"),
    ])
    def test_inconsistent_field_definitions_are_refused(self, field, where):
        with pytest.raises(ValidationError) as exc:
            category(form=[field])
        assert where in exc.value.messages["form"][0]

    def test_field_names_are_unique_in_a_form(self):
        with pytest.raises(ValidationError) as exc:
            category(form=[{"name": "a", "type": "text"}, {"name": "a", "type": "number"}])
        assert "form" in exc.value.messages

    def test_bounds_are_stored_as_json_numbers(self):
        stored = forms.storable(category(form=[
            {"name": "n", "type": "number", "min": "0.5", "max": 10}])["form"])
        assert stored == [{"name": "n", "label": "", "type": "number", "required": False,
                           "min": 0.5, "max": 10}]
        assert not any(isinstance(v, decimal.Decimal) for v in stored[0].values())


class TestFormValues:
    def test_good_values_are_cleaned(self):
        clean = forms.check_values(definitions(), {
            "fault_type": "漏水", "parts": ["电容"], "note": "外机响", "rooms": 3,
            "bought_on": "2026-01-05", "visit_at": "2026-11-23T09:30:00+08:00",
            "site": "北京市海淀区中关村大街1号", "callback": "138 0013 8000 转 8",
            "has_invoice": True})
        assert clean["callback"] == "+8613800138000;ext=8"
        assert clean["visit_at"] == "2026-11-23T09:30:00+08:00"
        assert clean["rooms"] == 3

    def test_a_choice_outside_the_list_names_the_field_and_choices(self):
        with pytest.raises(Invalid) as exc:
            forms.check_values(definitions(), {"fault_type": "冒烟", "site": "x"})
        assert reasons(exc) == {"form.fault_type": ["not one of 不制冷, 漏水, 噪音"]}

    def test_missing_required_fields_are_named(self):
        with pytest.raises(Invalid) as exc:
            forms.check_values(definitions(), {"fault_type": "", "site": None})
        assert reasons(exc) == {"form.fault_type": ["required"], "form.site": ["required"]}

    def test_unknown_fields_are_refused(self):
        with pytest.raises(Invalid) as exc:
            forms.check_values(definitions(), {"fault_type": "漏水", "site": "x", "colour": "红"})
        assert list(reasons(exc)) == ["form.colour"]

    @pytest.mark.parametrize("name, value", [
        ("rooms", 0), ("rooms", 10), ("rooms", "3"), ("rooms", True), ("rooms", float("nan")),
        ("note", "x"), ("note", "x" * 11), ("note", 5),
        ("parts", ["电容", "电容"]), ("parts", ["压缩机", "电容", "遥控器"]), ("parts", ["门"]),
        ("parts", "电容"),
        ("bought_on", "2026-13-01"), ("bought_on", "yesterday"),
        ("visit_at", "2026-11-23T09:30:00"), ("visit_at", "soon"),
        ("callback", "12345"), ("has_invoice", "yes"),
    ])
    def test_bad_values_are_refused_per_field(self, name, value):
        with pytest.raises(Invalid) as exc:
            forms.check_values(definitions(), {"fault_type": "漏水", "site": "x", name: value})
        assert list(reasons(exc)) == [f"form.{name}"]

    def test_every_bad_field_is_reported_at_once(self):
        with pytest.raises(Invalid) as exc:
            forms.check_values(definitions(), {"rooms": 99, "note": 1})
        assert set(reasons(exc)) == {"form.rooms", "form.note", "form.fault_type", "form.site"}

    def test_a_ticket_without_category_takes_no_form_values(self):
        assert forms.check_values([], {}) == {}
        with pytest.raises(Invalid) as exc:
            forms.check_values([], {"x": 1})
        assert list(reasons(exc)) == ["form.x"]

    def test_text_has_a_length_limit_even_without_max(self):
        free = [{"name": "t", "type": "text"}]
        assert forms.check_values(free, {"t": "字" * forms.MAX_TEXT})
        with pytest.raises(Invalid):
            forms.check_values(free, {"t": "字" * (forms.MAX_TEXT + 1)})


class TestRecordRules:
    """T2 rules of the record that need no database."""

    CARD = {"assets": [{"serial": "SN1234", "warranty_end": "2099-01-01", "in_warranty": True},
                       {"serial": "OLD1", "warranty_end": "2001-01-01", "in_warranty": False},
                       {"serial": "NOEND", "warranty_end": None, "in_warranty": False}]}

    @pytest.mark.parametrize("serial, warranty", [
        ("sn-12 34", "in"), ("SN1234", "in"), ("old1", "out"), ("NOEND", "unknown"),
        ("nobody", "unknown"), (None, "unknown")])
    def test_warranty_is_looked_up_from_the_customers_asset(self, serial, warranty):
        assert tickets.warranty_of(self.CARD, serial) == warranty

    def test_fee_has_at_most_two_decimals(self):
        tickets.check_fee(decimal.Decimal("12.30"))
        with pytest.raises(Invalid) as exc:
            tickets.check_fee(decimal.Decimal("12.301"))
        assert list(exc.value.fields) == ["fee"]

    def test_only_editable_fields_may_be_updated(self):
        tickets.refuse_unwritable({"fee": "1", "form": {}, "category_id": None})
        with pytest.raises(Invalid) as exc:
            tickets.refuse_unwritable({"fee": "1", "status": "closed", "serial": "x",
                                       "content": "y"})
        assert set(exc.value.fields) == {"status", "serial", "content"}

    def test_final_handler_is_the_assignee_else_the_group(self):
        assert tickets.final_handler({"assignee_id": "7", "group_name": "g"})["handler"] == \
            "staff:7"
        assert tickets.final_handler({"assignee_id": None, "group_name": "g"})["handler"] == \
            "group:g"
        assert tickets.final_handler({})["handler"] is None


class TestBoundsAtTheSchema:
    """Issue 9 finding 2: form values are bounded before any rule reads them."""

    BASE = {"customer_id": "6f1c1b9e-8d0e-4a57-9f0e-1d2c3b4a5968", "kind": "consultation",
            "content": "x"}

    @pytest.mark.parametrize("form", [
        {f"f{i}": 1 for i in range(10_000)},             # ten thousand fields
        {"note": "x" * 1_000_000},                       # one value of a million characters
        {"k" * 100_000: 1},                              # a name of a hundred thousand
        {"site": {"a": {"b": {"c": {"d": {"e": {"f": {}}}}}}}},  # nested beyond reason
    ])
    def test_finding2_form_values_are_bounded_at_the_schema(self, form):
        for schema, body in ((contract.TicketCreate(), {**self.BASE, "form": form}),
                             (contract_forms.TicketUpdate(), {"form": form})):
            with pytest.raises(ValidationError) as exc:
                schema.load(body)
            assert list(exc.value.messages) == ["form"]

    def test_finding2_a_real_form_still_loads(self):
        loaded = contract.TicketCreate().load({**self.BASE, "form": {
            "fault_type": "漏水", "site": {"city": "杭州", "detail": "文三路"}, "rooms": 3,
            "parts": ["压缩机"], "note": "x" * 2000}})
        assert loaded["form"]["site"]["city"] == "杭州"

"""T7 field dispatch 派单: the rules of dispatching and of the handling record."""
import datetime
import uuid
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from services.common.errors import Conflict, Invalid, NotFound
from services.common.paging import encode_cursor
from services.ticket.contract import dispatch as schemas
from services.ticket.domain import dispatch as rules
from services.ticket.domain import pages

UTC = datetime.UTC
NOW = datetime.datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def window(start_hours=1, end_hours=3):
    return {"window_start": (NOW + datetime.timedelta(hours=start_hours)).isoformat(),
            "window_end": (NOW + datetime.timedelta(hours=end_hours)).isoformat()}


class TestWhatMayBeDispatched:
    def test_after_sales_ticket_in_work_may_be_dispatched(self):
        for status in ("new", "assigned", "in_progress", "waiting"):
            rules.check_dispatchable({"kind": "after_sales", "status": status})

    @pytest.mark.parametrize("kind", ["consultation", "complaint", "suggestion"])
    def test_other_kinds_are_refused_naming_the_kind(self, kind):
        with pytest.raises(Conflict) as err:
            rules.check_dispatchable({"kind": kind, "status": "new"})
        assert "after-sales" in err.value.message
        assert "kind" in err.value.fields

    @pytest.mark.parametrize("status", ["resolved", "closed", "cancelled"])
    def test_finished_tickets_are_refused(self, status):
        with pytest.raises(Conflict):
            rules.check_dispatchable({"kind": "after_sales", "status": status})

    def test_unknown_ticket_is_not_found(self):
        with pytest.raises(NotFound):
            rules.check_dispatchable(None)

    @pytest.mark.parametrize("staff", [
        None,
        {"active": True, "roles": ["agent"]},
        {"active": False, "roles": ["field"]},
    ])
    def test_only_active_field_staff_receive_jobs(self, staff):
        with pytest.raises(Invalid) as err:
            rules.check_field_staff(staff)
        assert "staff_id" in err.value.fields

    def test_active_field_staff_member_is_accepted(self):
        rules.check_field_staff({"active": True, "roles": ["field"]})

    def test_a_new_ticket_becomes_assigned_others_keep_their_status(self):
        assert rules.status_after_dispatch("new") == "assigned"
        assert rules.status_after_dispatch("in_progress") == "in_progress"
        assert rules.status_after_dispatch("waiting") == "waiting"


class TestAddress:
    def test_given_address_wins(self):
        ticket = {"form": {"address": "北京市海淀区"}, "contact": {}}
        assert rules.choose_address(" 上海市浦东新区 ", ticket) == "上海市浦东新区"

    def test_default_is_the_form_address_then_the_contact(self):
        ticket = {"form": {"address": "北京市海淀区中关村1号"}, "contact": {"address": "别处"}}
        assert rules.choose_address(None, ticket) == "北京市海淀区中关村1号"
        assert rules.choose_address("", {"form": {}, "contact": {"address": "天津市河西区"}}) \
            == "天津市河西区"

    def test_structured_address_is_written_out_in_order(self):
        form = {"address": {"detail": "3号楼2单元", "province": "广东省", "city": "深圳市",
                            "district": "南山区"}}
        assert rules.default_address(form, None) == "广东省深圳市南山区3号楼2单元"

    def test_no_address_anywhere_is_invalid_naming_address(self):
        with pytest.raises(Invalid) as err:
            rules.choose_address(None, {"form": {"fault": "漏水"}, "contact": {}})
        assert "address" in err.value.fields


class TestDispatchInput:
    def test_window_must_start_before_it_ends(self):
        with pytest.raises(ValidationError) as err:
            schemas.DispatchIn().load({"staff_id": "s1", **window(3, 1)})
        assert "window_end" in err.value.messages

    def test_window_needs_time_zones(self):
        with pytest.raises(ValidationError) as err:
            schemas.DispatchIn().load({"staff_id": "s1", "window_start": "2026-11-23T10:00:00",
                                       "window_end": "2026-11-23T12:00:00"})
        assert set(err.value.messages) == {"window_start", "window_end"}

    def test_a_window_already_over_is_refused(self):
        with pytest.raises(Invalid) as err:
            rules.check_window(NOW - datetime.timedelta(minutes=1), NOW)
        assert "window_end" in err.value.fields
        rules.check_window(NOW + datetime.timedelta(minutes=1), NOW)

    def test_staff_is_required(self):
        with pytest.raises(ValidationError) as err:
            schemas.DispatchIn().load(window())
        assert "staff_id" in err.value.messages


class TestHandlingRecord:
    def test_not_done_needs_a_reason(self):
        with pytest.raises(ValidationError) as err:
            schemas.HandlingIn().load({"done": False})
        assert "reason" in err.value.messages
        schemas.HandlingIn().load({"done": False, "reason": "客户不在家"})

    def test_parts_fee_and_paid_are_loaded(self):
        record = schemas.HandlingIn().load({
            "done": True, "parts": [{"name": "压缩机", "quantity": 1, "price": "860.00"},
                                    {"name": "铜管", "quantity": 2, "price": 35}],
            "fee": "930.50", "paid": True})
        assert record["fee"] == Decimal("930.50")
        assert rules.parts_total(record["parts"]) == Decimal("930.00")
        note = rules.handling_note({**record, "note": ""})
        assert "完成" in note and "压缩机×1" in note and "已付" in note

    @pytest.mark.parametrize("bad, field", [
        ({"done": True, "fee": -1}, "fee"),
        ({"done": True, "parts": [{"name": "x", "quantity": 0, "price": 1}]}, "parts"),
        ({"done": True, "parts": [{"quantity": 1, "price": 1}]}, "parts"),
        ({"done": "maybe"}, "done"),
        ({"done": True, "arrived_at": "2026-11-23T10:00:00+08:00",
          "finished_at": "2026-11-23T09:00:00+08:00"}, "finished_at"),
    ])
    def test_bad_fields_are_named(self, bad, field):
        with pytest.raises(ValidationError) as err:
            schemas.HandlingIn().load(bad)
        assert field in err.value.messages

    def test_issue10_a_part_without_a_price_records_no_charge(self):
        """Issue 10 (11.1): `price` is optional; a part replaced under warranty or included
        in the fee is recorded with a null price and adds nothing to the parts' total."""
        record = schemas.HandlingIn().load({
            "done": True, "parts": [{"name": "密封圈", "quantity": 2},
                                    {"name": "压缩机", "quantity": 1, "price": None},
                                    {"name": "铜管", "quantity": 2, "price": "35.00"}]})
        assert [p["price"] for p in record["parts"]] == [None, None, Decimal("35.00")]
        assert rules.parts_total(record["parts"]) == Decimal("70.00")
        assert "密封圈×2" in rules.handling_note({**record, "note": ""})
        shown = schemas.Handling().dump({"parts": record["parts"]})
        assert shown["parts"][0] == {"name": "密封圈", "quantity": 2, "price": None}
        assert "price" in (schemas.Part.__doc__ or "")

    def test_only_the_staff_member_it_was_sent_to_sees_the_dispatch(self):
        row = {"staff_id": "field-1", "state": "open", "ticket_status": "assigned"}
        rules.check_handling(row, "field-1")
        with pytest.raises(NotFound):
            rules.check_handling(row, "field-2")
        with pytest.raises(NotFound):
            rules.check_handling(None, "field-1")

    def test_second_record_and_replaced_dispatch_are_conflicts(self):
        with pytest.raises(Conflict):
            rules.check_handling({"staff_id": "f", "state": "handled",
                                  "ticket_status": "in_progress"}, "f")
        with pytest.raises(Conflict):
            rules.check_handling({"staff_id": "f", "state": "cancelled",
                                  "ticket_status": "in_progress"}, "f")

    @pytest.mark.parametrize("status", ["closed", "cancelled"])
    def test_issue10_no_record_on_a_finished_ticket_naming_its_status(self, status):
        """Issue 10 (11.2): a closed or cancelled ticket takes no handling record."""
        with pytest.raises(Conflict) as err:
            rules.check_handling({"staff_id": "f", "state": "open", "ticket_status": status},
                                 "f")
        assert status in err.value.message
        assert err.value.fields == {"ticket_status": [f"is {status}"]}

    @pytest.mark.parametrize("status", ["assigned", "in_progress", "waiting", "resolved"])
    def test_a_ticket_still_open_takes_the_record(self, status):
        rules.check_handling({"staff_id": "f", "state": "open", "ticket_status": status}, "f")


class TestResolvingADispatchedTicket:
    def test_issue10_an_open_job_without_a_record_stops_resolving(self):
        """Issue 10 (11.3): a ticket whose field job has no handling record yet is not
        resolved; the refusal says why in words."""
        job = {"id": "d1", "staff_id": "field-1"}
        with pytest.raises(Conflict) as err:
            rules.check_resolvable(job)
        assert "handling record" in err.value.message and "field-1" in err.value.message
        assert "to" in err.value.fields

    def test_no_open_job_may_be_resolved(self):
        rules.check_resolvable(None)


class TestOverdueAndPaging:
    def test_open_dispatch_past_its_window_shows_overdue(self):
        row = {"state": "open", "window_end": NOW - datetime.timedelta(seconds=1),
               "handling_done": None}
        assert rules.present(row, NOW)["overdue"] is True
        assert rules.present({**row, "state": "handled"}, NOW)["overdue"] is False
        assert rules.present({**row, "window_end": NOW + datetime.timedelta(hours=1)},
                             NOW)["overdue"] is False

    def test_cursor_round_trips_and_bad_cursor_names_the_parameter(self):
        cursor = encode_cursor(NOW, "8c1f7f0e-0000-4000-8000-000000000001")
        assert rules.decode_cursor(cursor) == (NOW, "8c1f7f0e-0000-4000-8000-000000000001")
        for bad in ("nonsense", "e30", encode_cursor(NOW, "x")[:-3]):
            with pytest.raises(Invalid) as err:
                rules.decode_cursor(bad)
            assert "after" in err.value.fields

    def test_page_gives_a_cursor_only_when_more_rows_exist(self):
        rows = [{"id": str(uuid.UUID(int=i)), "window_end": NOW + datetime.timedelta(minutes=i)}
                for i in range(3)]
        assert pages.page(rows, 3, "window_end") == (rows, None)
        shown, following = pages.page(rows, 2, "window_end")
        assert shown == rows[:2]
        assert rules.decode_cursor(following) == (rows[1]["window_end"], rows[1]["id"])

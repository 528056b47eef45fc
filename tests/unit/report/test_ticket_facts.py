"""R1: what one ticket adds to the rollups (contributions, deltas), the time buckets, and
the figures as read (R2): percentiles, periods, scope, the rollup a grouping needs,
zero-filled series, the backlog, and the check's differences (R4)."""
import datetime
from zoneinfo import ZoneInfo

import pytest

from services.common.errors import Invalid, NotFound
from services.report.domain import facts as f
from services.report.domain import figures as g

CHINA = ZoneInfo("Asia/Shanghai")
UTC = datetime.UTC


def at(day: str, hhmm: str = "10:00", zone=CHINA) -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=zone)


def ticket(**over) -> dict:
    base = {"ticket_id": "t1", "revision": 1, "kind": "complaint", "category_id": "c1",
            "channel": "phone", "group_name": "客服一组", "assignee_id": "a1",
            "status": "new", "accepted_at": at("2026-03-02"), "first_response_at": None,
            "resolved_at": None, "closed_at": None, "cancelled_at": None,
            "reopen_count": 0, "transfer_count": 0, "repeat": False, "repeat_of": [],
            "response_breached": False, "resolution_breached": False}
    return {**base, **over}


def day_kind(contribution, day: str) -> dict:
    rows = {k: v for k, v in contribution[f.DAY_KIND].items()
            if k[0] == datetime.date.fromisoformat(day)}
    assert len(rows) <= 1
    return next(iter(rows.values()), {})


class TestR1Contributions:
    def test_r1_a_new_ticket_counts_created_and_opened_on_its_accepted_day_in_china(self):
        # 23:30 UTC on 1 March is 07:30 on 2 March in China
        c = f.contributions(ticket(accepted_at=datetime.datetime(2026, 3, 1, 23, 30,
                                                                 tzinfo=UTC)))
        row = day_kind(c, "2026-03-02")
        assert (row["created"], row["opened"], row["resolved"], row["finished"]) == (1, 1, 0, 0)
        assert day_kind(c, "2026-03-01") == {}
        assert list(c[f.DAY_STAFF]) == [(datetime.date(2026, 3, 2), "客服一组", "a1",
                                         "complaint")]
        assert list(c[f.MONTH]) == [(datetime.date(2026, 3, 1), "complaint", "c1", "phone",
                                     "客服一组", "a1")]

    def test_r1_missing_dimensions_are_empty_strings_in_keys(self):
        c = f.contributions(ticket(category_id=None, group_name=None, assignee_id=None))
        assert list(c[f.DAY_KIND]) == [(datetime.date(2026, 3, 2), "complaint", "", "phone")]
        assert list(c[f.DAY_STAFF]) == [(datetime.date(2026, 3, 2), "", "", "complaint")]

    def test_r1_resolution_lands_on_the_resolved_day_with_same_day_and_fcr(self):
        c = f.contributions(ticket(status="resolved", first_response_at=at("2026-03-02", "10:05"),
                                   resolved_at=at("2026-03-02", "16:00")))
        row = day_kind(c, "2026-03-02")
        assert (row["resolved"], row["same_day"], row["fcr"]) == (1, 1, 1)
        times = c[f.TIME_DAY]
        assert times[(datetime.date(2026, 3, 2), "complaint", "客服一组", "response",
                      f.bucket(300))] == {"n": 1, "seconds": 300}
        assert times[(datetime.date(2026, 3, 2), "complaint", "客服一组", "resolution",
                      f.bucket(6 * 3600))] == {"n": 1, "seconds": 6 * 3600}

    def test_r1_a_resolution_the_next_day_is_not_same_day(self):
        c = f.contributions(ticket(status="resolved", resolved_at=at("2026-03-03", "00:10")))
        assert day_kind(c, "2026-03-03")["resolved"] == 1
        assert day_kind(c, "2026-03-03")["same_day"] == 0
        assert day_kind(c, "2026-03-02")["resolved"] == 0

    @pytest.mark.parametrize("over", [{"transfer_count": 1}, {"reopen_count": 1}])
    def test_r1_a_transferred_or_reopened_ticket_is_no_first_contact_resolution(self, over):
        c = f.contributions(ticket(status="resolved", resolved_at=at("2026-03-02", "11:00"),
                                   **over))
        assert day_kind(c, "2026-03-02")["fcr"] == 0
        assert day_kind(c, "2026-03-02")["reopened"] == int("reopen_count" in over)

    def test_r1_a_ticket_a_later_one_repeats_is_no_first_contact_resolution(self):
        resolved = ticket(status="resolved", resolved_at=at("2026-03-02", "11:00"))
        assert day_kind(f.contributions(resolved, repeated_later=False), "2026-03-02")["fcr"] == 1
        assert day_kind(f.contributions(resolved, repeated_later=True), "2026-03-02")["fcr"] == 0

    def test_r1_closed_and_cancelled_count_on_their_days_finished_by_status(self):
        closed = f.contributions(ticket(status="closed", resolved_at=at("2026-03-03"),
                                        closed_at=at("2026-03-05")))
        assert (day_kind(closed, "2026-03-05")["closed"],
                day_kind(closed, "2026-03-05")["finished"]) == (1, 1)
        reopened = f.contributions(ticket(status="in_progress", closed_at=at("2026-03-05"),
                                          reopen_count=1))
        assert (day_kind(reopened, "2026-03-05")["closed"],
                day_kind(reopened, "2026-03-05")["finished"]) == (1, 0)
        cancelled = f.contributions(ticket(status="cancelled", cancelled_at=at("2026-03-04")))
        assert (day_kind(cancelled, "2026-03-04")["cancelled"],
                day_kind(cancelled, "2026-03-04")["finished"]) == (1, 1)

    def test_r1_repeats_and_breaches_count_on_the_accepted_day(self):
        c = f.contributions(ticket(repeat=True, repeat_of=["t0"], response_breached=True,
                                   resolution_breached=True, resolved_at=at("2026-03-09")))
        row = day_kind(c, "2026-03-02")
        assert (row["repeats"], row["response_breached"], row["resolution_breached"]) == (1, 1, 1)
        assert day_kind(c, "2026-03-09")["response_breached"] == 0


class TestR1Deltas:
    def test_r1_delta_is_new_minus_old_and_leaves_out_rows_that_cancel(self):
        old = ticket()
        new = ticket(revision=2, status="resolved", resolved_at=at("2026-03-04"),
                     assignee_id="a2")
        d = f.delta(old, new)
        staff = d[f.DAY_STAFF]
        assert staff[(datetime.date(2026, 3, 2), "客服一组", "a1", "complaint")]["created"] == -1
        assert staff[(datetime.date(2026, 3, 2), "客服一组", "a2", "complaint")]["created"] == 1
        assert staff[(datetime.date(2026, 3, 4), "客服一组", "a2", "complaint")]["resolved"] == 1
        assert f.delta(old, {**old, "revision": 5}) == {t: {} for t in f.TABLES}

    def test_r1_only_a_higher_revision_replaces_a_fact(self):
        assert f.newer(None, ticket(revision=0))
        assert f.newer(ticket(revision=3), ticket(revision=4))
        assert not f.newer(ticket(revision=3), ticket(revision=3))
        assert not f.newer(ticket(revision=3), ticket(revision=2))

    def test_r1_link_changes_name_added_and_dropped_earlier_tickets(self):
        assert f.link_changes(None, ticket(repeat_of=["a", "b", "t1"])) == ({"a", "b"}, set())
        assert f.link_changes(ticket(repeat_of=["a"]), ticket(repeat_of=["b"])) == ({"b"}, {"a"})


class TestR1Buckets:
    @pytest.mark.parametrize("seconds,expected", [
        (-5, 0), (0, 0), (59, 0), (60, 1), (119, 1), (120, 2), (3599, 5), (3600, 6),
        (86399, 9), (86400, 10), (604799, 12), (604800, 13), (10**8, 13)])
    def test_r1_durations_fall_in_fixed_log_scale_buckets(self, seconds, expected):
        assert f.bucket(seconds) == expected

    def test_r1_a_duration_is_whole_seconds_never_negative(self):
        assert f.duration(at("2026-03-02", "10:00"), at("2026-03-02", "10:01:30.9")) == 90
        assert f.duration(at("2026-03-02", "10:00"), at("2026-03-02", "09:00")) == 0


class TestR2Percentiles:
    def test_r2_percentiles_interpolate_inside_the_bucket(self):
        # 10 tickets in [60, 120): the median is halfway, p90 at nine tenths
        assert g.percentile({1: 10}, 0.5) == 90.0
        assert g.percentile({1: 10}, 0.9) == 114.0

    def test_r2_percentiles_walk_the_buckets_in_order(self):
        # 5 under a minute, 5 in [300, 600): p50 is the top of the first bucket, p90 at
        # four fifths of the second
        assert g.percentile({3: 5, 0: 5}, 0.5) == 60.0
        assert g.percentile({0: 5, 3: 5}, 0.9) == 540.0

    def test_r2_the_open_last_bucket_answers_its_lower_edge_and_empty_answers_none(self):
        assert g.percentile({f.LAST_BUCKET: 3}, 0.9) == 604800.0
        assert g.percentile({}, 0.5) is None
        assert g.mean(0, 0) is None
        assert g.mean(10, 3) == 3.3


class TestR2Periods:
    def test_r2_weeks_start_on_monday_and_months_on_the_first(self):
        sunday = datetime.date(2026, 3, 8)
        assert g.period_start(sunday, "week") == datetime.date(2026, 3, 2)
        assert g.period_start(sunday, "month") == datetime.date(2026, 3, 1)
        assert g.period_start(sunday, "day") == sunday

    def test_r2_every_period_of_the_range_is_listed(self):
        first, last = datetime.date(2026, 1, 30), datetime.date(2026, 3, 2)
        assert len(g.periods(first, last, "day")) == 32
        assert g.periods(first, last, "month") == [datetime.date(2026, 1, 1),
                                                   datetime.date(2026, 2, 1),
                                                   datetime.date(2026, 3, 1)]
        weeks = g.periods(first, last, "week")
        assert weeks[0] == datetime.date(2026, 1, 26) and weeks[-1] == datetime.date(2026, 3, 2)
        assert all((b - a).days == 7 for a, b in zip(weeks, weeks[1:], strict=False))

    def test_r2_a_range_is_ordered_and_at_most_400_days(self):
        day = datetime.date(2026, 3, 1)
        g.check_range(day, day + datetime.timedelta(days=399))
        with pytest.raises(Invalid) as err:
            g.check_range(day, day + datetime.timedelta(days=400))
        assert "to" in err.value.fields
        with pytest.raises(Invalid):
            g.check_range(day, day - datetime.timedelta(days=1))


class TestR2Scope:
    def test_r2_managers_admins_and_auditors_see_all(self):
        for role in ("manager", "general_manager", "admin", "auditor"):
            assert g.scope_of("x", {role}, {"g1"}) == g.Scope()

    def test_r2_a_supervisor_sees_their_groups_an_agent_their_own(self):
        assert g.scope_of("s1", {"supervisor"}, {"g2", "g1"}) == g.Scope(groups=("g1", "g2"))
        assert g.scope_of("a1", {"agent"}, {"g1"}) == g.Scope(agent_id="a1")

    def test_r2_a_filter_out_of_scope_is_not_found(self):
        with pytest.raises(NotFound):
            g.within_scope(g.Scope(agent_id="a1"), {"agent_id": "a2"})
        with pytest.raises(NotFound):
            g.within_scope(g.Scope(groups=("g1",)), {"group_name": "g2"})
        g.within_scope(g.Scope(groups=("g1",)), {"group_name": "g1"})
        g.within_scope(g.Scope(agent_id="a1"), {"agent_id": "a1"})

    def test_r2_the_scope_decides_the_rollup_too(self):
        day = datetime.date(2026, 3, 1)
        assert g.rollup_for(["kind"], {}, g.Scope(), "day", day, day) == f.DAY
        assert g.rollup_for(["kind"], {}, g.Scope(agent_id="a"), "day", day, day) == f.DAY_STAFF
        assert g.rollup_for(["kind"], {}, g.Scope(groups=("g",)), "day", day, day) \
            == f.DAY_GROUP
        assert g.rollup_for(["agent"], {}, g.Scope(groups=("g",)), "day", day, day) \
            == f.DAY_STAFF


class TestR2Rollups:
    first, last = datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)

    @pytest.mark.parametrize("by,filters,table", [
        ([], {}, f.DAY),
        (["kind"], {"kind": "complaint"}, f.DAY),
        (["group"], {}, f.DAY_GROUP),
        (["kind"], {"group_name": "g"}, f.DAY_GROUP),
        (["category"], {}, f.DAY_KIND),
        (["kind", "category", "channel"], {}, f.DAY_KIND),
        (["kind"], {"channel": "web"}, f.DAY_KIND),
        (["group", "agent", "kind"], {}, f.DAY_STAFF),
        (["agent"], {"kind": "complaint"}, f.DAY_STAFF),
    ])
    def test_r2_a_grouping_is_answered_by_the_smallest_rollup_keeping_it(self, by, filters,
                                                                         table):
        assert g.rollup_for(by, filters, g.Scope(), "day", self.first, self.last) == table

    def test_r2_other_groupings_are_kept_by_whole_months_only(self):
        assert g.rollup_for(["category", "group"], {}, g.Scope(), "month", self.first,
                            self.last) == f.MONTH
        with pytest.raises(Invalid) as err:
            g.rollup_for(["category", "group"], {}, g.Scope(), "day", self.first, self.last)
        assert "by" in err.value.fields
        with pytest.raises(Invalid) as err:
            g.rollup_for(["channel"], {"agent_id": "a"}, g.Scope(), "month",
                         datetime.date(2026, 3, 2), self.last)
        assert "from" in err.value.fields
        with pytest.raises(Invalid) as err:
            g.rollup_for(["channel"], {"agent_id": "a"}, g.Scope(), "month", self.first,
                         datetime.date(2026, 3, 30))
        assert "to" in err.value.fields

    def test_r2_times_are_kept_by_kind_and_group_only(self):
        assert g.times_kept(["kind", "group"], {}, g.Scope())
        assert g.times_kept([], {"group_name": "g"}, g.Scope(groups=("g",)))
        assert not g.times_kept(["agent"], {}, g.Scope())
        assert not g.times_kept([], {}, g.Scope(agent_id="a"))
        assert not g.times_kept(["kind"], {"channel": "web"}, g.Scope())


class TestR2Series:
    def test_r2_every_period_is_present_for_every_key_group_with_zeros(self):
        first, last = datetime.date(2026, 3, 1), datetime.date(2026, 3, 3)
        rows = [{"period": datetime.date(2026, 3, 2), "kind": "complaint",
                 **dict.fromkeys(f.COUNTERS, 0), "created": 2},
                {"period": datetime.date(2026, 3, 3), "kind": "consultation",
                 **dict.fromkeys(f.COUNTERS, 0), "created": 1}]
        out = g.series(rows, None, ["kind"], first, last, "day")
        assert [(p["kind"], p["period"].day, p["created"]) for p in out] == [
            ("complaint", 1, 0), ("complaint", 2, 2), ("complaint", 3, 0),
            ("consultation", 1, 0), ("consultation", 2, 0), ("consultation", 3, 1)]
        assert all(p["response_p50"] is None for p in out)

    def test_r2_an_ungrouped_series_has_every_period_even_with_no_ticket(self):
        out = g.series([], [], [], datetime.date(2026, 3, 1), datetime.date(2026, 3, 14),
                       "week")
        assert [p["period"] for p in out] == [datetime.date(2026, 2, 23),
                                              datetime.date(2026, 3, 2),
                                              datetime.date(2026, 3, 9)]
        assert {p["created"] for p in out} == {0}

    def test_r2_times_join_their_period_and_key(self):
        day = datetime.date(2026, 3, 2)
        times = [{"period": day, "kind": "complaint", "measure": "resolution", "bucket": 1,
                  "n": 2, "seconds": 150},
                 {"period": day, "kind": "complaint", "measure": "resolution", "bucket": 2,
                  "n": 2, "seconds": 500}]
        rows = [{"period": day, "kind": "complaint", **dict.fromkeys(f.COUNTERS, 0)}]
        point = g.series(rows, times, ["kind"], day, day, "day")[0]
        assert point["resolution_mean"] == 162.5
        assert point["resolution_p50"] == 120.0  # the top of the first bucket's two
        assert point["response_p50"] is None

    def test_r2_backlog_carries_what_was_open_before_the_range(self):
        first, last = datetime.date(2026, 3, 1), datetime.date(2026, 3, 3)
        base = [{"kind": "complaint", "change": 5}]
        days = [{"day": datetime.date(2026, 3, 2), "kind": "complaint", "change": 2},
                {"day": datetime.date(2026, 3, 3), "kind": "complaint", "change": -4},
                {"day": datetime.date(2026, 3, 3), "kind": "consultation", "change": 1}]
        out = g.backlog(base, days, "kind", first, last)
        assert [(p["kind"], p["open"]) for p in out] == [
            ("complaint", 5), ("complaint", 7), ("complaint", 3),
            ("consultation", 0), ("consultation", 0), ("consultation", 1)]


class TestR4Differences:
    def test_r4_each_differing_measure_is_named_and_a_missing_row_counts_zero(self):
        day = datetime.date(2026, 3, 2)
        ours = [{"day": day, "kind": "complaint", "created": 3, "resolved": 1}]
        owner = [{"day": "2026-03-02", "kind": "complaint", "created": 3, "resolved": 2},
                 {"day": "2026-03-03", "kind": "complaint", "created": 1}]
        assert g.differences(ours, owner) == [
            {"day": day, "kind": "complaint", "measure": "resolved", "ours": 1, "owner": 2},
            {"day": datetime.date(2026, 3, 3), "kind": "complaint", "measure": "created",
             "ours": 0, "owner": 1}]
        assert g.differences(ours, [{**ours[0], "day": "2026-03-02"}]) == []

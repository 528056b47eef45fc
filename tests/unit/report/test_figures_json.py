"""R2: the figures' answers are made JSON without a schema dump per point
(handlers/figures.as_json) and equal what their contract schemas dump; `measures` asks
for some figures only, and no times are read when none is asked."""
import copy
import datetime
import random

import pytest

from services.common.errors import Invalid
from services.report.contract import calls as call_contract
from services.report.contract import figures as contract
from services.report.domain import calls as call_rules
from services.report.domain import facts as f
from services.report.domain import figures as g
from services.report.handlers.figures import as_json

FIRST = datetime.date(2026, 3, 1)
LAST = datetime.date(2026, 3, 20)
AS_OF = datetime.datetime(2026, 3, 20, 8, 30, tzinfo=datetime.UTC)


def ticket_rows(seed: int) -> tuple[list, list]:
    rng = random.Random(seed)
    rows, times = [], []
    for day in range(20):
        start = FIRST + datetime.timedelta(days=day)
        for kind in ("complaint", "after_sales"):
            if rng.random() < 0.7:
                rows.append({"period": start, "kind": kind,
                             **{c: rng.randint(0, 9) for c in f.COUNTERS}})
                times.append({"period": start, "kind": kind, "measure": "response",
                              "bucket": rng.randint(0, 5), "n": 3,
                              "seconds": rng.randint(10, 900)})
    return rows, times


class TestR2FiguresJson:
    def test_r2_ticket_figures_as_json_equal_the_schema_dump(self):
        for seed in range(5):
            rows, times = ticket_rows(seed)
            answer = {"as_of": AS_OF,
                      "series": g.series(rows, times, ["kind"], FIRST, LAST, "day")}
            dumped = contract.TicketFigures().dump(copy.deepcopy(answer))
            assert as_json(answer, "series") == dumped
            assert len(dumped["series"]) == 40

    def test_r2_no_as_of_yet_is_null(self):
        answer = {"as_of": None, "series": g.series([], None, [], FIRST, FIRST, "day")}
        dumped = contract.TicketFigures().dump(copy.deepcopy(answer))
        assert as_json(answer, "series") == dumped

    def test_r2_call_figures_as_json_equal_the_schema_dump_with_from_and_to(self):
        rng = random.Random(7)
        calls = [{"period": FIRST + datetime.timedelta(days=d), "agent_id": a,
                  **{c: rng.randint(0, 9) for c in call_rules.CALL_SUMS}}
                 for d in range(20) for a in ("a1", "a2") if rng.random() < 0.6]
        answer = {"from_day": FIRST, "to_day": LAST, "period": "day", "as_of": AS_OF,
                  "quick_hangup_seconds": 5,
                  "points": call_rules.series(calls, [], ["agent"], FIRST, LAST, "day")}
        dumped = call_contract.CallFigures().dump(copy.deepcopy(answer))
        assert as_json(answer, "points", {"from_day": "from", "to_day": "to"}) == dumped
        assert dumped["from"] == "2026-03-01" and len(dumped["points"]) == 40

    def test_r2_measures_answer_only_the_figures_asked(self):
        rows, times = ticket_rows(3)
        full = g.series(rows, times, ["kind"], FIRST, LAST, "day")
        some = g.series(rows, None, ["kind"], FIRST, LAST, "day", ["created", "fcr"])
        assert [set(p) for p in some] == [{"period", "kind", "created", "fcr"}] * 40
        assert [(p["created"], p["fcr"]) for p in some] == \
            [(p["created"], p["fcr"]) for p in full]
        timed = g.series(rows, times, ["kind"], FIRST, LAST, "day", ["response_mean"])
        assert [p["response_mean"] for p in timed] == [p["response_mean"] for p in full]
        assert any(p["response_mean"] is not None for p in timed)

    def test_r2_times_are_read_only_when_one_is_asked(self):
        assert g.times_asked([]) and g.times_asked(["created", "resolution_p90"])
        assert not g.times_asked(["created", "resolved"])

    def test_r2_the_contract_names_every_measure_the_series_answers(self):
        assert contract.COUNTERS == f.COUNTERS
        assert contract.TIMES == tuple(g.NO_TIMES)
        query = contract.FiguresQuery()
        assert query.load({"from": "2026-03-01", "to": "2026-03-02",
                           "measures": ["created"]})["measures"] == ["created"]
        errors = query.validate({"from": "2026-03-01", "to": "2026-03-02",
                                 "measures": ["nonsense"]})
        assert "measures" in errors

    def test_r2_fewer_measures_allow_more_points_within_the_same_values(self):
        assert g.max_points([]) == g.MAX_POINTS
        assert g.max_points(list(contract.MEASURES)) == g.MAX_POINTS
        assert g.max_points(["created", "resolved", "closed"]) == g.FEW_MEASURES_POINTS
        assert g.max_points(contract.MEASURES[:9]) == 2 * g.MAX_POINTS
        rows = [{"period": FIRST, "agent_id": f"a{i}"} for i in range(301)]
        last = FIRST + datetime.timedelta(days=89)  # 301 agents × 90 days: 27,090 points
        g.check_size(rows, ["agent"], FIRST, last, "day", ["created", "resolved"])
        with pytest.raises(Invalid) as caught:
            g.check_size(rows, ["agent"], FIRST, last, "day")
        assert "by" in caught.value.fields


def per_key(rows: list[dict], measures=()) -> list[dict]:
    """The rows as store.counts_per_key answers them: one per key group (the raw
    values: '' and None apart, as SQL groups them), periods in order, a counter's array
    when asked (else None)."""
    fields = ("kind", "category_id", "channel", "group_name", "agent_id")
    grouped: dict = {}
    for r in sorted(rows, key=lambda r: r["period"]):
        grouped.setdefault(tuple(r.get(f) for f in fields), []).append(r)
    return [{**dict(zip(fields, key, strict=True)), "periods": [r["period"] for r in group],
             **{c: ([r.get(c) for r in group] if not measures or c in measures else None)
                for c in f.COUNTERS}}
            for key, group in grouped.items()]


class TestR2Columns:
    def test_r2_columns_hold_the_same_figures_as_the_points(self):
        for seed, by, measures in ((1, ["kind"], []), (2, ["kind"], ["created", "fcr"]),
                                   (3, [], ["resolution_mean"]), (4, ["kind"], ["response_p50"])):
            rows, times = ticket_rows(seed)
            if not by:
                rows = [{k: v for k, v in r.items() if k != "kind"} for r in rows]
                times = [{k: v for k, v in t.items() if k != "kind"} for t in times]
            points = g.series(rows, times, by, FIRST, LAST, "day", measures)
            cols = g.columns_per_key(per_key(rows, measures), times, by, FIRST, LAST, "day",
                                     measures)
            assert len(cols["periods"]) == 20 and cols["fields"] == [g.DIMENSIONS[d] for d in by]
            rebuilt = [{"period": datetime.date.fromisoformat(p),
                        **dict(zip(cols["fields"], key, strict=True)),
                        **{m: cols["values"][m][i][j] for m in cols["values"]}}
                       for i, key in enumerate(cols["keys"])
                       for j, p in enumerate(cols["periods"])]
            assert rebuilt == points

    def test_r2_a_key_with_gaps_and_one_split_by_empty_and_null_read_as_one_line(self):
        day = [FIRST + datetime.timedelta(days=i) for i in range(4)]
        rows = [{"period": day[0], "group_name": "", "created": 2},
                {"period": day[2], "group_name": None, "created": 5},
                {"period": day[2], "group_name": "", "created": 1},
                {"period": day[1], "group_name": "g1", "created": 7},
                {"period": day[3], "group_name": "g1", "created": 3}]
        full = [{"period": d, "group_name": "g2", "created": 1} for d in day]
        cols = g.columns_per_key(per_key(rows + full, ["created"]), None, ["group"], day[0],
                                 day[3], "day", ["created"])
        assert cols["keys"] == [[None], ["g1"], ["g2"]]
        assert cols["values"]["created"] == [[2, 0, 6, 0], [0, 7, 0, 3], [1, 1, 1, 1]]
        points = g.series(rows + full, None, ["group"], day[0], day[3], "day", ["created"])
        assert [p["created"] for p in points] == sum(cols["values"]["created"], [])

    def test_r2_columns_are_json_as_they_are_and_the_schema_reads_them(self):
        rows, times = ticket_rows(5)
        answer = {"as_of": AS_OF, **g.columns_per_key(per_key(rows, ["created"]), times,
                                                       ["kind"], FIRST, LAST, "day",
                                                       ["created"])}
        made = as_json(dict(answer), "series")
        assert made["as_of"] == AS_OF.isoformat() and "series" not in made
        loaded = contract.TicketFigures().load(made)
        assert loaded["key_groups"] == [["after_sales"], ["complaint"]]
        assert sum(map(sum, made["values"]["created"])) == sum(r["created"] for r in rows)

    def test_r2_the_layout_is_points_or_columns(self):
        query = contract.FiguresQuery()
        assert query.load({"from": "2026-03-01", "to": "2026-03-02"})["layout"] == "points"
        assert "layout" in query.validate({"from": "2026-03-01", "to": "2026-03-02",
                                           "layout": "rows"})

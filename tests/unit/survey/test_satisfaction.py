"""V4: CSAT and NPS equal a plain reference computation on generated answers, by every
grouping and period (days, ISO weeks, months in China)."""
import datetime
import itertools
import random
import zlib
from zoneinfo import ZoneInfo

import pytest

from services.survey.domain import satisfaction as s

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def generated(n: int, seed: int) -> list[dict]:
    """Answers from all three sources, some with CSAT only, NPS only, both, or none;
    moments near midnight in China so days and months split at the right hour."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        source = rng.choice(["agent", "ivr", "link"])
        csat = rng.choice([None, 1, 2, 3, 4, 5])
        nps = None if source == "ivr" else rng.choice([None, *range(11)])
        out.append({
            "source": source,
            "agent_id": rng.choice(["a1", "a2", "a3", None]),
            "group_name": rng.choice(["客服一组", "客服二组", None]),
            "ticket_kind": rng.choice(["complaint", "after_sales", None]),
            "category_id": rng.choice(["c1", "c2", None]),
            "csat_score": csat, "nps_score": nps,
            "answered_at": START + datetime.timedelta(minutes=rng.randrange(0, 400 * 24 * 60)),
        })
    return out


def reference(answers, by, period):
    """The figures the plain way: a dict of lists, then count."""
    fields = {"agent": "agent_id", "group": "group_name", "kind": "ticket_kind",
              "category": "category_id", "source": "source"}
    buckets: dict = {}
    for a in answers:
        local = a["answered_at"].astimezone(SHANGHAI).date()
        if period == "day":
            p = local.isoformat()
        elif period == "week":
            p = (local - datetime.timedelta(days=local.isoweekday() - 1)).isoformat()
        elif period == "month":
            p = f"{local.year:04d}-{local.month:02d}-01"
        else:
            p = None
        key = (p,) + tuple(a[fields[d]] if d in by else None
                           for d in ("agent", "group", "kind", "category", "source"))
        buckets.setdefault(key, []).append(a)
    out = {}
    for key, group in buckets.items():
        csat = [a["csat_score"] for a in group if a["csat_score"] is not None]
        nps = [a["nps_score"] for a in group if a["nps_score"] is not None]
        if not csat and not nps:
            continue
        happy = len([c for c in csat if c in (4, 5)])
        promoters = len([x for x in nps if x in (9, 10)])
        detractors = len([x for x in nps if x in (0, 1, 2, 3, 4, 5, 6)])
        out[key] = {
            "csat": round(happy * 100 / len(csat), 1) if csat else None,
            "csat_answers": len(csat),
            "nps": round((promoters - detractors) * 100 / len(nps), 1) if nps else None,
            "nps_answers": len(nps),
        }
    return out


def as_reference(rows):
    return {(r["period"], r["agent_id"], r["group_name"], r["ticket_kind"], r["category_id"],
             r["source"]): {k: r[k] for k in ("csat", "csat_answers", "nps", "nps_answers")}
            for r in rows}


BYS = [(), ("agent",), ("group",), ("kind",), ("category",), ("source",),
       ("agent", "kind"), ("group", "category", "source")]


@pytest.mark.parametrize(("by", "period"), list(itertools.product(
    BYS, ["day", "week", "month", "all"])))
def test_v4_csat_and_nps_equal_the_reference(by, period):
    answers = generated(3000, seed=zlib.crc32(repr((by, period)).encode()))
    rows = s.figures(answers, by, period)
    assert as_reference(rows) == reference(answers, by, period)
    assert len(rows) == len(as_reference(rows))  # one row per group


def test_v4_a_figure_says_how_many_answers_are_behind_it():
    day = datetime.datetime(2026, 3, 2, 2, 0, tzinfo=datetime.UTC)
    answers = [{"source": "ivr", "csat_score": c, "nps_score": None, "answered_at": day}
               for c in (5, 4, 3, 2)] + [
        {"source": "agent", "csat_score": None, "nps_score": n, "answered_at": day}
        for n in (10, 9, 8, 0, 6)]
    [row] = s.figures(answers, (), "all")
    assert (row["csat"], row["csat_answers"], row["satisfied"]) == (50.0, 4, 2)
    assert (row["nps"], row["nps_answers"]) == (0.0, 5)
    assert (row["promoters"], row["passives"], row["detractors"]) == (2, 1, 2)


def test_v4_periods_are_days_weeks_and_months_in_china():
    # 2026-03-31 16:30 UTC is 2026-04-01 00:30 in Beijing: April, and a Wednesday's week.
    moment = datetime.datetime(2026, 3, 31, 16, 30, tzinfo=datetime.UTC)
    assert s.period_start(moment, "day") == datetime.date(2026, 4, 1)
    assert s.period_start(moment, "week") == datetime.date(2026, 3, 30)
    assert s.period_start(moment, "month") == datetime.date(2026, 4, 1)
    assert s.period_start(moment, "all") is None


def test_v4_no_answers_no_figure_and_none_without_a_score():
    assert s.figures([], ("agent",), "month") == []
    empty = s.finish((None,) * 6, s.empty_counts())
    assert empty["csat"] is None and empty["nps"] is None

"""Satisfaction figures (V4), no I/O: CSAT and NPS from answers, grouped.

    CSAT = satisfied (score 4 or 5: 满意 / 非常满意) / rated answers       in per cent
    NPS  = (promoters 9–10 − detractors 0–6) / NPS answers               in per cent

An answer counts for CSAT when it has a CSAT score (its questionnaire's CSAT question
was answered, or an IVR key mapped to a level), for NPS when it has an NPS score.
Periods are the business's: days, ISO weeks (from Monday) and months in China.

`figures` is the reference the store's one SQL aggregate must equal
(store/answers.py `satisfaction_counts`); `finish` turns the counts of either into the
figures answered.
"""
import datetime
from collections import defaultdict
from collections.abc import Iterable

from services.common.zone import CHINA

SATISFIED_FROM = 4
PROMOTER_FROM, DETRACTOR_TO = 9, 6
# The answer's field of each grouping dimension.
DIMENSION_FIELDS = {"agent": "agent_id", "group": "group_name", "kind": "ticket_kind",
                    "category": "category_id", "source": "source"}
KEY_FIELDS = ("period", "agent_id", "group_name", "ticket_kind", "category_id", "source")
LEVEL_SCORES = {"very_satisfied": 5, "satisfied": 4, "neutral": 3, "dissatisfied": 2,
                "very_dissatisfied": 1}


def period_start(moment: datetime.datetime, period: str) -> datetime.date | None:
    """The first day (in China) of the day, ISO week or month holding `moment`."""
    if period == "all":
        return None
    day = moment.astimezone(CHINA).date()
    if period == "week":
        return day - datetime.timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def group_key(answer: dict, by: Iterable[str], period: str) -> tuple:
    """The figure an answer counts in: (period, agent, group, kind, category, source),
    None where not grouped by."""
    chosen = {DIMENSION_FIELDS[d] for d in by}
    start = period_start(answer["answered_at"], period)
    return (start.isoformat() if start else None,
            *(answer.get(f) if f in chosen else None for f in KEY_FIELDS[1:]))


def percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def finish(key: tuple, counts: dict) -> dict:
    """A figure: its key's fields, the counts behind it and CSAT / NPS from them."""
    period, agent_id, group_name, ticket_kind, category_id, source = key
    return figure(period, agent_id, group_name, ticket_kind, category_id, source,
                  counts["csat_answers"], counts["satisfied"], counts["nps_answers"],
                  counts["promoters"], counts["detractors"])


def figure(period, agent_id, group_name, ticket_kind, category_id, source,
           csat_answers: int, satisfied: int, nps_answers: int, promoters: int,
           detractors: int) -> dict:
    """A figure from its key (KEY_FIELDS) and counts, as the store's rows hold them."""
    return {"period": period, "agent_id": agent_id, "group_name": group_name,
            "ticket_kind": ticket_kind, "category_id": category_id, "source": source,
            "csat_answers": csat_answers, "satisfied": satisfied,
            "csat": percent(satisfied, csat_answers),
            "nps_answers": nps_answers, "promoters": promoters, "detractors": detractors,
            "passives": nps_answers - promoters - detractors,
            "nps": percent(promoters - detractors, nps_answers)}


def ivr_share(period, agent_id, group_name, ticket_kind, category_id, offered: int,
              rated: int) -> dict:
    """The keypad's offered and rated calls of one group (KEY_FIELDS without source)."""
    return {"period": period, "agent_id": agent_id, "group_name": group_name,
            "ticket_kind": ticket_kind, "category_id": category_id, "offered": offered,
            "rated": rated, "rated_share": rated_share(offered, rated)}


def empty_counts() -> dict:
    return {"csat_answers": 0, "satisfied": 0, "nps_answers": 0, "promoters": 0,
            "detractors": 0}


def figures(answers: Iterable[dict], by: Iterable[str], period: str) -> list[dict]:
    """The figures of `answers` ({answered_at, csat_score, nps_score, agent_id, ...}),
    one per group that has a CSAT or NPS answer, in key order."""
    by = tuple(by)
    groups: dict[tuple, dict] = defaultdict(empty_counts)
    for a in answers:
        csat, nps = a.get("csat_score"), a.get("nps_score")
        if csat is None and nps is None:
            continue
        counts = groups[group_key(a, by, period)]
        if csat is not None:
            counts["csat_answers"] += 1
            counts["satisfied"] += csat >= SATISFIED_FROM
        if nps is not None:
            counts["nps_answers"] += 1
            counts["promoters"] += nps >= PROMOTER_FROM
            counts["detractors"] += nps <= DETRACTOR_TO
    return [finish(key, groups[key]) for key in sorted(groups, key=sort_key)]


def sort_key(key: tuple) -> tuple:
    """Nulls first, then by value (the SQL orders the same way)."""
    return tuple((v is not None, v or "") for v in key)


def rated_share(offered: int, rated: int) -> float | None:
    return percent(rated, offered)


MONTHLY_DIMENSIONS = frozenset({"agent", "group", "source"})


def monthly(by: Iterable[str], period: str, query: dict) -> bool:
    """Whether the figures can be read from the monthly rollups (month, agent, group,
    source: migration 0006): months or all time, no kind or category asked or filtered,
    and whole months (from the 1st, to a month's last day)."""
    if period not in ("month", "all") or not set(by) <= MONTHLY_DIMENSIONS:
        return False
    if query.get("ticket_kind") or query.get("category_id"):
        return False
    first, last = query.get("from_day"), query.get("to_day")
    return (first is None or first.day == 1) and \
        (last is None or (last + datetime.timedelta(days=1)).day == 1)

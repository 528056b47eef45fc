"""Follow-ups 回访 and satisfaction 满意度 statistics (issue 13, R1, R2, R4), no I/O: what
one follow-up task and one answer add to the daily rollups, and their figures as read.

A task's fact is merged from the survey events the report has seen of it (each (task,
event) once: created, missed, completed), so duplicates and order change nothing:
  key      its FIRST group ('' without one: a task of several groups counts once, in
           the first) and its assignee ('' without one), as told by its latest kind of
           event (completed, else missed, else created)
  created  1 on the China day it was created (the created event's time)
  due      1 on the China day of its due time (the latest event's due_at)
  done     1 on the day completed (reached or unreachable; reached / unreachable 1 by
           outcome); on_time 1 there when completed_at ≤ due_at and never missed
  missed   1 on the day it was missed (followup_missed's missed_at)
An answer (survey_answered) adds on the China day it was answered, by agent, group,
ticket kind and source: answers 1; csat_answers 1 with a CSAT score and satisfied 1 when
it is SATISFIED_FROM or more; nps_answers 1 with an NPS score, promoters 1 from
PROMOTER_FROM, detractors 1 up to DETRACTOR_TO — the survey service's own definitions
(services/survey/domain/satisfaction.py, a unit test holds them equal).
Every rollup row is the sum of the facts' contributions; a changed fact adds
`delta(table, old, new)`.
"""
import datetime
import hashlib

from services.common.errors import Invalid
from services.common.zone import CHINA
from services.report.domain.figures import MAX_POINTS, periods

FOLLOWUP_DAY, ANSWER_DAY = "followup_day", "answer_day"
TABLES = (FOLLOWUP_DAY, ANSWER_DAY)
FOLLOWUP_KEY = ("day", "group_name", "agent_id")
FOLLOWUP_COUNTERS = ("created", "due", "done", "reached", "unreachable", "missed", "on_time")
ANSWER_KEY = ("day", "agent_id", "group_name", "ticket_kind", "source")
ANSWER_COUNTERS = ("answers", "csat_answers", "satisfied", "nps_answers", "promoters",
                   "detractors")
KEYS = {FOLLOWUP_DAY: FOLLOWUP_KEY, ANSWER_DAY: ANSWER_KEY}
COUNTERS = {FOLLOWUP_DAY: FOLLOWUP_COUNTERS, ANSWER_DAY: ANSWER_COUNTERS}
EVENTS = ("created", "missed", "completed")
DONE_OUTCOMES = ("reached", "unreachable")
# The survey service's definitions (services/survey/domain/satisfaction.py).
SATISFIED_FROM = 4
PROMOTER_FROM, DETRACTOR_TO = 9, 6

Contribution = dict[tuple, dict[str, int]]


def lock_key(task_id: str) -> int:
    """A signed 64-bit key for the transaction lock on one task's fact."""
    return int.from_bytes(hashlib.blake2b(f"followup:{task_id}".encode(),
                                          digest_size=8).digest(), "big", signed=True)


def _day(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(CHINA).date()


def first_group(groups) -> str:
    return groups[0] if groups else ""


def event_row(event: str, data: dict, at: datetime.datetime) -> dict:
    """One follow-up event (FollowupCreated / FollowupMissed / FollowupCompleted, loaded)
    as kept: `at` is when it happened (created: the event's time; missed: missed_at;
    completed: completed_at)."""
    return {"task_id": data["task_id"], "event": event, "at": at,
            "group_name": first_group(data.get("groups")),
            "agent_id": data.get("assignee_id") or "", "due_at": data["due_at"],
            "outcome": data.get("outcome"), "was_missed": bool(data.get("was_missed"))}


def task_events(task: dict) -> list[dict]:
    """A task as the survey has it now (ReportFollowup, loaded) as the events it told:
    created; missed when it was; completed when done reached or unreachable."""
    base = {"task_id": task["task_id"], "group_name": first_group(task.get("groups")),
            "agent_id": task.get("assignee_id") or "", "due_at": task["due_at"],
            "outcome": None, "was_missed": task.get("missed_at") is not None}
    out = [{**base, "event": "created", "at": task["created_at"], "was_missed": False}]
    if task.get("missed_at") is not None:
        out.append({**base, "event": "missed", "at": task["missed_at"], "was_missed": True})
    if task.get("outcome") in DONE_OUTCOMES and task.get("completed_at") is not None:
        out.append({**base, "event": "completed", "at": task["completed_at"],
                    "outcome": task["outcome"]})
    return out


def followup_fact(task_id: str, events: list[dict]) -> dict | None:
    """The fact of a task from its events (one per event name); None without any."""
    by_name = {e["event"]: e for e in events}
    if not by_name:
        return None
    latest = next(by_name[n] for n in ("completed", "missed", "created") if n in by_name)
    created, missed, completed = (by_name.get(n) for n in EVENTS)
    done = completed is not None and completed["outcome"] in DONE_OUTCOMES
    outcome = completed["outcome"] if done and completed else None
    on_time = bool(done and completed and missed is None and not completed["was_missed"]
                   and completed["at"] <= completed["due_at"])
    return {"task_id": task_id, "group_name": latest["group_name"] or "",
            "agent_id": latest["agent_id"] or "",
            "created_day": _day(created["at"]) if created else None,
            "due_day": _day(latest["due_at"]),
            "done_day": _day(completed["at"]) if done and completed else None,
            "missed_day": _day(missed["at"]) if missed else None,
            "reached": int(outcome == "reached"), "unreachable": int(outcome == "unreachable"),
            "on_time": int(on_time)}


def answer_fact(answer: dict) -> dict:
    """The fact of an answer (SurveyAnswered, loaded)."""
    csat, nps = answer.get("csat_score"), answer.get("nps_score")
    return {"answer_id": answer["answer_id"], "day": _day(answer["answered_at"]),
            "agent_id": answer.get("agent_id") or "",
            "group_name": answer.get("group_name") or "",
            "ticket_kind": answer.get("ticket_kind") or "", "source": answer["source"],
            "answers": 1, "csat_answers": int(csat is not None),
            "satisfied": int(csat is not None and csat >= SATISFIED_FROM),
            "nps_answers": int(nps is not None),
            "promoters": int(nps is not None and nps >= PROMOTER_FROM),
            "detractors": int(nps is not None and nps <= DETRACTOR_TO)}


def contribution(table: str, fact: dict | None) -> Contribution:
    """{key: counters} one fact adds to its rollup (None: nothing)."""
    if fact is None:
        return {}
    if table == ANSWER_DAY:
        return {tuple(fact[k] for k in ANSWER_KEY): {c: fact[c] for c in ANSWER_COUNTERS}}
    out: Contribution = {}

    def add(day, **counters) -> None:
        if day is None:
            return
        row = out.setdefault((day, fact["group_name"], fact["agent_id"]),
                             dict.fromkeys(FOLLOWUP_COUNTERS, 0))
        for name, n in counters.items():
            row[name] += n
    add(fact["created_day"], created=1)
    add(fact["due_day"], due=1)
    add(fact["done_day"], done=1, reached=fact["reached"], unreachable=fact["unreachable"],
        on_time=fact["on_time"])
    add(fact["missed_day"], missed=1)
    return out


def _summed(table: str, signed: list[tuple[int, dict | None]]) -> Contribution:
    out: Contribution = {}
    for sign, fact in signed:
        for key, counters in contribution(table, fact).items():
            row = out.setdefault(key, dict.fromkeys(COUNTERS[table], 0))
            for name, n in counters.items():
                row[name] += sign * n
    return {k: c for k, c in out.items() if any(c.values())}


def delta(table: str, old: dict | None, new: dict | None) -> Contribution:
    """What the rollup gains when a fact changes from `old` to `new`, rows summing to
    zero left out."""
    return _summed(table, [(1, new), (-1, old)])


def summed(table: str, facts: list[dict]) -> Contribution:
    """The reference: a rollup as the sum of the facts' contributions."""
    return _summed(table, [(1, f) for f in facts])


def rows(table: str, change: Contribution) -> list[tuple]:
    """(key..., counters...) rows in key order, as the store adds them."""
    return [(*key, *(change[key][c] for c in COUNTERS[table])) for key in sorted(change)]


# -- the figures as read (R2) --------------------------------------------------------------
FOLLOWUP_DIMENSIONS = {"group": "group_name", "agent": "agent_id"}
ANSWER_DIMENSIONS = {"agent": "agent_id", "group": "group_name", "kind": "ticket_kind",
                     "source": "source"}


def fields_of(by, dimensions: dict) -> list[str]:
    return [field for d, field in dimensions.items() if d in set(by)]


def _order(key: tuple) -> tuple:
    return tuple((v is not None, v or "") for v in key)


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def percent(part: int, whole: int) -> float | None:
    """As the survey's figures: per cent, one decimal (null: none behind it)."""
    return round(100.0 * part / whole, 1) if whole else None


def followup_figures(s: dict) -> list:
    return [s["created"], s["due"], s["done"], s["reached"], s["unreachable"], s["missed"],
            s["on_time"], rate(s["on_time"], s["done"])]


def answer_figures(s: dict) -> list:
    return [s["answers"], s["csat_answers"], s["satisfied"],
            percent(s["satisfied"], s["csat_answers"]), s["nps_answers"], s["promoters"],
            s["detractors"], s["nps_answers"] - s["promoters"] - s["detractors"],
            percent(s["promoters"] - s["detractors"], s["nps_answers"])]


FOLLOWUP_COLUMNS = ("created", "due", "done", "reached", "unreachable", "missed",
                    "done_on_time", "on_time_rate")
ANSWER_COLUMNS = ("answers", "csat_answers", "satisfied", "csat", "nps_answers",
                  "promoters", "detractors", "passives", "nps")


def table_of(found: list[dict], by, dimensions: dict, counters: tuple, finish, columns,
             first: datetime.date, last: datetime.date, period: str) -> dict:
    """{columns, rows}: every period of the range for every key found (zeros where
    none), in key then period order; each row: period, the grouped fields (null: ''),
    the figures.  Invalid naming `by` (else `from`) above MAX_POINTS rows."""
    fields = fields_of(by, dimensions)
    sums: dict = {}
    for r in found:
        key = tuple(r[f] or None for f in fields)
        point = sums.setdefault((r["period"], key), dict.fromkeys(counters, 0))
        for name in counters:
            point[name] += r[name] or 0
    keys = sorted({k for _, k in sums} or ({()} if not fields else set()), key=_order)
    starts = periods(first, last, period)
    if len(keys) * len(starts) > MAX_POINTS:
        raise Invalid("the answer would be too large",
                      {("by" if fields else "from"): [
                          f"{len(keys) * len(starts)} rows (keys × periods) above "
                          f"{MAX_POINTS}: group by less, or ask a shorter range or a "
                          "longer period"]})
    zero = dict.fromkeys(counters, 0)
    return {"columns": ["period", *fields, *columns],
            "rows": [[start.isoformat(), *key, *finish(sums.get((start, key), zero))]
                     for key in keys for start in starts]}


# -- the check against the owner (R4) ------------------------------------------------------
FOLLOWUP_CHECKED = ("created", "done", "reached", "unreachable", "missed")
ANSWER_CHECKED = ANSWER_COUNTERS
FOLLOWUP_KIND, ANSWER_KIND = "followups", "answers"


def _as_day(value) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def differences(kind: str, measures: tuple, ours: list[dict], owner: list[dict]) -> list[dict]:
    """Each (day, measure) where our counts and the owner's differ (a missing row counts
    0), named with `kind`."""
    mine = {_as_day(r["day"]): r for r in ours}
    theirs = {_as_day(r["day"]): r for r in owner}
    out = []
    for d in sorted(set(mine) | set(theirs)):
        a, b = mine.get(d, {}), theirs.get(d, {})
        for measure in measures:
            if (a.get(measure) or 0) != (b.get(measure) or 0):
                out.append({"day": d, "kind": kind, "measure": measure,
                            "ours": a.get(measure) or 0, "owner": b.get(measure) or 0})
    return out


def followup_differences(ours: list[dict], owner: list[dict]) -> list[dict]:
    return differences(FOLLOWUP_KIND, FOLLOWUP_CHECKED, ours, owner)


def answer_differences(ours: list[dict], owner: list[dict]) -> list[dict]:
    return differences(ANSWER_KIND, ANSWER_CHECKED, ours, owner)

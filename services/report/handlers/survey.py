"""Use cases of the follow-up 回访 and satisfaction 满意度 statistics (issue 13, R1, R2).

A live follow-up event is stored once per (task, event); the task's fact is merged again
from every event seen of it and the rollup gains the delta, in one transaction under the
task's lock — so duplicates and order change nothing.  An answer is counted once, as
told.  A rebuild's pages (the survey service's report_followups / report_answers) keep
facts only (stamped with its generation); its end corrects the rollups
(handlers/rebuild.py).  The figures are read from the rollups in the caller's scope: an
agent their own, a supervisor their groups', managers up, admins and auditors all.
"""
import datetime

from services.common.errors import NotFound
from services.common.identity import Principal
from services.report.domain import figures as figure_rules
from services.report.domain import survey as rules
from services.report.store import facts as fact_store
from services.report.store import survey as store
from services.survey.contract.report_feed import ReportAnswers, ReportFollowups

FOLLOWUPS, ANSWERS = "followups", "answers"  # feed sources (as_of)


def _lag(occurred_at: datetime.datetime) -> float:
    return max(0.0, (datetime.datetime.now(datetime.UTC) - occurred_at).total_seconds())


def _merge(cur, task_ids: list[str], generation: int) -> list[tuple]:
    """Each task's fact merged again from its events and kept; the (old, new) pairs."""
    events: dict = {t: [] for t in task_ids}
    for e in store.events_of(cur, task_ids):
        events[e["task_id"]].append(e)
    kept = {f["task_id"]: f for f in store.tasks_of(cur, task_ids)}
    pairs = [(kept.get(t), rules.followup_fact(t, events[t])) for t in task_ids]
    store.put_tasks(cur, [new for _, new in pairs if new is not None], generation)
    return pairs


def followup_event(tx, event: str, data: dict, occurred_at: datetime.datetime) -> float:
    """A live follow-up event (created / missed / completed, loaded): kept once, the
    task's fact merged and the rollup kept by the delta; the feed advanced.  The lag."""
    at = {"created": data.get("created_at"), "missed": data.get("missed_at"),
          "completed": data.get("completed_at")}[event] or occurred_at
    row = rules.event_row(event, data, at)
    cur = tx.cur
    fact_store.lock_briefly(cur)
    store.lock_tasks(cur, [rules.lock_key(row["task_id"])])
    generation = fact_store.current_generation(cur)
    if store.put_events(cur, [row]):
        [(old, new)] = _merge(cur, [row["task_id"]], generation)
        store.add(cur, rules.FOLLOWUP_DAY,
                  rules.rows(rules.FOLLOWUP_DAY, rules.delta(rules.FOLLOWUP_DAY, old, new)))
    else:  # seen already: nothing changes but the rebuild's mark
        store.stamp_tasks(cur, [row["task_id"]], generation)
    fact_store.advance_feed(cur, FOLLOWUPS, occurred_at)
    return _lag(occurred_at)


def survey_answered(tx, answer: dict, occurred_at: datetime.datetime) -> float:
    """A live answer (SurveyAnswered, loaded): counted once; the feed advanced."""
    cur = tx.cur
    fact = rules.answer_fact(answer)
    if store.put_answers(cur, [fact], fact_store.current_generation(cur)):
        store.add(cur, rules.ANSWER_DAY,
                  rules.rows(rules.ANSWER_DAY, rules.delta(rules.ANSWER_DAY, None, fact)))
    fact_store.advance_feed(cur, ANSWERS, occurred_at)
    return _lag(occurred_at)


def keep_followups(tx, tasks: list[dict], generation: int) -> int:
    """A rebuild's page of tasks (ReportFollowup, loaded): their events kept, each task's
    fact merged again and stamped — no rollup touched.  Locked in key order."""
    cur = tx.cur
    ids = sorted({t["task_id"] for t in tasks})
    store.lock_tasks(cur, sorted({rules.lock_key(t) for t in ids}))
    store.put_events(cur, [e for t in tasks for e in rules.task_events(t)])
    _merge(cur, ids, generation)
    return len(ids)


def keep_answers(tx, answers: list[dict], generation: int) -> int:
    """A rebuild's page of answers: each fact kept or stamped, no rollup touched."""
    facts = {a["answer_id"]: rules.answer_fact(a) for a in answers}
    store.put_answers(tx.cur, [facts[k] for k in sorted(facts)], generation)
    return len(facts)


# -- the figures (R2) ------------------------------------------------------------------------
def _scoped(tx, principal: Principal, query: dict, fields: tuple) -> tuple[dict, list | None]:
    """The filters with the caller's scope applied, and the groups it limits to
    (NotFound: a filter out of scope)."""
    scope = figure_rules.scope_of(principal.id, principal.roles, principal.groups)
    filters = {f: query.get(f) for f in fields}
    figure_rules.within_scope(scope, filters)
    if scope.agent_id:
        filters["agent_id"] = scope.agent_id
    groups = list(scope.groups) if scope.groups is not None else None
    agent = filters.get("agent_id")
    if groups is not None and agent and not store.agent_in_groups(tx.cur, agent, groups):
        raise NotFound("no such agent in your scope")
    return filters, groups


def _as_of(tx, source: str):
    position = fact_store.feed_position(tx.cur, source)
    return position["last_occurred_at"] if position else None


def followup_figures(tx, principal: Principal, query: dict) -> dict:
    """SurveyFigures of the follow-ups, in the caller's scope."""
    first, last, period = query["from_day"], query["to_day"], query["period"]
    figure_rules.check_range(first, last)
    by = tuple(dict.fromkeys(query["by"]))
    filters, groups = _scoped(tx, principal, query, ("group_name", "agent_id"))
    found = store.followup_counts(tx.cur, by, period, first, last, filters, groups)
    table = rules.table_of(found, by, rules.FOLLOWUP_DIMENSIONS, rules.FOLLOWUP_COUNTERS,
                           rules.followup_figures, rules.FOLLOWUP_COLUMNS, first, last,
                           period)
    return {"from_day": first, "to_day": last, "period": period,
            "as_of": _as_of(tx, FOLLOWUPS), **table}


def satisfaction_figures(tx, principal: Principal, query: dict) -> dict:
    """SurveyFigures of the answers (CSAT, NPS), in the caller's scope."""
    first, last, period = query["from_day"], query["to_day"], query["period"]
    figure_rules.check_range(first, last)
    by = tuple(dict.fromkeys(query["by"]))
    filters, groups = _scoped(tx, principal, query,
                              ("group_name", "agent_id", "ticket_kind", "source"))
    found = store.answer_counts(tx.cur, by, period, first, last, filters, groups)
    table = rules.table_of(found, by, rules.ANSWER_DIMENSIONS, rules.ANSWER_COUNTERS,
                           rules.answer_figures, rules.ANSWER_COLUMNS, first, last, period)
    return {"from_day": first, "to_day": last, "period": period,
            "as_of": _as_of(tx, ANSWERS), **table}


# -- the rebuild and the check (handlers/rebuild.py SOURCES, CHECKS) ----------------------
FOLLOWUP_PAGE, ANSWER_PAGE = ReportFollowups(), ReportAnswers()


def keep_followup_page(tx, records: list, generation: int, settings: dict) -> int:
    """A page of the survey's report_followups, checked by its schema, kept."""
    return keep_followups(tx, FOLLOWUP_PAGE.load({"followups": records})["followups"],
                          generation)


def keep_answer_page(tx, records: list, generation: int, settings: dict) -> int:
    """A page of the survey's report_answers, checked by its schema, kept."""
    return keep_answers(tx, ANSWER_PAGE.load({"answers": records})["answers"], generation)


def followup_sums(cur, first, last) -> list:
    """Per day: created, done, reached, unreachable, missed (the check's measures)."""
    return store.followup_day_sums(cur, first, last)


def answer_sums(cur, first, last) -> list:
    """Per day: answers, CSAT answers, satisfied, NPS answers, promoters, detractors."""
    return store.answer_day_sums(cur, first, last)


TABLES = rules.TABLES
followup_differences = rules.followup_differences
answer_differences = rules.answer_differences

"""The report feed (issue 13): what the report service's system identity reads to
rebuild its follow-up and satisfaction facts and check its rollups (the contract lines
allow no one else)."""
import datetime

from services.common.identity import Principal
from services.common.zone import day_start
from services.survey.store import report_feed as store


def _page(rows: list, limit: int, key: str, id_field: str) -> dict:
    """A keyset page from up to limit + 1 rows by id: `next` the last id given when more
    follow, else None."""
    shown = rows[:limit]
    return {key: shown, "next": shown[-1][id_field] if len(rows) > limit else None}


def report_followups(tx, principal: Principal, page: dict) -> dict:
    """A page of every follow-up task as counted, by id after `after`."""
    after = str(page["after"]) if page["after"] else None
    return _page(store.followup_page(tx.cur, after, page["limit"] + 1), page["limit"],
                 "followups", "task_id")


def report_answers(tx, principal: Principal, page: dict) -> dict:
    """A page of every answer (ids, source, scores), by id after `after`."""
    after = str(page["after"]) if page["after"] else None
    return _page(store.answer_page(tx.cur, after, page["limit"] + 1), page["limit"],
                 "answers", "answer_id")


def _period(query: dict) -> tuple[datetime.datetime, datetime.datetime]:
    return day_start(query["from_"]), day_start(query["to"] + datetime.timedelta(days=1))


def report_followup_counts(tx, principal: Principal, query: dict) -> dict:
    """The survey's own follow-up counts by China day over [from, to]."""
    return {"counts": store.followup_counts(tx.cur, *_period(query))}


def report_answer_counts(tx, principal: Principal, query: dict) -> dict:
    """The survey's own answer counts by China day over [from, to]."""
    return {"counts": store.answer_counts(tx.cur, *_period(query))}

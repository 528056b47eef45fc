"""Use cases of answers (V3) and satisfaction figures (V4).

- record_answers   an agent's answers to a published version (source agent)
- ivr_rating       the telephony's post after a call: offered, and the key if one came
- issue_survey_link  a personal link for one customer; link_questionnaire / submit_link
                   are the public page's two steps, by token only
- satisfaction     CSAT and NPS, grouped, from the one SQL aggregate
- customer_destroyed / customer_merged   C6 / C8

Each new answer emits survey_answered (ids, source, scores and level: no words).
"""
import datetime
import uuid

from services.common.errors import Conflict, Invalid, TooManyRequests, Unavailable
from services.common.identity import Principal
from services.common.ids import parse_id
from services.common.zone import day_start
from services.survey.contract.answers import MAX_TOKEN, LinkInvalid, LinkUsed, SurveyAnswered
from services.survey.domain import links
from services.survey.domain import questionnaires as rules
from services.survey.domain import satisfaction as figures_rules
from services.survey.domain import tasks as task_rules
from services.survey.handlers.questionnaires import newest_published, published
from services.survey.handlers.report_feed import tell_offer
from services.survey.store import answers as store
from services.survey.store import tasks as task_store
from services.vocabulary import ADMINS, AUDITOR, MANAGERS_UP

SURVEY_ANSWERED = SurveyAnswered()
EVERYTHING = MANAGERS_UP | ADMINS | {AUDITOR}  # read every group's figures


def _shown(row: dict) -> dict:
    """An answer as read: its choices and numbers with its free text (erased: none)."""
    level = (rules.LEVEL_OF_SCORE.get(row["csat_score"])
             if row["csat_score"] is not None else None)
    return {**row, "answers": {**row["answers"], **row["texts"]}, "level": level}


def _emit(tx, answer_id: str) -> dict:
    row = store.get_answer(tx.cur, answer_id)
    tx.emit("survey_answered", SURVEY_ANSWERED.dump({
        **{k: row[k] for k in ("source", "questionnaire_id", "version", "customer_id",
                               "agent_id", "group_name", "ticket_id", "task_id", "call_id",
                               "ticket_kind", "category_id", "csat_score", "nps_score",
                               "answered_at")},
        "answer_id": row["id"],
        "level": rules.LEVEL_OF_SCORE.get(row["csat_score"])
        if row["csat_score"] is not None else None}))
    return _shown(row)


def _context(data: dict) -> dict:
    return {k: data.get(k) for k in rules.CONTEXT}


def _checked_context(tx, principal: Principal, data: dict) -> dict:
    """Whom an agent's answer or a link counts for (domain answer_context): a follow-up
    task's own agent, group, ticket and customer — the task read in the caller's scope,
    else NotFound — or the caller and a group of theirs."""
    task = None
    if data.get("task_id"):
        task_id = parse_id(data["task_id"], "follow-up task")
        task = task_rules.found(task_store.get(tx.cur, task_id, task_rules.scope(principal)))
    return rules.answer_context(principal, data, task)


# -- by an agent -------------------------------------------------------------------------
def record_answers(tx, principal: Principal, data: dict, idempotency_key: str | None) -> dict:
    """The answer stored once (a repeated Idempotency-Key answers the first)."""
    task_rules.check_key(idempotency_key)
    who = principal.id
    if idempotency_key:
        earlier = store.answer_by_key(tx.cur, who, idempotency_key)
        if earlier is not None:
            return _shown(earlier)
    version = published(tx, str(data["questionnaire_id"]))
    checked = rules.check_answers(version["questions"], data["answers"])
    context = _checked_context(tx, principal, data)
    answer_id = store.insert_answer(tx.cur, {
        **context, "source": "agent",
        "questionnaire_id": version["id"], "call_id": data.get("call_id"),
        "csat_score": checked["csat_score"], "nps_score": checked["nps_score"],
        "answers": checked["values"], "texts": checked["texts"], "answered_by": who,
        "idempotency_key": idempotency_key})
    if answer_id is None and idempotency_key:  # the same key, a moment ago, elsewhere
        return _shown(store.answer_by_key(tx.cur, who, idempotency_key))
    if answer_id is None:
        raise Conflict("this answer conflicts with one already stored")
    return _emit(tx, answer_id)


# -- IVR keypad ratings ------------------------------------------------------------------
def ivr_mapping(tx) -> dict:
    return {"keys": store.ivr_mapping(tx.cur)}


def set_ivr_mapping(tx, principal: Principal, keys: dict) -> dict:
    levels = set(keys.values())
    if not levels & {"very_satisfied", "satisfied"}:
        raise Invalid("the mapping needs a satisfied key", {"keys": ["no satisfied level"]})
    store.replace_ivr_mapping(tx.cur, keys, principal.username or principal.id)
    return ivr_mapping(tx)


def ivr_rating(tx, principal: Principal, data: dict) -> dict:
    """Offered (always) and rated (with a key), once per call id: a second post of a
    call changes nothing (`duplicate`).  A key outside the mapping is Invalid naming
    `key`, and nothing is stored."""
    call_id, key = data["call_id"], data.get("key")
    level = store.ivr_mapping(tx.cur).get(key) if key is not None else None
    if key is not None and level is None:
        raise Invalid("this key means nothing in the keypad mapping",
                      {"key": [f"not one of the mapped keys ({key!r})"]})
    fresh = store.offer_call(tx.cur, data)
    answer_id = None
    if level is not None and store.ivr_answer(tx.cur, call_id) is None:
        answer_id = store.insert_answer(tx.cur, {
            **_context(data), "source": "ivr", "agent_id": data.get("agent_id"),
            "call_id": call_id, "csat_score": figures_rules.LEVEL_SCORES[level],
            "ivr_key": key, "answered_by": principal.id, "answered_at": data.get("at")})
    if answer_id is not None:
        store.mark_rated(tx.cur, call_id)
    if fresh or answer_id is not None:  # the report's 满意度发送率: the offer as kept
        tell_offer(tx, call_id)
    if answer_id is not None:
        _emit(tx, answer_id)
        return {"call_id": call_id, "rated": True, "level": level, "answer_id": answer_id,
                "duplicate": False}
    kept = store.ivr_answer(tx.cur, call_id)  # rated before, or not at all
    return {"call_id": call_id, "rated": kept is not None,
            "level": rules.LEVEL_OF_SCORE.get(kept["csat_score"]) if kept else None,
            "answer_id": kept["id"] if kept else None,
            "duplicate": not fresh or (kept is not None and level is not None)}


# -- personal links ----------------------------------------------------------------------
def _secret(secret: str | None) -> str:
    if not secret:
        raise Unavailable("survey links are not configured (no link secret)")
    return secret


def issue_survey_link(tx, principal: Principal, secret: str | None, data: dict,
                      idempotency_key: str | None = None) -> dict:
    """A signed link for one customer and one published version (by id, or the newest
    of a name), until ttl_hours; whom its answer counts for as for an agent's answer
    (_checked_context).  A repeated idempotency key of the same issuer answers the
    first link (notify retrying after a lost answer makes no second link).  The token
    goes to system callers only (notify sends it): a staff caller gets the link's id
    and expiry, never a token to answer in the customer's name."""
    secret = _secret(secret)
    task_rules.check_key(idempotency_key)
    issuer = principal.username or principal.id
    row = store.link_by_key(tx.cur, issuer, idempotency_key) if idempotency_key else None
    if row is None:
        version = published(tx, str(data["questionnaire_id"])) \
            if data.get("questionnaire_id") else newest_published(tx, data["questionnaire_name"])
        context = _checked_context(tx, principal, data)
        expires = links.expires_at(store.now(tx.cur), data["ttl_hours"])
        row = store.insert_link(tx.cur, {
            **context, "questionnaire_id": version["id"],
            "greeting_name": data["greeting_name"], "expires_at": expires},
            issuer, idempotency_key)
        if row is None and idempotency_key:  # the same key, a moment ago, elsewhere
            row = store.link_by_key(tx.cur, issuer, idempotency_key)
    issued = {"link_id": row["id"], "expires_at": row["expires_at"]}
    if principal.is_system:
        issued["token"] = links.sign(secret, row["id"], row["expires_at"])
    return issued


def _open(tx, secret: str, token: str, client_key: str, limits: tuple[int, int],
          lock: bool) -> dict:
    """The link a token names, or a refusal: too many bad tokens from this client
    (before anything else), invalid (counted against the client), expired, used.  The
    client's count is read with its row locked (the client's tries queue up), so
    parallel tries cannot all pass a count just under the limit."""
    limit, window = limits
    now = store.now(tx.cur)
    start = links.window_start(now, window)
    if links.blocked(store.lock_bad_tokens(tx.cur, client_key, start), limit):
        raise TooManyRequests("too many wrong survey links from here; try again later")
    if len(token) > MAX_TOKEN:  # no token of ours is that long
        raise LinkInvalid("this survey link is not valid", {"token": ["link_invalid"]})
    link_id = links.verify(secret, token, now)
    try:
        link_id = str(uuid.UUID(link_id))
    except ValueError:
        raise LinkInvalid("this survey link is not valid", {"token": ["link_invalid"]}) \
            from None
    link = store.get_link(tx.cur, link_id, lock=lock)
    if link is None:
        raise LinkInvalid("this survey link is not valid", {"token": ["link_invalid"]})
    if link["used_at"] is not None:
        raise LinkUsed("this survey link was already used", {"token": ["link_used"]})
    if link["expired"]:
        raise links.expired()
    return link


def _guarded(db, secret: str | None, data: dict, limits: tuple[int, int], work,
             lock: bool = False):
    """Run work(tx, link) on the token's link; a bad token is counted (committed) and
    then refused."""
    secret = _secret(secret)
    refusal = None
    with db.transaction() as tx:
        try:
            link = _open(tx, secret, data["token"], data["client_key"], limits, lock)
        except LinkInvalid as exc:
            start = links.window_start(store.now(tx.cur), limits[1])
            store.count_bad_token(tx.cur, data["client_key"], start)
            refusal = exc
        else:
            return work(tx, link)
    raise refusal


def link_questionnaire(db, secret: str | None, data: dict, limits: tuple[int, int]) -> dict:
    """The questionnaire behind a link and the greeting: nothing else of the customer."""
    def show(tx, link):
        version = published(tx, link["questionnaire_id"])
        return {"title": version["title"], "description": version["description"],
                "greeting_name": link["greeting_name"],
                "questions": rules.public_questions(version["questions"]),
                "expires_at": link["expires_at"]}
    return _guarded(db, secret, data, limits, show)


def submit_link(db, secret: str | None, data: dict, limits: tuple[int, int]) -> dict:
    """The customer's answers, once: the link is used in the same transaction."""
    def submit(tx, link):
        version = published(tx, link["questionnaire_id"])
        checked = rules.check_answers(version["questions"], data["answers"])
        answer_id = store.insert_answer(tx.cur, {
            **{k: link[k] for k in ("customer_id", "ticket_id", "task_id", "group_name",
                                    "ticket_kind", "category_id", "agent_id")},
            "source": "link", "questionnaire_id": version["id"], "link_id": link["id"],
            "csat_score": checked["csat_score"], "nps_score": checked["nps_score"],
            "answers": checked["values"], "texts": checked["texts"]})
        if answer_id is None:
            raise LinkUsed("this survey link was already used", {"token": ["link_used"]})
        store.use_link(tx.cur, link["id"])
        _emit(tx, answer_id)
        return {"answered": True}
    return _guarded(db, secret, data, limits, submit, lock=True)


# -- figures (V4) ------------------------------------------------------------------------
def satisfaction(tx, principal: Principal, query: dict) -> dict:
    """CSAT and NPS by the chosen dimensions and period, with the counts behind them;
    and the keypad's offered / rated calls.  A supervisor sees their groups' only."""
    by = tuple(dict.fromkeys(query["by"]))
    groups = None if principal.has_any(EVERYTHING) else sorted(principal.groups)
    first, last = query.get("from_"), query.get("to")
    if first and last and first > last:
        raise Invalid("the period ends before it starts", {"to": ["before from"]})
    query = {**query, "from_day": first, "to_day": last,
             "from": day_start(first) if first else None,
             "to": day_start(last + datetime.timedelta(days=1)) if last else None}
    monthly = figures_rules.monthly(by, query["period"], query)  # the small rollups do
    # Rows come as tuples in key order (the SQL sorts as the domain's sort_key does):
    # a 1,200-figure answer is built in a few milliseconds.
    rows = store.satisfaction_counts(tx.cur, by, query["period"], query, groups, monthly)
    offers = store.ivr_counts(tx.cur, by, query["period"], query, groups, monthly)
    return {"figures": [figures_rules.figure(*row) for row in rows],
            "ivr": [figures_rules.ivr_share(*row) for row in offers]}


# -- customers ---------------------------------------------------------------------------
def customer_destroyed(tx, customer_id: str) -> None:
    """C6: the customer's free-text answers and greeting name go; open links end."""
    store.erase_customer(tx.cur, customer_id)


def customer_merged(tx, merged_id: str, survivor_id: str) -> None:
    """C8: the merged-away customer's answers and links now belong to the survivor."""
    store.repoint_customer(tx.cur, merged_id, survivor_id)

"""All SQL of answers, the IVR mapping and offers, survey links and bad-token counts
(migration 0002), and the satisfaction aggregate (V4)."""
from typing import Any

from psycopg2.extras import Json

from services.common.db import tuple_cursor

_ANSWER = (
    "SELECT a.id::text AS id, a.source, a.questionnaire_id::text AS questionnaire_id,"
    " q.name AS questionnaire_name, q.version, a.customer_id, a.agent_id, a.group_name,"
    " a.ticket_id, a.task_id, a.call_id, a.ticket_kind, a.category_id, a.csat_score,"
    " a.nps_score, a.answers, a.texts, a.erased_at IS NOT NULL AS erased, a.answered_at"
    " FROM answer a LEFT JOIN questionnaire q ON q.id = a.questionnaire_id")


def get_answer(cur, answer_id: str) -> Any:
    cur.execute(_ANSWER + " WHERE a.id = %s", (answer_id,))
    return cur.fetchone()


def answer_by_key(cur, answered_by: str, key: str) -> Any:
    cur.execute(_ANSWER + " WHERE a.answered_by = %s AND a.idempotency_key = %s",
                (answered_by, key))
    return cur.fetchone()


def insert_answer(cur, a: dict) -> str | None:
    """The new answer's id; None when its call (IVR), link or idempotency key already
    has one."""
    cur.execute(
        "INSERT INTO answer (source, questionnaire_id, customer_id, agent_id, group_name,"
        " ticket_id, task_id, call_id, link_id, ticket_kind, category_id, csat_score,"
        " nps_score, ivr_key, answers, texts, answered_by, idempotency_key, answered_at)"
        " VALUES (%(source)s, %(questionnaire_id)s, %(customer_id)s, %(agent_id)s,"
        " %(group_name)s, %(ticket_id)s, %(task_id)s, %(call_id)s, %(link_id)s,"
        " %(ticket_kind)s, %(category_id)s, %(csat_score)s, %(nps_score)s, %(ivr_key)s,"
        " %(answers)s, %(texts)s, %(answered_by)s, %(idempotency_key)s,"
        " coalesce(%(answered_at)s, now()))"
        " ON CONFLICT DO NOTHING RETURNING id::text",
        {"questionnaire_id": None, "customer_id": None, "agent_id": None, "group_name": None,
         "ticket_id": None, "task_id": None, "call_id": None, "link_id": None,
         "ticket_kind": None, "category_id": None, "csat_score": None, "nps_score": None,
         "ivr_key": None, "answered_by": None, "idempotency_key": None,
         "answered_at": None,
         **a, "answers": Json(a.get("answers") or {}), "texts": Json(a.get("texts") or {})})
    row = cur.fetchone()
    return row["id"] if row else None


# -- IVR ---------------------------------------------------------------------------------
def ivr_mapping(cur) -> dict[str, str]:
    cur.execute("SELECT key, level FROM ivr_mapping ORDER BY key")
    return {r["key"]: r["level"] for r in cur.fetchall()}


def replace_ivr_mapping(cur, keys: dict[str, str], by: str) -> None:
    cur.execute("DELETE FROM ivr_mapping")
    for key, level in sorted(keys.items()):
        cur.execute("INSERT INTO ivr_mapping (key, level, updated_by) VALUES (%s, %s, %s)",
                    (key, level, by))


def offer_call(cur, r: dict) -> bool:
    """Record that a call was offered a rating; False when it already was."""
    cur.execute(
        "INSERT INTO ivr_offer (call_id, agent_id, group_name, ticket_id, ticket_kind,"
        " category_id, offered_at)"
        " VALUES (%(call_id)s, %(agent_id)s, %(group_name)s, %(ticket_id)s, %(ticket_kind)s,"
        " %(category_id)s, coalesce(%(at)s, now()))"
        " ON CONFLICT (call_id) DO NOTHING RETURNING call_id", r)
    return cur.fetchone() is not None


def mark_rated(cur, call_id: str) -> None:
    cur.execute("UPDATE ivr_offer SET rated = true WHERE call_id = %s", (call_id,))


def ivr_answer(cur, call_id: str) -> Any:
    cur.execute("SELECT id::text AS id, csat_score FROM answer"
                " WHERE source = 'ivr' AND call_id = %s", (call_id,))
    return cur.fetchone()


# -- links -------------------------------------------------------------------------------
def insert_link(cur, link: dict, issued_by: str, key: str | None = None) -> Any:
    """The new link's id and expiry; None when the issuer's idempotency key has one."""
    cur.execute(
        "INSERT INTO survey_link (questionnaire_id, customer_id, greeting_name, agent_id,"
        " group_name, ticket_id, task_id, ticket_kind, category_id, issued_by, expires_at,"
        " idempotency_key)"
        " VALUES (%(questionnaire_id)s, %(customer_id)s, %(greeting_name)s, %(agent_id)s,"
        " %(group_name)s, %(ticket_id)s, %(task_id)s, %(ticket_kind)s, %(category_id)s,"
        " %(issued_by)s, %(expires_at)s, %(key)s) ON CONFLICT DO NOTHING"
        " RETURNING id::text AS id, expires_at",
        {**link, "issued_by": issued_by, "key": key})
    return cur.fetchone()


def link_by_key(cur, issued_by: str, key: str) -> Any:
    """The link an issuer made with this idempotency key (migration 0005), or None."""
    cur.execute("SELECT id::text AS id, expires_at FROM survey_link"
                " WHERE issued_by = %s AND idempotency_key = %s", (issued_by, key))
    return cur.fetchone()


_LINK = (
    "SELECT l.id::text AS id, l.questionnaire_id::text AS questionnaire_id,"
    " l.customer_id, l.greeting_name, l.agent_id, l.group_name, l.ticket_id, l.task_id,"
    " l.ticket_kind, l.category_id, l.expires_at, l.used_at, l.expires_at <= now() AS expired"
    " FROM survey_link l WHERE l.id = %s")


def get_link(cur, link_id: str, lock: bool = False) -> Any:
    """A link; locked for its use (`lock`: two submits of one link queue up)."""
    cur.execute(_LINK + " FOR UPDATE" if lock else _LINK, (link_id,))
    return cur.fetchone()


def use_link(cur, link_id: str) -> None:
    cur.execute("UPDATE survey_link SET used_at = now() WHERE id = %s", (link_id,))


def now(cur):
    cur.execute("SELECT now() AS now")
    return cur.fetchone()["now"]


def lock_bad_tokens(cur, client_key: str, window_start) -> int:
    """The key's bad tokens in this window, its row locked for this transaction: the
    key's tries queue up here, so the count read is the gate (older windows of the key
    go)."""
    cur.execute("DELETE FROM link_guess WHERE client_key = %s AND window_start < %s",
                (client_key, window_start))
    cur.execute(
        "INSERT INTO link_guess (client_key, window_start, bad) VALUES (%s, %s, 0)"
        " ON CONFLICT (client_key, window_start) DO UPDATE SET bad = link_guess.bad"
        " RETURNING bad", (client_key, window_start))
    return cur.fetchone()["bad"]


def count_bad_token(cur, client_key: str, window_start) -> int:
    """One more bad token for this key in this window (its row locked by
    lock_bad_tokens)."""
    cur.execute("UPDATE link_guess SET bad = bad + 1 WHERE client_key = %s"
                " AND window_start = %s RETURNING bad", (client_key, window_start))
    return cur.fetchone()["bad"]


# -- customers (C6, C8) ------------------------------------------------------------------
def erase_customer(cur, customer_id: str) -> None:
    """Free-text answers and the greeting name go; unused links end now."""
    cur.execute("UPDATE answer SET texts = '{}'::jsonb, erased_at = coalesce(erased_at, now())"
                " WHERE customer_id = %s", (customer_id,))
    cur.execute("UPDATE survey_link SET greeting_name = '',"
                " expires_at = least(expires_at, now()) WHERE customer_id = %s", (customer_id,))


def repoint_customer(cur, merged_id: str, survivor_id: str) -> None:
    cur.execute("UPDATE answer SET customer_id = %s WHERE customer_id = %s",
                (survivor_id, merged_id))
    cur.execute("UPDATE survey_link SET customer_id = %s WHERE customer_id = %s",
                (survivor_id, merged_id))


# -- satisfaction (V4) -------------------------------------------------------------------
SATISFACTION_COUNTS = """
SELECT to_char(CASE %(period)s WHEN 'day' THEN s.day WHEN 'week' THEN s.week
                   WHEN 'month' THEN s.month END, 'YYYY-MM-DD') COLLATE "C" AS period,
       CASE WHEN %(by_agent)s THEN nullif(s.agent_id, '') END COLLATE "C" AS agent_id,
       CASE WHEN %(by_group)s THEN nullif(s.group_name, '') END COLLATE "C" AS group_name,
       CASE WHEN %(by_kind)s THEN nullif(s.ticket_kind, '') END COLLATE "C" AS ticket_kind,
       CASE WHEN %(by_category)s THEN nullif(s.category_id, '') END COLLATE "C"
           AS category_id,
       CASE WHEN %(by_source)s THEN s.source END COLLATE "C" AS source,
       sum(s.csat_answers)::int AS csat_answers, sum(s.satisfied)::int AS satisfied,
       sum(s.nps_answers)::int AS nps_answers, sum(s.promoters)::int AS promoters,
       sum(s.detractors)::int AS detractors
  FROM satisfaction_day s
 WHERE (%(from_day)s::date IS NULL OR s.day >= %(from_day)s)
   AND (%(to_day)s::date IS NULL OR s.day <= %(to_day)s)
   AND (%(agent_id)s::text IS NULL OR s.agent_id = %(agent_id)s)
   AND (%(group_name)s::text IS NULL OR s.group_name = %(group_name)s)
   AND (%(ticket_kind)s::text IS NULL OR s.ticket_kind = %(ticket_kind)s)
   AND (%(category_id)s::text IS NULL OR s.category_id = %(category_id)s)
   AND (%(source)s::text IS NULL OR s.source = %(source)s)
   AND (%(groups)s::text[] IS NULL OR s.group_name = ANY (%(groups)s::text[]))
 GROUP BY 1, 2, 3, 4, 5, 6
 ORDER BY 1 NULLS FIRST, 2 NULLS FIRST, 3 NULLS FIRST, 4 NULLS FIRST, 5 NULLS FIRST,
          6 NULLS FIRST
"""

# The same from the monthly rollups (migration 0006): by month or all, agent, group and
# source only, whole months (domain/satisfaction.py `monthly` says when).
SATISFACTION_MONTHLY = """
SELECT to_char(CASE %(period)s WHEN 'month' THEN s.month END, 'YYYY-MM-DD') COLLATE "C"
           AS period,
       CASE WHEN %(by_agent)s THEN nullif(s.agent_id, '') END COLLATE "C" AS agent_id,
       CASE WHEN %(by_group)s THEN nullif(s.group_name, '') END COLLATE "C" AS group_name,
       NULL::text AS ticket_kind, NULL::text AS category_id,
       CASE WHEN %(by_source)s THEN s.source END COLLATE "C" AS source,
       sum(s.csat_answers)::int AS csat_answers, sum(s.satisfied)::int AS satisfied,
       sum(s.nps_answers)::int AS nps_answers, sum(s.promoters)::int AS promoters,
       sum(s.detractors)::int AS detractors
  FROM satisfaction_month s
 WHERE (%(from_day)s::date IS NULL OR s.month >= %(from_day)s)
   AND (%(to_day)s::date IS NULL OR s.month <= %(to_day)s)
   AND (%(agent_id)s::text IS NULL OR s.agent_id = %(agent_id)s)
   AND (%(group_name)s::text IS NULL OR s.group_name = %(group_name)s)
   AND (%(source)s::text IS NULL OR s.source = %(source)s)
   AND (%(groups)s::text[] IS NULL OR s.group_name = ANY (%(groups)s::text[]))
 GROUP BY 1, 2, 3, 4, 5, 6
 ORDER BY 1 NULLS FIRST, 2 NULLS FIRST, 3 NULLS FIRST, 4 NULLS FIRST, 5 NULLS FIRST,
          6 NULLS FIRST
"""

IVR_MONTHLY = """
SELECT to_char(CASE %(period)s WHEN 'month' THEN s.month END, 'YYYY-MM-DD') COLLATE "C"
           AS period,
       CASE WHEN %(by_agent)s THEN nullif(s.agent_id, '') END COLLATE "C" AS agent_id,
       CASE WHEN %(by_group)s THEN nullif(s.group_name, '') END COLLATE "C" AS group_name,
       NULL::text AS ticket_kind, NULL::text AS category_id,
       sum(s.offered)::int AS offered, sum(s.rated)::int AS rated
  FROM ivr_offer_month s
 WHERE (%(from_day)s::date IS NULL OR s.month >= %(from_day)s)
   AND (%(to_day)s::date IS NULL OR s.month <= %(to_day)s)
   AND (%(agent_id)s::text IS NULL OR s.agent_id = %(agent_id)s)
   AND (%(group_name)s::text IS NULL OR s.group_name = %(group_name)s)
   AND (%(groups)s::text[] IS NULL OR s.group_name = ANY (%(groups)s::text[]))
 GROUP BY 1, 2, 3, 4, 5
 ORDER BY 1 NULLS FIRST, 2 NULLS FIRST, 3 NULLS FIRST, 4 NULLS FIRST, 5 NULLS FIRST
"""

IVR_COUNTS = """
SELECT to_char(CASE %(period)s WHEN 'day' THEN s.day WHEN 'week' THEN s.week
                   WHEN 'month' THEN s.month END, 'YYYY-MM-DD') COLLATE "C" AS period,
       CASE WHEN %(by_agent)s THEN nullif(s.agent_id, '') END COLLATE "C" AS agent_id,
       CASE WHEN %(by_group)s THEN nullif(s.group_name, '') END COLLATE "C" AS group_name,
       CASE WHEN %(by_kind)s THEN nullif(s.ticket_kind, '') END COLLATE "C" AS ticket_kind,
       CASE WHEN %(by_category)s THEN nullif(s.category_id, '') END COLLATE "C"
           AS category_id,
       sum(s.offered)::int AS offered, sum(s.rated)::int AS rated
  FROM ivr_offer_day s
 WHERE (%(from_day)s::date IS NULL OR s.day >= %(from_day)s)
   AND (%(to_day)s::date IS NULL OR s.day <= %(to_day)s)
   AND (%(agent_id)s::text IS NULL OR s.agent_id = %(agent_id)s)
   AND (%(group_name)s::text IS NULL OR s.group_name = %(group_name)s)
   AND (%(ticket_kind)s::text IS NULL OR s.ticket_kind = %(ticket_kind)s)
   AND (%(category_id)s::text IS NULL OR s.category_id = %(category_id)s)
   AND (%(groups)s::text[] IS NULL OR s.group_name = ANY (%(groups)s::text[]))
 GROUP BY 1, 2, 3, 4, 5
 ORDER BY 1 NULLS FIRST, 2 NULLS FIRST, 3 NULLS FIRST, 4 NULLS FIRST, 5 NULLS FIRST
"""


def _params(by: tuple[str, ...], period: str, filters: dict, groups: list[str] | None) -> dict:
    """`filters`: from_day / to_day (dates in China, inclusive) and from / to (the same
    as moments: the first moment of from_day, of the day after to_day)."""
    return {"period": period, **{f"by_{d}": d in by
                                 for d in ("agent", "group", "kind", "category", "source")},
            **{k: filters.get(k) for k in ("from_day", "to_day", "from", "to")},
            **{k: filters.get(k) for k in ("agent_id", "group_name", "ticket_kind",
                                           "category_id", "source")},
            "groups": groups}


def satisfaction_counts(cur, by: tuple[str, ...], period: str, filters: dict,
                        groups: list[str] | None, monthly: bool = False) -> list:
    """Per group, as tuples in KEY_FIELDS order then the counts (csat_answers, satisfied,
    nps_answers, promoters, detractors), ordered nulls first then by code point (the
    domain's `sort_key`): the period in China (its first day, 'YYYY-MM-DD') and the
    chosen dimensions, summed from the daily rollup the answer trigger keeps (migration
    0002).  `groups`, when given, limits to those staff groups' answers (a supervisor's)."""
    with tuple_cursor(cur) as plain:  # tuples: a dict per row cost more than the SQL
        plain.execute(SATISFACTION_MONTHLY if monthly else SATISFACTION_COUNTS,
                      _params(by, period, filters, groups))
        return plain.fetchall()


def ivr_counts(cur, by: tuple[str, ...], period: str, filters: dict,
               groups: list[str] | None, monthly: bool = False) -> list:
    """Calls offered a keypad rating and rated, grouped and ordered like
    satisfaction_counts (tuples: period, agent, group, kind, category, offered, rated),
    from the daily rollup the offer trigger keeps (migration 0006)."""
    with tuple_cursor(cur) as plain:
        plain.execute(IVR_MONTHLY if monthly else IVR_COUNTS,
                      _params(by, period, filters, groups))
        return plain.fetchall()

"""All SQL of answers, the IVR mapping and offers, survey links and bad-token counts
(migration 0002), and the satisfaction aggregate (V4)."""
from typing import Any

from psycopg2.extras import Json

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
def insert_link(cur, link: dict, issued_by: str) -> dict:
    cur.execute(
        "INSERT INTO survey_link (questionnaire_id, customer_id, greeting_name, agent_id,"
        " group_name, ticket_id, task_id, ticket_kind, category_id, issued_by, expires_at)"
        " VALUES (%(questionnaire_id)s, %(customer_id)s, %(greeting_name)s, %(agent_id)s,"
        " %(group_name)s, %(ticket_id)s, %(task_id)s, %(ticket_kind)s, %(category_id)s,"
        " %(issued_by)s, %(expires_at)s) RETURNING id::text AS id, expires_at",
        {**link, "issued_by": issued_by})
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


def bad_tokens(cur, client_key: str, window_start) -> int:
    cur.execute("SELECT bad FROM link_guess WHERE client_key = %s AND window_start = %s",
                (client_key, window_start))
    row = cur.fetchone()
    return row["bad"] if row else 0


def count_bad_token(cur, client_key: str, window_start) -> int:
    """One more bad token for this key in this window (older windows of the key go)."""
    cur.execute("DELETE FROM link_guess WHERE client_key = %s AND window_start < %s",
                (client_key, window_start))
    cur.execute(
        "INSERT INTO link_guess (client_key, window_start, bad) VALUES (%s, %s, 1)"
        " ON CONFLICT (client_key, window_start) DO UPDATE SET bad = link_guess.bad + 1"
        " RETURNING bad", (client_key, window_start))
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
SELECT CASE %(period)s WHEN 'day' THEN s.day WHEN 'week' THEN s.week
           WHEN 'month' THEN s.month END AS period,
       CASE WHEN %(by_agent)s THEN nullif(s.agent_id, '') END AS agent_id,
       CASE WHEN %(by_group)s THEN nullif(s.group_name, '') END AS group_name,
       CASE WHEN %(by_kind)s THEN nullif(s.ticket_kind, '') END AS ticket_kind,
       CASE WHEN %(by_category)s THEN nullif(s.category_id, '') END AS category_id,
       CASE WHEN %(by_source)s THEN s.source END AS source,
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
"""

IVR_COUNTS = """
SELECT CASE %(period)s WHEN 'all' THEN NULL
           ELSE to_char(date_trunc(%(period)s, o.offered_at AT TIME ZONE 'Asia/Shanghai'),
                        'YYYY-MM-DD') END AS period,
       CASE WHEN %(by_agent)s THEN o.agent_id END AS agent_id,
       CASE WHEN %(by_group)s THEN o.group_name END AS group_name,
       CASE WHEN %(by_kind)s THEN o.ticket_kind END AS ticket_kind,
       CASE WHEN %(by_category)s THEN o.category_id END AS category_id,
       count(*) AS offered,
       count(*) FILTER (WHERE o.rated) AS rated
  FROM ivr_offer o
 WHERE (%(from)s::timestamptz IS NULL OR o.offered_at >= %(from)s)
   AND (%(to)s::timestamptz IS NULL OR o.offered_at < %(to)s)
   AND (%(agent_id)s::text IS NULL OR o.agent_id = %(agent_id)s)
   AND (%(group_name)s::text IS NULL OR o.group_name = %(group_name)s)
   AND (%(ticket_kind)s::text IS NULL OR o.ticket_kind = %(ticket_kind)s)
   AND (%(category_id)s::text IS NULL OR o.category_id = %(category_id)s)
   AND (%(groups)s::text[] IS NULL OR o.group_name = ANY (%(groups)s::text[]))
 GROUP BY 1, 2, 3, 4, 5
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
                        groups: list[str] | None) -> list:
    """Per group of (period in China: its first day, a date; the chosen dimensions): the
    CSAT and NPS counts, summed from the daily rollup the answer trigger keeps (migration
    0002).  `groups`, when given, limits to those staff groups' answers (a supervisor's)."""
    cur.execute(SATISFACTION_COUNTS, _params(by, period, filters, groups))
    return cur.fetchall()


def ivr_counts(cur, by: tuple[str, ...], period: str, filters: dict,
               groups: list[str] | None) -> list:
    """Calls offered a keypad rating and rated, grouped like satisfaction_counts."""
    cur.execute(IVR_COUNTS, _params(by, period, filters, groups))
    return cur.fetchall()

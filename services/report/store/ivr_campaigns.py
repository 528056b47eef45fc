"""All SQL of the keypad-offer and campaign statistics (migration 0010): the offer and
invitation facts, the rollups' deltas, the figures as read, the rebuild's corrections
and the check's sums."""
from psycopg2.extras import execute_values


def lock(cur, keys: list[int]) -> None:
    """Hold these records' facts for this transaction (keys ascending, one statement)."""
    if keys:
        cur.execute("SELECT count(pg_advisory_xact_lock(k)) FROM"
                    " (SELECT k FROM unnest(%s::bigint[]) k ORDER BY k) s", (keys,))


# -- offers -------------------------------------------------------------------------------
def offers_of(cur, offer_ids: list[str]) -> list:
    cur.execute("SELECT offer_id, day, agent_id, group_name, ticket_kind, offered, rated,"
                " generation FROM ivr_offer_fact WHERE offer_id = ANY (%s::text[])",
                (offer_ids,))
    return cur.fetchall()


PUT_OFFERS = """
INSERT INTO ivr_offer_fact (offer_id, day, agent_id, group_name, ticket_kind, offered, rated,
    generation, applied_at)
VALUES %s
ON CONFLICT (offer_id) DO UPDATE SET day = excluded.day, agent_id = excluded.agent_id,
    group_name = excluded.group_name, ticket_kind = excluded.ticket_kind,
    offered = excluded.offered, rated = excluded.rated,
    generation = greatest(ivr_offer_fact.generation, excluded.generation), applied_at = now()
"""
_OFFER_COLUMNS = ("offer_id", "day", "agent_id", "group_name", "ticket_kind", "offered",
                  "rated")


def put_offers(cur, facts: list[dict], generation: int) -> None:
    """Each offer's fact as merged (the caller holds the locks), stamped with
    `generation` (never lowered)."""
    if facts:
        execute_values(cur, PUT_OFFERS, [(*(f[c] for c in _OFFER_COLUMNS), generation)
                                         for f in facts],
                       template="(%s, %s, %s, %s, %s, %s, %s, %s, now())", page_size=1000)


def stamp_offers(cur, offer_ids: list[str], generation: int) -> None:
    cur.execute("UPDATE ivr_offer_fact SET generation = %s WHERE offer_id = ANY (%s::text[])"
                " AND generation < %s", (generation, offer_ids, generation))


# -- invitations ---------------------------------------------------------------------------
def invitations_of(cur, invitation_ids: list[str]) -> list:
    cur.execute("SELECT invitation_id, campaign_id, campaign_day, agent_id, groups, level,"
                " revision, total, called, invited, accepted, came, with_outcome, satisfied,"
                " gift_taken, coupon_taken, generation FROM invitation_fact"
                " WHERE invitation_id = ANY (%s::text[])", (invitation_ids,))
    return [{**r, "groups": tuple(r["groups"])} for r in cur.fetchall()]


PUT_INVITATIONS = """
INSERT INTO invitation_fact (invitation_id, campaign_id, campaign_day, agent_id, groups,
    level, revision, total, called, invited, accepted, came, with_outcome, satisfied,
    gift_taken, coupon_taken, generation, applied_at)
VALUES %s
ON CONFLICT (invitation_id) DO UPDATE SET campaign_id = excluded.campaign_id,
    campaign_day = excluded.campaign_day, agent_id = excluded.agent_id,
    groups = excluded.groups, level = excluded.level, revision = excluded.revision,
    total = excluded.total, called = excluded.called, invited = excluded.invited,
    accepted = excluded.accepted, came = excluded.came, with_outcome = excluded.with_outcome,
    satisfied = excluded.satisfied, gift_taken = excluded.gift_taken,
    coupon_taken = excluded.coupon_taken,
    generation = greatest(invitation_fact.generation, excluded.generation), applied_at = now()
"""
_INVITATION_COLUMNS = ("invitation_id", "campaign_id", "campaign_day", "agent_id", "groups",
                       "level", "revision", "total", "called", "invited", "accepted", "came",
                       "with_outcome", "satisfied", "gift_taken", "coupon_taken")


def put_invitations(cur, facts: list[dict], generation: int) -> None:
    """Each invitation's fact replaced (the caller holds the locks and has checked the
    revision), stamped with `generation` (never lowered)."""
    if facts:
        execute_values(
            cur, PUT_INVITATIONS,
            [(*(list(f[c]) if c == "groups" else f[c] for c in _INVITATION_COLUMNS),
              generation) for f in facts],
            template="(%s, %s, %s, %s, %s::text[], %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
                     " %s, %s, now())", page_size=1000)


def stamp_invitations(cur, invitation_ids: list[str], generation: int) -> None:
    cur.execute("UPDATE invitation_fact SET generation = %s"
                " WHERE invitation_id = ANY (%s::text[]) AND generation < %s",
                (generation, invitation_ids, generation))


# -- deltas: one statement per rollup, rows in key order -----------------------------------
ADD_OFFER_DAY = (
    "INSERT INTO ivr_offer_day (day, agent_id, group_name, ticket_kind, offered, rated)"
    " VALUES %s ON CONFLICT (day, agent_id, group_name, ticket_kind) DO UPDATE SET"
    " offered = ivr_offer_day.offered + excluded.offered,"
    " rated = ivr_offer_day.rated + excluded.rated")
ADD_CAMPAIGN = (
    "INSERT INTO campaign_rollup (campaign_id, campaign_day, agent_id, groups, level, total,"
    " called, invited, accepted, came, with_outcome, satisfied, gift_taken, coupon_taken)"
    " VALUES %s ON CONFLICT (campaign_id, campaign_day, agent_id, groups, level)"
    " DO UPDATE SET total = campaign_rollup.total + excluded.total,"
    " called = campaign_rollup.called + excluded.called,"
    " invited = campaign_rollup.invited + excluded.invited,"
    " accepted = campaign_rollup.accepted + excluded.accepted,"
    " came = campaign_rollup.came + excluded.came,"
    " with_outcome = campaign_rollup.with_outcome + excluded.with_outcome,"
    " satisfied = campaign_rollup.satisfied + excluded.satisfied,"
    " gift_taken = campaign_rollup.gift_taken + excluded.gift_taken,"
    " coupon_taken = campaign_rollup.coupon_taken + excluded.coupon_taken")
ADD = {"ivr_offer_day": (ADD_OFFER_DAY, None),
       "campaign_rollup": (ADD_CAMPAIGN, "(%s, %s, %s, %s::text[], %s, %s, %s, %s, %s, %s, %s,"
                                         " %s, %s, %s)")}


def add(cur, table: str, rows: list[tuple]) -> None:
    """Add each (key..., counters...) row to `table` in the order given (key order)."""
    if rows:
        statement, template = ADD[table]
        execute_values(cur, statement, rows, template=template, page_size=1000)


# -- the figures as read -----------------------------------------------------------------
OFFER_COUNTS = """
SELECT CASE %(period)s WHEN 'day' THEN r.day
            WHEN 'week' THEN date_trunc('week', r.day::timestamp)::date
            ELSE date_trunc('month', r.day::timestamp)::date END AS period,
       CASE WHEN %(by_agent)s THEN r.agent_id END AS agent_id,
       CASE WHEN %(by_group)s THEN r.group_name END AS group_name,
       CASE WHEN %(by_kind)s THEN r.ticket_kind END AS ticket_kind,
       sum(r.offered)::int AS offered, sum(r.rated)::int AS rated
  FROM ivr_offer_day r
 WHERE r.day BETWEEN %(from_day)s AND %(to_day)s
   AND (%(group_name)s::text IS NULL OR r.group_name = %(group_name)s)
   AND (%(agent_id)s::text IS NULL OR r.agent_id = %(agent_id)s)
   AND (%(ticket_kind)s::text IS NULL OR r.ticket_kind = %(ticket_kind)s)
   AND (%(groups)s::text[] IS NULL OR r.group_name = ANY (%(groups)s::text[]))
 GROUP BY 1, 2, 3, 4
HAVING sum(r.offered) <> 0 OR sum(r.rated) <> 0
"""


def offer_counts(cur, by, period: str, first, last, filters: dict,
                 groups: list | None) -> list:
    """Offer sums per (period's first day, agent, group, kind; None where not grouped)."""
    cur.execute(OFFER_COUNTS, {
        "period": period, "from_day": first, "to_day": last, "groups": groups,
        **{f: filters.get(f) for f in ("group_name", "agent_id", "ticket_kind")},
        **{f"by_{d}": d in by for d in ("agent", "group", "kind")}})
    return cur.fetchall()


def agent_offered_in_groups(cur, agent_id: str, groups: list) -> bool:
    """Whether the agent has an offer counted in one of these groups."""
    cur.execute("SELECT EXISTS (SELECT 1 FROM ivr_offer_day WHERE agent_id = %s"
                " AND group_name = ANY (%s::text[])) AS known", (agent_id, groups))
    return bool(cur.fetchone()["known"])


CAMPAIGN_COUNTS = """
SELECT r.campaign_id, r.campaign_day,
       CASE WHEN %(by_agent)s THEN r.agent_id END AS agent_id,
       sum(r.total)::int AS total, sum(r.called)::int AS called,
       sum(r.invited)::int AS invited, sum(r.accepted)::int AS accepted,
       sum(r.came)::int AS came, sum(r.with_outcome)::int AS with_outcome,
       sum(r.satisfied)::int AS satisfied, sum(r.gift_taken)::int AS gift_taken,
       sum(r.coupon_taken)::int AS coupon_taken
  FROM campaign_rollup r
 WHERE r.campaign_day BETWEEN %(from_day)s AND %(to_day)s
   AND r.level <= %(clearance)s
   AND (%(campaign_id)s::text IS NULL OR r.campaign_id = %(campaign_id)s)
   AND (%(agent_id)s::text IS NULL OR r.agent_id = %(agent_id)s)
   AND (%(group_name)s::text IS NULL OR r.groups @> ARRAY[%(group_name)s]::text[])
   AND (%(groups)s::text[] IS NULL OR r.groups && %(groups)s::text[])
 GROUP BY 1, 2, 3
HAVING sum(r.total) <> 0
 ORDER BY r.campaign_day, r.campaign_id, 3
 LIMIT %(limit)s
"""


def campaign_counts(cur, first, last, by_agent: bool, filters: dict, groups: list | None,
                    clearance: int, limit: int) -> list:
    """Per campaign starting over [first, last] (and agent, by agent): the counts of its
    invitations in scope (groups overlapping `groups` when given) at or below the
    clearance, by start day then campaign; up to `limit` rows."""
    cur.execute(CAMPAIGN_COUNTS, {
        "from_day": first, "to_day": last, "by_agent": by_agent, "groups": groups,
        "clearance": clearance, "limit": limit,
        **{f: filters.get(f) for f in ("campaign_id", "agent_id", "group_name")}})
    return cur.fetchall()


# -- the check against the owner ------------------------------------------------------------
def offer_day_sums(cur, first, last) -> list:
    cur.execute("SELECT day, sum(offered)::int AS offered, sum(rated)::int AS rated"
                " FROM ivr_offer_day WHERE day BETWEEN %s AND %s GROUP BY day ORDER BY day",
                (first, last))
    return cur.fetchall()


def campaign_sums(cur, first, last) -> list:
    cur.execute("SELECT campaign_day AS day, campaign_id, sum(total)::int AS total,"
                " sum(called)::int AS called, sum(invited)::int AS invited,"
                " sum(accepted)::int AS accepted, sum(came)::int AS came,"
                " sum(with_outcome)::int AS with_outcome, sum(satisfied)::int AS satisfied"
                " FROM campaign_rollup WHERE campaign_day BETWEEN %s AND %s"
                " GROUP BY 1, 2 ORDER BY 1, 2", (first, last))
    return cur.fetchall()


# -- a rebuild's last steps: stale facts go, the rollups corrected (as store/calls.py) ----
NO_STATEMENT_TIMEOUT = "SET LOCAL statement_timeout = 0"
REMOVE_STALE = """
WITH offers AS (DELETE FROM ivr_offer_fact WHERE generation < %(g)s RETURNING 1),
     invitations AS (DELETE FROM invitation_fact WHERE generation < %(g)s RETURNING 1)
SELECT (SELECT count(*) FROM offers)::int + (SELECT count(*) FROM invitations)::int
       AS removed
"""
# An offer's contribution: offered, rated on its day; an invitation's: its counters in
# its campaign (a closed one's are all 0) — domain/ivr_campaigns.py.
CORRECTIONS = """
WITH offers AS (
INSERT INTO ivr_campaign_fix (target, day, agent_id, group_name, ticket_kind, offered, rated)
SELECT 'ivr_offer_day', day, agent_id, group_name, ticket_kind, sum(offered), sum(rated)
  FROM (SELECT day, agent_id, group_name, ticket_kind, offered, rated FROM ivr_offer_fact
        UNION ALL
        SELECT day, agent_id, group_name, ticket_kind, -offered, -rated
          FROM ivr_offer_day) x
 GROUP BY day, agent_id, group_name, ticket_kind
HAVING ROW(sum(offered), sum(rated)) <> ROW(0, 0)
RETURNING 1),
campaigns AS (
INSERT INTO ivr_campaign_fix (target, campaign_id, day, agent_id, groups, level, total,
    called, invited, accepted, came, with_outcome, satisfied, gift_taken, coupon_taken)
SELECT 'campaign_rollup', campaign_id, campaign_day, agent_id, groups, level, sum(total),
       sum(called), sum(invited), sum(accepted), sum(came), sum(with_outcome),
       sum(satisfied), sum(gift_taken), sum(coupon_taken)
  FROM (SELECT campaign_id, campaign_day, agent_id, groups, level, total, called, invited,
               accepted, came, with_outcome, satisfied, gift_taken, coupon_taken
          FROM invitation_fact
        UNION ALL
        SELECT campaign_id, campaign_day, agent_id, groups, level, -total, -called,
               -invited, -accepted, -came, -with_outcome, -satisfied, -gift_taken,
               -coupon_taken FROM campaign_rollup) x
 GROUP BY campaign_id, campaign_day, agent_id, groups, level
HAVING ROW(sum(total), sum(called), sum(invited), sum(accepted), sum(came),
           sum(with_outcome), sum(satisfied), sum(gift_taken), sum(coupon_taken))
       <> ROW(0, 0, 0, 0, 0, 0, 0, 0, 0)
RETURNING 1)
SELECT (SELECT count(*) FROM offers) + (SELECT count(*) FROM campaigns) AS fixes
"""
APPLY_OFFER_DAY = (
    "WITH batch AS (DELETE FROM ivr_campaign_fix WHERE id IN (SELECT id FROM"
    " ivr_campaign_fix WHERE target = 'ivr_offer_day' ORDER BY id LIMIT %s) RETURNING *)"
    " INSERT INTO ivr_offer_day (day, agent_id, group_name, ticket_kind, offered, rated)"
    " SELECT day, agent_id, group_name, ticket_kind, offered, rated FROM batch"
    ' ORDER BY day, agent_id COLLATE "C", group_name COLLATE "C", ticket_kind COLLATE "C"'
    " ON CONFLICT (day, agent_id, group_name, ticket_kind) DO UPDATE SET"
    " offered = ivr_offer_day.offered + excluded.offered,"
    " rated = ivr_offer_day.rated + excluded.rated")
APPLY_CAMPAIGN = (
    "WITH batch AS (DELETE FROM ivr_campaign_fix WHERE id IN (SELECT id FROM"
    " ivr_campaign_fix WHERE target = 'campaign_rollup' ORDER BY id LIMIT %s) RETURNING *)"
    " INSERT INTO campaign_rollup (campaign_id, campaign_day, agent_id, groups, level,"
    " total, called, invited, accepted, came, with_outcome, satisfied, gift_taken,"
    " coupon_taken)"
    " SELECT campaign_id, day, agent_id, groups, level, total, called, invited, accepted,"
    " came, with_outcome, satisfied, gift_taken, coupon_taken FROM batch"
    ' ORDER BY campaign_id COLLATE "C", day, agent_id COLLATE "C", groups, level'
    " ON CONFLICT (campaign_id, campaign_day, agent_id, groups, level) DO UPDATE SET"
    " total = campaign_rollup.total + excluded.total,"
    " called = campaign_rollup.called + excluded.called,"
    " invited = campaign_rollup.invited + excluded.invited,"
    " accepted = campaign_rollup.accepted + excluded.accepted,"
    " came = campaign_rollup.came + excluded.came,"
    " with_outcome = campaign_rollup.with_outcome + excluded.with_outcome,"
    " satisfied = campaign_rollup.satisfied + excluded.satisfied,"
    " gift_taken = campaign_rollup.gift_taken + excluded.gift_taken,"
    " coupon_taken = campaign_rollup.coupon_taken + excluded.coupon_taken")
APPLY = {"ivr_offer_day": APPLY_OFFER_DAY, "campaign_rollup": APPLY_CAMPAIGN}


def remove_stale(cur, generation: int) -> int:
    """Offer and invitation facts older than `generation` (the owner no longer has
    them) go; how many."""
    cur.execute(NO_STATEMENT_TIMEOUT)
    cur.execute(REMOVE_STALE, {"g": generation})
    return cur.fetchone()["removed"]


def compute_corrections(cur) -> int:
    """Each rollup's difference to the facts summed, into ivr_campaign_fix (what was
    there before: dropped); the rows.  One statement: one snapshot."""
    cur.execute(NO_STATEMENT_TIMEOUT)
    cur.execute("DELETE FROM ivr_campaign_fix")
    cur.execute(CORRECTIONS)
    return cur.fetchone()["fixes"]


def apply_corrections(cur, table: str, limit: int) -> int:
    """Up to `limit` corrections of `table` added to it; how many."""
    cur.execute(APPLY[table], (limit,))
    return cur.rowcount

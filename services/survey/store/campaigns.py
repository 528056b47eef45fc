"""SQL of campaigns (V5) and their invitations.  Every read of an invitation by a person
puts the caller's scope (domain.campaigns.scope) in its WHERE clause: their own list,
their groups' agents', or every one — never above their clearance."""
import io

import eventlet
from psycopg2 import extensions, sql
from psycopg2.extras import Json

CAMPAIGN_COLUMNS = sql.SQL(
    "c.id::text, c.theme, c.description, c.starts_at, c.ends_at, c.venue, c.place,"
    " c.capacity, c.segment, c.agent_ids, c.list_state, c.failure, c.frozen_at,"
    " c.created_by, c.created_at, c.freeze_tries,"
    " CASE WHEN c.list_state <> 'frozen' THEN c.list_state"
    "  WHEN now() < c.starts_at THEN 'upcoming' WHEN now() < c.ends_at THEN 'ongoing'"
    "  ELSE 'ended' END AS state")
STATE = sql.SQL(
    "(CASE WHEN c.list_state <> 'frozen' THEN c.list_state"
    "  WHEN now() < c.starts_at THEN 'upcoming' WHEN now() < c.ends_at THEN 'ongoing'"
    "  ELSE 'ended' END)")
CAMPAIGN_SCOPE = sql.SQL("(%(all)s OR c.agent_ids @> ARRAY[%(staff_id)s]::text[])")
INVITATION_COLUMNS = sql.SQL(
    "i.id::text, i.campaign_id::text, c.theme, c.starts_at, i.position, i.customer_id,"
    " i.level, i.agent_id, i.groups, i.invited, i.reason, i.note, i.accepted, i.calls,"
    " i.recorded_by, i.recorded_at, i.checkin_code, i.accepted_at, i.came,"
    " i.checked_in_at, i.gift_taken, i.coupon_taken, i.satisfaction,"
    " i.satisfaction_reason, i.outcome_at, i.erased_at, i.created_at, i.checked_in_by")
SCOPE = sql.SQL("((%(all)s OR i.agent_id = %(staff_id)s OR i.groups && %(groups)s::text[])"
                " AND i.level <= %(clearance)s AND i.closed_at IS NULL)")
# An invitation the caller checked in at the door (the visit's outcome is theirs too).
CHECKED_IN_BY_ME = sql.SQL("(i.checked_in_by = %(staff_id)s AND i.closed_at IS NULL)")
# The list filters (domain.campaigns.in_filter is their reference).
FILTERS = {
    "to_call": sql.SQL("i.erased_at IS NULL AND (i.invited IS NULL OR (NOT i.invited"
                       " AND i.reason IN ('busy', 'no_answer')))"),
    "not_invited": sql.SQL("i.invited = false"),
    "invited": sql.SQL("i.invited"),
    "declined": sql.SQL("i.invited AND i.accepted = false"),
    "accepted": sql.SQL("i.accepted"),
    "came": sql.SQL("i.came"),
}
COUNTS = sql.SQL(
    "count(*) AS total, count(i.invited) AS called,"
    " count(*) FILTER (WHERE i.invited) AS invited,"
    " count(*) FILTER (WHERE i.accepted) AS accepted,"
    " count(*) FILTER (WHERE i.came) AS came,"
    " count(i.satisfaction) AS with_outcome,"
    " count(*) FILTER (WHERE i.satisfaction = 'satisfied') AS satisfied,"
    " count(*) FILTER (WHERE i.gift_taken) AS gift_taken,"
    " count(*) FILTER (WHERE i.coupon_taken) AS coupon_taken")


def now(cur):
    cur.execute("SELECT now() AS now")
    return cur.fetchone()["now"]


# -- campaigns --------------------------------------------------------------------------

def insert(cur, campaign: dict) -> tuple[str, bool]:
    """The campaign's id, and whether it was made now (False: its key had made it)."""
    cur.execute(
        "INSERT INTO campaign (request_key, theme, description, starts_at, ends_at, venue,"
        " place, capacity, segment, agent_ids, created_by, created_at)"
        " VALUES (%(request_key)s, %(theme)s, %(description)s, %(starts_at)s, %(ends_at)s,"
        " %(venue)s, %(place)s, %(capacity)s, %(segment)s, %(agent_ids)s, %(created_by)s,"
        " %(created_at)s) ON CONFLICT (request_key) DO NOTHING RETURNING id::text",
        {**campaign, "segment": Json(campaign["segment"])})
    row = cur.fetchone()
    if row is not None:
        return row["id"], True
    cur.execute("SELECT id::text FROM campaign WHERE request_key = %s",
                (campaign["request_key"],))
    return cur.fetchone()["id"], False


def by_key(cur, request_key: str) -> str | None:
    cur.execute("SELECT id::text FROM campaign WHERE request_key = %s", (request_key,))
    row = cur.fetchone()
    return row["id"] if row else None


def get(cur, campaign_id: str, scope: dict, lock: bool = False) -> dict | None:
    cur.execute(sql.SQL("SELECT {} FROM campaign c WHERE c.id = %(id)s AND {}{}").format(
        CAMPAIGN_COLUMNS, CAMPAIGN_SCOPE, sql.SQL(" FOR UPDATE") if lock else sql.SQL("")),
        {**scope, "id": campaign_id})
    return cur.fetchone()


def page(cur, scope: dict, state: str | None, before: tuple | None,
         limit: int) -> list[dict]:
    """Campaigns newest first, after the cursor, of one state if asked."""
    filters = [CAMPAIGN_SCOPE]
    if state:
        filters.append(sql.SQL("{} = %(state)s").format(STATE))
    if before:
        filters.append(sql.SQL("(c.created_at, c.id) < (%(at)s, %(id)s::uuid)"))
    cur.execute(sql.SQL("SELECT {} FROM campaign c WHERE {} ORDER BY c.created_at DESC,"
                        " c.id DESC LIMIT %(limit)s").format(
        CAMPAIGN_COLUMNS, sql.SQL(" AND ").join(filters)),
        {**scope, "state": state, "limit": limit,
         "at": before[0] if before else None, "id": before[1] if before else None})
    return cur.fetchall()


def claim_freezing(cur) -> dict | None:
    """The oldest campaign whose list is to be frozen now, locked for this transaction
    (another replica skips it)."""
    cur.execute(sql.SQL(
        "SELECT {} FROM campaign c WHERE c.list_state = 'freezing' AND c.next_try_at <= now()"
        " ORDER BY c.next_try_at, c.created_at LIMIT 1 FOR UPDATE SKIP LOCKED").format(
        CAMPAIGN_COLUMNS))
    return cur.fetchone()


def savepoint(cur) -> None:
    """A freeze's pages go in after this: a failed try goes back to it."""
    cur.execute("SAVEPOINT freezing")


def back_to_savepoint(cur) -> None:
    cur.execute("ROLLBACK TO SAVEPOINT freezing")


def set_frozen(cur, campaign_id: str) -> None:
    cur.execute("UPDATE campaign SET list_state = 'frozen', frozen_at = now(), failure = '',"
                " updated_at = now() WHERE id = %s", (campaign_id,))


def set_failed(cur, campaign_id: str, failure: str) -> None:
    cur.execute("UPDATE campaign SET list_state = 'failed', failure = %s, updated_at = now()"
                " WHERE id = %s AND list_state = 'freezing'", (failure, campaign_id))


def freeze_trouble(cur, campaign_id: str, failure: str, tries: int) -> None:
    """One more failed try to freeze: back off (2^n seconds, at most 5 minutes), and fail
    the list after `tries` in a row."""
    cur.execute(
        "UPDATE campaign SET freeze_tries = freeze_tries + 1, failure = %s,"
        " next_try_at = now() + make_interval(secs => least(300, power(2, freeze_tries + 1))),"
        " list_state = CASE WHEN freeze_tries + 1 >= %s THEN 'failed' ELSE list_state END,"
        " updated_at = now() WHERE id = %s AND list_state = 'freezing'",
        (failure, tries, campaign_id))


# -- staff (the read model) -----------------------------------------------------------

def active_agents(cur, staff_ids: list[str]) -> set[str]:
    cur.execute("SELECT id FROM staff_member WHERE id = ANY(%s) AND active"
                " AND 'agent' = ANY(roles)", (list(staff_ids),))
    return {r["id"] for r in cur.fetchall()}


def groups_of(cur, staff_ids: list[str]) -> dict[str, list[str]]:
    cur.execute("SELECT id, groups FROM staff_member WHERE id = ANY(%s)", (list(staff_ids),))
    return {r["id"]: list(r["groups"]) for r in cur.fetchall()}


# -- invitations ------------------------------------------------------------------------

COPY_INVITATIONS = ("COPY campaign_invitation (campaign_id, position, customer_id, level,"
                    " agent_id, groups) FROM STDIN")


def insert_invitations(cur, rows: list[dict]) -> int:
    """Invitation rows, in one COPY (a page of a segment, 1,000 rows).
    psycopg2 refuses COPY in green mode, so it runs with the wait callback lifted (this
    greenthread blocks the hub for one page, some milliseconds) and the hub gets a turn
    after it."""
    if not rows:
        return 0
    agents: dict[str, str] = {}
    lines = []
    for r in rows:
        agent = agents.get(r["agent_id"])
        if agent is None:
            agent = agents[r["agent_id"]] = (
                f"{_copy_text(r['agent_id'])}\t{_copy_text(_array(r['groups']))}")
        lines.append(f"{_copy_text(str(r['campaign_id']))}\t{int(r['position'])}\t"
                     f"{_copy_text(str(r['customer_id']))}\t{int(r['level'])}\t{agent}\n")
    callback = extensions.get_wait_callback()
    extensions.set_wait_callback(None)
    try:
        cur.copy_expert(COPY_INVITATIONS, io.StringIO("".join(lines)))
    finally:
        extensions.set_wait_callback(callback)
    eventlet.sleep(0)
    return len(rows)


def _copy_text(value: str) -> str:
    """A value in COPY's text format (backslash, tab, newline, carriage return escaped)."""
    return (value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


def _array(items: list[str]) -> str:
    """A text[] literal: every element quoted, its quotes and backslashes escaped."""
    return "{" + ",".join('"' + i.replace("\\", "\\\\").replace('"', '\\"') + '"'
                          for i in items) + "}"


def get_invitation(cur, invitation_id: str, scope: dict, lock: bool = False,
                   door: bool = False) -> dict | None:
    """The invitation in the caller's scope (`door`: or one they checked in)."""
    reach = sql.SQL("({} OR {})").format(SCOPE, CHECKED_IN_BY_ME) if door else SCOPE
    cur.execute(sql.SQL(
        "SELECT {} FROM campaign_invitation i JOIN campaign c ON c.id = i.campaign_id"
        " WHERE i.id = %(id)s AND {}{}").format(
        INVITATION_COLUMNS, reach, sql.SQL(" FOR UPDATE OF i") if lock else sql.SQL("")),
        {**scope, "id": invitation_id})
    return cur.fetchone()


def invitations_page(cur, where: dict, after: tuple | None, limit: int) -> list[dict]:
    """A page of invitations in list order — campaign by campaign (oldest first), each
    in segment order — after the cursor (created_at, position, id).  `where`: the scope,
    with `mine` (the caller's own list), `campaign_id`, `agent_id`, `status` if asked."""
    filters = [SCOPE]
    if where.get("mine"):
        filters.append(sql.SQL("i.agent_id = %(staff_id)s"))
    if where.get("campaign_id"):
        filters.append(sql.SQL("i.campaign_id = %(campaign_id)s::uuid"))
    if where.get("agent_id"):
        filters.append(sql.SQL("i.agent_id = %(agent_id)s"))
    if where.get("status"):
        filters.append(FILTERS[where["status"]])
    if after:
        filters.append(sql.SQL("(i.created_at, i.position, i.id)"
                               " > (%(after_at)s, %(after_position)s, %(after_id)s::uuid)"))
    cur.execute(sql.SQL(
        "SELECT {} FROM campaign_invitation i JOIN campaign c ON c.id = i.campaign_id"
        " WHERE {} ORDER BY i.created_at, i.position, i.id LIMIT %(limit)s").format(
        INVITATION_COLUMNS, sql.SQL(" AND ").join(filters)),
        {**where, "limit": limit, "after_at": after[0] if after else None,
         "after_position": after[1] if after else None,
         "after_id": after[2] if after else None})
    return cur.fetchall()


def accepted_count(cur, campaign_id: str) -> int:
    cur.execute("SELECT count(*) AS n FROM campaign_invitation WHERE campaign_id = %s"
                " AND accepted AND closed_at IS NULL", (campaign_id,))
    return cur.fetchone()["n"]


def code_taken(cur, campaign_id: str, code: str) -> bool:
    cur.execute("SELECT 1 FROM campaign_invitation WHERE campaign_id = %s"
                " AND checkin_code = %s", (campaign_id, code))
    return cur.fetchone() is not None


def record_call(cur, invitation_id: str, staff_id: str, changes: dict,
                code: str | None) -> None:
    """An invitation call: its outcome; the check-in code (kept once made)."""
    cur.execute(
        "UPDATE campaign_invitation SET invited = %(invited)s, reason = %(reason)s,"
        " note = %(note)s, accepted = %(accepted)s, calls = calls + 1,"
        " recorded_by = %(staff_id)s, recorded_at = now(),"
        " checkin_code = coalesce(checkin_code, %(code)s),"
        " accepted_at = CASE WHEN %(accepted)s THEN coalesce(accepted_at, now()) END,"
        " updated_at = now() WHERE id = %(id)s",
        {**changes, "staff_id": staff_id, "code": code, "id": invitation_id})


def by_code(cur, campaign_id: str, code: str) -> dict | None:
    """The accepted invitation holding the code (any reader: the door), locked."""
    cur.execute(sql.SQL(
        "SELECT {} FROM campaign_invitation i JOIN campaign c ON c.id = i.campaign_id"
        " WHERE i.campaign_id = %s AND i.checkin_code = %s AND i.accepted"
        " AND i.erased_at IS NULL AND i.closed_at IS NULL FOR UPDATE OF i").format(INVITATION_COLUMNS), (campaign_id, code))
    return cur.fetchone()


def check_in(cur, invitation_id: str, staff_id: str) -> bool:
    """Came, once: False when it had already checked in."""
    cur.execute("UPDATE campaign_invitation SET came = true, checked_in_at = now(),"
                " checked_in_by = %s, updated_at = now() WHERE id = %s AND NOT came"
                " AND accepted", (staff_id, invitation_id))
    return cur.rowcount == 1


def checked_in(cur, invitation_id: str) -> dict:
    """The invitation just checked in (whoever stands at the door)."""
    cur.execute(sql.SQL(
        "SELECT {} FROM campaign_invitation i JOIN campaign c ON c.id = i.campaign_id"
        " WHERE i.id = %s").format(INVITATION_COLUMNS), (invitation_id,))
    return cur.fetchone()


def record_outcome(cur, invitation_id: str, staff_id: str, outcome: dict) -> None:
    cur.execute(
        "UPDATE campaign_invitation SET gift_taken = %(gift_taken)s,"
        " coupon_taken = %(coupon_taken)s, satisfaction = %(satisfaction)s,"
        " satisfaction_reason = %(reason)s, outcome_by = %(staff_id)s, outcome_at = now(),"
        " updated_at = now() WHERE id = %(id)s",
        {**outcome, "staff_id": staff_id, "id": invitation_id})


# -- guessing check-in codes ------------------------------------------------------------

def lock_bad_codes(cur, campaign_id: str, staff_id: str, window_start) -> int:
    """The caller's wrong codes in this campaign and window, their row locked for this
    transaction: the caller's tries queue up here, so a count read is the count a
    parallel try sees (the gate).  Older windows of the caller and campaign go."""
    cur.execute("DELETE FROM campaign_checkin_guess WHERE campaign_id = %s AND staff_id = %s"
                " AND window_start < %s", (campaign_id, staff_id, window_start))
    cur.execute(
        "INSERT INTO campaign_checkin_guess (campaign_id, staff_id, window_start, bad)"
        " VALUES (%s, %s, %s, 0) ON CONFLICT (campaign_id, staff_id, window_start)"
        " DO UPDATE SET bad = campaign_checkin_guess.bad RETURNING bad",
        (campaign_id, staff_id, window_start))
    return cur.fetchone()["bad"]


def count_bad_code(cur, campaign_id: str, staff_id: str, window_start) -> int:
    """One more wrong code (its row locked by lock_bad_codes)."""
    cur.execute("UPDATE campaign_checkin_guess SET bad = bad + 1 WHERE campaign_id = %s"
                " AND staff_id = %s AND window_start = %s RETURNING bad",
                (campaign_id, staff_id, window_start))
    return cur.fetchone()["bad"]


# -- figures ----------------------------------------------------------------------------

def counts(cur, campaign_ids: list[str], clearance: int) -> dict[str, dict]:
    """The counts of each campaign's whole list, of the invitations at or below the
    reader's clearance (one above it does not exist for them)."""
    cur.execute(sql.SQL("SELECT i.campaign_id::text AS campaign_id, {}"
                        " FROM campaign_invitation i WHERE i.campaign_id = ANY(%s::uuid[])"
                        " AND i.level <= %s AND i.closed_at IS NULL"
                        " GROUP BY i.campaign_id").format(COUNTS),
                (list(campaign_ids), clearance))
    return {r.pop("campaign_id"): r for r in cur.fetchall()}


def counts_by_agent(cur, campaign_id: str, scope: dict) -> dict[str, dict]:
    """Each agent's counts in the campaign, of the invitations in the reader's scope."""
    cur.execute(sql.SQL("SELECT i.agent_id, {} FROM campaign_invitation i"
                        " WHERE i.campaign_id = %(campaign_id)s AND {}"
                        " GROUP BY i.agent_id").format(COUNTS, SCOPE),
                {**scope, "campaign_id": campaign_id})
    return {r.pop("agent_id"): r for r in cur.fetchall()}


# -- a customer's lifecycle -------------------------------------------------------------

def erase_customer(cur, customer_id: str, erased: str) -> int:
    """The free text of a destroyed customer's invitations becomes `erased`; they leave
    the call lists."""
    cur.execute("UPDATE campaign_invitation"
                " SET note = CASE WHEN note = '' THEN '' ELSE %s END,"
                " satisfaction_reason = CASE WHEN satisfaction_reason = '' THEN ''"
                "   ELSE %s END,"
                " erased_at = coalesce(erased_at, now()), updated_at = now()"
                " WHERE customer_id = %s", (erased, erased, customer_id))
    return cur.rowcount


def wait_for_freezing(cur) -> None:
    """Wait for the lists being frozen now (each freeze holds its campaign FOR UPDATE
    until it commits): a lifecycle change then sees their invitations."""
    cur.execute("SELECT 1 FROM campaign WHERE list_state = 'freezing' ORDER BY id FOR SHARE")


def repoint_customer(cur, merged_id: str, survivor_id: str, closed: list | None = None) -> int:
    """The merged-away customer's invitations to the survivor; where the survivor then
    holds two in one campaign, the more advanced one stays and the other is closed (its
    id appended to `closed` when given)."""
    cur.execute("UPDATE campaign_invitation SET customer_id = %s, updated_at = now()"
                " WHERE customer_id = %s", (survivor_id, merged_id))
    moved = cur.rowcount
    cur.execute(
        "UPDATE campaign_invitation SET closed_at = now(), updated_at = now()"
        " WHERE id IN (SELECT id FROM (SELECT id, row_number() OVER ("
        "  PARTITION BY campaign_id ORDER BY (CASE WHEN came THEN 4 WHEN accepted THEN 3"
        "   WHEN invited THEN 2 WHEN invited = false THEN 1 ELSE 0 END) DESC,"
        "   calls DESC, created_at, position, id) AS n"
        "  FROM campaign_invitation WHERE customer_id = %s AND closed_at IS NULL) r"
        " WHERE r.n > 1) RETURNING id::text", (survivor_id,))
    if closed is not None:
        closed.extend(r["id"] for r in cur.fetchall())
    return moved


def call_by_key(cur, staff_id: str, key: str) -> str | None:
    """The invitation a call with this Idempotency-Key was recorded on."""
    cur.execute("SELECT invitation_id::text FROM campaign_call WHERE staff_id = %s"
                " AND request_key = %s", (staff_id, key))
    row = cur.fetchone()
    return row["invitation_id"] if row else None


def remember_call(cur, staff_id: str, key: str, invitation_id: str) -> bool:
    """The call's key (False: taken — a retry raced this one and committed first)."""
    cur.execute("INSERT INTO campaign_call (staff_id, request_key, invitation_id)"
                " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                (staff_id, key, invitation_id))
    return cur.rowcount == 1


def follow_level(cur, customer_id: str) -> list[str]:
    """The customer's invitations take the level the survey keeps for them (C4); the
    ids of those changed."""
    cur.execute("UPDATE campaign_invitation i SET level = l.level, updated_at = now()"
                " FROM customer_level l WHERE l.customer_id = %s"
                " AND i.customer_id = l.customer_id AND i.level <> l.level"
                " RETURNING i.id::text", (customer_id,))
    return [r["id"] for r in cur.fetchall()]

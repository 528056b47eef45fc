"""All SQL of time (T6): the hooks the other areas call in their own transactions
(apply_on_create, apply_on_status), the SLA configuration, the escalation and
reminder claims (SKIP LOCKED: safe with several replicas), the due view.

The calendar (hours + overrides) is cached per process under sla_settings.version,
which every change of hours or overrides increments in its transaction: each
transaction reads the version with its policy row, so a change made on one
replica is used by every replica from its next transaction on."""
import datetime

from services.ticket.domain import sla as rules

_cache: dict = {"version": None, "hours": None, "calendar": None}


# --- calendar -------------------------------------------------------------------

def _hours_and_calendar(cur, row: dict):
    """(BusinessHours, Calendar) for a settings row {timezone, day_start, day_end,
    version}; overrides reloaded when the version moved."""
    if _cache["version"] != row["version"]:
        cur.execute("SELECT day, workday FROM calendar_override")
        calendar = rules.Calendar({r["day"]: r["workday"] for r in cur.fetchall()})
        hours = rules.BusinessHours(row["timezone"], row["day_start"], row["day_end"])
        _cache.update(version=row["version"], hours=hours, calendar=calendar)
    return _cache["hours"], _cache["calendar"]


def clock(cur):
    """(BusinessHours, Calendar) as configured now."""
    cur.execute("SELECT timezone, day_start, day_end, version FROM sla_settings")
    return _hours_and_calendar(cur, cur.fetchone())


# --- hooks ----------------------------------------------------------------------

def apply_on_create(cur, ticket: dict) -> dict:
    """Set response_due_at / resolution_due_at of a just-inserted ticket (a dict with
    id, kind, urgency, accepted_at); returns {"response_due_at", "resolution_due_at"}."""
    cur.execute(
        "SELECT s.timezone, s.day_start, s.day_end, s.version, p.response_minutes,"
        " p.resolution_minutes, now() AS now FROM sla_settings s"
        " LEFT JOIN sla_policy p ON p.kind = %s AND p.urgency = %s",
        (ticket["kind"], ticket["urgency"]))
    row = cur.fetchone()
    if row is None or row["response_minutes"] is None:
        return {"response_due_at": None, "resolution_due_at": None}
    hours, calendar = _hours_and_calendar(cur, row)
    due = rules.due_times(ticket.get("accepted_at") or row["now"], row["response_minutes"],
                          row["resolution_minutes"], hours, calendar.is_workday)
    cur.execute("UPDATE ticket SET response_due_at = %s, resolution_due_at = %s WHERE id = %s",
                (due["response_due_at"], due["resolution_due_at"], ticket["id"]))
    return due


def apply_on_status(cur, ticket_id: str, from_status: str, to_status: str,
                    waiting_on: str | None = None) -> None:
    """After a status change in the same transaction: pause while waiting on the
    customer, resume (pushing due times by the business time paused), stamp the
    first response (first reach of in_progress, waiting or resolved)."""
    cur.execute(
        "SELECT paused_since, first_response_at, response_due_at, resolution_due_at,"
        " now() AS now FROM ticket WHERE id = %s FOR UPDATE", (ticket_id,))
    t = cur.fetchone()
    if t is None:
        return
    now = t["now"]
    changes: dict = {}
    if rules.is_first_response(from_status, to_status, t["first_response_at"] is not None):
        changes["first_response_at"] = now
    pausing = rules.pauses(to_status, waiting_on)
    if t["paused_since"] is not None and not pausing:
        hours, calendar = clock(cur)
        paused = rules.business_seconds_between(t["paused_since"], now, hours,
                                                calendar.is_workday)
        changes["paused_since"] = None
        for key in ("response_due_at", "resolution_due_at"):
            if t[key] is not None and paused:
                changes[key] = rules.add_business_seconds(t[key], paused, hours,
                                                          calendar.is_workday)
        cur.execute("UPDATE ticket SET paused_seconds = paused_seconds + %s WHERE id = %s",
                    (paused, ticket_id))
    elif t["paused_since"] is None and pausing:
        changes["paused_since"] = now
    if changes:
        _update_ticket(cur, ticket_id, changes)


_SETTABLE = ("first_response_at", "paused_since", "response_due_at", "resolution_due_at")


def _update_ticket(cur, ticket_id: str, changes: dict) -> None:
    # Column names come from the fixed tuple above, never from input.
    values = {k: changes.get(k) for k in _SETTABLE}
    flags = {f"set_{k}": k in changes for k in _SETTABLE}
    cur.execute(
        "UPDATE ticket SET"
        " first_response_at = CASE WHEN %(set_first_response_at)s THEN %(first_response_at)s"
        "   ELSE first_response_at END,"
        " paused_since = CASE WHEN %(set_paused_since)s THEN %(paused_since)s"
        "   ELSE paused_since END,"
        " response_due_at = CASE WHEN %(set_response_due_at)s THEN %(response_due_at)s"
        "   ELSE response_due_at END,"
        " resolution_due_at = CASE WHEN %(set_resolution_due_at)s THEN %(resolution_due_at)s"
        "   ELSE resolution_due_at END"
        " WHERE id = %(id)s",
        {**values, **flags, "id": ticket_id})


# --- configuration --------------------------------------------------------------

def policies(cur) -> list[dict]:
    cur.execute("SELECT kind, urgency, response_minutes, resolution_minutes, updated_at,"
                " updated_by FROM sla_policy ORDER BY kind, urgency")
    return cur.fetchall()


def set_policy(cur, kind: str, urgency: str, response: int, resolution: int,
               by: str) -> dict:
    cur.execute(
        "INSERT INTO sla_policy (kind, urgency, response_minutes, resolution_minutes,"
        " updated_by) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (kind, urgency) DO UPDATE SET"
        " response_minutes = EXCLUDED.response_minutes,"
        " resolution_minutes = EXCLUDED.resolution_minutes, updated_at = now(),"
        " updated_by = EXCLUDED.updated_by"
        " RETURNING kind, urgency, response_minutes, resolution_minutes, updated_at,"
        " updated_by", (kind, urgency, response, resolution, by))
    return cur.fetchone()


def settings(cur) -> dict:
    cur.execute("SELECT timezone, day_start AS start, day_end AS end, updated_at, updated_by"
                " FROM sla_settings")
    return cur.fetchone()


def set_hours(cur, timezone: str, start, end, by: str) -> dict:
    cur.execute(
        "UPDATE sla_settings SET timezone = %s, day_start = %s, day_end = %s,"
        " version = version + 1, updated_at = now(), updated_by = %s"
        " RETURNING timezone, day_start AS start, day_end AS end, updated_at, updated_by",
        (timezone, start, end, by))
    return cur.fetchone()


def overrides_between(cur, start: datetime.date, end: datetime.date) -> dict:
    cur.execute("SELECT day, workday, note FROM calendar_override WHERE day BETWEEN %s AND %s",
                (start, end))
    return {r["day"]: r for r in cur.fetchall()}


def set_override(cur, day: datetime.date, workday: bool, note: str, by: str) -> None:
    cur.execute(
        "INSERT INTO calendar_override (day, workday, note, updated_by) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (day) DO UPDATE SET workday = EXCLUDED.workday, note = EXCLUDED.note,"
        " updated_at = now(), updated_by = EXCLUDED.updated_by", (day, workday, note, by))
    cur.execute("UPDATE sla_settings SET version = version + 1")


def delete_override(cur, day: datetime.date) -> bool:
    cur.execute("DELETE FROM calendar_override WHERE day = %s", (day,))
    gone = cur.rowcount > 0
    if gone:
        cur.execute("UPDATE sla_settings SET version = version + 1")
    return gone


# --- escalation -----------------------------------------------------------------

def claim_breaches(cur, target: str, limit: int) -> list[dict]:
    """Open, unpaused tickets past their `target` due time and not yet escalated for it,
    locked (SKIP LOCKED: another replica takes the others) and stamped escalated."""
    if target == "resolution":
        cur.execute(
            "SELECT id::text, serial, kind, status, group_name, assignee_id,"
            " resolution_due_at AS due_at FROM ticket"
            " WHERE resolution_due_at < now() AND escalated_at IS NULL"
            " AND paused_since IS NULL AND status NOT IN ('resolved', 'closed', 'cancelled')"
            " ORDER BY resolution_due_at LIMIT %s FOR UPDATE SKIP LOCKED", (limit,))
        rows = cur.fetchall()
        if rows:
            cur.execute("UPDATE ticket SET escalated_at = now() WHERE id = ANY(%s::uuid[])",
                        ([r["id"] for r in rows],))
    else:
        cur.execute(
            "SELECT id::text, serial, kind, status, group_name, assignee_id,"
            " response_due_at AS due_at FROM ticket"
            " WHERE response_due_at < now() AND first_response_at IS NULL"
            " AND response_escalated_at IS NULL AND paused_since IS NULL"
            " AND status NOT IN ('resolved', 'closed', 'cancelled')"
            " ORDER BY response_due_at LIMIT %s FOR UPDATE SKIP LOCKED", (limit,))
        rows = cur.fetchall()
        if rows:
            cur.execute(
                "UPDATE ticket SET response_escalated_at = now() WHERE id = ANY(%s::uuid[])",
                ([r["id"] for r in rows],))
    return rows


def escalation_recipients(cur, group_name: str | None) -> list[str]:
    """The active supervisors of the group; none (or no group) -> the active managers."""
    if group_name:
        cur.execute(
            "SELECT id FROM staff_member WHERE groups @> ARRAY[%s]::text[] AND active"
            " AND 'supervisor' = ANY(roles) ORDER BY id", (group_name,))
        ids = [r["id"] for r in cur.fetchall()]
        if ids:
            return ids
    cur.execute("SELECT id FROM staff_member WHERE active AND 'manager' = ANY(roles) ORDER BY id")
    return [r["id"] for r in cur.fetchall()]


# --- reminders ------------------------------------------------------------------

def ticket_scope(cur, ticket_id: str) -> dict | None:
    """What deciding the caller's scope on a ticket needs."""
    cur.execute("SELECT id::text, serial, status, assignee_id, group_name, acceptor_id"
                " FROM ticket WHERE id = %s", (ticket_id,))
    return cur.fetchone()


def now(cur) -> datetime.datetime:
    cur.execute("SELECT now() AS now")
    return cur.fetchone()["now"]


def insert_reminder(cur, ticket_id: str, staff_id: str, due_at, note: str) -> dict:
    cur.execute(
        "WITH r AS (INSERT INTO reminder (ticket_id, staff_id, due_at, note)"
        " VALUES (%s, %s, %s, %s) RETURNING *)"
        " SELECT ""r.id::text, r.ticket_id::text, t.serial, r.staff_id, r.due_at, r.note,"
        " r.created_at, r.sent_at, r.cancelled_at"
        " FROM r JOIN ticket t ON t.id = r.ticket_id", (ticket_id, staff_id, due_at, note))
    return cur.fetchone()


def reminders_of(cur, staff_id: str, pending: bool, after: tuple | None,
                 limit: int) -> list[dict]:
    """Keyset (due_at, id) ascending; index reminder_staff."""
    cur.execute(
        "SELECT ""r.id::text, r.ticket_id::text, t.serial, r.staff_id, r.due_at, r.note,"
        " r.created_at, r.sent_at, r.cancelled_at"
        " FROM reminder r JOIN ticket t ON t.id = r.ticket_id"
        " WHERE r.staff_id = %(staff)s AND r.cancelled_at IS NULL"
        " AND (NOT %(pending)s OR r.sent_at IS NULL)"
        " AND (%(after_due)s::timestamptz IS NULL"
        "      OR (r.due_at, r.id) > (%(after_due)s::timestamptz, %(after_id)s::uuid))"
        " ORDER BY r.due_at, r.id LIMIT %(limit)s",
        {"staff": staff_id, "pending": pending, "after_due": after[0] if after else None,
         "after_id": after[1] if after else None, "limit": limit})
    return cur.fetchall()


def reminder_for_update(cur, reminder_id: str) -> dict | None:
    cur.execute(
        "SELECT ""r.id::text, r.ticket_id::text, t.serial, r.staff_id, r.due_at, r.note,"
        " r.created_at, r.sent_at, r.cancelled_at"
        " FROM reminder r JOIN ticket t ON t.id = r.ticket_id WHERE r.id = %s"
        " FOR UPDATE OF r", (reminder_id,))
    return cur.fetchone()


def cancel_reminder(cur, reminder_id: str) -> None:
    cur.execute("UPDATE reminder SET cancelled_at = now() WHERE id = %s", (reminder_id,))


def claim_due_reminders(cur, limit: int) -> list[dict]:
    """Due, unsent, uncancelled reminders, locked (SKIP LOCKED) and marked sent."""
    cur.execute(
        "WITH due AS (SELECT id FROM reminder WHERE due_at <= now() AND sent_at IS NULL"
        " AND cancelled_at IS NULL ORDER BY due_at LIMIT %s FOR UPDATE SKIP LOCKED),"
        " sent AS (UPDATE reminder r SET sent_at = now() FROM due WHERE r.id = due.id"
        " RETURNING r.*)"
        " SELECT ""r.id::text, r.ticket_id::text, t.serial, r.staff_id, r.due_at, r.note,"
        " r.created_at, r.sent_at, r.cancelled_at"
        " FROM sent r JOIN ticket t ON t.id = r.ticket_id", (limit,))
    return cur.fetchall()


# --- the due view ----------------------------------------------------------------

def due_tickets(cur, groups: list[str] | None, breached: bool, after: tuple | None,
                limit: int) -> list[dict]:
    """Open tickets by resolution due time (keyset (resolution_due_at, id) ascending;
    indexes ticket_open_by_due / ticket_group_open_by_due — one group is an equality,
    so the index gives the order); `groups` None = all."""
    cur.execute(
        "SELECT id::text, serial, kind, urgency, status, group_name, assignee_id,"
        " accepted_at, first_response_at, response_due_at, resolution_due_at, paused_since,"
        " escalated_at, response_escalated_at,"
        " (paused_since IS NULL AND resolution_due_at < now()) AS breached"
        " FROM ticket WHERE status NOT IN ('resolved', 'closed', 'cancelled')"
        " AND resolution_due_at IS NOT NULL"
        " AND (%(all)s OR %(one)s::text IS NOT NULL OR group_name = ANY(%(groups)s))"
        " AND (%(one)s::text IS NULL OR group_name = %(one)s)"
        " AND (NOT %(breached)s OR (resolution_due_at < now() AND paused_since IS NULL))"
        " AND (%(after_due)s::timestamptz IS NULL"
        "      OR (resolution_due_at, id) > (%(after_due)s::timestamptz, %(after_id)s::uuid))"
        " ORDER BY resolution_due_at, id LIMIT %(limit)s",
        {"all": groups is None, "groups": list(groups or []), "breached": breached,
         "one": groups[0] if groups and len(groups) == 1 else None,
         "after_due": after[0] if after else None, "after_id": after[1] if after else None,
         "limit": limit})
    return cur.fetchall()

"""All SQL of time (T6): what the clock of a ticket reads and writes, the SLA
configuration, the escalation and reminder claims (SKIP LOCKED: safe with several
replicas), the due view.  Every change of hours or overrides increments
sla_settings.version in its transaction (the handlers cache the calendar under it)."""
import datetime

from psycopg2 import sql

from services.ticket.store import scope as scoped

# --- the clock of a ticket -------------------------------------------------------

def clock_settings(cur) -> dict:
    """The business hours {timezone, day_start, day_end, version}."""
    cur.execute("SELECT timezone, day_start, day_end, version FROM sla_settings")
    return cur.fetchone()


def clock_and_policy(cur, kind: str, urgency: str) -> dict | None:
    """The business hours with the targets of kind x urgency (None when unset) and now."""
    cur.execute(
        "SELECT s.timezone, s.day_start, s.day_end, s.version, p.response_minutes,"
        " p.resolution_minutes, now() AS now FROM sla_settings s"
        " LEFT JOIN sla_policy p ON p.kind = %s AND p.urgency = %s",
        (kind, urgency))
    return cur.fetchone()


def workdays(cur) -> dict[datetime.date, bool]:
    """Every calendar override: {day: working day or not}."""
    cur.execute("SELECT day, workday FROM calendar_override")
    return {r["day"]: r["workday"] for r in cur.fetchall()}


def set_due_times(cur, ticket_id: str, due: dict) -> None:
    cur.execute("UPDATE ticket SET response_due_at = %s, resolution_due_at = %s WHERE id = %s",
                (due["response_due_at"], due["resolution_due_at"], ticket_id))


def ticket_clock(cur, ticket_id: str) -> dict | None:
    """The ticket's clock, locked: paused_since, first_response_at, the due times, now."""
    cur.execute(
        "SELECT paused_since, first_response_at, response_due_at, resolution_due_at,"
        " now() AS now FROM ticket WHERE id = %s FOR UPDATE", (ticket_id,))
    return cur.fetchone()


_SETTABLE = ("first_response_at", "paused_since", "response_due_at", "resolution_due_at")


def set_clock(cur, ticket_id: str, changes: dict, paused_seconds: int) -> None:
    """Set the columns of the clock named in `changes` (others keep their value) and add
    the business seconds of a pause that ended."""
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
        "   ELSE resolution_due_at END,"
        " paused_seconds = paused_seconds + %(paused)s"
        " WHERE id = %(id)s",
        {**values, **flags, "paused": paused_seconds, "id": ticket_id})


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


# --- reminders ------------------------------------------------------------------

# A reminder as the contract's Reminder names it (r: the reminder, t: its ticket).
REMINDER = sql.SQL("r.id::text, r.ticket_id::text, t.serial, r.staff_id, r.due_at, r.note,"
                   " r.created_at, r.sent_at, r.cancelled_at")


def insert_reminder(cur, ticket_id: str, staff_id: str, due_at, note: str) -> dict:
    cur.execute(sql.SQL(
        "WITH r AS (INSERT INTO reminder (ticket_id, staff_id, due_at, note)"
        " VALUES (%s, %s, %s, %s) RETURNING *)"
        " SELECT {} FROM r JOIN ticket t ON t.id = r.ticket_id").format(REMINDER),
        (ticket_id, staff_id, due_at, note))
    return cur.fetchone()


def reminders_of(cur, staff_id: str, pending: bool, after: tuple | None,
                 limit: int) -> list[dict]:
    """Keyset (due_at, id) ascending; index reminder_staff."""
    cur.execute(sql.SQL(
        "SELECT {} FROM reminder r JOIN ticket t ON t.id = r.ticket_id"
        " WHERE r.staff_id = %(staff)s AND r.cancelled_at IS NULL"
        " AND (NOT %(pending)s OR r.sent_at IS NULL)"
        " AND (%(after_due)s::timestamptz IS NULL"
        "      OR (r.due_at, r.id) > (%(after_due)s::timestamptz, %(after_id)s::uuid))"
        " ORDER BY r.due_at, r.id LIMIT %(limit)s").format(REMINDER),
        {"staff": staff_id, "pending": pending, "after_due": after[0] if after else None,
         "after_id": after[1] if after else None, "limit": limit})
    return cur.fetchall()


def reminder_for_update(cur, reminder_id: str) -> dict | None:
    cur.execute(sql.SQL(
        "SELECT {} FROM reminder r JOIN ticket t ON t.id = r.ticket_id WHERE r.id = %s"
        " FOR UPDATE OF r").format(REMINDER), (reminder_id,))
    return cur.fetchone()


def cancel_reminder(cur, reminder_id: str) -> dict:
    """Cancel the reminder; returns it."""
    cur.execute(sql.SQL(
        "WITH r AS (UPDATE reminder SET cancelled_at = now() WHERE id = %s RETURNING *)"
        " SELECT {} FROM r JOIN ticket t ON t.id = r.ticket_id").format(REMINDER),
        (reminder_id,))
    return cur.fetchone()


def claim_due_reminders(cur, limit: int) -> list[dict]:
    """Due, unsent, uncancelled reminders, locked (SKIP LOCKED) and marked sent."""
    cur.execute(sql.SQL(
        "WITH due AS (SELECT id FROM reminder WHERE due_at <= now() AND sent_at IS NULL"
        " AND cancelled_at IS NULL ORDER BY due_at LIMIT %s FOR UPDATE SKIP LOCKED),"
        " sent AS (UPDATE reminder r SET sent_at = now() FROM due WHERE r.id = due.id"
        " RETURNING r.*)"
        " SELECT {} FROM sent r JOIN ticket t ON t.id = r.ticket_id").format(REMINDER),
        (limit,))
    return cur.fetchall()


# --- the due view ----------------------------------------------------------------

def due_tickets(cur, scope: dict, group: str | None, breached: bool, after: tuple | None,
                limit: int) -> list[dict]:
    """Open tickets of the scope (of one group, when given) by resolution due time
    (keyset (resolution_due_at, id) ascending; indexes ticket_open_by_due /
    ticket_group_open_by_due — one group is an equality, so the index gives the
    order)."""
    cur.execute(sql.SQL(
        "SELECT t.id::text, t.serial, t.kind, t.urgency, t.status, t.group_name,"
        " t.assignee_id, t.accepted_at, t.first_response_at, t.response_due_at,"
        " t.resolution_due_at, t.paused_since, t.escalated_at, t.response_escalated_at,"
        " (t.paused_since IS NULL AND t.resolution_due_at < now()) AS breached"
        " FROM ticket t WHERE t.status NOT IN ('resolved', 'closed', 'cancelled')"
        " AND t.resolution_due_at IS NOT NULL AND {}"
        " AND (%(one)s::text IS NULL OR t.group_name = %(one)s)"
        " AND (NOT %(breached)s OR (t.resolution_due_at < now() AND t.paused_since IS NULL))"
        " AND (%(after_due)s::timestamptz IS NULL"
        "      OR (t.resolution_due_at, t.id) > (%(after_due)s::timestamptz,"
        "                                        %(after_id)s::uuid))"
        " ORDER BY t.resolution_due_at, t.id LIMIT %(limit)s").format(scoped.tickets(scope)),
        {"one": group, "breached": breached,
         "after_due": after[0] if after else None, "after_id": after[1] if after else None,
         "limit": limit, **scoped.params(scope)})
    return cur.fetchall()

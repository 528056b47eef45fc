"""Calls and contacts 话务报表 (R1, R2), no I/O: what one call and one contact add to the
rollups, and the call figures as read.

A call's fact is merged from the telephony events the report has seen of it (each
(call, event) once), so duplicates and order change nothing; every rollup row is the sum
of the facts' contributions, and a changed fact adds `call_delta(old, new)`.
  key      the China day and hour (0–23) of the offered time (else the first event's),
           the queue (the offered event's, else the first one named), the agent (the
           answering one, else the last one named, else '')
  offered 1; answered / abandoned 1 when that event is there; ring_seconds of an
  answered call (its wait_seconds, else answered − offered) and rung 1 when known;
  talk_seconds (ended − answered) and talked 1 when both are there; quick_hangups 1
  when answered and talked less than the quick hang-up seconds (速挂).
A contact (contact log) adds, on the China day and hour it started, by channel,
direction and agent: contacts 1, answered 1 when it lasted (duration > 0), its seconds.
Hotline 热线 figures are the calls'; outbound attempts are phone contacts out (answered:
those that lasted); online 在线 are web and wechat contacts in.
"""
import datetime
import hashlib

from services.common.errors import Invalid, NotFound
from services.common.zone import CHINA
from services.report.domain.figures import EVERYTHING, MAX_POINTS, periods
from services.vocabulary import SUPERVISOR

CALL_HOUR, CONTACT_HOUR = "call_hour", "contact_hour"
TABLES = (CALL_HOUR, CONTACT_HOUR)
CALL_KEY = ("day", "hour", "queue", "agent_id")
CALL_COUNTERS = ("offered", "answered", "abandoned", "ring_seconds", "rung", "talk_seconds",
                 "talked", "quick_hangups")
CONTACT_KEY = ("day", "hour", "channel", "direction", "agent_id")
CONTACT_COUNTERS = ("contacts", "answered", "duration_seconds")
COUNTERS = {CALL_HOUR: CALL_COUNTERS, CONTACT_HOUR: CONTACT_COUNTERS}
OUTBOUND = ("phone", "out")
ONLINE_CHANNELS, ONLINE_DIRECTION = ("web", "wechat"), "in"
QUICK_HANGUP_SECONDS = 5
# grouping dimension -> the field it is answered in
DIMENSIONS = {"queue": "queue", "agent": "agent_id", "hour": "hour"}
CALL_READERS = EVERYTHING | {SUPERVISOR}  # every queue and agent; anyone else: their own

Contribution = dict[tuple, dict[str, int]]


def lock_key(call_id: str) -> int:
    """A signed 64-bit key for the transaction lock on one call's fact."""
    return int.from_bytes(hashlib.blake2b(f"call:{call_id}".encode(), digest_size=8).digest(),
                          "big", signed=True)


def _seconds(start: datetime.datetime, end: datetime.datetime) -> int:
    return max(0, int((end - start).total_seconds()))


def call_fact(call_id: str, events: list[dict], quick_seconds: int) -> dict | None:
    """The fact of a call from its events ({event, at, queue, agent_id, wait_seconds}),
    one per event name; None without any."""
    if not events:
        return None
    ordered = sorted(events, key=lambda e: (e["at"], e["event"]))
    by_name = {e["event"]: e for e in ordered}
    offered, answered = by_name.get("offered"), by_name.get("answered")
    ended = by_name.get("ended")
    start = (offered or ordered[0])["at"].astimezone(CHINA)
    queue = (offered or {}).get("queue") or next((e["queue"] for e in ordered if e["queue"]),
                                                 None)
    named = [e["agent_id"] for e in ordered if e.get("agent_id")]
    agent = (answered or {}).get("agent_id") or (named[-1] if named else None)
    ring = None
    if answered is not None:
        if answered.get("wait_seconds") is not None:
            ring = max(0, int(answered["wait_seconds"]))
        elif offered is not None:
            ring = _seconds(offered["at"], answered["at"])
    talk = (_seconds(answered["at"], ended["at"])
            if answered is not None and ended is not None else None)
    return {"call_id": call_id, "day": start.date(), "hour": start.hour,
            "queue": queue or "", "agent_id": agent or "",
            "offered": 1, "answered": int(answered is not None),
            "abandoned": int("abandoned" in by_name),
            "ring_seconds": ring or 0, "rung": int(ring is not None),
            "talk_seconds": talk or 0, "talked": int(talk is not None),
            "quick_hangups": int(talk is not None and talk < quick_seconds)}


def contact_fact(contact: dict) -> dict:
    """The fact of a contact (ContactLogged, loaded)."""
    start = contact["started_at"].astimezone(CHINA)
    duration = max(0, int(contact.get("duration_seconds") or 0))
    return {"contact_id": contact["contact_id"], "day": start.date(), "hour": start.hour,
            "channel": contact["channel"], "direction": contact["direction"],
            "agent_id": contact.get("agent_id") or "", "contacts": 1,
            "answered": int(duration > 0), "duration_seconds": duration}


def contribution(table: str, fact: dict | None) -> Contribution:
    """{key: counters} one fact adds to its rollup (None: nothing)."""
    if fact is None:
        return {}
    key = CALL_KEY if table == CALL_HOUR else CONTACT_KEY
    return {tuple(fact[k] for k in key): {c: fact[c] for c in COUNTERS[table]}}


def delta(table: str, old: dict | None, new: dict | None) -> Contribution:
    """What the rollup gains when a fact changes from `old` to `new`, rows summing to
    zero left out."""
    out: Contribution = {}
    for sign, fact in ((1, new), (-1, old)):
        for key, counters in contribution(table, fact).items():
            row = out.setdefault(key, dict.fromkeys(COUNTERS[table], 0))
            for name, n in counters.items():
                row[name] += sign * n
    return {k: c for k, c in out.items() if any(c.values())}


def rows(table: str, change: Contribution) -> list[tuple]:
    """(key..., counters...) rows in key order, as the store adds them."""
    return [(*key, *(change[key][c] for c in COUNTERS[table])) for key in sorted(change)]


def summed(table: str, facts: list[dict]) -> Contribution:
    """The reference: a rollup as the sum of the facts' contributions."""
    out: Contribution = {}
    for fact in facts:
        for key, counters in contribution(table, fact).items():
            row = out.setdefault(key, dict.fromkeys(COUNTERS[table], 0))
            for name, n in counters.items():
                row[name] += n
    return {k: c for k, c in out.items() if any(c.values())}


# -- the figures as read (R2) --------------------------------------------------------------
def agent_scope(principal_id: str, roles) -> str | None:
    """Supervisors, managers up, admins and auditors: every queue and agent (None); anyone
    else (an agent): their own calls and contacts — a filter naming another agent is
    NotFound."""
    return None if frozenset(roles) & CALL_READERS else principal_id


def within_scope(agent: str | None, asked: str | None) -> str | None:
    """The agent filter in effect (NotFound: another agent than the caller's own)."""
    if agent and asked not in (None, agent):
        raise NotFound("no such agent in your scope")
    return agent or asked


def fields_of(by) -> list[str]:
    return [DIMENSIONS[d] for d in DIMENSIONS if d in set(by)]


def _key(row: dict, fields: list[str]) -> tuple:
    return tuple(row.get(f) if f == "hour" else (row.get(f) or None) for f in fields)


def _order(key: tuple) -> tuple:
    return tuple((v is not None, v if v is not None else "") if not isinstance(v, int)
                 else (True, v) for v in key)


def check_size(call_rows: list[dict], contact_rows: list[dict], by, first: datetime.date,
               last: datetime.date, period: str) -> None:
    """Invalid when the answer would hold more than MAX_POINTS points (every period for
    every key found): naming `by` when grouped, else `from`."""
    fields = fields_of(by)
    keys = len({_key(r, fields) for r in (*call_rows, *contact_rows)}) or 1
    points = keys * len(periods(first, last, period))
    if points > MAX_POINTS:
        raise Invalid("the answer would be too large",
                      {("by" if fields else "from"): [
                          f"{points} points (keys × periods) above {MAX_POINTS}: group by "
                          "less, or ask a shorter range or a longer period"]})


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean(seconds: int, n: int) -> float | None:
    return round(seconds / n, 1) if n else None


CALL_SUMS = ("offered", "answered", "abandoned", "ring_seconds", "rung", "talk_seconds",
             "talked", "quick_hangups")
CONTACT_SUMS = ("outbound", "outbound_answered", "online", "online_seconds")


def figure(sums: dict) -> dict:
    """A point's figures from its sums (CALL_SUMS, CONTACT_SUMS)."""
    return {"offered": sums["offered"], "answered": sums["answered"],
            "abandoned": sums["abandoned"], "answer_rate": _rate(sums["answered"],
                                                                 sums["offered"]),
            "ring_seconds": sums["ring_seconds"], "talk_seconds": sums["talk_seconds"],
            "avg_ring_seconds": _mean(sums["ring_seconds"], sums["rung"]),
            "avg_talk_seconds": _mean(sums["talk_seconds"], sums["talked"]),
            "quick_hangups": sums["quick_hangups"], "outbound": sums["outbound"],
            "outbound_answered": sums["outbound_answered"],
            "outbound_answer_rate": _rate(sums["outbound_answered"], sums["outbound"]),
            "online": sums["online"], "online_seconds": sums["online_seconds"]}


def series(call_rows: list[dict], contact_rows: list[dict], by, first: datetime.date,
           last: datetime.date, period: str) -> list[dict]:
    """Every period of the range for every key found (zeros where none), in key then
    period order; each point: period, the grouped fields, the figures."""
    fields = fields_of(by)
    sums: dict = {}
    for found, names in ((call_rows, CALL_SUMS), (contact_rows, CONTACT_SUMS)):
        for r in found:
            point = sums.setdefault((r["period"], _key(r, fields)),
                                    dict.fromkeys(CALL_SUMS + CONTACT_SUMS, 0))
            for name in names:
                point[name] += r[name] or 0
    keys = sorted({k for _, k in sums} or ({()} if not fields else set()), key=_order)
    zero = dict.fromkeys(CALL_SUMS + CONTACT_SUMS, 0)
    return [{"period": start, **dict(zip(fields, key, strict=True)),
             **figure(sums.get((start, key), zero))}
            for key in keys for start in periods(first, last, period)]


# -- the check against the owner (R4) ------------------------------------------------------
CHECKED = ("offered", "answered", "abandoned", "outbound")
CHECK_KIND = "calls"  # the `kind` a call difference is named by


def differences(ours: list[dict], owner: list[dict]) -> list[dict]:
    """Each (day, measure) where our call counts and the owner's differ (a missing row
    counts 0), named like the ticket ones with kind "calls"."""
    def day(value) -> datetime.date:
        return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)
    mine = {day(r["day"]): r for r in ours}
    theirs = {day(r["day"]): r for r in owner}
    out = []
    for d in sorted(set(mine) | set(theirs)):
        a, b = mine.get(d, {}), theirs.get(d, {})
        for measure in CHECKED:
            if (a.get(measure) or 0) != (b.get(measure) or 0):
                out.append({"day": d, "kind": CHECK_KIND, "measure": measure,
                            "ours": a.get(measure) or 0, "owner": b.get(measure) or 0})
    return out

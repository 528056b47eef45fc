"""Field work 外勤 — the service department's own accounts (R1, R2), no I/O: one field
job's fact, what it adds to the daily rollup, the figures as read, the biggest
customers' ranking and the check against the owner.

A job's fact has two sides, each kept in its own fields and set once: the dispatched
side (ticket_dispatched: when it was sent, its appointment's end, the ticket's category
then) and the handled side (dispatch_handled, a job done: its finish, minutes on site,
parts, fee, paid, the category then).  The common fields (ticket, staff member,
customer) are the dispatched side's once seen, else the handled side's; the level the
highest told.  So a duplicate changes nothing and the two sides merge to the same fact
in either order.  A rebuild's record (the owner's dispatch with its handling record) is
the whole fact.

Contribution to field_day (China day × staff member × category: the dispatched side's,
else the handled side's, '' for none):
  dispatched 1 on the day it was sent;
  on the day it was handled (finished): handled 1 (a visit that did the job), minutes
  (arrival to finish, whole minutes) and timed 1 when both were entered, parts (total
  quantity), fee_fen (the fee charged, integer fen), paid_fen (the fee when paid: 收费),
  late 1 when it finished after its appointment window ended.
A handling record of a job not done emits no event (the ticket service's rule): it is
counted nowhere, live or rebuilt.
"""
import datetime
import hashlib
from decimal import Decimal

from services.common.errors import Invalid, NotFound
from services.common.zone import CHINA
from services.report.domain.figures import MAX_POINTS, periods
from services.vocabulary import ADMINS, AUDITOR, FIELD, SUPERVISORS_UP

FIELD_DAY = "field_day"
TABLES = (FIELD_DAY,)
KEY = ("day", "staff_id", "category_id")
COUNTERS = ("dispatched", "handled", "minutes", "timed", "parts", "fee_fen", "paid_fen",
            "late")
COMMON = ("ticket_id", "staff_id", "customer_id")
DISPATCHED_SIDE = ("dispatched_at", "window_end", "d_category")
HANDLED_SIDE = ("handled_at", "minutes", "parts", "fee_fen", "paid", "h_category")
FACT_FIELDS = ("dispatch_id", *COMMON, "level", *DISPATCHED_SIDE, *HANDLED_SIDE)
DIMENSIONS = {"staff": "staff_id", "category": "category_id"}
ALL_READERS = SUPERVISORS_UP | ADMINS | {AUDITOR}  # every field staff member's figures
FIELD_READERS = ALL_READERS | {FIELD}  # field staff: their own
CUSTOMER_READERS = ALL_READERS
TOP_DAYS, TOP_LIMIT = 92, 100

Contribution = dict[tuple, dict[str, int]]


def lock_key(dispatch_id: str) -> int:
    """A signed 64-bit key for the transaction lock on one job's fact."""
    return int.from_bytes(hashlib.blake2b(f"dispatch:{dispatch_id}".encode(),
                                          digest_size=8).digest(), "big", signed=True)


def fen(fee) -> int | None:
    """Yuan (a Decimal or its text, 2 places) as integer fen, exactly."""
    if fee is None:
        return None
    return int((Decimal(str(fee)) * 100).to_integral_exact())


def minutes_on_site(arrived: datetime.datetime | None,
                    finished: datetime.datetime | None) -> int | None:
    """Whole minutes from arrival to finish (None unless both, in order)."""
    if arrived is None or finished is None or finished < arrived:
        return None
    return int((finished - arrived).total_seconds() // 60)


def _blank() -> dict:
    return dict.fromkeys(FACT_FIELDS)


def dispatched_part(event: dict, occurred_at: datetime.datetime) -> dict:
    """The dispatched side from a loaded TicketDispatched (sent at its dispatched_at,
    else when the event happened)."""
    snapshot = event.get("snapshot") or {}
    return {**_blank(), "dispatch_id": event["dispatch_id"], "ticket_id": event["ticket_id"],
            "staff_id": event["staff_id"],
            "customer_id": event.get("customer_id") or snapshot.get("customer_id") or "",
            "level": int(event.get("level") or 0),
            "dispatched_at": event.get("dispatched_at") or occurred_at,
            "window_end": event["window_end"],
            "d_category": snapshot.get("category_id") or ""}


def handled_part(event: dict) -> dict:
    """The handled side from a loaded DispatchHandled (a job done)."""
    fee = fen(event.get("fee"))
    return {**_blank(), "dispatch_id": event["dispatch_id"], "ticket_id": event["ticket_id"],
            "staff_id": event["staff_id"], "customer_id": event.get("customer_id") or "",
            "level": int(event.get("level") or 0), "handled_at": event["at"],
            "minutes": minutes_on_site(event.get("arrived_at"), event.get("finished_at")),
            "parts": int(event.get("parts") or 0), "fee_fen": fee or 0,
            "paid": bool(event.get("paid")), "h_category": event.get("category_id") or ""}


def record_fact(record: dict) -> dict:
    """The whole fact from the owner's record (a loaded ReportDispatch)."""
    done = record.get("handled_at") is not None
    return {"dispatch_id": record["dispatch_id"], "ticket_id": record["ticket_id"],
            "staff_id": record["staff_id"], "customer_id": record.get("customer_id") or "",
            "level": int(record.get("level") or 0),
            "dispatched_at": record["dispatched_at"], "window_end": record.get("window_end"),
            "d_category": record.get("category_id") or "",
            "handled_at": record["handled_at"] if done else None,
            "minutes": (minutes_on_site(record.get("arrived_at"), record.get("finished_at"))
                        if done else None),
            "parts": int(record.get("parts") or 0) if done else None,
            "fee_fen": (fen(record.get("fee")) or 0) if done else None,
            "paid": bool(record.get("paid")) if done else None,
            "h_category": (record.get("category_id") or "") if done else None}


def merge(old: dict | None, part: dict) -> dict:
    """The fact after seeing `part` (one side): a side already kept stays as it is; the
    common fields are the dispatched side's once seen; the level the highest."""
    if old is None:
        return dict(part)
    new = dict(old)
    if part["dispatched_at"] is not None and old["dispatched_at"] is None:
        new.update({k: part[k] for k in DISPATCHED_SIDE})
    if part["handled_at"] is not None and old["handled_at"] is None:
        new.update({k: part[k] for k in HANDLED_SIDE})
    if part["dispatched_at"] is not None:
        new.update({k: part[k] for k in COMMON})
    new["level"] = max(int(old["level"] or 0), int(part["level"] or 0))
    return new


def merge_record(old: dict | None, record: dict) -> dict:
    """A rebuild's whole fact (record_fact) over the one kept: the owner's word wins,
    but a handled side a live event brought after the owner's page was read stays (the
    page is older than the event; the handling record is never taken back)."""
    new = dict(record)
    if old is not None and new["handled_at"] is None and old["handled_at"] is not None:
        new.update({k: old[k] for k in HANDLED_SIDE})
    if old is not None:
        new["level"] = max(int(old["level"] or 0), int(new["level"] or 0))
    return new


def contribution(fact: dict | None) -> Contribution:
    """{key: counters} one fact adds to field_day (None: nothing)."""
    if fact is None:
        return {}
    category = (fact["d_category"] if fact["dispatched_at"] is not None
                else fact["h_category"]) or ""
    out: Contribution = {}
    if fact["dispatched_at"] is not None:
        key = (fact["dispatched_at"].astimezone(CHINA).date(), fact["staff_id"], category)
        out[key] = {**dict.fromkeys(COUNTERS, 0), "dispatched": 1}
    if fact["handled_at"] is not None:
        key = (fact["handled_at"].astimezone(CHINA).date(), fact["staff_id"], category)
        row = out.setdefault(key, dict.fromkeys(COUNTERS, 0))
        fee = int(fact["fee_fen"] or 0)
        window_end = fact["window_end"]
        row.update(handled=1, minutes=int(fact["minutes"] or 0),
                   timed=int(fact["minutes"] is not None), parts=int(fact["parts"] or 0),
                   fee_fen=fee, paid_fen=fee if fact["paid"] else 0,
                   late=int(window_end is not None and fact["handled_at"] > window_end))
    return out


def _add(out: Contribution, fact: dict | None, sign: int) -> None:
    for key, counters in contribution(fact).items():
        row = out.setdefault(key, dict.fromkeys(COUNTERS, 0))
        for name, n in counters.items():
            row[name] += sign * n


def delta(old: dict | None, new: dict | None) -> Contribution:
    """What field_day gains when a fact changes from `old` to `new` (zero rows left
    out)."""
    out: Contribution = {}
    _add(out, new, 1)
    _add(out, old, -1)
    return {k: c for k, c in out.items() if any(c.values())}


def rows(change: Contribution) -> list[tuple]:
    """(key..., counters...) rows in key order, as the store adds them."""
    return [(*key, *(change[key][c] for c in COUNTERS)) for key in sorted(change)]


def summed(facts: list[dict]) -> Contribution:
    """The reference: field_day as the sum of the facts' contributions."""
    out: Contribution = {}
    for fact in facts:
        _add(out, fact, 1)
    return {k: c for k, c in out.items() if any(c.values())}


# -- the figures as read (R2) --------------------------------------------------------------
def staff_scope(principal_id: str, roles) -> str | None:
    """Supervisors up, admins and auditors: every field staff member (None); a field
    staff member: their own figures only."""
    return None if frozenset(roles) & ALL_READERS else principal_id


def within_scope(own: str | None, asked: str | None) -> str | None:
    """The staff filter in effect (NotFound: another staff member than the caller)."""
    if own and asked not in (None, own):
        raise NotFound("no such field staff member in your scope")
    return own or asked


def grouped(by) -> list[str]:
    return [DIMENSIONS[d] for d in DIMENSIONS if d in set(by)]


FIGURES = ("dispatched", "handled", "minutes", "timed", "parts", "fee_fen", "paid_fen",
           "late")


def table(found: list[dict], by, first: datetime.date, last: datetime.date,
          period: str) -> tuple[list[str], list[list]]:
    """(columns, rows): every period of the range for every key found (zeros where
    none), in key then period order; Invalid naming `by` (else `from`) above MAX_POINTS
    rows."""
    fields = grouped(by)
    sums = {(r["period"], tuple(r[f] for f in fields)): r for r in found}
    keys = sorted({k for _, k in sums}) if fields else [()]
    starts = periods(first, last, period)
    if len(keys) * len(starts) > MAX_POINTS:
        raise Invalid("the answer would be too large",
                      {("by" if fields else "from"): [
                          f"{len(keys) * len(starts)} rows (keys × periods) above "
                          f"{MAX_POINTS}: group by less, or ask a shorter range or a "
                          "longer period"]})
    zero = dict.fromkeys(FIGURES, 0)
    return (["period", *fields, *FIGURES],
            [[start.isoformat(), *key, *(int(sums.get((start, key), zero)[f] or 0)
                                         for f in FIGURES)]
             for key in keys for start in starts])


def check_top(first: datetime.date, last: datetime.date) -> None:
    if last < first:
        raise Invalid("the period ends before it starts", {"to": ["must not be before from"]})
    if (last - first).days + 1 > TOP_DAYS:
        raise Invalid("the period is too long", {"to": [f"at most {TOP_DAYS} days"]})


# -- the check against the owner (R4) ------------------------------------------------------
CHECKED = ("dispatched", "handled", "fee_fen")
CHECK_KIND = "field"  # the `kind` a field difference is named by


def differences(ours: list[dict], owner: list[dict]) -> list[dict]:
    """Each (day, measure) where our field counts and the owner's differ (a missing row
    counts 0), named with kind "field"."""
    def day(value) -> datetime.date:
        return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)
    mine = {day(r["day"]): r for r in ours}
    theirs = {day(r["day"]): r for r in owner}
    out = []
    for d in sorted(set(mine) | set(theirs)):
        a, b = mine.get(d, {}), theirs.get(d, {})
        for measure in CHECKED:
            if int(a.get(measure) or 0) != int(b.get(measure) or 0):
                out.append({"day": d, "kind": CHECK_KIND, "measure": measure,
                            "ours": int(a.get(measure) or 0),
                            "owner": int(b.get(measure) or 0)})
    return out

"""Use cases of bulk sends (N3): accept a batch at once, queue its recipients in the
background (a customer segment streamed page by page from the customer service, or an
uploaded list), report progress.

Each page of recipients is queued in one transaction with the batch's place in the
segment, and messages are unique by (batch, recipient, channel): a filler that dies
mid-page repeats at most that page, which adds nothing twice.
"""
import logging
import time

from services.common.errors import Invalid, NotFound
from services.common.identity import Principal
from services.common.rpc import call
from services.notify.domain import addresses, policy
from services.notify.domain import templates as rules
from services.notify.domain.templates import refused
from services.notify.handlers import sender, templates
from services.notify.handlers.sends import idem_key, store_now
from services.notify.store import batches as store
from services.notify.store import messages as messages_store
from services.notify.store import preferences as prefs_store

log = logging.getLogger(__name__)

PAGE = 1000
FILL_SECONDS = 10.0  # a tick fills pages back to back for up to this long
SEGMENT_TIMEOUT = 30.0
CONTACTS_CHUNK = 500  # the most customer ids contact_points takes at once
FILL_TRIES = 8        # troubles in a row (with back-off, ~10 min) before a batch fails


def create_batch(db, principal: Principal, data: dict, key: str | None) -> dict:
    """The batch, accepted (its recipients are queued by the filler); a repeated
    Idempotency-Key answers the first batch."""
    with db.transaction() as tx:
        t = templates.current(tx, data["template"], data["channel"], data["locale"])
        if t["purpose"] != "marketing" and "segment" in data:
            pass  # a service notice to a segment (a recall) is allowed; caps do not apply
        to_customers = "segment" in data
        shared = data["params"]
        if to_customers:
            rules.check_params(shared, rules.requested(t["variables"], True))
        else:
            for i, r in enumerate(data["recipients"]):
                _check_line(i, r, shared, t, data["channel"])
        idem = idem_key(principal, key)
        source = ({"segment": _plain(data["segment"])} if to_customers
                  else {"list": len(data["recipients"])})
        batch_id, made = store.insert(tx.cur, {
            "idem_key": idem, "template_id": t["id"], "channel": data["channel"],
            "title": data["title"] or t["name"], "source": source, "params": shared,
            "not_before": data.get("not_before"), "created_by": principal.id})
        if made and not to_customers:
            store.add_recipients(tx.cur, batch_id, [_plain(r) for r in data["recipients"]])
        return _with_progress(tx, store.get(tx.cur, batch_id))


def _plain(value):
    """JSON-ready: uuids and moments as text."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _check_line(i: int, r: dict, shared: dict, t: dict, channel: str) -> None:
    if ("phone" in r and channel != "sms") or ("email" in r and channel != "email"):
        raise refused(f"recipients.{i}", f"does not fit the {channel} channel")
    try:
        rules.check_params({**shared, **r["params"]},
                           rules.requested(t["variables"], "customer_id" in r))
    except Invalid as exc:
        raise Invalid(exc.message, {f"recipients.{i}.{k}": v
                                    for k, v in exc.fields.items()}) from None


def get_batch(db, batch_id: str) -> dict:
    with db.transaction() as tx:
        row = store.get(tx.cur, batch_id)
        if row is None:
            raise NotFound("no such batch")
        return _with_progress(tx, row)


def batches(db, query: dict) -> dict:
    with db.transaction() as tx:
        rows = store.listing(tx.cur, query["limit"])
        found = store.progress(tx.cur, [r["id"] for r in rows]) if rows else {}
    return {"batches": [_progress_of(r, found.get(r["id"])) for r in rows]}


def _with_progress(tx, row: dict) -> dict:
    return _progress_of(row, store.progress(tx.cur, [row["id"]]).get(row["id"]))


def _progress_of(row: dict, found: dict | None) -> dict:
    counts = {s: 0 for s in ("queued", "sending", "sent", "delivered", "failed", "skipped")}
    counts.update((found or {}).get("counts", {}))
    done = row["state"] == "queued" and counts["queued"] == counts["sending"] == 0
    return {**row, "progress": counts, "skipped_by_reason": (found or {}).get("skipped", {}),
            "done": done or row["state"] == "failed"}


# ---- the filler (a timer, notify's system identity) -----------------------------------

def fill(db, customers) -> int:
    """Queue pages of the oldest unfinished batch for up to FILL_SECONDS: how many
    messages were queued."""
    deadline = time.monotonic() + FILL_SECONDS
    queued = 0
    while time.monotonic() < deadline:
        added = _fill_page(db, customers)
        if added is None:
            break
        queued += added
    return queued


def _fill_page(db, customers) -> int | None:
    """One page of the oldest batch to fill queued (how many messages), or None when
    there is nothing to fill or the page could not be queued (recorded on the batch:
    it waits and tries again, and after FILL_TRIES in a row it fails)."""
    picked: dict = {}
    try:
        return _queue_page(db, customers, picked)
    except Exception as exc:  # noqa: BLE001 — any trouble: rolled back, counted, retried
        if "id" not in picked:
            raise
        log.warning("batch %s: a page could not be queued: %r", picked["id"], exc)
        with db.transaction() as tx:
            store.fill_trouble(tx.cur, picked["id"], f"名单排队出错：{exc}"[:500],
                               FILL_TRIES)
        return None


def _queue_page(db, customers, picked: dict) -> int | None:
    with db.transaction() as tx:
        b = store.to_fill(tx.cur)
        if b is None:
            return None
        picked["id"] = b["id"]
        t = templates.get_template(tx, b["template_id"])
        if "segment" in b["source"]:
            query = {**b["source"]["segment"], "limit": PAGE, "purpose": f"批量发送 {b['id']}"}
            if b["cursor"]:
                query["cursor"] = b["cursor"]
            try:
                page = call(customers.segment_contacts, query, timeout=SEGMENT_TIMEOUT)
            except Invalid as exc:  # the segment itself is refused: nothing will change that
                store.fail(tx.cur, b["id"], f"{exc.message}: {exc.fields}"[:500])
                return 0
            lines = [{"customer": c, "params": {}} for c in page["customers"]]
            cursor, finished = page["cursor"], page["cursor"] is None
        else:
            start = int(b["cursor"] or 0)
            rows = store.recipients(tx.cur, b["id"], start, PAGE)
            lines = [_line(r["recipient"]) for r in rows]
            cursor, finished = str(start + len(rows)), len(rows) < PAGE
        lines = _resolve_listed_customers(customers, lines, b["id"])
        now = store_now(tx)
        quiet = policy.QuietHours.parse(prefs_store.settings(tx.cur).get("quiet_hours", ""))
        at = policy.not_before(now, t["purpose"], t["quiet_hours"], quiet)
        made = [_message(b, t, line, at, now) for line in lines]
        new = messages_store.insert_many(tx.cur, made)
        # skipped as made (no address, no customer, not a mobile): told now, as the
        # sender tells the others (the report counts every message once)
        sender.emit_outcomes(tx, [(row, "skipped", row["reason"]) for row in new
                                  if row["status"] == "skipped"], now)
        store.advance(tx.cur, b["id"], cursor, len(new), finished)
        return len(new)


def _line(recipient: dict) -> dict:
    if "customer_id" in recipient:
        return {"customer_id": recipient["customer_id"], "params": recipient.get("params", {})}
    return {"address": recipient.get("phone", {}).get("e164") if "phone" in recipient
            else recipient.get("email"), "params": recipient.get("params", {})}


def _resolve_listed_customers(customers, lines: list[dict], batch_id: str) -> list[dict]:
    """Lines of a list that name customers get their contact points (one call a page)."""
    wanted = [line["customer_id"] for line in lines if "customer_id" in line]
    if not wanted:
        return lines
    found: dict[str, dict] = {}
    for i in range(0, len(wanted), CONTACTS_CHUNK):
        found.update((c["id"], c) for c in call(
            customers.contact_points,
            {"customer_ids": wanted[i:i + CONTACTS_CHUNK], "purpose": f"批量发送 {batch_id}"},
            timeout=SEGMENT_TIMEOUT)["customers"])
    out = []
    for line in lines:
        if "customer_id" in line:
            cp = found.get(line["customer_id"]) or {"id": line["customer_id"], "name": "",
                                                    "level": 0, "phone": None, "email": None,
                                                    "gone": True}
            out.append({"customer": cp, "params": line["params"]})
        else:
            out.append(line)
    return out


def _message(b: dict, t: dict, line: dict, at, now) -> dict:
    cp = line.get("customer")
    values = {**b["params"], **line["params"]}
    if cp is not None:
        address = (cp["phone"] if b["channel"] == "sms" else cp["email"]) or ""
        recipient = addresses.customer_key(cp["id"])
        for auto in rules.AUTO:
            if auto in t["variables"]:
                values.setdefault(auto, cp.get(auto) or "")
    else:
        address = (line.get("address") or "").lower() if b["channel"] == "email" \
            else line.get("address") or ""
        recipient = address
    values = {k: str(v) for k, v in values.items() if k in t["variables"]}
    reason = None if address else ("no_customer" if cp and cp.get("gone") else policy.NO_ADDRESS)
    if address and b["channel"] == "sms" and not addresses.is_mobile(address):
        address, reason = "", addresses.NOT_MOBILE
    return {
        "idem_key": f"batch:{b['id']}", "channel": b["channel"], "recipient": recipient,
        "address": address, "customer_id": cp["id"] if cp else None,
        "level": cp["level"] if cp else 0, "template_id": t["id"], "purpose": t["purpose"],
        "quiet_hours": t["quiet_hours"], "params": values,
        "subject": rules.render(t["subject"], values, t["variables"], "subject"),
        "content": rules.render(t["body"], values, t["variables"]),
        "batch_id": b["id"], "status": "queued" if address else "skipped",
        "reason": reason or ("quiet_hours" if at > now else None),
        "not_before": at, "created_by": b["created_by"]}

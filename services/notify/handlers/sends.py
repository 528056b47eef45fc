"""Use cases of single sends and reading messages (N1, N3).

A message to a customer is checked against the caller's view of the customer (the
customer service answers NotFound for one out of scope), queued with its address still
unknown, and resolved by the sender under notify's own identity (the customer
service's contact_points, logged in its borrowing log).  The reply never carries a
full phone number or email address; the content of a message about a customer above
the caller's clearance is withheld.
"""
import uuid

from services.common.errors import NotFound
from services.common.identity import Principal
from services.common.paging import decode_cursor, encode_cursor
from services.common.rpc import call
from services.notify.domain import addresses, policy
from services.notify.domain import templates as rules
from services.notify.domain.templates import refused
from services.notify.handlers import templates
from services.notify.store import messages as store
from services.notify.store import preferences as prefs_store
from services.vocabulary import SUPERVISORS_UP

CARD_TIMEOUT = 5.0


def visible_customer(customers, customer_id: str) -> dict:
    """The customer's card as the caller may see it (NotFound when out of scope)."""
    return call(customers.get_card, customer_id, timeout=CARD_TIMEOUT)


MAX_KEY = 200


def idem_key(principal: Principal, key: str | None) -> str:
    """The client's Idempotency-Key, per caller; without one, a fresh key (a retried
    request without a key is a new send)."""
    if key and len(key) > MAX_KEY:
        raise refused("Idempotency-Key", f"longer than {MAX_KEY} characters")
    return f"api:{principal.id}:{key}" if key else f"api:{uuid.uuid4()}"


def shown(principal: Principal, row: dict) -> dict:
    withheld = row["level"] > principal.clearance
    return {**row, "to": addresses.mask(row["channel"], row["address"]),
            "content": "" if withheld else row["content"],
            "subject": "" if withheld else row["subject"], "content_withheld": withheld}


def send(db, principal: Principal, customers, data: dict, key: str | None) -> dict:
    """One message queued (or the one an earlier call with the same key made)."""
    to = data["to"]
    level = 0
    if "customer_id" in to:
        customer_id = str(to["customer_id"])
        level = visible_customer(customers, customer_id)["effective_level"]
        recipient, address = addresses.customer_key(customer_id), ""
    else:
        customer_id = None
        address = to["phone"]["e164"] if "phone" in to else to["email"].lower()
        recipient = address
        if "phone" in to and not addresses.is_mobile(address):
            raise refused("to.phone", "not a mobile number: it cannot take an SMS")
    if ("phone" in to and data["channel"] != "sms") or (
            "email" in to and data["channel"] != "email"):
        raise refused("to", f"a {'phone' if 'phone' in to else 'email'} cannot take "
                              f"the {data['channel']} channel")
    with db.transaction() as tx:
        t = templates.current(tx, data["template"], data["channel"], data["locale"])
        values = rules.check_params(data["params"], t["variables"])
        now = store_now(tx)
        quiet = policy.QuietHours.parse(prefs_store.settings(tx.cur).get("quiet_hours", ""))
        at = policy.not_before(now, t["purpose"], t["quiet_hours"], quiet, data.get("not_before"))
        row, _ = store.insert(tx.cur, {
            "idem_key": idem_key(principal, key), "channel": data["channel"],
            "recipient": recipient, "address": address, "customer_id": customer_id,
            "level": level, "template_id": t["id"], "purpose": t["purpose"],
            "quiet_hours": t["quiet_hours"], "params": values,
            "subject": rules.render(t["subject"], values, t["variables"], "subject"),
            "content": rules.render(t["body"], values, t["variables"]),
            "batch_id": None, "status": "queued",
            "reason": "quiet_hours" if at > now else None, "not_before": at,
            "created_by": principal.id})
    return shown(principal, row)


def store_now(tx):
    """The database's clock (one for every replica)."""
    return store.now(tx.cur)


def get_message(db, principal: Principal, customers, message_id: str) -> dict:
    with db.transaction() as tx:
        row = store.get(tx.cur, message_id)
    if row is None or not _may_read(principal, customers, row):
        raise NotFound("no such message")
    return shown(principal, row)


def _may_read(principal: Principal, customers, row: dict) -> bool:
    """A customer's message: as far as the caller may see the customer; one of a batch
    or to a bare address: its sender, or supervisors up."""
    if row["customer_id"]:
        try:
            visible_customer(customers, row["customer_id"])
        except NotFound:
            return False
        return True
    return row["created_by"] == principal.id or principal.has_any(SUPERVISORS_UP)


def messages(db, principal: Principal, customers, query: dict) -> dict:
    """A customer's messages (as far as the caller may see the customer) or a batch's
    (supervisors up), newest first."""
    customer_id = str(query["customer_id"]) if query.get("customer_id") else None
    batch_id = str(query["batch_id"]) if query.get("batch_id") else None
    if customer_id:
        visible_customer(customers, customer_id)
    elif not principal.has_any(SUPERVISORS_UP):
        raise NotFound("no such batch")
    before = decode_cursor(query.get("before"), "before")
    with db.transaction() as tx:
        rows = store.page(tx.cur, customer_id, batch_id, query.get("status"), before,
                          query["limit"] + 1)
    more = len(rows) > query["limit"]
    rows = rows[:query["limit"]]
    return {"messages": [shown(principal, r) for r in rows],
            "next": encode_cursor(rows[-1]["created_at"], rows[-1]["id"]) if more else None}

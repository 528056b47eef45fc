"""Entrypoints of the customer service: confidentiality (C4) and the borrowing log."""
import logging
import uuid

from nameko.timer import timer

from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.events import on_event
from services.common.rpc import AuthenticatedRpc
from services.customer.contract import events as events_contract
from services.customer.contract import records as records_contract
from services.customer.contract.levels import TOP_SECRET
from services.customer.domain import access as rules
from services.customer.domain import records
from services.customer.store import access as store
from services.customer.store import records as record_store
from services.ticket.contract.events import TicketCreated
from services.vocabulary import MANAGERS_UP, STAFF

rpc = AuthenticatedRpc.decorator  # transitional: roles move to the contract index (issue 8)

log = logging.getLogger(__name__)


class AccessEntrypoints:
    """Classification, unmasking, borrowing requests, the log, declassification."""

    @rpc(allow=MANAGERS_UP)
    def classify(self, customer_id, data):
        """Set level, declassification and owner (C4); managers and above, never above
        their own clearance; history, borrowing log and customer_classified."""
        customer_id = records.parse_id(customer_id)
        c = records_contract.Classification().load(data)
        p = self.principal
        with self.db.transaction() as tx:
            card = record_store.card(tx.cur, customer_id, for_update=True)
            if card is None or card["destroyed_at"] is not None or (
                    card["effective_level"] > p.clearance):
                raise records.no_such_customer()
            if c["level"] > p.clearance:
                raise Forbidden("you may not classify above your own clearance",
                                {"level": [f"above your clearance ({p.clearance})"]})
            if c["declassify_at"] is not None:
                tx.cur.execute("SELECT %s::timestamptz > now() AS future", (c["declassify_at"],))
                if not tx.cur.fetchone()["future"]:
                    raise Invalid("declassification must be in the future",
                                  {"declassify_at": ["must be in the future"]})
            new = {"level": c["level"], "declassify_at": c["declassify_at"],
                   "declassify_to": c["declassify_to"]}
            for key in ("owner_id", "owner_group"):
                if key in c:
                    new[key] = c[key]
            old = {k: card[k] for k in new}
            diff = records.changes(old, new)
            if diff:
                record_store.update_card(tx.cur, customer_id, new)
                record_store.record_history(tx.cur, customer_id, p, "classify", diff)
                store.log_access(tx.cur, p, customer_id, "classify", c["level"],
                                 [d[0] for d in diff], c["reason"],
                                 {"from": card["effective_level"], "to": c["level"]})
                tx.emit("customer_classified", events_contract.CustomerClassified().dump(
                    {"customer_id": customer_id, **new}))
            view = self.view(tx.cur, customer_id, why=c["reason"])
        return records_contract.Customer().dump(view)

    @rpc(allow=STAFF)
    def unmask_phones(self, customer_id, reason):
        """The phone numbers in full: a permission of its own, always logged."""
        customer_id = records.parse_id(customer_id)
        why = records_contract.UnmaskRequest().load({"reason": reason})["reason"]
        with self.db.transaction() as tx:
            card = record_store.card(tx.cur, customer_id)
            if card is None or card["destroyed_at"] is not None:
                raise records.no_such_customer()
            decision = rules.unmask_decision(self.principal, card["effective_level"])
            store.log_access(tx.cur, self.principal, customer_id, decision.log_action,
                             card["effective_level"], ["phones"],
                             why if decision.allowed else decision.reason)
            if not decision.allowed:
                denied = Forbidden(decision.reason)
            else:
                denied = None
                phones = record_store.phones_of(tx.cur, [customer_id])[customer_id]
        if denied:  # the denial is logged (committed) before it is answered
            raise denied
        return {"phones": records_contract.FullPhone(many=True).dump(
            [{"e164": x["e164"], "ext": x["ext"] or None} for x in phones])}

    @rpc(allow=MANAGERS_UP)
    def request_access(self, data):
        """Ask to borrow (借阅) a top-secret archive for some hours."""
        d = records_contract.AccessRequestIn().load(data)
        cid = str(d["customer_id"])
        with self.db.transaction() as tx:
            card = record_store.card(tx.cur, cid)
            if card is None or card["destroyed_at"] is not None or (
                    card["effective_level"] > self.principal.clearance):
                raise records.no_such_customer()
            if card["effective_level"] < TOP_SECRET:
                raise Invalid("only top-secret records need an access request",
                              {"customer_id": ["not top secret"]})
            row = store.insert_access_request(tx.cur, cid, self.principal, d["reason"],
                                              d["hours"])
            store.log_access(tx.cur, self.principal, cid, "request", card["effective_level"],
                             ["archive"], d["reason"], {"request_id": row["id"],
                                                        "hours": d["hours"]})
        return records_contract.AccessRequest().dump(row)

    @rpc(allow=MANAGERS_UP)
    def decide_access_request(self, request_id, data):
        """Approve or reject; a manager or above who is not the requester, cleared for
        the record.  An approval opens the archive to the requester until it expires."""
        d = records_contract.AccessDecisionIn().load(data)
        rid = _uuid(request_id, "no such access request")
        p = self.principal
        with self.db.transaction() as tx:
            row = store.access_request_for_update(tx.cur, rid)
            if row is None:
                raise NotFound("no such access request")
            card = record_store.card(tx.cur, row["customer_id"])
            if card is None or card["effective_level"] > p.clearance:
                raise NotFound("no such access request")
            if row["requester_id"] == p.id:
                raise Forbidden("you may not decide your own request")
            if row["status"] != "pending":
                raise Conflict(f"already {row['status']}")
            status = "approved" if d["decision"] == "approve" else "rejected"
            row = store.decide_access_request(tx.cur, rid, status, p.id)
            store.log_access(tx.cur, p, row["customer_id"],
                             "grant" if status == "approved" else "reject",
                             card["effective_level"], ["archive"], row["reason"],
                             {"request_id": rid, "requester_id": row["requester_id"],
                              "expires_at": row["expires_at"].isoformat()
                              if row["expires_at"] else None})
        return records_contract.AccessRequest().dump(row)

    @rpc(allow=MANAGERS_UP | {"auditor"})
    def access_requests(self, status=None, limit=100):
        if status not in (None, "pending", "approved", "rejected"):
            raise Invalid("unknown status", {"status": ["pending, approved or rejected"]})
        limit = max(1, min(int(limit), 500))
        with self.db.transaction() as tx:
            rows = store.access_requests(tx.cur, status, limit)
        return {"requests": records_contract.AccessRequest(many=True).dump(rows)}

    @rpc(allow=rules.LOG_READERS)
    def access_log(self, customer_id, before=None, limit=100):
        """The borrowing log of one customer, newest first (managers and auditors)."""
        customer_id = records.parse_id(customer_id)
        limit = max(1, min(int(limit), 500))
        try:
            before = int(before) if before not in (None, "") else None
        except (TypeError, ValueError) as exc:
            raise Invalid("bad cursor", {"before": ["must be a sequence number"]}) from exc
        with self.db.transaction() as tx:
            card = record_store.card(tx.cur, customer_id)
            if card is None:
                raise records.no_such_customer()
            rows = store.access_log_of(tx.cur, customer_id, before, limit)
        return {"entries": records_contract.AccessLogEntry(many=True).dump(rows),
                "next": str(rows[-1]["seq"]) if len(rows) == limit else None}

    @timer(interval=5)
    def declassify_due(self):
        """Materialise declassifications whose date has passed (C4); safe with replicas
        (rows claimed with SKIP LOCKED); each one logged, recorded and published."""
        with self.db.transaction() as tx:
            for row in record_store.due_declassifications(tx.cur, 200):
                record_store.materialise_declassification(tx.cur, row["id"], row["declassify_to"])
                record_store.record_history(
                    tx.cur, row["id"], self.principal, "declassify",
                    [("level", row["level"], row["declassify_to"]),
                     ("declassify_at", row["declassify_at"].isoformat(), None)])
                store.log_access(tx.cur, self.principal, row["id"], "declassify",
                                 row["declassify_to"], ["level"], "declassification date reached",
                                 {"from": row["level"], "to": row["declassify_to"]})
                tx.emit("customer_classified", events_contract.CustomerClassified().dump(
                    {"customer_id": row["id"], "level": row["declassify_to"],
                     "declassify_at": None, "declassify_to": None}))

    @on_event("ticket", "ticket_created")
    def ticket_contact(self, event):
        """A ticket is a contact: keeps last_contact_at for segments (C9)."""
        ticket = TicketCreated().load(event["data"])
        with self.db.transaction() as tx:
            record_store.touch_contact(tx.cur, ticket["customer_id"], event["occurred_at"])


def _uuid(value, message: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError as exc:
        raise NotFound(message) from exc


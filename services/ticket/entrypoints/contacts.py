"""Entrypoints of the ticket service: the contact log and telephony call events (T8).
Mixed into TicketService."""
import uuid

from services.common.errors import NotFound
from services.common.events import on_event
from services.common.metrics import Counter
from services.common.rpc import AuthenticatedRpc
from services.customer.contract.events import CustomerDestroyed, CustomerMerged
from services.ticket.contract import contacts as schemas
from services.ticket.contract import events as contract
from services.ticket.domain import contacts as rules
from services.ticket.store import contacts as store
from services.vocabulary import INTEGRATIONS, OPERATORS, STAFF, SUPERVISORS_UP

rpc = AuthenticatedRpc.decorator  # transitional: roles move to the contract index (issue 8)

CONTACT_IN = schemas.ContactIn()
CONTACT = schemas.Contact()
CONTACT_PAGE = schemas.ContactPage()
CONTACT_QUERY = schemas.ContactQuery()
CALL_EVENT_BATCH = schemas.CallEventBatch()
CALL_EVENT_IN = schemas.CallEventIn()
STATS_QUERY = schemas.StatsQuery()
CONTACT_LOGGED = contract.ContactLogged()
CALL_RECORDED = contract.CallRecorded()


class ContactsEntrypoints:
    @rpc(allow=OPERATORS)
    def log_contact(self, data, idempotency_key=None):
        """Log a call or message (channel, direction, agent, start, duration, IVR path,
        customer, ticket, note); returns Contact and emits contact_logged.

        Forbidden when an agent names another agent; NotFound for an unknown ticket
        or a destroyed customer; Invalid on bad fields or a ticket of another
        customer.  A repeated idempotency key returns the contact the first made."""
        fields = CONTACT_IN.load(data or {})
        principal = self.principal
        agent_id = rules.agent_of(principal, fields["agent_id"])
        key = f"{principal.id}:{idempotency_key}"[:300] if idempotency_key else None
        with self.db.transaction() as tx:
            if key and (existing := store.contact_for_request(tx.cur, key)):
                return CONTACT.dump(existing)
            ticket = (store.ticket_customer(tx.cur, str(fields["ticket_id"]))
                      if fields["ticket_id"] else None)
            given = str(fields["customer_id"]) if fields["customer_id"] else None
            customer_id = rules.customer_of(given, ticket, fields["ticket_id"] is not None)
            if customer_id and store.customer_destroyed(tx.cur, customer_id):
                raise NotFound("no such customer", {"customer_id": ["no such customer"]})
            row = store.insert_contact(tx.cur, fields, agent_id, customer_id, principal.id, key)
            if row is None:  # the same key committed meanwhile
                row = store.contact_for_request(tx.cur, key)
                return CONTACT.dump(row)
            tx.emit("contact_logged", CONTACT_LOGGED.dump({**row, "contact_id": row["id"]}))
        self.metrics.metric(Counter, "kefu_contacts_logged_total", "Contacts logged by channel",
                            ("channel",)).labels(row["channel"]).inc()
        return CONTACT.dump(row)

    @rpc(allow=STAFF)
    def contacts_for_customer(self, customer_id, limit=20, before=None):
        """A customer's contacts, newest first: {"contacts": [...], "next": cursor}."""
        query = CONTACT_QUERY.load({"limit": limit, "before": before})
        cursor = rules.decode_cursor(query["before"], "before")
        cid = _uuid(customer_id, "customer")
        with self.db.transaction() as tx:
            rows = store.contacts_of_customer(tx.cur, cid, cursor, query["limit"] + 1)
        rows, following = rules.page(rows, query["limit"])
        return CONTACT_PAGE.dump({"contacts": rows, "next": following})

    @rpc(allow=STAFF)
    def contacts_for_ticket(self, ticket_id, limit=20, before=None):
        """A ticket's contacts, newest first: {"contacts": [...], "next": cursor};
        NotFound for an unknown ticket."""
        query = CONTACT_QUERY.load({"limit": limit, "before": before})
        cursor = rules.decode_cursor(query["before"], "before")
        tid = _uuid(ticket_id, "ticket")
        with self.db.transaction() as tx:
            if store.ticket_customer(tx.cur, tid) is None:
                raise NotFound("no such ticket")
            rows = store.contacts_of_ticket(tx.cur, tid, cursor, query["limit"] + 1)
        rows, following = rules.page(rows, query["limit"])
        return CONTACT_PAGE.dump({"contacts": rows, "next": following})

    @rpc(allow=INTEGRATIONS)
    def record_call_events(self, data):
        """Store call events from the telephony system — one event, or {"events": [...]}
        (at most 500) — idempotent on (call_id, event); each new one emits
        call_recorded.  Returns {"accepted", "duplicates"}; Invalid on bad fields
        (nothing stored)."""
        data = data or {}
        events = (CALL_EVENT_BATCH.load(data)["events"] if "events" in data
                  else [CALL_EVENT_IN.load(data)])
        accepted = 0
        with self.db.transaction() as tx:
            # In time order, so a later event without a queue finds its call's queue.
            for event in sorted(events, key=lambda e: e["at"]):
                row = store.insert_call_event(tx.cur, event, rules.caller_number(event["caller"]))
                if row is not None:
                    accepted += 1
                    tx.emit("call_recorded", CALL_RECORDED.dump(row))
        counter = self.metrics.metric(Counter, "kefu_call_events_total",
                                      "Telephony call events by outcome", ("outcome",))
        counter.labels("accepted").inc(accepted)
        counter.labels("duplicate").inc(len(events) - accepted)
        return schemas.CallEventsResult().dump(
            {"accepted": accepted, "duplicates": len(events) - accepted})

    @rpc(allow=SUPERVISORS_UP)
    def call_stats(self, from_=None, to=None):
        """Call statistics over a period (dates in China time, `to` inclusive, or aware
        date-times; default today): offered, answered, abandoned, answer rate,
        average and p90 wait of answered calls — in total and per queue."""
        query = STATS_QUERY.load({k: v for k, v in (("from", from_), ("to", to)) if v})
        with self.db.transaction() as tx:
            start, end = rules.period(query.get("from_"), query.get("to"), store.now(tx.cur))
            rows = store.call_counts(tx.cur, start, end)
        total = next((r for r in rows if r["queue_total"]), {})
        queues = [rules.queue_stats(r["queue"], r) for r in rows if not r["queue_total"]]
        return schemas.CallStats().dump({"from_": start, "to": end, "queues": queues,
                                         "total": rules.queue_stats(None, total)})

    @on_event("customer", "customer_destroyed")
    def anonymise_contacts_of_destroyed_customer(self, event):
        """C6: the destroyed customer's contact notes and linked callers' numbers become
        '[已销毁]'; contacts logged for it later are refused."""
        destroyed = CustomerDestroyed().load(event["data"])
        with self.db.transaction() as tx:
            store.anonymise_customer(tx.cur, destroyed["customer_id"])

    @on_event("customer", "customer_merged")
    def repoint_contacts_of_merged_customer(self, event):
        """C8: the merged-away customer's contacts now belong to the survivor."""
        merged = CustomerMerged().load(event["data"])
        with self.db.transaction() as tx:
            store.repoint_customer(tx.cur, merged["merged_id"], merged["survivor_id"])


def _uuid(value, what: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError as exc:
        raise NotFound(f"no such {what}") from exc

"""Entrypoints of the ticket service: accepting tickets (T2) with their forms (T1) and
repeat detection (T3), the detail with its whole trail (T4) and updates, and what a
customer's lifecycle does to them (C6, C8).  Mixed into TicketService (uses its db,
principal, metrics and the customer proxy)."""
from decimal import Decimal

from services.common.errors import Invalid, NotFound
from services.common.events import on_event
from services.common.rpc import AuthenticatedRpc, call
from services.customer.contract.events import CustomerDestroyed, CustomerMerged
from services.ticket.contract import events as events_contract
from services.ticket.contract import forms as contract_forms
from services.ticket.contract import tickets as tickets_contract
from services.ticket.domain import forms, repeat
from services.ticket.domain import tickets as domain
from services.ticket.store import forms as forms_store
from services.ticket.store import sla, trail
from services.ticket.store import tickets as store
from services.vocabulary import OPERATORS, STAFF

rpc = AuthenticatedRpc.decorator  # transitional: roles move to the contract index (issue 8)

# Schema instances are reused: building one per call costs more than the dump itself.
CUSTOMER_TICKETS = tickets_contract.CustomerTickets()
TICKET_LIST = tickets_contract.TicketList()
TICKET = tickets_contract.Ticket()
TICKET_CREATE = tickets_contract.TicketCreate()
TICKET_CREATED = events_contract.TicketCreated()
TICKET_UPDATE = contract_forms.TicketUpdate()
DETAIL = contract_forms.TicketDetail()
CENT = Decimal("0.01")


class TicketEntrypoints:
    @rpc(allow=OPERATORS)
    def create_ticket(self, data, idempotency_key=None):
        """Accept a ticket for an existing customer; returns Ticket (with its due times
        and `repeat_of`, the earlier tickets it repeats, newest first).

        Invalid on bad fields (form values as "form.<name>"), NotFound when the
        customer does not exist.  A repeated idempotency key returns the ticket the
        first call created.
        """
        fields = TICKET_CREATE.load(data)
        domain.check_fee(fields["fee"])
        key = domain.request_key(self.principal.id, idempotency_key)
        if key:
            with self.db.transaction() as tx:
                existing = store.ticket_for_request(tx.cur, key)
            if existing:
                return TICKET.dump(existing)
        card = call(self.customers.get_card, str(fields["customer_id"]), timeout=5)
        if card["destroyed"]:
            raise NotFound("no such customer")  # destroyed (C6): only a tombstone is left
        fields["warranty"] = domain.warranty_of(card, fields["asset_serial"])
        fields["contact"] = domain.contact_snapshot(fields["contact"])
        with self.db.transaction() as tx:
            category = _category_for(tx.cur, fields["category_id"], fields["kind"])
            fields["form"] = forms.check_values(category["form"] if category else [],
                                                fields["form"])
            accepted_at = store.now(tx.cur)
            fields["repeat_of"] = _repeats(tx.cur, fields, accepted_at)
            prefix_day = domain.business_day(accepted_at)
            prefix = domain.KIND_PREFIX[fields["kind"]]
            number = store.next_serial_number(tx.cur, prefix, prefix_day)
            serial = domain.serial(fields["kind"], prefix_day, number)
            row = store.insert_ticket(tx.cur, serial, fields, self.principal.id, accepted_at)
            trail.append(tx.cur, row["id"], self.principal.id, "created", to_status="new",
                         to_handler=trail.handler(fields["group_name"]))
            row = store.set_due_times(row, sla.apply_on_create(tx.cur, row))
            if key:
                store.remember_request(tx.cur, key, row["id"])
            tx.emit("ticket_created", TICKET_CREATED.dump({**row, "ticket_id": row["id"]}))
        return TICKET.dump(row)

    @rpc(allow=STAFF)
    def get_ticket(self, ticket_id):
        """TicketDetail: the record as accepted and as it is now, the whole trail
        (oldest first), the final handler, the category and the tickets it repeats.
        Field staff see only tickets assigned to them; NotFound otherwise."""
        ticket_id = domain.parse_id(ticket_id)
        with self.db.transaction() as tx:
            row = _visible(tx.cur, self.principal, ticket_id)
            return _detail(tx.cur, row)

    @rpc(allow=OPERATORS)
    def update_ticket(self, ticket_id, data):
        """Change subject, form values, contact, urgency, fee, paid or the category
        (within the kind); returns TicketDetail.  Form values are merged (null removes
        one) and checked against the category.  One "updated" trail row names the
        changed fields; nothing changed writes nothing.  Invalid naming any field
        that may not be written here (nothing changes then), NotFound."""
        ticket_id = domain.parse_id(ticket_id)
        domain.refuse_unwritable(data)
        fields = TICKET_UPDATE.load(data)
        domain.check_fee(fields.get("fee"))
        with self.db.transaction() as tx:
            row = _visible(tx.cur, self.principal, ticket_id, for_update=True)
            new = _updated(tx.cur, row, fields)
            names = domain.changed(row, new)
            if names:
                row = store.update_ticket(tx.cur, ticket_id, new)
                trail.append(tx.cur, ticket_id, self.principal.id, "updated",
                             note="changed: " + ", ".join(names))
            return _detail(tx.cur, row)

    @rpc(allow=STAFF)
    def list_for_customer(self, customer_id, limit=20):
        """The customer's most recent tickets, newest first: {"tickets": [...]}."""
        query = CUSTOMER_TICKETS.load({"customer_id": customer_id, "limit": limit})
        with self.db.transaction() as tx:
            rows = store.tickets_of_customer(tx.cur, str(query["customer_id"]), query["limit"])
        return TICKET_LIST.dump({"tickets": rows})

    @on_event("customer", "customer_destroyed")
    def anonymise_destroyed_customer(self, event):
        """C6: the customer's tickets keep serial, kind, dates and statistics and lose
        the person (content redacted); later tickets for it are refused."""
        destroyed = CustomerDestroyed().load(event["data"])
        with self.db.transaction() as tx:
            store.anonymise_customer(tx.cur, destroyed["customer_id"])

    @on_event("customer", "customer_merged")
    def repoint_merged_customer(self, event):
        """C8: the tickets of a merged-away customer now belong to the survivor."""
        merged = CustomerMerged().load(event["data"])
        with self.db.transaction() as tx:
            store.repoint_customer(tx.cur, merged["merged_id"], merged["survivor_id"])


def _visible(cur, principal, ticket_id: str, for_update: bool = False) -> dict:
    """The ticket if the caller may see it (field staff: only their own), else NotFound."""
    row = store.ticket(cur, ticket_id, for_update=for_update)
    if row is None or (domain.sees_only_own(principal) and row["assignee_id"] != principal.id):
        raise NotFound("no such ticket")
    return row


def _category_for(cur, category_id, kind: str) -> dict | None:
    """The ticket's category: it must exist, be active and belong to the ticket's kind."""
    if category_id is None:
        return None
    category = forms_store.category(cur, str(category_id))
    if category is None:
        raise Invalid("no such category", {"category_id": ["no such category"]})
    if not category["active"]:
        raise Invalid("category inactive", {"category_id": ["the category is inactive"]})
    if category["kind"] != kind:
        raise Invalid("category of another kind",
                      {"category_id": [f"belongs to {category['kind']}, not {kind}"]})
    return category


def _repeats(cur, fields: dict, accepted_at) -> list[str]:
    """T3: the earlier tickets this one repeats, newest first (see domain.repeat)."""
    rule = repeat.rule(fields["kind"], forms_store.repeat_rule(cur, fields["kind"]))
    if not repeat.enabled(rule):
        return []
    category_id = str(fields["category_id"]) if fields["category_id"] else None
    return store.repeats_of(
        cur, str(fields["customer_id"]), fields["kind"], category_id, fields["content"],
        repeat.window_start(accepted_at, rule["window_days"]), accepted_at,
        rule["threshold"], repeat.MAX_REPEATS)


def _updated(cur, row: dict, fields: dict) -> dict:
    """The editable fields after this update, checked (category within the kind, form
    values against the category's form)."""
    new = {k: row[k] for k in domain.UPDATABLE}
    new.update({k: v for k, v in fields.items() if k not in ("form", "contact", "category_id")})
    if "fee" in fields:
        new["fee"] = fields["fee"].quantize(CENT)
    if "contact" in fields:
        new["contact"] = domain.contact_snapshot(fields["contact"])
    if "category_id" in fields:
        new["category_id"] = str(fields["category_id"]) if fields["category_id"] else None
    category_moved = new["category_id"] != row["category_id"]
    if category_moved:
        _category_for(cur, new["category_id"], row["kind"])
    if "form" in fields or category_moved:
        merged = {k: v for k, v in {**row["form"], **fields.get("form", {})}.items()
                  if v is not None}
        category = forms_store.category(cur, new["category_id"]) if new["category_id"] else None
        new["form"] = forms.check_values(category["form"] if category else [], merged)
    return new


def _detail(cur, row: dict) -> dict:
    handler = domain.final_handler(row)
    if handler["assignee_id"]:
        handler["display_name"] = store.staff_name(cur, handler["assignee_id"])
    category = forms_store.category(cur, row["category_id"]) if row["category_id"] else None
    return DETAIL.dump({
        "ticket": row, "category": category, "trail": trail.of_ticket(cur, row["id"]),
        "handler": handler, "repeats": store.serials(cur, row["repeat_of"]),
    })

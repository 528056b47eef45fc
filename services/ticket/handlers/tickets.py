"""Use cases of tickets: accepting one (T2) with its form (T1) and the tickets it repeats
(T3), the detail with its whole trail (T4) and updates, a customer's tickets, and what
a customer's lifecycle does to them (C6, C8).  Each reaches only the tickets of the
caller's data scope, and shows what a classified customer's ticket says only to those
cleared (domain.access, handlers.reading)."""
from services.common.errors import NotFound
from services.common.identity import Principal
from services.common.rpc import call
from services.ticket.contract.events import FREE_TEXT, TicketCreated, TicketUpdated
from services.ticket.domain import access, forms, repeat, workflow
from services.ticket.domain import tickets as rules
from services.ticket.handlers import reading, report_feed, sla
from services.ticket.store import forms as forms_store
from services.ticket.store import staff as staff_store
from services.ticket.store import tickets as store
from services.ticket.store import trail
from services.vocabulary import OPERATORS

TICKET_CREATED, TICKET_UPDATED = TicketCreated(), TicketUpdated()
CARD_SECONDS = 5  # how long accepting a ticket waits for the customer's card


def create_ticket(db, principal: Principal, customers, fields: dict,
                  idempotency_key: str | None) -> dict:
    """Accept a ticket (a loaded TicketCreate) for an existing customer: the record with
    its due times and the tickets it repeats; a repeated idempotency key answers the
    ticket the first call created.  The customer's card is asked for outside any
    transaction (a slow customer service holds no connection)."""
    rules.check_fee(fields["fee"])
    key = rules.request_key(principal.id, idempotency_key)
    if key:
        with db.transaction() as tx:
            existing = store.ticket_for_request(tx.cur, key)
        if existing:
            return access.ticket_view(existing, access.SHOWN)  # the caller's own words
    card = call(customers.get_card, str(fields["customer_id"]), timeout=CARD_SECONDS)
    if card["destroyed"]:
        raise NotFound("no such customer")  # destroyed (C6): only a tombstone is left
    fields["warranty"] = rules.warranty_of(card, fields["asset_serial"])
    fields["contact"] = rules.contact_snapshot(fields["contact"])
    with db.transaction() as tx:
        reading.card_level(tx, card)
        category = _category(tx.cur, fields["category_id"], fields["kind"])
        fields["form"] = forms.check_values(category["form"] if category else [],
                                            fields["form"])
        accepted_at = store.now(tx.cur)
        fields["repeat_of"] = _repeats(tx.cur, fields, accepted_at)
        prefix, day = rules.serial_counter(fields["kind"], accepted_at)
        serial = rules.serial(fields["kind"], day, store.next_serial_number(tx.cur, prefix, day))
        row = store.insert_ticket(tx.cur, serial, fields, principal.id, accepted_at)
        trail.append(tx.cur, row["id"], principal.id, "created", to_status="new",
                     to_handler=rules.handler_of(fields["group_name"]))
        row = {**row, **sla.apply_on_create(tx.cur, row)}
        if key:
            store.remember_request(tx.cur, key, row["id"])
        tx.emit("ticket_created", TICKET_CREATED.dump({
            **row, "ticket_id": row["id"],
            "snapshot": report_feed.snapshot_of(tx.cur, row["id"])}))
    return access.ticket_view(row, access.SHOWN)  # what the caller has just said


def get_ticket(db, principal: Principal, customers, ticket_id: str, reason: str = "") -> dict:
    """The detail of a ticket of the caller's scope; what a classified customer's
    ticket says only if the customer service's rule allows (logged, with `reason`)."""
    scope = access.read_scope(principal)
    with db.transaction() as tx:
        detail = _detail(tx.cur, access.found(store.ticket(tx.cur, ticket_id, scope)))
    shown = access.detail_view(detail, _opening(principal, customers, detail["ticket"], reason))
    shown["actions"] = workflow.actions_for(principal, detail["ticket"],
                                            principal.has_any(OPERATORS))
    return shown


def writable(data) -> dict:
    """The update as given, when it names only fields an update may write (Invalid
    naming each other one, before anything is loaded or read)."""
    rules.refuse_unwritable(data)
    return data


def update_ticket(db, principal: Principal, customers, ticket_id: str, fields: dict) -> dict:
    """Apply an update (a loaded TicketUpdate) to a ticket the caller may act on: one
    "updated" trail row naming the changed fields, none when nothing changed; the detail
    after.  What a classified customer's ticket says (subject, form, contact, category)
    is changed only by those who may read it (Forbidden)."""
    rules.check_fee(fields.get("fee"))
    scope = access.act_scope(principal)
    with db.transaction() as tx:
        before = access.found(store.ticket(tx.cur, ticket_id, scope))
    seen = _opening(principal, customers, before, "")
    access.check_may_write(fields, seen)
    with db.transaction() as tx:
        row = access.found(store.ticket(tx.cur, ticket_id, scope, for_update=True))
        if row["level"] > before["level"]:
            seen = access.in_list(principal, row["level"])  # classified meanwhile
            access.check_may_write(fields, seen)
        new = rules.updated(row, fields)
        moved = new["category_id"] != row["category_id"]
        if "form" in fields or moved:
            category = (_category(tx.cur, new["category_id"], row["kind"]) if moved
                        else _category_row(tx.cur, new["category_id"]))
            new["form"] = forms.check_values(category["form"] if category else [],
                                             new["form"])
        names = rules.changed(row, new)
        if names:
            row = store.update_ticket(tx.cur, ticket_id, new)
            trail.append(tx.cur, ticket_id, principal.id, "updated",
                         note="changed: " + ", ".join(names))
            tx.emit("ticket_updated", TICKET_UPDATED.dump({
                "ticket_id": ticket_id, "serial": row["serial"], "kind": row["kind"],
                "changed": names, "snapshot": report_feed.snapshot_of(tx.cur, ticket_id)}))
        detail = _detail(tx.cur, row)
    return access.detail_view(detail, seen)


def list_for_customer(db, principal: Principal, customers, query: dict) -> dict:
    """The customer's most recent tickets of the caller's scope, newest first; what
    they say as the customer service's rule allows (one decision, logged)."""
    customer_id = str(query["customer_id"])
    with db.transaction() as tx:
        rows = store.of_customer(tx.cur, customer_id, query["limit"],
                                 access.read_scope(principal), columns=store.TICKET)
    seen = reading.customer_reading(principal, customers, customer_id, rows, "",
                                    {"tickets_of_customer": customer_id})
    return {"tickets": [access.ticket_view(r, seen) for r in rows]}


def customer_destroyed(tx, customer_id: str) -> None:
    """C6: remember the customer is gone; its tickets keep serial, kind, dates and
    statistics and lose the person (content, subject, form values, contact), and so do
    the outbox rows and parked events about it (issue 9, finding 11)."""
    store.mark_destroyed(tx.cur, customer_id)
    store.anonymise_customer(tx.cur, customer_id, rules.REDACTED)
    store.scrub_events(tx.cur, customer_id, list(FREE_TEXT), rules.REDACTED)


def customer_merged(tx, merged_id: str, survivor_id: str) -> None:
    """C8: the tickets of a merged-away customer now belong to the survivor; each moved
    one is told as ticket_updated (its snapshot names the survivor)."""
    moved = store.repoint_customer(tx.cur, merged_id, survivor_id)
    snapshots = report_feed.snapshots_of(tx.cur, [t["id"] for t in moved])
    for ticket in moved:
        tx.emit("ticket_updated", TICKET_UPDATED.dump({
            "ticket_id": ticket["id"], "serial": ticket["serial"], "kind": ticket["kind"],
            "changed": ["customer_id"], "snapshot": snapshots.get(ticket["id"])}))


def _category_row(cur, category_id: str | None) -> dict | None:
    return forms_store.category(cur, str(category_id)) if category_id else None


def _category(cur, category_id, kind: str) -> dict | None:
    """The ticket's category, checked (exists, active, of the ticket's kind); None."""
    if category_id is None:
        return None
    return forms.check_category(_category_row(cur, category_id), kind)


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


def _opening(principal: Principal, customers, ticket: dict, reason: str) -> access.Reading:
    """Opening one ticket: decided (and logged) by the customer service's rule."""
    return reading.decide(principal, customers, ticket["customer_id"], ticket["level"],
                          reason, {"ticket_id": ticket["id"], "serial": ticket["serial"]})


def _detail(cur, row: dict) -> dict:
    """The record, its category, the whole trail (oldest first), the final handler and
    the tickets it repeats (by their identity)."""
    handler = rules.final_handler(row)
    if handler["assignee_id"]:
        handler["display_name"] = staff_store.display_name(cur, handler["assignee_id"])
    return {"ticket": row, "category": _category_row(cur, row["category_id"]),
            "trail": trail.of_ticket(cur, row["id"]), "handler": handler,
            "repeats": store.serials(cur, row["repeat_of"])}

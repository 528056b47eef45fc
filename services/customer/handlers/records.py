"""Use cases of customer records (C1–C3, C5): create and change, the card and the
archive, lookup (the screen pop), change history, review, custom fields."""
from services.common.identity import Principal
from services.customer.contract import events
from services.customer.domain import access as access_rules
from services.customer.domain import records as rules
from services.customer.handlers.archive import cards, view
from services.customer.store import access as access_store
from services.customer.store import records as store

CREATED, UPDATED = events.CustomerCreated(), events.CustomerUpdated()


def refuse_unwritable(principal: Principal, data) -> None:
    """Mass assignment: a body naming a field the caller may not write is refused whole
    (checked before the body is loaded)."""
    if isinstance(data, dict):
        rules.refuse_unwritable(principal, data)


def create_customer(tx, principal: Principal, fields: dict) -> dict:
    """A new person or organization with phones, emails, assets and archive; published."""
    kind = fields["kind"]
    definitions = store.custom_fields(tx.cur)
    if "custom" in fields:
        fields["custom"] = rules.check_custom(fields["custom"], definitions, creating=True)
    else:
        rules.check_custom({}, definitions, creating=True)
    number = rules.customer_number(store.next_number(tx.cur))
    group = min(principal.groups) if principal.groups else None
    cid = store.insert_customer(tx.cur, number, kind, rules.with_name_keys(fields),
                                principal.id, group)
    store.insert_archive(tx.cur, cid, rules.archive_part(fields, kind))
    store.replace_phones(tx.cur, cid, rules.unique_phones(fields.get("phones", [])))
    store.replace_emails(tx.cur, cid, rules.unique_emails(fields.get("emails", [])))
    store.insert_assets(tx.cur, cid, rules.norm_assets(fields.get("assets", [])))
    store.record_history(tx.cur, cid, principal, "create", [("name", None, fields["name"])])
    tx.emit("customer_created", CREATED.dump({"customer_id": cid, "number": number,
                                              "kind": kind}))
    return view(tx, principal, cid)


def get_customer(tx, principal: Principal, customer_id: str, reason="") -> dict:
    """The card, and the archive when the caller may read it (logged at level ≥ 1)."""
    return view(tx, principal, customer_id, why=str(reason or "")[:500])


def get_card(tx, customer_id: str) -> dict:
    """The card only: no archive, nothing logged."""
    found = cards(tx, [customer_id])
    if not found:
        raise rules.no_such_customer()
    return found[0]


def _writable_card(tx, principal: Principal, customer_id: str) -> dict:
    """The card, locked for a change the caller may make (else NotFound/Forbidden)."""
    return rules.check_writable(principal, store.card(tx.cur, customer_id, for_update=True))


def update_customer(tx, principal: Principal, customer_id: str, fields: dict) -> dict:
    """Card and archive fields changed; history kept and customer_updated published
    when anything changed."""
    card = _writable_card(tx, principal, customer_id)
    kind = card["kind"]
    rules.check_profile_kind(kind, fields)
    if "custom" in fields:
        fields["custom"] = rules.check_custom(fields["custom"], store.custom_fields(tx.cur),
                                              creating=False)
    before = rules.snapshot(card, store.phones_of(tx.cur, [customer_id])[customer_id],
                            store.emails_of(tx.cur, customer_id),
                            store.archive_of(tx.cur, customer_id))
    update = rules.update_of(kind, fields)
    if update["phones"] is not None:
        store.replace_phones(tx.cur, customer_id, update["phones"])
    if update["emails"] is not None:
        store.replace_emails(tx.cur, customer_id, update["emails"])
    store.update_archive(tx.cur, customer_id, update["archive"])
    diff = rules.changes(before, update["after"])
    if diff:
        store.update_card(tx.cur, customer_id, rules.with_name_keys(update["card"]))
        store.record_history(tx.cur, customer_id, principal, "update", diff)
        tx.emit("customer_updated", UPDATED.dump(
            {"customer_id": customer_id, "fields_changed": [d[0] for d in diff]}))
    return view(tx, principal, customer_id)


def add_asset(tx, principal: Principal, customer_id: str, asset: dict) -> dict:
    """An owned product or vehicle recorded (C2)."""
    _writable_card(tx, principal, customer_id)
    store.insert_assets(tx.cur, customer_id, rules.norm_assets([asset]))
    store.update_card(tx.cur, customer_id, {})
    store.record_history(tx.cur, customer_id, principal, "update",
                         [("assets", None, rules.jsonable(asset))])
    return view(tx, principal, customer_id)


def lookup(tx, principal: Principal, query: dict, full_view: bool = False) -> dict:
    """Who is calling (C3): the matching cards; with `full_view` and one match, its
    whole view (the screen pop, logged like any read).  A lookup by phone of a role that
    may not unmask is counted against its window first (TooManyRequests past it) and
    written to the borrowing log (issue 9, finding 9a)."""
    key, value = rules.lookup_key(query)
    probe = key == "phone" and access_rules.throttles_phone_lookups(principal)
    if probe:
        access_rules.check_phone_lookups(access_store.count_phone_lookup(
            tx.cur, principal.id, access_rules.PHONE_LOOKUP_WINDOW_MINUTES))
    ids = store.find_ids(tx.cur, key, value)
    single = view(tx, principal, ids[0], why="screen pop") if full_view and len(ids) == 1 \
        else None
    matches = [{**single, "archive": None, "archive_withheld": None}] if single \
        else cards(tx, ids)
    if probe:
        access_store.log_access(tx.cur, principal, *access_rules.phone_lookup_entry(
            str(value), matches))
    return {"matches": matches, "view": single}


def history(tx, principal: Principal, customer_id: str, limit=100) -> dict:
    """Change history (C5), newest first; archive fields only when the caller may read
    the archive (the read is logged like any other)."""
    limit = rules.clamp_limit(limit)
    shown = view(tx, principal, customer_id, why="change history")
    rows = store.history_of(tx.cur, customer_id, limit)
    if shown["archive"] is None:
        rows = [r for r in rows if r["field"] in rules.CARD_HISTORY_FIELDS]
    return {"entries": rows}


def mark_reviewed(tx, principal: Principal, customer_id: str) -> dict:
    """The record reviewed now (C5); a change, scoped like the others."""
    card = _writable_card(tx, principal, customer_id)
    store.mark_reviewed(tx.cur, customer_id)
    store.record_history(tx.cur, customer_id, principal, "review",
                         [("reviewed", card["reviewed_at"], "now")])
    return view(tx, principal, customer_id)


def review_due(tx, query: dict) -> dict:
    """Records not reviewed for `months` months, oldest first."""
    return {"customers": cards(tx, store.review_due_ids(tx.cur, query["months"],
                                                        query["limit"]))}


def define_custom_field(tx, definition: dict) -> dict:
    return store.upsert_custom_field(tx.cur, definition)


def custom_fields(tx) -> dict:
    return {"fields": store.custom_fields(tx.cur)}

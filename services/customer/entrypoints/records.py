"""Entrypoints of the customer service: records, lookup and change history (C1–C3, C5)."""
import datetime
import json

from services.common.errors import Forbidden, Invalid
from services.common.rpc import AuthenticatedRpc
from services.customer.contract import events as events_contract
from services.customer.contract import records as records_contract
from services.customer.domain import access as rules
from services.customer.domain import records
from services.customer.store import access as access_store
from services.customer.store import records as store
from services.vocabulary import ADMINS, OPERATORS, STAFF, SUPERVISORS_UP

rpc = AuthenticatedRpc.decorator  # transitional: roles move to the contract index (issue 8)

# Schema instances are reused: building one per call costs more than the dump itself.
CUSTOMER = records_contract.Customer()
LOOKUP_QUERY = records_contract.LookupQuery()
LOOKUP_RESULT = records_contract.LookupResult()


def _archive_part(fields: dict, kind: str) -> dict:
    """The archive columns of a create/update body."""
    out = {}
    if kind in fields:
        out["profile"] = fields[kind]
    for key in ("credit", "key_people", "addresses", "notes", "custom"):
        if key in fields:
            out[key] = fields[key]
    return {k: _jsonable(v) for k, v in out.items()}


class RecordsEntrypoints:
    """Records of the customer archive; the card for all staff, the archive when cleared."""

    def view(self, cur, customer_id: str, why: str = "") -> dict:
        """The customer as this caller may see it; the borrowing log is written first
        (same transaction) whenever a classified archive is read or refused."""
        card = store.card_full(cur, customer_id)
        if card is None:
            raise records.no_such_customer()
        out = records.present_card(card, card["phones"], card["assets"], datetime.date.today())
        if out["destroyed"]:
            return out
        level = card["effective_level"]
        grant = level >= 3 and access_store.has_grant(cur, card["id"], self.principal.id)
        decision = rules.archive_decision(self.principal, level, grant)
        if decision.log_action:
            access_store.log_access(cur, self.principal, card["id"], decision.log_action, level,
                                    ["archive"], why or decision.reason)
        if not decision.allowed:
            out["archive_withheld"] = decision.reason
            return out
        archive = store.archive_with_emails(cur, card["id"])
        if archive is None:  # row-level security disagreed: the database wins
            out["archive_withheld"] = "withheld by the database"
            return out
        out["archive"] = records.present_archive(card["kind"], archive, archive["emails"])
        return out

    @rpc(allow=OPERATORS)
    def create_customer(self, data):
        """Create a person or organization with phones, emails, assets and archive."""
        if isinstance(data, dict):
            records.refuse_unwritable(self.principal, data)
        fields = records_contract.CustomerCreate().load(data)
        kind = fields["kind"]
        with self.db.transaction() as tx:
            if "custom" in fields:
                fields["custom"] = records.check_custom(
                    fields["custom"], store.custom_fields(tx.cur), creating=True)
            else:
                records.check_custom({}, store.custom_fields(tx.cur), creating=True)
            number = records.customer_number(store.next_number(tx.cur))
            group = min(self.principal.groups) if self.principal.groups else None
            cid = store.insert_customer(tx.cur, number, kind, fields, self.principal.id, group)
            store.insert_archive(tx.cur, cid, _archive_part(fields, kind))
            store.replace_phones(tx.cur, cid, records.unique_phones(fields.get("phones", [])))
            store.replace_emails(tx.cur, cid, records.unique(
                [records.norm_email(e) for e in fields.get("emails", [])]))
            store.insert_assets(tx.cur, cid, fields.get("assets", []))
            store.record_history(tx.cur, cid, self.principal, "create",
                                 [("name", None, fields["name"])])
            tx.emit("customer_created", events_contract.CustomerCreated().dump(
                {"customer_id": cid, "number": number, "kind": kind}))
            view = self.view(tx.cur, cid)
        return CUSTOMER.dump(view)

    @rpc(allow=STAFF)
    def get_customer(self, customer_id, reason=""):
        """The card, and the archive when the caller may read it (logged at level ≥ 1)."""
        with self.db.transaction() as tx:
            view = self.view(tx.cur, records.parse_id(customer_id), why=str(reason or "")[:500])
        return CUSTOMER.dump(view)

    @rpc(allow=STAFF)
    def get_card(self, customer_id):
        """The card only (no archive, nothing logged): for services that need to know
        a customer exists, e.g. before accepting a ticket."""
        with self.db.transaction() as tx:
            cards = store.load_cards(tx.cur, [records.parse_id(customer_id)])
        if not cards:
            raise records.no_such_customer()
        return CUSTOMER.dump(cards[0])

    @rpc(allow=OPERATORS)
    def update_customer(self, customer_id, data):
        """Change card and archive fields the caller's role may write; history kept."""
        customer_id = records.parse_id(customer_id)
        if isinstance(data, dict):
            records.refuse_unwritable(self.principal, data)
        fields = records_contract.CustomerUpdate().load(data)
        with self.db.transaction() as tx:
            card = store.card(tx.cur, customer_id, for_update=True)
            records.check_writable(self.principal, card)
            kind = card["kind"]
            other = "organization" if kind == "person" else "person"
            if other in fields:
                raise Invalid("profile does not match the kind", {other: [f"only for {other}"]})
            if "custom" in fields:
                fields["custom"] = records.check_custom(
                    fields["custom"], store.custom_fields(tx.cur), creating=False)
            before = self._snapshot(tx.cur, card)
            card_cols, after = self._apply(tx.cur, customer_id, kind, fields)
            diff = records.changes(before, after)
            if diff:
                store.update_card(tx.cur, customer_id, card_cols)
                store.record_history(tx.cur, customer_id, self.principal, "update", diff)
                tx.emit("customer_updated", events_contract.CustomerUpdated().dump(
                    {"customer_id": customer_id, "fields_changed": [d[0] for d in diff]}))
            view = self.view(tx.cur, customer_id)
        return CUSTOMER.dump(view)

    def _snapshot(self, cur, card: dict) -> dict:
        cid = card["id"]
        snap = {k: card[k] for k in ("name", "region", "tags", "grade", "lifecycle",
                                     "credit_class")}
        snap["phones"] = [{"e164": p["e164"], "ext": p["ext"] or None}
                          for p in store.phones_of(cur, [cid])[cid]]
        snap["emails"] = store.emails_of(cur, cid)
        archive = store.archive_of(cur, cid)
        if archive is None:
            raise Forbidden("the archive of this record is not open to you")
        snap[card["kind"]] = archive.get("profile") or {}
        for key in ("credit", "key_people", "addresses", "notes", "custom"):
            snap[key] = archive.get(key)
        return snap

    def _apply(self, cur, cid: str, kind: str, fields: dict) -> tuple[dict, dict]:
        """Write phones, emails and archive; returns (card columns to set, all given
        fields in snapshot form for the diff)."""
        card_cols = {k: fields[k] for k in ("name", "region", "tags", "grade", "lifecycle",
                                            "credit_class") if k in fields}
        after = dict(card_cols)
        if "phones" in fields:
            phones = records.unique_phones(fields["phones"])
            store.replace_phones(cur, cid, phones)
            after["phones"] = [{"e164": p["e164"], "ext": p.get("ext") or None} for p in phones]
        if "emails" in fields:
            emails = records.unique([records.norm_email(e) for e in fields["emails"]])
            store.replace_emails(cur, cid, emails)
            after["emails"] = emails
        archive = _archive_part(fields, kind)
        store.update_archive(cur, cid, archive)
        for key, value in archive.items():
            after[kind if key == "profile" else key] = value
        return card_cols, after

    @rpc(allow=OPERATORS)
    def add_asset(self, customer_id, data):
        """Record an owned product or vehicle (C2)."""
        customer_id = records.parse_id(customer_id)
        asset = records_contract.AssetIn().load(data)
        with self.db.transaction() as tx:
            card = store.card(tx.cur, customer_id, for_update=True)
            records.check_writable(self.principal, card)
            store.insert_assets(tx.cur, customer_id, [asset])
            store.update_card(tx.cur, customer_id, {})
            store.record_history(tx.cur, customer_id, self.principal, "update",
                                 [("assets", None, _jsonable(asset))])
            view = self.view(tx.cur, customer_id)
        return CUSTOMER.dump(view)

    @rpc(allow=STAFF)
    def lookup(self, query, view=False):
        """Who is calling (C3): {"matches": [cards], "view": full view of a single match}.

        `query` holds exactly one of phone (any written form), email, number,
        plate, serial."""
        if isinstance(query, str):
            query = {"phone": query}
        q = LOOKUP_QUERY.load(query)
        key, value = next(iter(q.items()))
        if key == "phone":
            value = value["e164"]
        elif key == "email":
            value = records.norm_email(value)
        elif key in ("plate", "serial"):
            value = records.norm_code(value)
        else:
            value = value.strip().upper()
        with self.db.transaction() as tx:
            ids = store.find_ids(tx.cur, key, value)
            single = None
            if view and len(ids) == 1:
                single = self.view(tx.cur, ids[0], why="screen pop")
                matches = [{**single, "archive": None, "archive_withheld": None}]
            else:
                matches = store.load_cards(tx.cur, ids)
        return LOOKUP_RESULT.dump({"matches": matches, "view": single})

    @rpc(allow=SUPERVISORS_UP | rules.LOG_READERS)
    def history(self, customer_id, limit=100):
        """Change history (C5), newest first; archive fields only when cleared."""
        customer_id = records.parse_id(customer_id)
        limit = max(1, min(int(limit), 500))
        with self.db.transaction() as tx:
            view = self.view(tx.cur, customer_id, why="change history")
            rows = store.history_of(tx.cur, customer_id, limit)
        if view["archive"] is None:
            rows = [r for r in rows if r["field"] in records.CARD_HISTORY_FIELDS]
        return {"entries": records_contract.HistoryEntry(many=True).dump(rows)}

    @rpc(allow=SUPERVISORS_UP)
    def mark_reviewed(self, customer_id):
        """The record was reviewed now (C5: unreviewed for 3 months are listed)."""
        customer_id = records.parse_id(customer_id)
        with self.db.transaction() as tx:
            card = store.card(tx.cur, customer_id, for_update=True)
            records.check_writable(self.principal, card)  # a change: scoped like the others
            store.mark_reviewed(tx.cur, customer_id)
            store.record_history(tx.cur, customer_id, self.principal, "review",
                                 [("reviewed", card["reviewed_at"], "now")])
            view = self.view(tx.cur, customer_id)
        return CUSTOMER.dump(view)

    @rpc(allow=SUPERVISORS_UP)
    def review_due(self, months=3, limit=100):
        """Records not reviewed for `months` months, oldest first."""
        q = records_contract.ReviewDueQuery().load({"months": months, "limit": limit})
        with self.db.transaction() as tx:
            cards = store.load_cards(tx.cur, store.review_due_ids(tx.cur, q["months"], q["limit"]))
        return {"customers": records_contract.Customer(many=True).dump(cards)}

    @rpc(allow=ADMINS)
    def define_custom_field(self, data):
        """Create or change a custom field definition (admin)."""
        d = records_contract.CustomFieldIn().load(data)
        with self.db.transaction() as tx:
            row = store.upsert_custom_field(tx.cur, d)
        return records_contract.CustomField().dump(row)

    @rpc(allow=STAFF)
    def custom_fields(self):
        with self.db.transaction() as tx:
            return {"fields": records_contract.CustomField(many=True).dump(store.custom_fields(tx.cur))}


def _jsonable(value):
    return json.loads(json.dumps(value, default=str))

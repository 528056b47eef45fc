"""Entrypoints of the ticket service: kinds, categories and their forms (T1) and the
repeat-detection rules (T3).  Mixed into TicketService."""
from marshmallow import ValidationError

from services.common.errors import Invalid, NotFound
from services.common.rpc import AuthenticatedRpc
from services.ticket.contract import forms as contract_forms
from services.ticket.contract import tickets as contract
from services.ticket.domain import forms as domain
from services.ticket.domain import repeat
from services.ticket.domain.tickets import parse_id
from services.ticket.store import forms as store
from services.vocabulary import ADMINS, STAFF

rpc = AuthenticatedRpc.decorator  # transitional: roles move to the contract index (issue 8)

CATEGORY = contract_forms.Category()
CATEGORIES = contract_forms.CategoryList()
RULE = contract_forms.RepeatRule()
RULES = contract_forms.RepeatRules()


class FormsEntrypoints:
    @rpc(allow=ADMINS)
    def create_category(self, data):
        """A new category under a kind with its form; returns Category.
        Invalid on bad definitions, Conflict when the kind already has that name."""
        fields = contract_forms.CategoryIn().load(data)
        fields["form"] = domain.storable(fields["form"])
        with self.db.transaction() as tx:
            row = store.insert_category(tx.cur, fields)
        return CATEGORY.dump(row)

    @rpc(allow=ADMINS)
    def update_category(self, category_id, data):
        """Rename, change the form, (de)activate; returns Category.  The kind stays.
        Tickets already accepted keep their values; the new form applies to new
        tickets and to updates of form values.  Invalid, NotFound, Conflict."""
        category_id = parse_id(category_id, "category")
        if isinstance(data, dict) and "kind" in data:
            raise Invalid("the kind of a category is fixed",
                          {"kind": ["a category keeps its kind; make a new one"]})
        fields = contract_forms.CategoryUpdate().load(data)
        if "form" in fields:
            fields["form"] = domain.storable(fields["form"])
        with self.db.transaction() as tx:
            current = store.category(tx.cur, category_id, for_update=True)
            if current is None:
                raise NotFound("no such category")
            merged = {**current, **fields}
            try:
                contract_forms.subtype_fits(merged["kind"], merged["subtype"])
            except ValidationError as exc:
                raise Invalid("subtype does not fit the kind", exc.normalized_messages()) \
                    from None
            row = store.update_category(tx.cur, category_id, merged)
        return CATEGORY.dump(row)

    @rpc(allow=STAFF)
    def list_categories(self, query=None):
        """{"categories": [Category]} by kind and name; active only unless asked."""
        query = contract_forms.CategoryQuery().load(query or {})
        with self.db.transaction() as tx:
            rows = store.categories(tx.cur, query.get("kind"), query["include_inactive"])
        return CATEGORIES.dump({"categories": rows})

    @rpc(allow=STAFF)
    def get_category(self, category_id):
        """One category with its form; NotFound."""
        with self.db.transaction() as tx:
            row = store.category(tx.cur, parse_id(category_id, "category"))
        if row is None:
            raise NotFound("no such category")
        return CATEGORY.dump(row)

    @rpc(allow=STAFF)
    def repeat_rules(self):
        """{"rules": [RepeatRule]}: every kind's repeat window and similarity threshold."""
        with self.db.transaction() as tx:
            stored = store.repeat_rules(tx.cur)
        return RULES.dump({"rules": [repeat.rule(k, stored.get(k)) for k in contract.KINDS]})

    @rpc(allow=ADMINS)
    def set_repeat_rule(self, data):
        """Set one kind's repeat window (days, 0 = off) and threshold; returns RepeatRule."""
        rule = contract_forms.RepeatRule().load(data)
        with self.db.transaction() as tx:
            row = store.set_repeat_rule(tx.cur, rule, self.principal.id)
        return RULE.dump(row)

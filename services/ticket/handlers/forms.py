"""Use cases of kinds, categories and their forms (T1) and of the repeat-detection rules
(T3)."""
from marshmallow import ValidationError

from services.common.errors import Invalid, NotFound
from services.common.identity import Principal
from services.ticket.contract.forms import subtype_fits
from services.ticket.contract.tickets import KINDS
from services.ticket.domain import forms as rules
from services.ticket.domain import repeat
from services.ticket.store import forms as store


def create_category(tx, principal: Principal, fields: dict) -> dict:
    """A new category under a kind with its form (a loaded CategoryIn)."""
    return store.insert_category(tx.cur, {**fields, "form": rules.storable(fields["form"])})


def keeps_kind(data) -> dict:
    """The update as given, when it does not try to change the kind (Invalid)."""
    if isinstance(data, dict) and "kind" in data:
        raise Invalid("the kind of a category is fixed",
                      {"kind": ["a category keeps its kind; make a new one"]})
    return data


def update_category(tx, principal: Principal, category_id: str, fields: dict) -> dict:
    """Rename, change the form, (de)activate (a loaded CategoryUpdate).  Tickets already
    accepted keep their values; the new form applies to new tickets and to updates."""
    if "form" in fields:
        fields = {**fields, "form": rules.storable(fields["form"])}
    merged = {**get_category(tx, principal, category_id, for_update=True), **fields}
    try:
        subtype_fits(merged["kind"], merged["subtype"])
    except ValidationError as exc:
        raise Invalid("subtype does not fit the kind", exc.normalized_messages()) from None
    return store.update_category(tx.cur, category_id, merged)


def list_categories(tx, principal: Principal, query: dict) -> dict:
    """Categories by kind and name; active ones only unless asked."""
    return {"categories": store.categories(tx.cur, query.get("kind"),
                                           query["include_inactive"])}


def get_category(tx, principal: Principal, category_id: str, for_update: bool = False) -> dict:
    row = store.category(tx.cur, category_id, for_update=for_update)
    if row is None:
        raise NotFound("no such category")
    return row


def repeat_rules(tx, principal: Principal) -> dict:
    """Every kind's repeat window and similarity threshold (the defaults where unset)."""
    stored = store.repeat_rules(tx.cur)
    return {"rules": [repeat.rule(kind, stored.get(kind)) for kind in KINDS]}


def set_repeat_rule(tx, principal: Principal, rule: dict) -> dict:
    return store.set_repeat_rule(tx.cur, rule, principal.id)

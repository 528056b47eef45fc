"""Use cases of follow-up rules (V1): define, change, read."""
from marshmallow import ValidationError

from services.common.errors import Conflict, Invalid, NotFound
from services.common.identity import Principal
from services.survey.contract.followups import check_rule
from services.survey.store import rules as store


def _found(rule: dict | None) -> dict:
    if rule is None:
        raise NotFound("no such follow-up rule")
    return rule


def _name_free(cur, name: str, rule_id: str | None = None) -> None:
    for other in store.listed(cur, False):
        if other["name"].lower() == name.lower() and other["id"] != rule_id:
            raise Conflict("a rule has that name", {"name": ["already used"]})


def create_rule(tx, principal: Principal, rule: dict) -> dict:
    """A new rule (its name unique, case aside)."""
    _name_free(tx.cur, rule["name"])
    return store.insert(tx.cur, rule, principal.id)


def update_rule(tx, principal: Principal, rule_id: str, changes: dict) -> dict:
    """The rule changed; it applies to tickets resolved after (tasks made stay)."""
    rule = _found(store.get(tx.cur, rule_id, for_update=True))
    merged = {**rule, **changes}
    try:
        check_rule(merged)
    except ValidationError as exc:  # the merge is inconsistent
        raise Invalid("invalid input", {exc.field_name: list(exc.messages)}) from None
    if "name" in changes:
        _name_free(tx.cur, changes["name"], rule_id)
    return store.update(tx.cur, rule_id, changes) if changes else rule


def list_rules(tx, principal: Principal, query: dict) -> dict:
    return {"rules": store.listed(tx.cur, query["active_only"])}


def get_rule(tx, principal: Principal, rule_id: str) -> dict:
    return _found(store.get(tx.cur, rule_id))

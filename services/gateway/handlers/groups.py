"""Groups of staff: create one (admins), list them."""
from services.common.errors import Conflict
from services.common.identity import Principal
from services.gateway.store import groups as store


def create_group(tx, principal: Principal, data: dict) -> dict:
    """The new group; Conflict when the name is taken."""
    row = store.insert_group(tx.cur, data["name"], data["display_name"])
    if row is None:
        raise Conflict("group already exists", {"name": ["already exists"]})
    return row


def list_groups(tx, principal: Principal) -> dict:
    """Every group, by name."""
    return {"groups": store.list_groups(tx.cur)}

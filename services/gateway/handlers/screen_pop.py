"""The screen pop 来电弹屏 (C3): who is calling, composed from the services' parts."""
from services.common.rpc import call, gather_settled

PARTS_DEADLINE = 2.0  # seconds the pop waits for the other services' parts


def screen_pop(customer, ticket, query: dict, deadline: float) -> dict:
    """None, one with the 360° view, or several to tell apart (the customer service's
    lookup); the view's parts from the other services, in parallel, each under the
    deadline: a part that fails or is late is named in "unavailable" and the pop
    still answers."""
    found = call(customer.lookup, query, True, timeout=deadline)
    view = found.pop("view", None)
    if view is not None:
        [overview] = gather_settled(
            [(ticket.customer_overview, (view["id"], 10), {})], PARTS_DEADLINE)
        found["view"] = {"customer": view, "open_tickets": None, "tickets": None,
                         "contacts": None, "unavailable": []}
        if isinstance(overview, Exception):
            found["view"]["unavailable"].append("tickets")
        else:
            found["view"].update(open_tickets=overview["open_tickets"],
                                 tickets=overview["recent_tickets"],
                                 contacts=overview["contacts"])
    return found

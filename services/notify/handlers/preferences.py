"""Use cases of customer preferences and the department's settings (N4)."""
from services.common.identity import Principal
from services.notify.domain import addresses
from services.notify.handlers.sends import visible_customer
from services.notify.store import preferences as store


def preferences(db, customers, customer_id: str) -> dict:
    """A customer's opt-outs (as far as the caller may see the customer): those set by
    staff for the customer, and those of the customer's numbers by SMS reply."""
    visible_customer(customers, customer_id)
    with db.transaction() as tx:
        return {"customer_id": customer_id,
                "opt_outs": store.opt_outs_of_customer(tx.cur, customer_id)}


def set_preference(db, principal: Principal, customers, customer_id: str, data: dict) -> dict:
    visible_customer(customers, customer_id)
    key = addresses.customer_key(customer_id)
    with db.transaction() as tx:
        if data["scope"] is None:
            store.clear_opt_out(tx.cur, data["channel"], key)
            store.clear_customer_opt_outs(tx.cur, data["channel"], customer_id)
        else:
            store.set_opt_out(tx.cur, data["channel"], key, customer_id, data["scope"], "staff",
                              data["note"], principal.id)
        return {"customer_id": customer_id,
                "opt_outs": store.opt_outs_of_customer(tx.cur, customer_id)}


def settings(db) -> dict:
    with db.transaction() as tx:
        return _settings(store.settings(tx.cur))


def _settings(raw: dict) -> dict:
    return {"quiet_hours": raw.get("quiet_hours", ""),
            "marketing_daily_cap": int(raw.get("marketing_daily_cap", 1)),
            "marketing_weekly_cap": int(raw.get("marketing_weekly_cap", 3)),
            "daily_report_emails": list(raw.get("daily_report_emails") or [])}


def update_settings(db, principal: Principal, data: dict) -> dict:
    with db.transaction() as tx:
        for key, value in data.items():
            store.update_setting(tx.cur, key, value, principal.id)
        return _settings(store.settings(tx.cur))

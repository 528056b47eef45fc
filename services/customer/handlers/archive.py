"""Reading a customer: the card for every staff member, the archive behind it through
the borrowing rules (C4).  Every use case that shows or reads a customer comes here.

"Decide, then write the borrowing log" is `read_archive`: whenever a classified
archive is read or refused, its log row is written first, in the caller's
transaction (no log row, no read).
"""
import datetime

from services.common.identity import Principal
from services.customer.contract.levels import TOP_SECRET
from services.customer.domain import access as rules
from services.customer.domain import records
from services.customer.store import access as access_store
from services.customer.store import records as store


def read_archive(tx, principal: Principal, card: dict, reason: str = "",
                 detail: dict | None = None) -> rules.Decision:
    """May `principal` read the archive of this card?  The decision on a classified
    archive (allowed or not) is logged first, with `reason` (else the decision's)."""
    level = card["effective_level"]
    grant = level >= TOP_SECRET and access_store.has_grant(tx.cur, card["id"], principal.id)
    decision = rules.archive_decision(principal, level, grant)
    if decision.log_action:
        access_store.log_access(tx.cur, principal, card["id"], decision.log_action, level,
                                ["archive"], reason or decision.reason, detail)
    return decision


def view(tx, principal: Principal, customer_id: str, why: str = "") -> dict:
    """The customer as this caller may see it: the card, and the archive when
    `read_archive` allows it (else `archive_withheld` says why).  NotFound when none."""
    card = store.card_full(tx.cur, customer_id)
    if card is None:
        raise records.no_such_customer()
    out = records.present_card(card, card["phones"], card["assets"], datetime.date.today())
    if out["destroyed"]:
        return out
    decision = read_archive(tx, principal, card, why)
    if not decision.allowed:
        out["archive_withheld"] = decision.reason
        return out
    archive = store.archive_with_emails(tx.cur, card["id"])
    if archive is None:  # row-level security disagreed: the database wins
        out["archive_withheld"] = "withheld by the database"
        return out
    out["archive"] = records.present_archive(card["kind"], archive, archive["emails"])
    return out


def cards(tx, ids: list[str]) -> list[dict]:
    """Cards (archive None, nothing logged) in the order of `ids`; unknown ids are
    skipped."""
    if not ids:
        return []
    rows = {r["id"]: r for r in store.cards_full(tx.cur, ids)}
    today = datetime.date.today()
    return [records.present_card(rows[i], rows[i]["phones"], rows[i]["assets"], today)
            for i in ids if i in rows]


def read_archive_for(tx, principal: Principal, customer_id: str, reason: str,
                     subject: dict) -> dict:
    """Another service opening what it holds of a customer (a classified customer's
    tickets, C4): this service's one rule decides for the caller, and the borrowing-log
    row (allowed or refused) names what was opened (`subject`)."""
    card = store.card(tx.cur, customer_id)
    if card is None or card["destroyed_at"] is not None:
        raise records.no_such_customer()
    decision = read_archive(tx, principal, card, reason, detail=subject)
    return {"allowed": decision.allowed, "reason": decision.reason,
            "level": card["effective_level"]}

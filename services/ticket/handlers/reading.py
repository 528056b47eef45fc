"""Classified customers' tickets (C4; issue 9, finding 7): the levels the ticket service
learns from the customer service, and opening what a classified customer's tickets say —
decided, and written to the borrowing log, by the customer service's one rule.

Who reaches a ticket at all is the data scope (domain.access), in the stores' SQL; this
module decides only whether what it says is shown."""
import logging

from services.common.errors import Unavailable
from services.common.identity import Principal
from services.common.rpc import gather_settled
from services.ticket.domain import access as rules
from services.ticket.store import levels

log = logging.getLogger(__name__)
ASK_SECONDS = 3  # how long opening a classified ticket waits for the customer service


def customer_classified(tx, classified: dict, occurred_at) -> None:
    """customer_classified (a loaded CustomerClassified): the customer's level from now
    on, kept unless a newer word is (events may come late or twice)."""
    levels.learn(tx.cur, classified["customer_id"], classified["level"],
                 classified.get("declassify_at"), classified.get("declassify_to"),
                 occurred_at)


def card_level(tx, card: dict) -> None:
    """The level on a customer's card as read when a ticket is accepted (as of the
    card's last change): known at once, even if its events were never heard."""
    levels.learn(tx.cur, card["id"], card.get("level") or 0, card.get("declassify_at"),
                 card.get("declassify_to"), card["updated_at"])


def decide(principal: Principal, customers, customer_id: str, level: int, reason: str,
           subject: dict) -> rules.Reading:
    """May `principal` read what this customer's tickets say (`subject`: which, for the
    borrowing log)?  Ordinary: yes, asking nobody.  Classified: the customer service
    decides and logs (a refusal too); the ticket service's own wall still applies."""
    if not rules.must_ask(level):
        return rules.opened(principal, level, None)
    return rules.opened(principal, level, ask(customers, customer_id, reason, subject))


def customer_reading(principal: Principal, customers, customer_id: str, rows: list[dict],
                     reason: str, subject: dict) -> rules.Reading:
    """The reading of rows that are all one customer's (its tickets, contacts, jobs):
    decided once, at the highest level among them; nothing to show asks nobody."""
    if not rows:
        return rules.SHOWN
    return decide(principal, customers, customer_id, max(r["level"] for r in rows), reason,
                  subject)


# -- SEAM (issue 9, finding 7): the customer service's one rule ------------------------
# customer.read_archive_for(customer_id, reason, subject) -> {"allowed", "reason", "level"}
# must apply handlers.archive.read_archive of the customer service to the caller — this
# proxy carries the caller's token — writing its borrowing-log row with `reason` and
# `subject` as the detail (allowed or refused); NotFound for a customer gone.  Until the
# customer service offers it, the call fails and classified content stays withheld.
def ask(customers, customer_id: str, reason: str, subject: dict) -> dict | None:
    """The customer service's decision on the caller reading this customer's tickets,
    or None when it gives none (down, slow, or the operation missing)."""
    try:
        [answer] = gather_settled([(customers.read_archive_for,
                                    (customer_id, reason, {"service": "ticket", **subject}),
                                    {})], ASK_SECONDS)
    except Unavailable:
        answer = None
    if isinstance(answer, dict):
        return answer
    log.warning("customer.read_archive_for gave no decision: %r", answer)
    return None

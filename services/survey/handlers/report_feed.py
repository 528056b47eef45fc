"""The report feed (issue 13): what the report service's system identity reads to
rebuild its follow-up and satisfaction facts and check its rollups (the contract lines
allow no one else)."""
import datetime

from services.common.identity import Principal
from services.common.zone import day_start
from services.survey.contract.events import (
    CampaignInvitationsListed,
    CampaignInvitationUpdated,
    IvrOfferUpdated,
)
from services.survey.store import report_feed as store

OFFER_UPDATED, INVITATION_UPDATED, LISTED = (
    IvrOfferUpdated(), CampaignInvitationUpdated(), CampaignInvitationsListed())


def _page(rows: list, limit: int, key: str, id_field: str) -> dict:
    """A keyset page from up to limit + 1 rows by id: `next` the last id given when more
    follow, else None."""
    shown = rows[:limit]
    return {key: shown, "next": shown[-1][id_field] if len(rows) > limit else None}


def report_followups(tx, principal: Principal, page: dict) -> dict:
    """A page of every follow-up task as counted, by id after `after`."""
    after = str(page["after"]) if page["after"] else None
    return _page(store.followup_page(tx.cur, after, page["limit"] + 1), page["limit"],
                 "followups", "task_id")


def report_answers(tx, principal: Principal, page: dict) -> dict:
    """A page of every answer (ids, source, scores), by id after `after`."""
    after = str(page["after"]) if page["after"] else None
    return _page(store.answer_page(tx.cur, after, page["limit"] + 1), page["limit"],
                 "answers", "answer_id")


def _period(query: dict) -> tuple[datetime.datetime, datetime.datetime]:
    return day_start(query["from_"]), day_start(query["to"] + datetime.timedelta(days=1))


def report_followup_counts(tx, principal: Principal, query: dict) -> dict:
    """The survey's own follow-up counts by China day over [from, to]."""
    return {"counts": store.followup_counts(tx.cur, *_period(query))}


def report_answer_counts(tx, principal: Principal, query: dict) -> dict:
    """The survey's own answer counts by China day over [from, to]."""
    return {"counts": store.answer_counts(tx.cur, *_period(query))}


def report_ivr_offers(tx, principal: Principal, page: dict) -> dict:
    """A page of every call offered the keypad rating, by call id after `after`."""
    return _page(store.offer_page(tx.cur, page["after"], page["limit"] + 1), page["limit"],
                 "ivr_offers", "offer_id")


def report_invitations(tx, principal: Principal, page: dict) -> dict:
    """A page of every campaign invitation as counted, by id after `after`."""
    after = str(page["after"]) if page["after"] else None
    return _page(store.invitation_page(tx.cur, after, page["limit"] + 1), page["limit"],
                 "invitations", "invitation_id")


def report_ivr_offer_counts(tx, principal: Principal, query: dict) -> dict:
    """The survey's own offered / rated calls by China day over [from, to]."""
    return {"counts": store.offer_counts(tx.cur, *_period(query))}


def report_invitation_counts(tx, principal: Principal, query: dict) -> dict:
    """The survey's own counts of each campaign starting over [from, to] (China days)."""
    return {"counts": store.invitation_counts(tx.cur, *_period(query))}


# -- the events the report keeps its keypad-offer and campaign rollups by ----------------
def tell_offer(tx, call_id: str) -> None:
    """ivr_offer_updated: the offer as kept now (in the transaction that changed it)."""
    row = store.offer(tx.cur, call_id)
    if row is not None:
        tx.emit("ivr_offer_updated", OFFER_UPDATED.dump(row))


def tell_invitations(tx, invitation_ids) -> int:
    """campaign_invitation_updated for each of these invitations as kept now (in the
    transaction that changed them); how many."""
    found = store.invitations(tx.cur, sorted(set(invitation_ids)))
    for row in found:
        tx.emit("campaign_invitation_updated", INVITATION_UPDATED.dump(row))
    return len(found)


LISTED_CHUNK = 250  # invitations per event: ~100,000 of an envelope's 1,000,000 units


def tell_listed(tx, campaign_id: str, first: int, after_last: int) -> None:
    """campaign_invitations_listed: a page of a list just frozen, positions [first,
    after_last), each invitation's first snapshot, LISTED_CHUNK to an event."""
    found = store.listed(tx.cur, campaign_id, first, after_last)
    for n in range(0, len(found), LISTED_CHUNK):
        tx.emit("campaign_invitations_listed", LISTED.dump(
            {"campaign_id": campaign_id, "invitations": found[n:n + LISTED_CHUNK]}))

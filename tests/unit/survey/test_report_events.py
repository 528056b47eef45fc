"""Issue 13, R1: the events the report keeps its keypad-offer 满意度发送率 and campaign
rollups by — ivr_offer_updated (an offer's snapshot: rated only turns true),
campaign_invitation_updated and campaign_invitations_listed (invitation snapshots with
their revision, the level, no customer and no words) — emitted in the transaction that
changes the record, once per change."""
import datetime
from types import SimpleNamespace
from unittest import mock

from services.survey.contract.events import (
    CampaignInvitationsListed,
    CampaignInvitationUpdated,
    IvrOfferUpdated,
)
from services.survey.handlers import answers, report_feed

NOW = datetime.datetime(2026, 3, 1, 8, 0, tzinfo=datetime.UTC)


class Tx:
    def __init__(self):
        self.cur = None
        self.emitted: list[tuple[str, dict]] = []

    def emit(self, event_type, data):
        self.emitted.append((event_type, data))


def offer_row(rated=False):
    return {"offer_id": "pbx-1", "offered_at": NOW, "rated": rated, "agent_id": "a1",
            "group_name": "一组", "ticket_kind": "咨询", "category_id": None}


def invitation_row(invitation_id="0b6f4a4e-8d1c-4c1e-9a55-000000000001", revision=2):
    return {"invitation_id": invitation_id, "campaign_id": "c-1",
            "campaign_starts_at": NOW, "revision": revision, "agent_id": "a1",
            "groups": ["一组"], "level": 2, "invited": True, "accepted": True, "came": False,
            "satisfaction": None, "gift_taken": None, "coupon_taken": None, "closed": False,
            "updated_at": NOW}


class TestR1ReportEvents:
    def test_r1_an_offer_is_told_as_its_snapshot(self):
        tx = Tx()
        with mock.patch.object(report_feed.store, "offer", lambda cur, call_id: offer_row(True)):
            report_feed.tell_offer(tx, "pbx-1")
        [(name, data)] = tx.emitted
        assert name == "ivr_offer_updated"
        assert IvrOfferUpdated().load(data) == offer_row(True)

    def test_r1_each_changed_invitation_is_told_with_its_revision_and_level_only(self):
        tx = Tx()
        rows = [invitation_row(revision=5)]
        with mock.patch.object(report_feed.store, "invitations", lambda cur, ids: rows):
            assert report_feed.tell_invitations(tx, ["x", "x"]) == 1
        [(name, data)] = tx.emitted
        assert name == "campaign_invitation_updated"
        loaded = CampaignInvitationUpdated().load(data)
        assert (loaded["revision"], loaded["level"], loaded["accepted"]) == (5, 2, True)
        assert not {"customer_id", "note", "checkin_code", "satisfaction_reason"} & set(data)

    def test_r1_nothing_changed_tells_nothing(self):
        tx = Tx()
        with mock.patch.object(report_feed.store, "invitations", lambda cur, ids: []):
            assert report_feed.tell_invitations(tx, []) == 0
        with mock.patch.object(report_feed.store, "listed", lambda cur, c, a, b: []):
            report_feed.tell_listed(tx, "c-1", 0, 0)
        assert tx.emitted == []

    def test_r1_a_frozen_page_is_told_once_with_every_invitation(self):
        tx = Tx()
        page = [invitation_row(f"0b6f4a4e-8d1c-4c1e-9a55-00000000000{n}", 0) for n in range(3)]
        asked = []
        with mock.patch.object(report_feed.store, "listed",
                               lambda cur, c, a, b: asked.append((c, a, b)) or page):
            report_feed.tell_listed(tx, "c-1", 1000, 1003)
        assert asked == [("c-1", 1000, 1003)]
        [(name, data)] = tx.emitted
        assert name == "campaign_invitations_listed"
        loaded = CampaignInvitationsListed().load(data)
        assert [i["revision"] for i in loaded["invitations"]] == [0, 0, 0]


class FakeAnswers:
    """answers.store for ivr_rating: one call's offer and its answer."""

    def __init__(self):
        self.offered, self.rated, self.answer = False, False, None

    def ivr_mapping(self, cur):
        return {"1": "very_satisfied", "5": "very_dissatisfied"}

    def offer_call(self, cur, data):
        fresh, self.offered = not self.offered, True
        return fresh

    def ivr_answer(self, cur, call_id):
        return self.answer

    def insert_answer(self, cur, row):
        self.answer = {"id": "ans-1", "csat_score": row["csat_score"]}
        return "ans-1"

    def mark_rated(self, cur, call_id):
        self.rated = True

    def get_answer(self, cur, answer_id):
        return {"id": "ans-1", "source": "ivr", "questionnaire_id": None, "version": None,
                "customer_id": None, "agent_id": "a1", "group_name": None, "ticket_id": None,
                "task_id": None, "call_id": "pbx-1", "ticket_kind": None,
                "category_id": None, "csat_score": self.answer["csat_score"],
                "nps_score": None, "answered_at": NOW, "answers": {}, "texts": {}}


def rate(fake: FakeAnswers, key=None) -> list[str]:
    tx = Tx()
    principal = SimpleNamespace(id="pbx", username="pbx")
    told = []
    with mock.patch.object(answers, "store", fake), \
            mock.patch.object(answers, "tell_offer",
                              lambda tx_, call_id: told.append(fake.rated)):
        answers.ivr_rating(tx, principal, {"call_id": "pbx-1", "key": key, "agent_id": "a1"})
    return [*(f"offer rated={r}" for r in told), *(n for n, _ in tx.emitted)]


class TestR1IvrOffers:
    def test_r1_an_offer_then_its_rating_are_told_each_once(self):
        fake = FakeAnswers()
        assert rate(fake) == ["offer rated=False"]
        assert rate(fake) == []  # the same post again: nothing changed
        assert rate(fake, "1") == ["offer rated=True", "survey_answered"]
        assert rate(fake, "1") == []  # rated already

    def test_r1_an_offer_rated_at_once_is_told_once_rated(self):
        assert rate(FakeAnswers(), "5") == ["offer rated=True", "survey_answered"]


def test_r1_a_frozen_page_of_a_thousand_is_told_in_events_well_under_the_envelopes_bound():
    from services.common.events import MAX_EVENT_DATA, EnvelopeSchema

    tx = Tx()
    page = [invitation_row(f"0b6f4a4e-8d1c-4c1e-9a55-{n:012d}", 0) for n in range(1000)]
    with mock.patch.object(report_feed.store, "listed", lambda cur, c, a, b: page):
        report_feed.tell_listed(tx, "c-1", 0, 1000)
    assert [len(d["invitations"]) for _, d in tx.emitted] == [250] * 4
    for _, data in tx.emitted:
        EnvelopeSchema().load({"event_id": "0b6f4a4e-8d1c-4c1e-9a55-000000000000",
                               "type": "campaign_invitations_listed",
                               "occurred_at": NOW.isoformat(), "schema_version": 1,
                               "data": data})
        assert len(str(data)) < MAX_EVENT_DATA // 5

"""The survey service 回访/满意度/市场活动: follow-ups (V1, V2); questionnaires and campaigns
(V3–V5) arrive in their own sections.

Each operation: load with its contract schema, one handler (in one transaction, or
given the unit of work when it needs several or calls another service), dump.  The
index of operations and events is contract/__init__.py.
"""
from nameko.dependency_providers import Config
from nameko.timer import timer

from services.common.db import Database
from services.common.events import EnvelopeSchema, on_event
from services.common.health import HealthCheck
from services.common.identity import Identity
from services.common.ids import parse_id
from services.common.metrics import Metrics
from services.common.rpc import proxy, rpc_entrypoints
from services.customer.contract.events import (
    CustomerClassified,
    CustomerDestroyed,
    CustomerMerged,
)
from services.survey import contract
from services.survey.contract import answers as an
from services.survey.contract import campaigns as cp
from services.survey.contract import followups as fu
from services.survey.contract import questionnaires as qn
from services.survey.contract import report_feed as rf
from services.survey.dependencies import LinkSecret
from services.survey.handlers import answers, campaigns, questionnaires, report_feed
from services.survey.handlers import events as followup_events
from services.survey.handlers import rules as followup_rules
from services.survey.handlers import tasks as followup_tasks
from services.ticket.contract.events import DispatchHandled, TicketStatusChanged
from services.vocabulary import StaffChanged

rpc = rpc_entrypoints(contract.CONTRACT)
# -- follow-ups (V1, V2)
RULE_IN, RULE_UPDATE, RULE, RULES, RULE_QUERY = (
    fu.RuleIn(), fu.RuleUpdate(), fu.Rule(), fu.RuleList(), fu.RuleQuery())
TASK, TASKS, TASK_PAGE, TASK_QUERY, SCOPE_QUERY, CUSTOMER_QUERY = (
    fu.Task(), fu.TaskList(), fu.TaskPage(), fu.TaskQuery(), fu.ScopeQuery(),
    fu.CustomerTaskQuery())
ATTEMPT_IN, RECORDED = fu.AttemptIn(), fu.Recorded()
TICKET_DONE, DISPATCH_HANDLED = TicketStatusChanged(), DispatchHandled()
# -- questionnaires (V3) / satisfaction (V4)
QUESTIONNAIRE_IN, QUESTIONNAIRE, QUESTIONNAIRES, QUESTIONNAIRE_QUERY = (
    qn.QuestionnaireIn(), qn.Questionnaire(), qn.QuestionnaireList(), qn.QuestionnaireQuery())
AGENT_ANSWERS_IN, ANSWER, IVR_IN, IVR, IVR_MAPPING = (
    an.AgentAnswersIn(), an.Answer(), an.IvrRatingIn(), an.IvrRating(), an.IvrMapping())
LINK_IN, LINK, TOKEN_IN, LINK_ANSWERS_IN, PUBLIC_QUESTIONNAIRE, SUBMITTED = (
    an.LinkIn(), an.Link(), an.TokenIn(), an.LinkAnswersIn(), an.PublicQuestionnaire(),
    an.Submitted())
SATISFACTION_QUERY = an.SatisfactionQuery()
# -- the report feed (issue 13)
REPORT_PAGE, REPORT_FOLLOWUPS, REPORT_ANSWERS = (
    rf.ReportPage(), rf.ReportFollowups(), rf.ReportAnswers())
REPORT_COUNTS_QUERY, REPORT_FOLLOWUP_COUNTS, REPORT_ANSWER_COUNTS = (
    rf.ReportCountsQuery(), rf.ReportFollowupCounts(), rf.ReportAnswerCounts())
REPORT_OFFER_PAGE, REPORT_OFFERS, REPORT_INVITATIONS = (
    rf.ReportOfferPage(), rf.ReportOffers(), rf.ReportInvitations())
REPORT_OFFER_COUNTS, REPORT_INVITATION_COUNTS = (
    rf.ReportOfferCounts(), rf.ReportInvitationCounts())
# -- campaigns (V5)
CAMPAIGN_IN, CAMPAIGN, CAMPAIGN_PAGE, CAMPAIGN_QUERY, CAMPAIGN_RATES = (
    cp.CampaignIn(), cp.Campaign(), cp.CampaignPage(), cp.CampaignQuery(), cp.CampaignRates())
INVITATION, INVITATION_PAGE, MY_INVITATIONS_QUERY, INVITATIONS_QUERY = (
    cp.Invitation(), cp.InvitationPage(), cp.InvitationQuery(), cp.CampaignInvitationQuery())
INVITATION_CALL_IN, CHECK_IN_IN, CHECKED_IN, VISIT_OUTCOME_IN = (
    cp.InvitationCallIn(), cp.CheckInIn(), cp.CheckedIn(), cp.VisitOutcomeIn())
# -- events of others
STAFF_CHANGED, CUSTOMER_DESTROYED, CUSTOMER_MERGED = (
    StaffChanged(), CustomerDestroyed(), CustomerMerged())
CUSTOMER_CLASSIFIED, ENVELOPE = CustomerClassified(), EnvelopeSchema()


class SurveyService(HealthCheck):
    name = contract.SERVICE

    db = Database()
    principal = Identity()
    metrics = Metrics()
    config = Config()
    links = LinkSecret()  # questionnaires (V3): the personal links' secret
    customers = proxy("customer")
    tickets = proxy("ticket")

    # -- follow-up rules (V1) ------------------------------------------------------------
    @rpc
    def create_followup_rule(self, data):
        """The new follow-up Rule (Conflict: its name is taken)."""
        rule = RULE_IN.load(data or {})
        with self.db.transaction() as tx:
            return RULE.dump(followup_rules.create_rule(tx, self.principal, rule))

    @rpc
    def update_followup_rule(self, rule_id, data):
        """The Rule changed (given fields only); it applies to tickets resolved after."""
        changes = RULE_UPDATE.load(data or {})
        rule_id = parse_id(rule_id, "follow-up rule")
        with self.db.transaction() as tx:
            return RULE.dump(followup_rules.update_rule(tx, self.principal, rule_id, changes))

    @rpc
    def followup_rules(self, query=None):
        """{"rules": [Rule]} by name (active only if asked)."""
        query = RULE_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return RULES.dump(followup_rules.list_rules(tx, self.principal, query))

    @rpc
    def get_followup_rule(self, rule_id):
        """One Rule."""
        rule_id = parse_id(rule_id, "follow-up rule")
        with self.db.transaction() as tx:
            return RULE.dump(followup_rules.get_rule(tx, self.principal, rule_id))

    # -- follow-up tasks (V1) and recording a call (V2) ------------------------------------
    @rpc
    def my_followups(self, query=None):
        """A page of the caller's tasks of one view — open, due_today, overdue, missed
        (by due time), done (last completed first): {tasks, next}."""
        query = TASK_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return TASK_PAGE.dump(followup_tasks.my_followups(tx, self.principal, query))

    @rpc
    def list_followups(self, query=None):
        """A page of the tasks of the caller's scope (supervisors: their groups'; of one
        group or agent if asked), of one view: {tasks, next}."""
        query = SCOPE_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return TASK_PAGE.dump(followup_tasks.list_followups(tx, self.principal, query))

    @rpc
    def get_followup(self, task_id):
        """One Task with its attempts (NotFound out of the caller's scope)."""
        task_id = parse_id(task_id, "follow-up task")
        with self.db.transaction() as tx:
            return TASK.dump(followup_tasks.get_followup(tx, self.principal, task_id))

    @rpc
    def followups_of_ticket(self, ticket_id):
        """The tasks of a ticket in the caller's scope, oldest first: {"tasks": [...]}."""
        ticket_id = parse_id(ticket_id, "ticket")
        with self.db.transaction() as tx:
            return TASKS.dump(followup_tasks.followups_of_ticket(tx, self.principal, ticket_id))

    @rpc
    def followups_of_customer(self, customer_id, query=None):
        """The tasks of a customer in the caller's scope, newest first: {tasks, next}."""
        query = CUSTOMER_QUERY.load(query or {})
        customer_id = parse_id(customer_id, "customer")
        with self.db.transaction() as tx:
            return TASK_PAGE.dump(followup_tasks.followups_of_customer(
                tx, self.principal, customer_id, query))

    @rpc
    def record_followup_attempt(self, task_id, data, idempotency_key=None):
        """Recorded {task, attempt}: a call on a task (reached or not and why, notes,
        satisfaction, call again on, needs service again — which opens a ticket and
        needs an idempotency key); a repeated idempotency key answers the first
        (Conflict: the task is done)."""
        attempt = ATTEMPT_IN.load(data or {})
        task_id = parse_id(task_id, "follow-up task")
        settings = followup_tasks.settings(self.config)
        return RECORDED.dump(followup_tasks.record_attempt(
            self.db, self.principal, self.tickets, task_id, attempt, idempotency_key,
            settings["max_attempts"], settings["hours"]))

    @timer(interval=2)
    def mark_missed_followups(self):
        """Open tasks past due become missed, each once across replicas: followup_missed
        to their groups' supervisors, counted (kefu_followups_missed_total)."""
        return followup_tasks.mark_missed(self.db, self.metrics)

    @timer(interval=5)
    def remind_followups(self):
        """Open tasks due within FOLLOWUP_REMIND_MINUTES: followup_due_soon, once each."""
        minutes = followup_tasks.settings(self.config)["remind_minutes"]
        return followup_tasks.remind(self.db, minutes)

    # -- questionnaires (V3) / satisfaction (V4) ---------------------------------------------
    @rpc
    def save_questionnaire(self, data):
        """The draft Questionnaire saved: the named draft, the name's newest draft, or
        the next version; a published version never changes (Conflict)."""
        fields = QUESTIONNAIRE_IN.load(data or {})
        with self.db.transaction() as tx:
            return QUESTIONNAIRE.dump(questionnaires.save_questionnaire(tx, self.principal,
                                                                        fields))

    @rpc
    def publish_questionnaire(self, questionnaire_id):
        """The version published: immutable from now on, and answerable."""
        questionnaire_id = parse_id(questionnaire_id, "questionnaire")
        with self.db.transaction() as tx:
            return QUESTIONNAIRE.dump(questionnaires.publish_questionnaire(
                tx, self.principal, questionnaire_id))

    @rpc
    def questionnaires(self, query=None):
        """{"questionnaires": [...]}: the newest version of each name (or all versions)."""
        query = QUESTIONNAIRE_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return QUESTIONNAIRES.dump(questionnaires.questionnaires(tx, query))

    @rpc
    def get_questionnaire(self, questionnaire_id):
        questionnaire_id = parse_id(questionnaire_id, "questionnaire")
        with self.db.transaction() as tx:
            return QUESTIONNAIRE.dump(questionnaires.get_questionnaire(tx, questionnaire_id))

    @rpc
    def record_answers(self, data, idempotency_key=None):
        """The Answer an agent took on the phone (Invalid naming `answers.<key>`); a
        repeated idempotency key answers the first."""
        fields = AGENT_ANSWERS_IN.load(data or {})
        with self.db.transaction() as tx:
            return ANSWER.dump(answers.record_answers(tx, self.principal, fields,
                                                      idempotency_key))

    @rpc
    def ivr_rating(self, data):
        """The telephony's keypad rating of a call (no key: offered, not rated), once
        per call id; a key outside the mapping is Invalid and stored nowhere."""
        fields = IVR_IN.load(data or {})
        with self.db.transaction() as tx:
            return IVR.dump(answers.ivr_rating(tx, self.principal, fields))

    @rpc
    def ivr_mapping(self):
        with self.db.transaction() as tx:
            return IVR_MAPPING.dump(answers.ivr_mapping(tx))

    @rpc
    def set_ivr_mapping(self, data):
        """The keypad mapping replaced: {"keys": {"1": "very_satisfied", ...}}."""
        keys = IVR_MAPPING.load(data or {})["keys"]
        with self.db.transaction() as tx:
            return IVR_MAPPING.dump(answers.set_ivr_mapping(tx, self.principal, keys))

    @rpc
    def issue_survey_link(self, data, idempotency_key=None):
        """A personal link (signed, expiring, single use) for one customer or follow-up
        task; its token is answered to the system caller (notify) only.  A repeated
        idempotency key answers the first link."""
        fields = LINK_IN.load(data or {})
        with self.db.transaction() as tx:
            return LINK.dump(answers.issue_survey_link(tx, self.principal,
                                                       self.links.secret, fields,
                                                       idempotency_key))

    @rpc
    def survey_by_token(self, data):
        """Public: the questionnaire behind a link and a greeting, nothing else."""
        fields = TOKEN_IN.load(data or {})
        return PUBLIC_QUESTIONNAIRE.dump(answers.link_questionnaire(
            self.db, self.links.secret, fields, self.links.limits))

    @rpc
    def answer_by_token(self, data):
        """Public: the customer's answers through their link, once."""
        fields = LINK_ANSWERS_IN.load(data or {})
        return SUBMITTED.dump(answers.submit_link(self.db, self.links.secret, fields,
                                                  self.links.limits))

    @rpc
    def satisfaction(self, query=None):
        """CSAT and NPS by agent, group, kind, category, source and period, with the
        answers behind each; the keypad's offered and rated calls."""
        query = SATISFACTION_QUERY.load(query or {})
        with self.db.transaction() as tx:
            # Satisfaction's shape, built of plain values by the handler: dumping it
            # through the schema changes nothing (the integration tests hold it) and cost
            # 40 of the 55 CPU ms of a 1,200-figure reply (bench P13).
            return answers.satisfaction(tx, self.principal, query)

    # -- the report feed (issue 13): the report's system identity only ----------------------
    @rpc
    def report_followups(self, page=None):
        """ReportFollowups: every follow-up task as counted, by id after `after` (limit
        1..1000, default 500), {"followups", "next"}; `next` null on the last page."""
        page = REPORT_PAGE.load(page or {})
        with self.db.transaction() as tx:
            return REPORT_FOLLOWUPS.dump(report_feed.report_followups(tx, self.principal,
                                                                      page))

    @rpc
    def report_answers(self, page=None):
        """ReportAnswers: every answer's ids, source and scores, by id after `after`
        (limit 1..1000, default 500), {"answers", "next"}."""
        page = REPORT_PAGE.load(page or {})
        with self.db.transaction() as tx:
            return REPORT_ANSWERS.dump(report_feed.report_answers(tx, self.principal, page))

    @rpc
    def report_followup_counts(self, query):
        """ReportFollowupCounts: by China day over [from, to] (at most 400 days), tasks
        created, done (reached, unreachable) and missed."""
        query = REPORT_COUNTS_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return REPORT_FOLLOWUP_COUNTS.dump(report_feed.report_followup_counts(
                tx, self.principal, query))

    @rpc
    def report_answer_counts(self, query):
        """ReportAnswerCounts: by China day over [from, to] (at most 400 days), answers,
        CSAT answers, satisfied, NPS answers, promoters, detractors."""
        query = REPORT_COUNTS_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return REPORT_ANSWER_COUNTS.dump(report_feed.report_answer_counts(
                tx, self.principal, query))

    @rpc
    def report_ivr_offers(self, page=None):
        """ReportOffers: every call offered the keypad rating, by call id after `after`
        (limit 1..1000, default 500), {"ivr_offers", "next"}."""
        page = REPORT_OFFER_PAGE.load(page or {})
        with self.db.transaction() as tx:
            return REPORT_OFFERS.dump(report_feed.report_ivr_offers(tx, self.principal, page))

    @rpc
    def report_invitations(self, page=None):
        """ReportInvitations: every campaign invitation as counted, by id after `after`
        (limit 1..1000, default 500), {"invitations", "next"}."""
        page = REPORT_PAGE.load(page or {})
        with self.db.transaction() as tx:
            return REPORT_INVITATIONS.dump(report_feed.report_invitations(
                tx, self.principal, page))

    @rpc
    def report_ivr_offer_counts(self, query):
        """ReportOfferCounts: by China day over [from, to] (at most 400 days), calls
        offered a rating and those rated."""
        query = REPORT_COUNTS_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return REPORT_OFFER_COUNTS.dump(report_feed.report_ivr_offer_counts(
                tx, self.principal, query))

    @rpc
    def report_invitation_counts(self, query):
        """ReportInvitationCounts: each campaign starting over [from, to] (China days, at
        most 400) with its list's counts."""
        query = REPORT_COUNTS_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return REPORT_INVITATION_COUNTS.dump(report_feed.report_invitation_counts(
                tx, self.principal, query))

    # -- campaigns (V5) ---------------------------------------------------------------------
    @rpc
    def create_campaign(self, data, idempotency_key=None):
        """The new Campaign (list_state freezing: its list is frozen from the segment in
        the next seconds); a repeated Idempotency-Key, or the same request again, answers
        the first (Invalid: an agent not active)."""
        fields = CAMPAIGN_IN.load(data or {})
        with self.db.transaction() as tx:
            return CAMPAIGN.dump(campaigns.create_campaign(tx, self.principal, fields,
                                                           idempotency_key))

    @rpc
    def campaigns(self, query=None):
        """{campaigns, next}: newest first, each with its figures (an agent: those they
        call for)."""
        query = CAMPAIGN_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return CAMPAIGN_PAGE.dump(campaigns.campaigns(tx, self.principal, query))

    @rpc
    def get_campaign(self, campaign_id):
        """One Campaign with its counts and rates."""
        campaign_id = parse_id(campaign_id, "campaign")
        with self.db.transaction() as tx:
            return CAMPAIGN.dump(campaigns.get_campaign(tx, self.principal, campaign_id))

    @rpc
    def my_invitations(self, query=None):
        """{invitations, next}: the caller's call list (one campaign, one status)."""
        query = MY_INVITATIONS_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return INVITATION_PAGE.dump(campaigns.my_invitations(tx, self.principal, query))

    @rpc
    def campaign_invitations(self, campaign_id, query=None):
        """{invitations, next}: a campaign's list in the caller's scope."""
        query = INVITATIONS_QUERY.load(query or {})
        campaign_id = parse_id(campaign_id, "campaign")
        with self.db.transaction() as tx:
            return INVITATION_PAGE.dump(campaigns.campaign_invitations(
                tx, self.principal, campaign_id, query))

    @rpc
    def record_invitation(self, invitation_id, data, idempotency_key=None):
        """The Invitation after its call (Conflict: full — naming capacity —, came, the
        campaign ended — naming ends_at —, or the customer destroyed); an acceptance
        sends the check-in code, once; a retry with the same Idempotency-Key counts no
        second call."""
        call = INVITATION_CALL_IN.load(data or {})
        invitation_id = parse_id(invitation_id, "invitation")
        with self.db.transaction() as tx:
            return INVITATION.dump(campaigns.record_invitation(tx, self.principal,
                                                               invitation_id, call,
                                                               idempotency_key))

    @rpc
    def check_in(self, campaign_id, data):
        """CheckedIn at the door by code or invitation id, counted once; a wrong one is
        NotFound, too many wrong ones TooManyRequests."""
        fields = CHECK_IN_IN.load(data or {})
        campaign_id = parse_id(campaign_id, "campaign")
        return CHECKED_IN.dump(campaigns.check_in(self.db, self.principal, campaign_id,
                                                  fields, campaigns.settings(self.config)))

    @rpc
    def record_visit_outcome(self, invitation_id, data):
        """The Invitation with its visit's outcome (Conflict: the customer did not come)."""
        outcome = VISIT_OUTCOME_IN.load(data or {})
        invitation_id = parse_id(invitation_id, "invitation")
        with self.db.transaction() as tx:
            return INVITATION.dump(campaigns.record_visit_outcome(tx, self.principal,
                                                                  invitation_id, outcome))

    @rpc
    def campaign_rates(self, campaign_id):
        """CampaignRates: invitation, acceptance, attendance, satisfaction — per campaign
        and per agent, with the counts behind each."""
        campaign_id = parse_id(campaign_id, "campaign")
        with self.db.transaction() as tx:
            return CAMPAIGN_RATES.dump(campaigns.campaign_rates(tx, self.principal,
                                                                campaign_id))

    @timer(interval=1)
    def freeze_campaign_lists(self):
        """New campaigns' lists frozen from their segments, each whole, by one replica."""
        return campaigns.freeze(self.db, self.customers,
                                most=campaigns.list_limit(self.config))

    # -- follow-ups from ticket events (V1) --------------------------------------------------
    @on_event("ticket", "ticket_resolved")
    def followup_resolved_ticket(self, event):
        """V1: the tasks the active rules make of a resolved ticket (once per rule)."""
        followup_events.ticket_done(self.db, self.customers, self.tickets,
                                    TICKET_DONE.load(event["data"]),
                                    followup_tasks.settings(self.config)["hours"])

    @on_event("ticket", "ticket_closed")
    def followup_closed_ticket(self, event):
        """V1: the same for a closed ticket (one resolved before already has them)."""
        followup_events.ticket_done(self.db, self.customers, self.tickets,
                                    TICKET_DONE.load(event["data"]),
                                    followup_tasks.settings(self.config)["hours"])

    @on_event("ticket", "dispatch_handled")
    def followup_field_job(self, event):
        """V1: the tasks the active field-job rules make of a job recorded done."""
        followup_events.ticket_done(self.db, self.customers, self.tickets,
                                    followup_events.field_job_done(
                                        DISPATCH_HANDLED.load(event["data"])),
                                    followup_tasks.settings(self.config)["hours"],
                                    "dispatch_handled")

    # -- what a customer's lifecycle does to follow-ups (C4, C6, C8) --------------------------
    @on_event("customer", "customer_classified")
    def learn_followup_customer_level(self, event):
        """C4: the level the customer's tasks take (the newest word kept)."""
        classified = CUSTOMER_CLASSIFIED.load(event["data"])
        occurred_at = ENVELOPE.load(event)["occurred_at"]
        with self.db.transaction() as tx:
            followup_events.customer_classified(tx, classified, occurred_at)
            campaigns.customer_level(tx, classified["customer_id"])  # V5: invitations

    @on_event("customer", "customer_destroyed")
    def erase_followups_of_destroyed_customer(self, event):
        """C6: the notes of the customer's tasks and attempts become '[已销毁]'; its
        unfinished tasks end (outcome erased)."""
        destroyed = CUSTOMER_DESTROYED.load(event["data"])
        with self.db.transaction() as tx:
            followup_events.customer_destroyed(tx, destroyed["customer_id"])
            answers.customer_destroyed(tx, destroyed["customer_id"])  # V3: free text, names
            campaigns.customer_destroyed(tx, destroyed["customer_id"])  # V5: notes

    @on_event("customer", "customer_merged")
    def repoint_followups_of_merged_customer(self, event):
        """C8: the merged-away customer's tasks now belong to the survivor."""
        merged = CUSTOMER_MERGED.load(event["data"])
        with self.db.transaction() as tx:
            followup_events.customer_merged(tx, merged["merged_id"], merged["survivor_id"])
            answers.customer_merged(tx, merged["merged_id"], merged["survivor_id"])  # V3
            campaigns.customer_merged(tx, merged["merged_id"], merged["survivor_id"])  # V5

    # -- staff: the read model of the gateway's staff (assignment, escalation) ----------------
    @on_event("gateway", "staff_created")
    def staff_created(self, event):
        """A new staff account: may take follow-ups from now on."""
        with self.db.transaction() as tx:
            followup_events.staff_changed(tx, STAFF_CHANGED.load(event["data"]))

    @on_event("gateway", "staff_updated")
    def staff_updated(self, event):
        """A changed staff account (roles, groups, active)."""
        with self.db.transaction() as tx:
            followup_events.staff_changed(tx, STAFF_CHANGED.load(event["data"]))


SERVICE = SurveyService

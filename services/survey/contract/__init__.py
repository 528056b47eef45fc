"""The survey service 回访/满意度/市场活动 — its contract index: every RPC and every event.

Areas, each with its schemas in its own module:
  followups  (V1, V2) follow-up rules, the tasks ticket events make from them, the
             attempts agents record — contract/followups.py
  events     what it publishes — contract/events.py
  questionnaires  (V3) versioned questionnaires, draft -> published (immutable)
             — contract/questionnaires.py
  answers    (V3, V4) answers by agents, IVR keypad ratings and personal links; CSAT/NPS
             figures — contract/answers.py (its docstring: sources, levels, link errors)
  campaigns  (V5) campaigns, their invitation lists frozen from a customer segment,
             check-in at the door, visit outcomes, rates — contract/campaigns.py (its
             docstring: list states, invitation statuses and filters)
  report_feed  (issue 13) what the report service's system identity reads to rebuild
             and check its follow-up, satisfaction, keypad-offer and campaign rollups
             — contract/report_feed.py

`roles` is who may call (the service's @rpc takes them from here); errors are besides
Unauthenticated and Forbidden, which any call may answer.  A follow-up task is reached
by its assignee, by the supervisors of its groups, and by managers up; out of scope it
is NotFound.
"""
from services.common.contracts import Consumes, Contract, Event, Operation
from services.common.errors import (
    Conflict,
    DeadlineExceeded,
    Invalid,
    NotFound,
    TooManyRequests,
    Unavailable,
)
from services.survey.contract.answers import (
    AgentAnswersIn,
    Answer,
    IvrMapping,
    IvrRating,
    IvrRatingIn,
    Link,
    LinkAnswersIn,
    LinkExpired,
    LinkIn,
    LinkInvalid,
    LinkUsed,
    PublicQuestionnaire,
    Satisfaction,
    SatisfactionQuery,
    Submitted,
    SurveyAnswered,
    TokenIn,
)
from services.survey.contract.campaigns import (
    Campaign,
    CampaignIn,
    CampaignInvitationQuery,
    CampaignPage,
    CampaignQuery,
    CampaignRates,
    CheckedIn,
    CheckInIn,
    Invitation,
    InvitationCallIn,
    InvitationPage,
    InvitationQuery,
    VisitOutcomeIn,
)
from services.survey.contract.events import (
    CampaignInvitationAccepted,
    CampaignInvitationsListed,
    CampaignInvitationUpdated,
    FollowupCompleted,
    FollowupCreated,
    FollowupDueSoon,
    FollowupMissed,
    IvrOfferUpdated,
)
from services.survey.contract.followups import (
    AttemptIn,
    CustomerTaskQuery,
    Recorded,
    Rule,
    RuleIn,
    RuleList,
    RuleQuery,
    RuleUpdate,
    ScopeQuery,
    Task,
    TaskList,
    TaskPage,
    TaskQuery,
)
from services.survey.contract.questionnaires import (
    Questionnaire,
    QuestionnaireIn,
    QuestionnaireList,
    QuestionnaireQuery,
)
from services.survey.contract.report_feed import (
    ReportAnswerCounts,
    ReportAnswers,
    ReportCountsQuery,
    ReportFollowupCounts,
    ReportFollowups,
    ReportInvitationCounts,
    ReportInvitations,
    ReportOfferCounts,
    ReportOfferPage,
    ReportOffers,
    ReportPage,
)
from services.vocabulary import (
    ADMINS,
    AUDITOR,
    FRONT_LINE,
    INTEGRATIONS,
    MANAGERS_UP,
    OPERATORS,
    STAFF,
    SUPERVISORS_UP,
)

SERVICE = "survey"

# Follow-ups (V1, V2): admins and managers write the rules, supervisors up read them;
# the front line works the tasks (each in its own scope).
RULE_EDITORS = ADMINS | MANAGERS_UP
RULE_READERS = ADMINS | SUPERVISORS_UP
FOLLOWERS = FRONT_LINE
# -- questionnaires (V3) / satisfaction (V4): admins and managers edit questionnaires,
# staff read them; the front line records answers and issues links, but only the
# system caller notify (which sends them) is answered a link's token; telephony posts
# keypad ratings; the public page knows only its token; supervisors up and auditors
# read the figures.
QUESTIONNAIRE_EDITORS = ADMINS | MANAGERS_UP
LINK_ISSUERS = OPERATORS
FIGURE_READERS = SUPERVISORS_UP | {AUDITOR}
LINK_REFUSALS = (LinkInvalid, LinkExpired, LinkUsed, TooManyRequests, Unavailable)
# -- campaigns (V5): admins and supervisors up create them and read whole lists and
# rates; operators read the campaigns they reach (an agent: those they call for) and
# check customers in at the door; the front line calls its invitations.
CAMPAIGN_MAKERS = ADMINS | SUPERVISORS_UP
CAMPAIGN_READERS = OPERATORS
INVITERS = FRONT_LINE
# -- the report feed (issue 13): no person; the report service's system identity only.
NOBODY: frozenset = frozenset()
REPORT = frozenset({"report"})

CONTRACT = Contract(
    SERVICE,
    operations=[
        #         name                       roles           input              output    errors
        # -- follow-up rules (V1)
        Operation("create_followup_rule",    RULE_EDITORS,   RuleIn,            Rule,     (Invalid, Conflict)),
        Operation("update_followup_rule",    RULE_EDITORS,   RuleUpdate,        Rule,     (Invalid, NotFound, Conflict)),
        Operation("followup_rules",          RULE_READERS,   RuleQuery,         RuleList, (Invalid,)),
        Operation("get_followup_rule",       RULE_READERS,   None,              Rule,     (NotFound,)),
        # -- follow-up tasks (V1) and recording a call (V2)
        Operation("my_followups",            FOLLOWERS,      TaskQuery,         TaskPage, (Invalid,)),
        Operation("list_followups",          SUPERVISORS_UP, ScopeQuery,        TaskPage, (Invalid, NotFound)),
        Operation("get_followup",            FOLLOWERS,      None,              Task,     (NotFound,)),
        Operation("followups_of_ticket",     FOLLOWERS,      None,              TaskList, (NotFound,)),
        Operation("followups_of_customer",   FOLLOWERS,      CustomerTaskQuery, TaskPage, (Invalid, NotFound)),
        Operation("record_followup_attempt", FOLLOWERS,      AttemptIn,         Recorded, (Invalid, NotFound, Conflict, DeadlineExceeded)),
        # -- questionnaires (V3) / satisfaction (V4)
        Operation("save_questionnaire",      QUESTIONNAIRE_EDITORS, QuestionnaireIn, Questionnaire, (Invalid, NotFound, Conflict)),
        Operation("publish_questionnaire",   QUESTIONNAIRE_EDITORS, None,            Questionnaire, (NotFound, Conflict)),
        Operation("questionnaires",          STAFF,          QuestionnaireQuery, QuestionnaireList, (Invalid,)),
        Operation("get_questionnaire",       STAFF,          None,              Questionnaire, (NotFound,)),
        Operation("record_answers",          FOLLOWERS,      AgentAnswersIn,    Answer,        (Invalid, NotFound)),
        Operation("ivr_rating",              INTEGRATIONS,   IvrRatingIn,       IvrRating,     (Invalid,)),
        Operation("ivr_mapping",             STAFF | INTEGRATIONS, None,        IvrMapping),
        Operation("set_ivr_mapping",         ADMINS,         IvrMapping,        IvrMapping,    (Invalid,)),
        Operation("issue_survey_link",       LINK_ISSUERS,   LinkIn,            Link,          (Invalid, NotFound, Unavailable), system=frozenset({"notify"})),
        Operation("survey_by_token",         None,           TokenIn,           PublicQuestionnaire, LINK_REFUSALS),
        Operation("answer_by_token",         None,           LinkAnswersIn,     Submitted,     (Invalid, *LINK_REFUSALS)),
        Operation("satisfaction",            FIGURE_READERS, SatisfactionQuery, Satisfaction,  (Invalid,)),
        # -- campaigns (V5)
        Operation("create_campaign",         CAMPAIGN_MAKERS,  CampaignIn,       Campaign,       (Invalid,)),
        Operation("campaigns",               CAMPAIGN_READERS, CampaignQuery,    CampaignPage,   (Invalid,)),
        Operation("get_campaign",            CAMPAIGN_READERS, None,             Campaign,       (NotFound,)),
        Operation("my_invitations",          INVITERS,         InvitationQuery,  InvitationPage, (Invalid,)),
        Operation("campaign_invitations",    CAMPAIGN_MAKERS,  CampaignInvitationQuery, InvitationPage, (Invalid, NotFound)),
        Operation("record_invitation",       INVITERS,         InvitationCallIn, Invitation,     (Invalid, NotFound, Conflict)),
        Operation("check_in",                OPERATORS,        CheckInIn,        CheckedIn,      (Invalid, NotFound, Conflict, TooManyRequests)),
        Operation("record_visit_outcome",    OPERATORS,        VisitOutcomeIn,   Invitation,     (Invalid, NotFound, Conflict)),
        Operation("campaign_rates",          CAMPAIGN_MAKERS,  None,             CampaignRates,  (NotFound,)),
        # -- the report feed (issue 13): what the report rebuilds and checks from
        Operation("report_followups",        NOBODY,         ReportPage,        ReportFollowups,      (Invalid,), system=REPORT),
        Operation("report_answers",          NOBODY,         ReportPage,        ReportAnswers,        (Invalid,), system=REPORT),
        Operation("report_followup_counts",  NOBODY,         ReportCountsQuery, ReportFollowupCounts, (Invalid,), system=REPORT),
        Operation("report_answer_counts",    NOBODY,         ReportCountsQuery, ReportAnswerCounts,   (Invalid,), system=REPORT),
        Operation("report_ivr_offers",       NOBODY,         ReportOfferPage,   ReportOffers,         (Invalid,), system=REPORT),
        Operation("report_invitations",      NOBODY,         ReportPage,        ReportInvitations,    (Invalid,), system=REPORT),
        Operation("report_ivr_offer_counts", NOBODY,         ReportCountsQuery, ReportOfferCounts,    (Invalid,), system=REPORT),
        Operation("report_invitation_counts", NOBODY,        ReportCountsQuery, ReportInvitationCounts, (Invalid,), system=REPORT),
    ],
    events=[
        Event("followup_created",   FollowupCreated),    # a task made (V1)
        Event("followup_due_soon",  FollowupDueSoon),    # a reminder before its due time
        Event("followup_missed",    FollowupMissed),     # past due: a fault, escalated
        Event("followup_completed", FollowupCompleted),  # reached, or unreachable (V2)
        Event("survey_answered",    SurveyAnswered),     # an answer (V3): ids and scores
        Event("campaign_invitation_accepted", CampaignInvitationAccepted),  # V5: SMS the code
        # issue 13: the report's 满意度发送率 and campaign rates, told as snapshots
        Event("ivr_offer_updated", IvrOfferUpdated),  # a call offered the rating, or rated
        Event("campaign_invitation_updated", CampaignInvitationUpdated),  # its snapshot
        Event("campaign_invitations_listed", CampaignInvitationsListed),  # a frozen page
    ],
    consumes=[
        Consumes("ticket", "ticket_resolved"),        # V1: tasks from the rules
        Consumes("ticket", "ticket_closed"),          # (once per ticket and rule)
        Consumes("ticket", "dispatch_handled"),       # V1: field-job rules
        Consumes("customer", "customer_classified"),  # C4: the level tasks copy
        Consumes("customer", "customer_destroyed"),   # C6: notes erased
        Consumes("customer", "customer_merged"),      # C8: tasks to the survivor
        Consumes("gateway", "staff_created"),         # the staff read model (assignment)
        Consumes("gateway", "staff_updated"),
    ],
)

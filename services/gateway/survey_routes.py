"""The survey service's routes 回访/满意度/市场活动 (issue 12, V1–V5): a mixin of GatewayService.

Declared as every forwarding route is (routes.py): one `forward(...)` line each, the
roles and the OpenAPI description from the survey contract index
(services/survey/contract/__init__.py).  They live in their own class because the
gateway's service class is long; nameko finds the entrypoints and the `survey` proxy
of a base class as its own, and each route registered its OpenAPI entry when this
module was imported (test_survey_routes: the names, the document).

Not routed: `issue_survey_link`.  A link's token is answered to the system caller
(notify, which sends it) only; a staff member would get a link nobody can open.

Public (no sign-in), for the customer holding a personal link: the page `/s/<token>`
(pages/survey_public.py) and its JSON twin under /api/v1/public/surveys/<token>.  The
client address (the gateway's notion of it: TRUSTED_PROXIES) goes with the token as the
key bad tokens are counted by; a used or expired link is 410, a wrong one 404.
"""
from services.common.rpc import proxy
from services.gateway import openapi
from services.gateway.contract.errors import Error
from services.gateway.http import api
from services.gateway.pages import survey_public
from services.gateway.pages.web import page
from services.gateway.routes import BODY, IDEMPOTENCY_KEY, QUERY, Take, Upstream, forward
from services.survey import contract as survey_contract
from services.survey.contract.answers import PublicAnswersIn, PublicQuestionnaire, Submitted

SURVEY = Upstream(survey_contract.CONTRACT)
RULE = "/api/v1/followup-rules/<rule_id>"
TASK = "/api/v1/followups/<task_id>"
QUESTIONNAIRE = "/api/v1/questionnaires/<questionnaire_id>"
CAMPAIGN = "/api/v1/campaigns/<campaign_id>"
INVITATION = "/api/v1/invitations/<invitation_id>"
PUBLIC = "/api/v1/public/surveys/<token>"


def _figures_query(request, _) -> tuple:
    """The query string, `by` a list (?by=agent&by=month or ?by=agent,group)."""
    query = request.args.to_dict()
    if "by" in request.args:
        query["by"] = [part for value in request.args.getlist("by")
                       for part in value.split(",") if part][:10]
    return (query,)


FIGURES_QUERY = Take("query", _figures_query)


class SurveyRoutes:
    survey = proxy("survey")

    # -- follow-up rules (V1) -----------------------------------------------------------
    create_followup_rule = forward(
        "POST", "/api/v1/followup-rules",
        "Define a follow-up rule: which resolved tickets (kinds, after-sales subtypes, "
        "categories, agents, VIP, a reproducible x%) and when (N business hours/days)",
        SURVEY.create_followup_rule, BODY, status=201)
    followup_rules = forward("GET", "/api/v1/followup-rules",
                             "Follow-up rules by name (?active_only=true)",
                             SURVEY.followup_rules, QUERY)
    followup_rule = forward("GET", RULE, "A follow-up rule", SURVEY.get_followup_rule)
    update_followup_rule = forward(
        "PATCH", RULE, "Change a follow-up rule (given fields; tickets resolved after)",
        SURVEY.update_followup_rule, BODY)

    # -- follow-up tasks (V1) and recording a call (V2) -----------------------------------
    my_followups = forward(
        "GET", "/api/v1/followups/mine",
        "My follow-up tasks of one view: open, due_today, overdue, missed (by due time), "
        "done (newest first); ?cursor=<next>", SURVEY.my_followups, QUERY)
    list_followups = forward(
        "GET", "/api/v1/followups",
        "Follow-up tasks of my scope (supervisors: their groups'), of one view; "
        "?group=&assignee_id=", SURVEY.list_followups, QUERY)
    followup = forward("GET", TASK, "A follow-up task with its attempts", SURVEY.get_followup)
    record_followup_attempt = forward(
        "POST", TASK + "/attempts",
        "Record a call on a task: reached or why not, satisfaction, notes, call again on, "
        "needs service again (opens a ticket; Idempotency-Key required for it)",
        SURVEY.record_followup_attempt, BODY, IDEMPOTENCY_KEY, status=201)
    ticket_followups = forward("GET", "/api/v1/tickets/<ticket_id>/followups",
                               "A ticket's follow-up tasks in my scope, oldest first",
                               SURVEY.followups_of_ticket)
    customer_followups = forward(
        "GET", "/api/v1/customers/<customer_id>/followups",
        "A customer's follow-up tasks in my scope, newest first (?cursor=<next>)",
        SURVEY.followups_of_customer, QUERY)

    # -- questionnaires (V3) and satisfaction (V4) -----------------------------------------
    save_questionnaire = forward(
        "POST", "/api/v1/questionnaires",
        "Save a questionnaire draft by name (a published name gets its next version)",
        SURVEY.save_questionnaire, BODY)
    questionnaires = forward(
        "GET", "/api/v1/questionnaires",
        "Questionnaires: the newest version of each name (?name=&status=&all_versions=)",
        SURVEY.questionnaires, QUERY)
    questionnaire = forward("GET", QUESTIONNAIRE, "One questionnaire version",
                            SURVEY.get_questionnaire)
    publish_questionnaire = forward(
        "POST", QUESTIONNAIRE + "/publish",
        "Publish a questionnaire version: answerable, and never changed again",
        SURVEY.publish_questionnaire)
    record_survey_answers = forward(
        "POST", "/api/v1/survey-answers",
        "Answers the customer gave on the phone to a published questionnaire (of a "
        "follow-up task, or mine; Idempotency-Key honoured)",
        SURVEY.record_answers, BODY, IDEMPOTENCY_KEY, status=201)
    ivr_rating = forward(
        "POST", "/api/v1/ivr-ratings",
        "A keypad rating after a call (telephony integration): the key pressed, or none "
        "(offered, not rated); once per call id; a key outside the mapping is refused",
        SURVEY.ivr_rating, BODY)
    ivr_mapping = forward("GET", "/api/v1/ivr-mapping",
                          "The keypad's meaning: {key: level}", SURVEY.ivr_mapping)
    set_ivr_mapping = forward("PUT", "/api/v1/ivr-mapping",
                              "Replace the keypad's meaning (admins)",
                              SURVEY.set_ivr_mapping, BODY)
    satisfaction = forward(
        "GET", "/api/v1/satisfaction",
        "CSAT and NPS by agent, group, kind, category, source (?by=) and day, week or "
        "month (?period=) with the answers behind each; the keypad's offered and rated",
        SURVEY.satisfaction, FIGURES_QUERY)

    # -- campaigns (V5): the list frozen from a segment, invitation calls, the door -------
    create_campaign = forward(
        "POST", "/api/v1/campaigns",
        "Create a campaign: theme, dates, on site or elsewhere, capacity; its list frozen "
        "from a customer segment and spread over the agents (Idempotency-Key honoured)",
        SURVEY.create_campaign, BODY, IDEMPOTENCY_KEY, status=201)
    campaigns = forward("GET", "/api/v1/campaigns",
                        "Campaigns, newest first, with their figures (?state=&cursor=)",
                        SURVEY.campaigns, QUERY)
    campaign = forward("GET", CAMPAIGN, "A campaign with its counts and rates",
                       SURVEY.get_campaign)
    my_invitations = forward(
        "GET", "/api/v1/invitations/mine",
        "My invitation call list in list order (?campaign_id=&status=&cursor=)",
        SURVEY.my_invitations, QUERY)
    campaign_invitations = forward(
        "GET", CAMPAIGN + "/invitations",
        "A campaign's invitations in my scope (?status=&agent_id=&cursor=)",
        SURVEY.campaign_invitations, QUERY)
    record_invitation = forward(
        "POST", INVITATION + "/call",
        "Record the invitation call: invited or why not, accepted (the check-in code is "
        "sent by SMS, once; a retry with the same Idempotency-Key counts once)",
        SURVEY.record_invitation, BODY, IDEMPOTENCY_KEY)
    check_in = forward("POST", CAMPAIGN + "/check-ins",
                       "Check a customer in at the door: the code typed, or the invitation "
                       "scanned (counted once)", SURVEY.check_in, BODY)
    record_visit_outcome = forward(
        "PUT", INVITATION + "/outcome",
        "What happened for a customer who came: gift, coupon, satisfaction and why",
        SURVEY.record_visit_outcome, BODY)
    campaign_rates = forward(
        "GET", CAMPAIGN + "/rates",
        "Invitation, acceptance, attendance and satisfaction rates of a campaign and of "
        "each agent, with the counts behind them", SURVEY.campaign_rates)

    # -- the customer's personal link: public (V3) -----------------------------------------
    @openapi.answers(410, Error, "the link was used already, or has expired")
    @api("GET", PUBLIC, "The questionnaire behind a personal survey link and a greeting, "
         "nothing else (no sign-in; 404 a wrong link, 429 too many wrong ones)",
         public=True, response=PublicQuestionnaire, upstreams=("survey",))
    def public_survey(self, request, token):
        """What the customer's page shows."""
        return survey_public.api_survey(self, request, token)

    @openapi.answers(410, Error, "the link was used already, or has expired")
    @api("POST", PUBLIC + "/answers", "Answer through a personal survey link, once (no "
         "sign-in)", public=True, status=201, body=PublicAnswersIn, response=Submitted,
         upstreams=("survey",))
    def public_survey_answers(self, request, token):
        """{"answered": true}; the link is used."""
        return survey_public.api_answer(self, request, token)

    survey_page = page("GET", "/s/<token>", survey_public.show, public=True)
    survey_page_submit = page("POST", "/s/<token>", survey_public.submit, public=True)

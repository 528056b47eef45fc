"""The gateway 网关: HTTP for the user interfaces, staff accounts and sign-in (G1–G3).

Every route is listed here, by area (the survey service's in survey_routes.py and the
report service's figures, rebuild and check in report_routes.py, base classes of the
service).  Most forward a request to one RPC of a
service (`forward`, routes.py): the roles allowed and the OpenAPI description come
from that service's contract index, so a line says only the method, the URL, the
summary, the RPC and what it takes from the request.  The others are ordinary
methods: the gateway's own staff accounts (load, handler, dump, as in every
service), the screen pop, the import upload, the export download, the SMS providers'
callbacks (public: the raw body and its signature go to notify), the OpenAPI
document and /healthz.  The gateway's own index (staff events; as an RPC service
it answers only `health`) is contract/__init__.py.
"""
from nameko.timer import timer

from services.common.db import Database
from services.common.errors import Invalid, NotFound
from services.common.health import HealthCheck
from services.common.identity import Identity, Tokens
from services.common.ids import parse_id
from services.common.metrics import Metrics
from services.common.rpc import call, proxy
from services.customer import contract as customer_contract
from services.customer.contract.imports import ExportQuery, ImportResult
from services.customer.contract.records import LookupQuery
from services.gateway import contract, openapi
from services.gateway.contract.duties import (
    Decision,
    StaffAudit,
    StaffAuditQuery,
    StaffChange,
    StaffChangeList,
    StaffChangeQuery,
)
from services.gateway.contract.errors import Error
from services.gateway.contract.health import Health
from services.gateway.contract.login import LoginRequest, PasswordChange, Refresh, Token
from services.gateway.contract.staff import (
    Group,
    GroupCreate,
    GroupList,
    Staff,
    StaffCreate,
    StaffList,
    StaffQuery,
    StaffUpdate,
)
from services.gateway.handlers import duties, groups, health, login, screen_pop, staff
from services.gateway.http import (
    Deadline,
    Peers,
    api,
    download,
    export_query,
    import_upload,
    load_body,
    load_query,
    no_content,
    optional_object,
    raw_text,
)
from services.gateway.pages import admin as admin_pages
from services.gateway.pages import admin_categories as category_admin
from services.gateway.pages import admin_sla as sla_admin
from services.gateway.pages import admin_staff as staff_admin
from services.gateway.pages import archive as archive_pages
from services.gateway.pages import (
    assets,
    bulk_send,
    customer_messages,
    message_templates,
    notify_settings,
)
from services.gateway.pages import campaigns as campaign_pages
from services.gateway.pages import customers as customer_pages
from services.gateway.pages import followups as followup_pages
from services.gateway.pages import jobs as job_pages
from services.gateway.pages import knowledge as kb_pages
from services.gateway.pages import live as pushes
from services.gateway.pages import signin as signin_pages
from services.gateway.pages import stat_tables as stat_table_pages
from services.gateway.pages import statistics as stats_pages
from services.gateway.pages import surveys as survey_pages
from services.gateway.pages import tickets as ticket_pages
from services.gateway.pages import workbench as workbench_pages
from services.gateway.pages.knowledge import EDITORS
from services.gateway.pages.web import Visitor, page
from services.gateway.report_campaign_routes import ReportCampaignRoutes
from services.gateway.report_field_routes import ReportFieldRoutes
from services.gateway.report_file_routes import ReportFileRoutes
from services.gateway.report_notify_routes import ReportNotifyRoutes
from services.gateway.report_routes import ReportRoutes
from services.gateway.report_survey_routes import ReportSurveyRoutes
from services.gateway.routes import (
    BODY,
    CHECKED_QUERY,
    IDEMPOTENCY_KEY,
    OPTIONAL_BODY,
    QUERY,
    Upstream,
    arg,
    clipped,
    fixed,
    forward,
    valid_body,
    valid_query,
    whole,
)
from services.gateway.signin import SessionSeconds, SignInGuard
from services.gateway.survey_routes import SurveyRoutes
from services.notify import contract as notify_contract
from services.notify.contract.callbacks import PROVIDERS
from services.report import contract as report_contract
from services.ticket import contract as ticket_contract
from services.ticket.contract.knowledge import KbVersion
from services.vocabulary import (
    ADMINS,
    AUDITOR,
    FIELD_STAFF,
    INTEGRATIONS,
    MANAGERS_UP,
    OPERATORS,
    STAFF,
    SUPERVISORS_UP,
)

CUSTOMER, TICKET = Upstream(customer_contract.CONTRACT), Upstream(ticket_contract.CONTRACT)
NOTIFY, REPORT = Upstream(notify_contract.CONTRACT), Upstream(report_contract.CONTRACT)
# Schema instances are reused: building one per call costs more than the dump itself.
LOGIN_REQUEST, TOKEN, PASSWORD_CHANGE = LoginRequest(), Token(), PasswordChange()
REFRESH = Refresh()
STAFF_CREATE, STAFF_UPDATE, STAFF_QUERY = StaffCreate(), StaffUpdate(), StaffQuery()
STAFF_ACCOUNT, STAFF_LIST = Staff(), StaffList()
GROUP_CREATE, GROUP, GROUP_LIST = GroupCreate(), Group(), GroupList()
STAFF_CHANGE, STAFF_CHANGE_LIST = StaffChange(), StaffChangeList()
STAFF_CHANGE_QUERY, DECISION = StaffChangeQuery(), Decision()
STAFF_AUDIT_QUERY, STAFF_AUDIT = StaffAuditQuery(), StaffAudit()
AUDITORS = frozenset({AUDITOR})
BULK_DEADLINE = 120.0  # seconds an import or an export may take (C7)
C = "/api/v1/customers/<customer_id>"
T = "/api/v1/tickets/<ticket_id>"
CATEGORY = "/api/v1/ticket-categories/<category_id>"
ARTICLE = "/api/v1/kb/articles/<article_id>"
TEMPLATE = "/api/v1/notification-templates/<template_id>"
CALLBACK_MAX_BYTES = 1_000_000  # a provider's callback body (notify takes ≤ 1,000,000 chars)


def provider_callback(service, request, provider: str, kind: str) -> dict:
    """A provider's callback: the raw body read first (≤ 1 MB, exactly as signed), then
    notify checks the signature and applies it; the answer is what the provider expects.
    An unknown provider is a 404."""
    body = raw_text(request, CALLBACK_MAX_BYTES)
    if provider not in PROVIDERS:
        raise NotFound("no such provider")
    reply = call(service.notify.provider_callback,
                 {"provider": provider, "kind": kind, "body": body,
                  "signature": request.headers.get("X-Provider-Signature", "")},
                 timeout=service.deadline)
    return reply["answer"]


class GatewayService(SurveyRoutes, ReportRoutes, ReportFileRoutes, ReportSurveyRoutes,
                     ReportFieldRoutes, ReportNotifyRoutes, ReportCampaignRoutes, HealthCheck):
    """Its routes, the survey service's (survey_routes.SurveyRoutes) and the report
    service's (report_routes.ReportRoutes; its files and charts:
    report_file_routes.ReportFileRoutes; the follow-up and satisfaction figures:
    report_survey_routes; field work and the biggest customers: report_field_routes;
    notifications: report_notify_routes)."""

    name = contract.SERVICE

    db = Database()
    principal = Identity()
    metrics = Metrics()
    tokens = Tokens()
    session_seconds = SessionSeconds()
    signin = SignInGuard()
    deadline = Deadline()
    peers = Peers()
    customer = proxy("customer")
    ticket = proxy("ticket")
    notify = proxy("notify")
    visitor = Visitor()
    live = pushes.Live()

    # -- sign-in and staff accounts (G1, G2; issue 9: throttle, separation of duties, -----
    # -- sessions with short tokens) ------------------------------------------------------
    @api("POST", "/api/v1/auth/login", "Sign in; returns a bearer token (at most 15 "
         "minutes) and a refresh token", public=True, body=LoginRequest, response=Token)
    def login(self, request):
        """An access token, a refresh token and the account they stand for."""
        credentials = load_body(request, LOGIN_REQUEST)
        return TOKEN.dump(login.login(self.db, self.tokens, self.signin, self.session_seconds,
                                      credentials["username"], credentials["password"],
                                      request.remote_addr,
                                      request.headers.get("X-Forwarded-For"),
                                      credentials.get("device")))

    @openapi.answers(401, Error, "the refresh token is not valid (used, ended): sign in")
    @api("POST", "/api/v1/auth/refresh", "The next access token and refresh token for a "
         "refresh token, which is used up (401: sign in again)", public=True, body=Refresh,
         response=Token)
    def refresh(self, request):
        """A new pair of tokens; a used refresh token presented again ends the session."""
        return TOKEN.dump(login.refresh(self.db, self.tokens,
                                        load_body(request, REFRESH)["refresh_token"]))

    @api("POST", "/api/v1/auth/logout", "End the session of a refresh token (204, known "
         "or not)", public=True, status=204, body=Refresh)
    def logout(self, request):
        """204: the refresh token, and every token refreshed from its sign-in, ended."""
        login.logout(self.db, load_body(request, REFRESH)["refresh_token"])
        return no_content()

    @timer(interval=3600)
    def forget_ended_sessions(self):
        """Refresh tokens of sessions ended a day ago are dropped."""
        login.forget_ended_sessions(self.db, 86400)

    @api("PUT", "/api/v1/me/password", "Change my password (the current one checked)",
         allow=STAFF | INTEGRATIONS, body=PasswordChange, response=Staff)
    def change_password(self, request):
        """The account with its new version (staff_updated)."""
        data = load_body(request, PASSWORD_CHANGE)
        return STAFF_ACCOUNT.dump(login.change_password(
            self.db, self.signin, self.principal, data["old"], data["new"],
            request.remote_addr, request.headers.get("X-Forwarded-For")))

    @timer(interval=3600)
    def forget_sign_in_failures(self):
        """Throttle keys whose failures are forgotten are dropped."""
        login.forget_stale(self.db)

    @api("GET", "/api/v1/me", "The signed-in staff member", allow=STAFF, response=Staff)
    def me(self, request):
        """The caller's own account."""
        with self.db.transaction() as tx:
            return STAFF_ACCOUNT.dump(staff.me(tx, self.principal))

    @openapi.answers(202, StaffChange, "a right above the ceiling: waits for a second admin")
    @api("POST", "/api/v1/staff", "Create a staff account (admin)", allow=ADMINS, status=201,
         body=StaffCreate, response=Staff)
    def create_staff(self, request):
        """201 with the new account (staff_created), or 202 with the staff change that
        waits for a second admin."""
        data = load_body(request, STAFF_CREATE)
        pending, row = staff.create_staff(self.db, self.signin, self.principal, data)
        return (202, STAFF_CHANGE.dump(row)) if pending else (201, STAFF_ACCOUNT.dump(row))

    @openapi.answers(202, StaffChange, "a right above the ceiling: waits for a second admin")
    @api("PATCH", "/api/v1/staff/<staff_id>", "Change a staff account (admin; not your own "
         "rights)", allow=ADMINS, body=StaffUpdate, response=Staff)
    def update_staff(self, request, staff_id):
        """200 with the account after the changes (staff_updated), or 202 with the staff
        change that waits for a second admin."""
        changes = load_body(request, STAFF_UPDATE)
        staff_id = parse_id(staff_id, "staff member")
        with self.db.transaction() as tx:
            pending, row = staff.update_staff(tx, self.principal, staff_id, changes)
        return (202, STAFF_CHANGE.dump(row)) if pending else (200, STAFF_ACCOUNT.dump(row))

    @api("GET", "/api/v1/staff", "Staff accounts, by username (supervisors up, admins)",
         allow=SUPERVISORS_UP | ADMINS, query=StaffQuery, response=StaffList)
    def list_staff(self, request):
        """{"staff": [...]}: a page of accounts after ?after=<username>."""
        query = load_query(request, STAFF_QUERY)
        with self.db.transaction() as tx:
            return STAFF_LIST.dump(staff.list_staff(tx, self.principal, query))

    @api("GET", "/api/v1/staff-changes", "Staff changes waiting for (or decided by) a "
         "second admin, newest first (admins, auditors)", allow=ADMINS | AUDITORS,
         query=StaffChangeQuery, response=StaffChangeList)
    def staff_changes(self, request):
        """{"changes": [...], "next": cursor or null} (?status=pending&before=)."""
        query = load_query(request, STAFF_CHANGE_QUERY)
        with self.db.transaction() as tx:
            return STAFF_CHANGE_LIST.dump(duties.list_changes(tx, self.principal, query))

    @api("GET", "/api/v1/staff-changes/<change_id>", "A staff change (admins, auditors)",
         allow=ADMINS | AUDITORS, response=StaffChange)
    def staff_change(self, request, change_id):
        """The change with its decision."""
        change_id = parse_id(change_id, "staff change")
        with self.db.transaction() as tx:
            return STAFF_CHANGE.dump(duties.get_change(tx, self.principal, change_id))

    @openapi.answers(201, StaffChange, "approved: the new account was made")
    @api("POST", "/api/v1/staff-changes/<change_id>/approve",
         "Approve a staff change: an admin who neither asked for it nor is its account",
         allow=ADMINS, response=StaffChange)
    def approve_staff_change(self, request, change_id):
        """The change, approved and applied (201 when it made an account, with `staff`;
        staff_created or staff_updated)."""
        change_id = parse_id(change_id, "staff change")
        with self.db.transaction() as tx:
            change = duties.approve(tx, self.principal, change_id)
        return (201 if change["kind"] == "create" else 200), STAFF_CHANGE.dump(change)

    @api("POST", "/api/v1/staff-changes/<change_id>/reject",
         "Reject a staff change, with an optional note (admins)", allow=ADMINS,
         body=Decision, response=StaffChange)
    def reject_staff_change(self, request, change_id):
        """The change, rejected: nothing of it applies."""
        note = DECISION.load(optional_object(request))["note"]
        change_id = parse_id(change_id, "staff change")
        with self.db.transaction() as tx:
            return STAFF_CHANGE.dump(duties.reject(tx, self.principal, change_id, note))

    @api("GET", "/api/v1/staff-audit", "Every change of staff accounts: who, when, old, "
         "new, approved by; newest first (auditors, admins)", allow=AUDITORS | ADMINS,
         query=StaffAuditQuery, response=StaffAudit)
    def staff_audit(self, request):
        """{"entries": [...], "next": cursor or null} (?staff_id= or ?username=, ?before=)."""
        query = load_query(request, STAFF_AUDIT_QUERY)
        with self.db.transaction() as tx:
            return STAFF_AUDIT.dump(duties.staff_audit(tx, self.principal, query))

    @api("POST", "/api/v1/groups", "Create a group of staff (admin)", allow=ADMINS, status=201,
         body=GroupCreate, response=Group)
    def create_group(self, request):
        """The new group."""
        data = load_body(request, GROUP_CREATE)
        with self.db.transaction() as tx:
            return GROUP.dump(groups.create_group(tx, self.principal, data))

    @api("GET", "/api/v1/groups", "All groups", allow=STAFF, response=GroupList)
    def list_groups(self, request):
        """{"groups": [...]} by name."""
        with self.db.transaction() as tx:
            return GROUP_LIST.dump(groups.list_groups(tx, self.principal))

    # -- customers: records, lookup, the screen pop (C1–C3, C5) --------------------------
    create_customer = forward("POST", "/api/v1/customers", "Create a person or organization",
                              CUSTOMER.create_customer, BODY, status=201)
    get_customer = forward(
        "GET", C, "A customer: the card, and the archive when you are cleared (logged)",
        CUSTOMER.get_customer, clipped("reason", 500))
    update_customer = forward("PATCH", C, "Change fields your role may write (history kept)",
                              CUSTOMER.update_customer, BODY)
    add_asset = forward("POST", C + "/assets", "Record an owned product or vehicle",
                        CUSTOMER.add_asset, BODY, status=201)
    customer_history = forward("GET", C + "/history", "Change history, newest first",
                               CUSTOMER.history, whole("limit", 100))
    mark_reviewed = forward("POST", C + "/review", "Mark the record reviewed",
                            CUSTOMER.mark_reviewed)
    review_due = forward("GET", "/api/v1/customers/review-due",
                         "Records not reviewed for N months", CUSTOMER.review_due,
                         whole("months", 3), whole("limit", 100))
    customer_tickets = forward("GET", C + "/tickets", "A customer's recent tickets",
                               TICKET.list_for_customer)
    lookup = forward("GET", "/api/v1/customers/lookup",
                     "Customers by phone (any form), email, number, plate or serial",
                     CUSTOMER.lookup, QUERY)

    @api("GET", "/api/v1/screen-pop",
         "Who is calling: none / one with the 360° view / several to tell apart",
         allow=CUSTOMER.lookup.roles, query=LookupQuery, upstreams=("customer", "ticket"))
    def screen_pop(self, request):
        """The lookup's matches; one match comes with the 360° view, whose parts from
        other services may be named "unavailable"."""
        return screen_pop.screen_pop(self.customer, self.ticket, request.args.to_dict(),
                                     self.deadline)

    custom_fields = forward("GET", "/api/v1/custom-fields", "Custom field definitions",
                            CUSTOMER.custom_fields)
    define_custom_field = forward("POST", "/api/v1/custom-fields",
                                  "Define or change a custom field (admin)",
                                  CUSTOMER.define_custom_field, BODY)

    # -- customers: confidentiality and borrowing 借阅 (C4) ------------------------------
    classify = forward("PUT", C + "/classification",
                       "Set level, declassification and owner (managers up)",
                       CUSTOMER.classify, BODY)
    unmask_phones = forward("POST", C + "/phones/unmask",
                            "The phone numbers in full (permission; logged)",
                            CUSTOMER.unmask_phones, valid_body("reason"))
    access_log = forward("GET", C + "/access-log",
                         "The borrowing log of a customer (managers, auditors)",
                         CUSTOMER.access_log, arg("before"), whole("limit", 100))
    request_access = forward("POST", "/api/v1/access-requests",
                             "Ask to borrow a top-secret archive", CUSTOMER.request_access,
                             BODY, status=201)
    access_requests = forward("GET", "/api/v1/access-requests",
                              "Borrowing requests (?status=pending)", CUSTOMER.access_requests,
                              arg("status"), whole("limit", 100))
    approve_access = forward(
        "POST", "/api/v1/access-requests/<request_id>/approve",
        "Approve a borrowing request (a manager who is not the requester)",
        CUSTOMER.decide_access_request, fixed({"decision": "approve"}))
    reject_access = forward("POST", "/api/v1/access-requests/<request_id>/reject",
                            "Reject a borrowing request", CUSTOMER.decide_access_request,
                            fixed({"decision": "reject"}))

    # -- customers: search, duplicates and merge (C8), segments (C9) ---------------------
    search_customers = forward(
        "GET", "/api/v1/customers/search",
        "Find customers by name (张三, 张), pinyin (zhangsan) or initials (zs), part of a "
        "phone number (4+ digits) or a customer number prefix",
        CUSTOMER.search_customers, QUERY)
    find_duplicates = forward(
        "GET", "/api/v1/customers/duplicates",
        "Likely duplicate customers (shared phone, similar name, same pinyin), paged by "
        "cursor; or those of one customer_id", CUSTOMER.find_duplicates, QUERY)
    merge_customers = forward(
        "POST", C + "/merge",
        "Merge customer merge_id into this one (history of both kept; customer_merged)",
        CUSTOMER.merge_customers, BODY)
    segment = forward(
        "GET", "/api/v1/customers/segment",
        "Customers by class, level, region, tags, owned product, months without contact; "
        "pages of up to 1000 with a stable cursor", CUSTOMER.segment, QUERY)

    # -- customers: destruction 销毁 (C6) -------------------------------------------------
    request_destruction = forward(
        "POST", C + "/destruction-requests",
        "Ask for a customer to be destroyed (销毁): approved in order by supervisor, "
        "manager, general manager", CUSTOMER.request_destruction, BODY, status=201)
    destruction_requests = forward("GET", "/api/v1/destruction-requests",
                                   "Destruction requests, newest first",
                                   CUSTOMER.destruction_requests, valid_query("status", "limit"))
    destruction_request = forward("GET", "/api/v1/destruction-requests/<request_id>",
                                  "A destruction request with its decisions",
                                  CUSTOMER.destruction_request)
    approve_destruction = forward(
        "POST", "/api/v1/destruction-requests/<request_id>/approve",
        "Approve at your step (409 when out of order); the third approval erases the person",
        CUSTOMER.approve_destruction, OPTIONAL_BODY)
    reject_destruction = forward("POST", "/api/v1/destruction-requests/<request_id>/reject",
                                 "Reject at your step, with a comment; the request ends",
                                 CUSTOMER.reject_destruction, BODY)

    # -- customers: import and export (C7) -------------------------------------------------
    @api("POST", "/api/v1/customer-imports",
         "Import customers from CSV/XLSX (multipart field `file`; dry_run, mapping)",
         allow=CUSTOMER.import_customers.roles, status=201, response=ImportResult,
         upstreams=("customer",))
    def import_customers(self, request):
        """The ImportResult with every bad row: 200 for a dry run, 201 for an import."""
        upload = import_upload(request)
        result = call(self.customer.import_customers, upload, timeout=BULK_DEADLINE)
        return (200 if upload["dry_run"] else 201), result

    @api("POST", "/api/v1/visit-imports",
         "Import DMS workshop visits from CSV/XLSX (multipart field `file`; dry_run, mapping)",
         allow=CUSTOMER.import_visits.roles, status=201, response=ImportResult,
         upstreams=("customer",))
    def import_visits(self, request):
        """The ImportResult with every bad row: 200 for a dry run, 201 for an import."""
        upload = import_upload(request)
        result = call(self.customer.import_visits, upload, timeout=BULK_DEADLINE)
        return (200 if upload["dry_run"] else 201), result

    get_import = forward("GET", "/api/v1/customer-imports/<import_id>",
                         "One import or dry run: counts and every bad row", CUSTOMER.get_import)

    @api("GET", "/api/v1/customers/export",
         "A segment as CSV or XLSX with Chinese headers (logged)",
         allow=CUSTOMER.export_customers.roles, query=ExportQuery, upstreams=("customer",))
    def export_customers(self, request):
        """The file (Content-Disposition), with X-Export-Count and X-Export-Truncated."""
        return download(call(self.customer.export_customers, export_query(request),
                             timeout=BULK_DEADLINE))

    # -- tickets: accepting, the record, categories and forms, repeats (T1–T3) ------------
    create_ticket = forward("POST", "/api/v1/tickets", "Accept a ticket (Idempotency-Key honoured)",
                            TICKET.create_ticket, BODY, IDEMPOTENCY_KEY, status=201,
                            allow=STAFF)  # wider than the RPC's: the ticket service refuses
    get_ticket = forward(
        "GET", T, "A ticket: the record, the whole trail, the final handler, its repeats; "
        "a classified customer's content only to those cleared (?reason= is logged)",
        TICKET.get_ticket, clipped("reason", 500))
    update_ticket = forward("PATCH", T,
                            "Change subject, form values, contact, urgency, fee, paid or category",
                            TICKET.update_ticket, BODY)
    list_categories = forward("GET", "/api/v1/ticket-categories",
                              "Categories by kind (?kind=, ?include_inactive=)",
                              TICKET.list_categories, QUERY)
    create_category = forward("POST", "/api/v1/ticket-categories",
                              "Create a category with its form (admin)",
                              TICKET.create_category, BODY, status=201)
    get_category = forward("GET", CATEGORY, "A category with its form", TICKET.get_category)
    update_category = forward("PATCH", CATEGORY,
                              "Rename, change the form, (de)activate a category (admin)",
                              TICKET.update_category, BODY)
    repeat_rules = forward("GET", "/api/v1/ticket-settings/repeat",
                           "Repeat detection per kind (T3)", TICKET.repeat_rules)
    set_repeat_rule = forward(
        "PUT", "/api/v1/ticket-settings/repeat",
        "Set one kind's repeat window and similarity threshold (admin)",
        TICKET.set_repeat_rule, BODY)

    # -- tickets: workflow (T4), queues (T5), on duty -------------------------------------
    post_transition = forward("POST", T + "/transitions",
                              "Move a ticket along the status graph (409 names from/to)",
                              TICKET.transition_ticket, BODY)
    post_transfer = forward("POST", T + "/transfer",
                            "Transfer to a group, a person, or any on-duty member of a group",
                            TICKET.transfer_ticket, BODY)
    post_accept = forward("POST", T + "/accept",
                          "Take the ticket (assigned, or unassigned in your group)",
                          TICKET.accept_ticket)
    post_hand_back = forward("POST", T + "/hand-back",
                             "Return the ticket to its group's queue (note required)",
                             TICKET.hand_back_ticket, BODY)
    ticket_queue = forward("GET", "/api/v1/tickets",
                           "Queues: mine, my group's unassigned, all; keyset pages",
                           TICKET.list_tickets, CHECKED_QUERY)
    ticket_queue_counts = forward("GET", "/api/v1/queues/counts",
                                  "My queue counts, and my groups' unassigned",
                                  TICKET.queue_counts)
    set_my_duty = forward("PUT", "/api/v1/me/duty", "Go on or off duty", TICKET.set_duty,
                          valid_body())
    group_duty_list = forward("GET", "/api/v1/groups/<name>/duty", "Who of a group is on duty",
                              TICKET.group_duty)

    # -- tickets: time — SLA targets, business hours, calendar, reminders (T6) -----------
    sla_get_policies = forward(
        "GET", "/api/v1/sla/policies",
        "Response and resolution targets (business minutes) per kind x urgency",
        TICKET.sla_policies)
    sla_put_policy = forward("PUT", "/api/v1/sla/policies/<kind>/<urgency>",
                             "Set one kind x urgency's targets (admins; tickets created after)",
                             TICKET.set_sla_policy, BODY)
    sla_get_hours = forward("GET", "/api/v1/sla/business-hours",
                            "Business hours and their time zone", TICKET.business_hours)
    sla_put_hours = forward("PUT", "/api/v1/sla/business-hours",
                            "Set the business hours (admins)", TICKET.set_business_hours, BODY)
    sla_get_calendar = forward(
        "GET", "/api/v1/sla/calendar",
        "Working days of [from, to]: override, chinese_calendar or the weekend rule",
        TICKET.calendar, QUERY)
    sla_put_calendar_day = forward(
        "PUT", "/api/v1/sla/calendar/<day>",
        "Make a day a working day or a day off (admins; e.g. next year's holidays)",
        TICKET.set_calendar_day, BODY)
    sla_delete_calendar_day = forward(
        "DELETE", "/api/v1/sla/calendar/<day>",
        "Drop a day's override: the built-in calendar again (admins)",
        TICKET.delete_calendar_day)
    sla_overdue = forward(
        "GET", "/api/v1/tickets/overdue",
        "Open tickets by resolution due time; breached=true only those past it"
        " (supervisors: their groups)", TICKET.due_tickets, QUERY)
    sla_remind = forward("POST", T + "/reminders",
                         "Remind me of this ticket: at a time, or in N minutes/hours/days",
                         TICKET.remind, BODY, status=201)
    sla_my_reminders = forward("GET", "/api/v1/reminders",
                               "My reminders by due time (pending unless pending=false)",
                               TICKET.my_reminders, QUERY)
    sla_cancel_reminder = forward("DELETE", "/api/v1/reminders/<reminder_id>",
                                  "Cancel one of my pending reminders", TICKET.cancel_reminder)

    # -- tickets: field dispatch 派单 (T7) --------------------------------------------------
    dispatch_ticket = forward(
        "POST", T + "/dispatch",
        "Dispatch an after-sales ticket to a field staff member (reschedules an open one)",
        TICKET.dispatch_ticket, BODY, status=201)
    ticket_dispatches = forward(
        "GET", T + "/dispatches",
        "A ticket's dispatches with their handling records, newest first",
        TICKET.dispatches_of_ticket)
    record_handling = forward(
        "POST", "/api/v1/dispatches/<dispatch_id>/handling",
        "Record the handling of your own dispatch (field staff; once per dispatch)",
        TICKET.record_handling, BODY, status=201)
    my_jobs = forward("GET", "/api/v1/me/jobs", "My open field jobs by appointment (field staff)",
                      TICKET.my_jobs, arg("limit", 50), arg("after"))
    list_dispatches = forward(
        "GET", "/api/v1/dispatches",
        "Open dispatches, or ?state=overdue: window passed without a handling record",
        TICKET.dispatches, arg("state", "open"), arg("staff_id"), arg("limit", 50),
        arg("after"))

    # -- tickets: the contact log and telephony call events (T8) --------------------------
    log_contact = forward("POST", "/api/v1/contacts",
                          "Log a call or message with its IVR path (Idempotency-Key honoured)",
                          TICKET.log_contact, BODY, IDEMPOTENCY_KEY, status=201)
    customer_contacts = forward(
        "GET", C + "/contacts", "A customer's contacts, newest first (?before=<next>)",
        TICKET.contacts_for_customer, arg("limit", 20), arg("before"))
    ticket_contacts = forward(
        "GET", T + "/contacts", "A ticket's contacts, newest first (?before=<next>)",
        TICKET.contacts_for_ticket, arg("limit", 20), arg("before"))
    telephony_call_events = forward(
        "POST", "/api/v1/telephony/call-events",
        "Call events from the telephony system: one event or {events: [...]}; a retry "
        "of the same (call_id, event) changes nothing (telephony integration only)",
        TICKET.record_call_events, BODY, then=pushes.ring_consoles)
    call_stats = forward(
        "GET", "/api/v1/calls/stats",
        "Call statistics per queue: offered, answered, abandoned, answer rate, wait "
        "(?from=&to= dates or date-times; default today)",
        TICKET.call_stats, arg("from"), arg("to"))

    # -- tickets: the knowledge base 知识库 (T9) -------------------------------------------
    kb_categories = forward("GET", "/api/v1/kb/categories",
                            "Knowledge-base categories (a tree by parent_id)",
                            TICKET.kb_categories)
    kb_create_category = forward("POST", "/api/v1/kb/categories",
                                 "Create a knowledge-base category (editors)",
                                 TICKET.kb_create_category, BODY, status=201)
    kb_search = forward(
        "GET", "/api/v1/kb/articles",
        "Search articles by Chinese words (?q=), or newest first with keyset paging",
        TICKET.kb_search, QUERY)
    kb_create_article = forward("POST", "/api/v1/kb/articles",
                                "Write an article: version 1, a draft unless told",
                                TICKET.kb_create_article, BODY, status=201)
    kb_article = forward("GET", ARTICLE, "An article and its current version number",
                         TICKET.kb_article)
    kb_update_article = forward(
        "PATCH", ARTICLE,
        "Edit an article: a new version (base_version guards against a concurrent edit)",
        TICKET.kb_update_article, BODY)
    kb_publish = forward("POST", ARTICLE + "/publish", "Publish an article", TICKET.kb_publish)
    kb_versions = forward("GET", ARTICLE + "/versions",
                          "Every version of an article, newest first", TICKET.kb_versions)

    @api("GET", ARTICLE + "/versions/<number>", "One version of an article in full",
         allow=TICKET.kb_version.roles, response=KbVersion, upstreams=("ticket",))
    def kb_version(self, request, article_id, number):
        """The version's full text; 400 when the number is not one."""
        if not number.isdigit() or len(number) > 9:
            raise Invalid("bad version", {"version": ["must be a whole number from 1"]})
        return call(self.ticket.kb_version, article_id, int(number), timeout=self.deadline)

    kb_article_tickets = forward("GET", ARTICLE + "/tickets",
                                 "The tickets an article is linked to, last linked first",
                                 TICKET.kb_article_tickets, valid_query("before", "limit"))
    kb_ticket_articles = forward("GET", T + "/articles", "The articles linked to a ticket",
                                 TICKET.kb_ticket_articles)
    kb_link = forward(
        "POST", T + "/articles",
        "Link a published article to a ticket (from a consultation it counts as asked)",
        TICKET.kb_link, valid_body("article_id"))
    kb_unlink = forward("DELETE", T + "/articles/<article_id>", "Unlink an article from a ticket",
                        TICKET.kb_unlink)
    kb_suggest = forward(
        "GET", "/api/v1/kb/suggest",
        "Published articles for what is being typed into a ticket (?text=&kind=&category_id=)",
        TICKET.kb_suggest, valid_query("text", "kind", "category_id", "limit"))
    kb_ranking = forward(
        "GET", "/api/v1/kb/ranking",
        "Most asked consultation topics over ?from=&to= (days): articles and categories",
        TICKET.kb_ranking, QUERY)

    # -- the inbox (N1) and reports (R1) --------------------------------------------------
    inbox = forward("GET", "/api/v1/inbox", "My notices, newest first", NOTIFY.inbox)
    inbox_mark_read = forward("PUT", "/api/v1/inbox/<item_id>/read",
                              "Mark one of my notices read", NOTIFY.mark_read)

    # -- notifications to customers (issue 11, N1–N5): templates, sends, preferences -----
    notification_templates = forward(
        "GET", "/api/v1/notification-templates",
        "Message templates by name: current versions (?channel=&name=&all_versions=&retired=)",
        NOTIFY.templates, QUERY)
    save_notification_template = forward(
        "POST", "/api/v1/notification-templates",
        "Save a template: a new name is version 1, a known one gets the next version; SMS "
        "ones answer their length and billed parts", NOTIFY.save_template, BODY, status=201)
    notification_template = forward("GET", TEMPLATE, "One version of a template",
                                    NOTIFY.get_template)
    retire_notification_template = forward(
        "POST", TEMPLATE + "/retire",
        "Retire a template version: no new send uses it (queued messages keep it)",
        NOTIFY.retire_template)
    preview_notification_template = forward(
        "POST", TEMPLATE + "/preview",
        "A template rendered with the given params (every declared one, no other)",
        NOTIFY.preview_template, OPTIONAL_BODY)
    send_notification = forward(
        "POST", "/api/v1/notifications",
        "Send one message (SMS or email) to a customer, a phone or an address: queued and "
        "answered at once, its delivery followed by its status (Idempotency-Key honoured)",
        NOTIFY.send, BODY, IDEMPOTENCY_KEY, status=201)
    notification = forward("GET", "/api/v1/notifications/<message_id>",
                           "A message and its status (queued, sending, sent, delivered, "
                           "failed, skipped) with the reason", NOTIFY.get_message)
    notifications = forward(
        "GET", "/api/v1/notifications",
        "A customer's messages or a batch's, newest first (?customer_id= or ?batch_id=, "
        "&status=&limit=&before=<next>)", NOTIFY.messages, QUERY)
    create_notification_batch = forward(
        "POST", "/api/v1/notification-batches",
        "Bulk send to a customer segment or a list: accepted at once, recipients queued in "
        "the background (Idempotency-Key honoured)",
        NOTIFY.create_batch, BODY, IDEMPOTENCY_KEY, status=202)
    notification_batch = forward(
        "GET", "/api/v1/notification-batches/<batch_id>",
        "A bulk send with its progress: messages by status, skips by reason",
        NOTIFY.get_batch)
    notification_batches = forward("GET", "/api/v1/notification-batches",
                                   "Recent bulk sends, newest first, with their progress",
                                   NOTIFY.batches, QUERY)
    notification_preferences = forward(
        "GET", C + "/notification-preferences",
        "A customer's opt-outs per channel (set by staff, or by replying 退订/TD)",
        NOTIFY.preferences)
    set_notification_preference = forward(
        "PUT", C + "/notification-preferences",
        "Opt a customer out of a channel's marketing or of all of it; scope null opts in again",
        NOTIFY.set_preference, BODY)
    notification_settings = forward("GET", "/api/v1/notification-settings",
                                    "Quiet hours and the marketing caps", NOTIFY.settings)
    update_notification_settings = forward(
        "PUT", "/api/v1/notification-settings",
        "Set quiet hours (HH:MM-HH:MM, China time) and the marketing caps per customer",
        NOTIFY.update_settings, BODY)
    notification_targets = forward(
        "GET", "/api/v1/notification-targets",
        "Group robots (DingTalk, WeCom, Feishu) and outgoing webhooks; secrets never shown",
        NOTIFY.targets)
    save_notification_target = forward(
        "POST", "/api/v1/notification-targets",
        "Add a group robot or webhook with the events it is told of (saved again by name: "
        "replaced)", NOTIFY.save_target, BODY)
    holiday_greetings = forward("GET", "/api/v1/holiday-greetings",
                                "Holiday greetings and each one's next day", NOTIFY.greetings)
    save_holiday_greeting = forward(
        "POST", "/api/v1/holiday-greetings",
        "A greeting: a template to a segment on the first day of a mainland holiday",
        NOTIFY.save_greeting, BODY, status=201)

    # provider callbacks: public, authenticated by the provider's signature over the body
    @openapi.answers(401, Error, "the provider's signature is wrong or stale: nothing applied")
    @api("POST", "/api/v1/providers/<provider>/receipts",
         "SMS delivery receipts pushed by the provider (aliyun, tencent): the raw body and "
         "X-Provider-Signature go to notify; answered with what the provider expects",
         public=True, upstreams=("notify",))
    def provider_receipts(self, request, provider):
        """The provider's expected answer (e.g. {"code": 0, "msg": "成功"})."""
        return provider_callback(self, request, provider, "receipts")

    @openapi.answers(401, Error, "the provider's signature is wrong or stale: nothing applied")
    @api("POST", "/api/v1/providers/<provider>/uplink",
         "Customers' SMS replies pushed by the provider (退订/TD opts out of marketing): "
         "the raw body and X-Provider-Signature go to notify", public=True,
         upstreams=("notify",))
    def provider_uplink(self, request, provider):
        """The provider's expected answer."""
        return provider_callback(self, request, provider, "uplink")
    tickets_daily = forward("GET", "/api/v1/reports/tickets/daily", "Tickets per day and kind",
                            REPORT.tickets_daily, valid_query("from", "to"))

    # -- the console 控制台 (issue 10): pages for people, same sign-in and scope ---------------
    login_page = page("GET", "/login", signin_pages.form, public=True)
    login_submit = page("POST", "/login", signin_pages.submit, public=True)
    logout_page = page("POST", "/logout", signin_pages.sign_out, allow=STAFF)
    static_file = page("GET", "/static/<path:name>", assets.serve, public=True)
    workbench = page("GET", "/", workbench_pages.show, allow=STAFF)
    agent_state = page("POST", "/console/state", workbench_pages.state, allow=STAFF)
    console_events = page("GET", "/console/events", workbench_pages.events, allow=STAFF)
    call_pop = page("GET", "/console/pop/<call_id>", workbench_pages.pop, allow=STAFF)
    inbox_part = page("GET", "/console/inbox", workbench_pages.inbox, allow=STAFF)
    inbox_read = page("POST", "/console/inbox/<item_id>/read", workbench_pages.read_notice,
                      allow=STAFF)
    ticket_queues = page("GET", "/tickets", ticket_pages.index, allow=STAFF)
    ticket_new = page("GET", "/tickets/new", ticket_pages.new, allow=OPERATORS)
    ticket_form = page("GET", "/tickets/form", ticket_pages.form_fields, allow=OPERATORS)
    ticket_repeats = page("GET", "/tickets/repeats", ticket_pages.repeats, allow=OPERATORS)
    ticket_suggest = page("GET", "/tickets/suggest", ticket_pages.suggest, allow=STAFF)
    ticket_create = page("POST", "/tickets", ticket_pages.create, allow=OPERATORS)
    ticket_page = page("GET", "/tickets/<ticket_id>", ticket_pages.detail, allow=STAFF)
    ticket_action = page("POST", "/tickets/<ticket_id>/<action>", ticket_pages.act, allow=STAFF)
    kb_index = page("GET", "/kb", kb_pages.index, allow=STAFF)
    kb_new = page("GET", "/kb/new", kb_pages.editor, allow=EDITORS)
    kb_create = page("POST", "/kb/new", kb_pages.save, allow=EDITORS)
    kb_page = page("GET", "/kb/<article_id>", kb_pages.article, allow=STAFF)
    kb_edit = page("GET", "/kb/<article_id>/edit", kb_pages.editor, allow=EDITORS)
    kb_save = page("POST", "/kb/<article_id>/edit", kb_pages.save, allow=EDITORS)
    customer_search = page("GET", "/customers", customer_pages.index, allow=STAFF)
    customer_create = page("POST", "/customers", customer_pages.create, allow=OPERATORS)
    customer_page = page("GET", "/customers/<customer_id>", customer_pages.card, allow=STAFF)
    customer_history_page = page("GET", "/customers/<customer_id>/history", archive_pages.history,
                            allow=SUPERVISORS_UP | archive_pages.LOG_READERS)
    review_due_page = page("GET", "/customers/review", archive_pages.review_due,
                           allow=SUPERVISORS_UP)
    reviewed = page("POST", "/customers/<customer_id>/reviewed", archive_pages.mark_reviewed,
                    allow=SUPERVISORS_UP)
    access_requests_page = page("GET", "/customers/access-requests",
                                archive_pages.access_requests, allow=archive_pages.LOG_READERS)
    access_request_ask = page("POST", "/customers/<customer_id>/access-requests",
                              archive_pages.request_access, allow=MANAGERS_UP)
    access_request_decide = page("POST", "/customers/access-requests/<request_id>",
                                 archive_pages.decide, allow=MANAGERS_UP)
    import_page = page("GET", "/customers/import", archive_pages.import_form,
                       allow=archive_pages.IMPORTERS)
    import_upload_page = page("POST", "/customers/import", archive_pages.upload,
                              allow=archive_pages.IMPORTERS)
    export_page = page("GET", "/customers/export", archive_pages.export_form,
                       allow=SUPERVISORS_UP)
    export_file = page("GET", "/customers/export/file", archive_pages.export,
                       allow=SUPERVISORS_UP)
    customer_messages_part = page("GET", "/customers/<customer_id>/messages",
                                  customer_messages.part, allow=customer_messages.READERS)
    customer_preference = page("POST", "/customers/<customer_id>/notification-preferences",
                               customer_messages.set_preference,
                               allow=customer_messages.SETTERS)
    # console: notifications 消息模板 and 群发 (issue 11)
    template_list = page("GET", "/notify/templates", message_templates.index,
                         allow=message_templates.EDITORS)
    template_save = page("POST", "/notify/templates", message_templates.save,
                         allow=message_templates.EDITORS)
    template_length = page("POST", "/notify/templates/length", message_templates.length,
                           allow=message_templates.EDITORS)
    template_page = page("GET", "/notify/templates/<template_id>", message_templates.detail,
                         allow=message_templates.EDITORS)
    template_preview = page("POST", "/notify/templates/<template_id>/preview",
                            message_templates.preview, allow=message_templates.EDITORS)
    template_retire = page("POST", "/notify/templates/<template_id>/retire",
                           message_templates.retire, allow=message_templates.EDITORS)
    bulk_page = page("GET", "/notify/bulk", bulk_send.index, allow=bulk_send.SENDERS)
    bulk_create = page("POST", "/notify/bulk", bulk_send.create, allow=bulk_send.SENDERS)
    bulk_batch = page("GET", "/notify/bulk/<batch_id>", bulk_send.batch, allow=bulk_send.SENDERS)
    bulk_progress = page("GET", "/notify/bulk/<batch_id>/progress", bulk_send.progress,
                         allow=bulk_send.SENDERS)
    field_jobs = page("GET", "/jobs", job_pages.index, allow=FIELD_STAFF)
    job_handling = page("POST", "/jobs/<dispatch_id>", job_pages.record, allow=FIELD_STAFF)
    # console: follow-ups 回访, questionnaires 问卷, satisfaction 满意度 (issue 12)
    followup_list = page("GET", "/followups", followup_pages.index, allow=followup_pages.READERS)
    followup_rules_page = page("GET", "/followups/rules", followup_pages.rules,
                               allow=followup_pages.RULE_READERS)
    followup_rule_create = page("POST", "/followups/rules", followup_pages.rule_save,
                                allow=followup_pages.RULE_EDITORS)
    followup_rule_page = page("GET", "/followups/rules/<rule_id>", followup_pages.rule,
                              allow=followup_pages.RULE_READERS)
    followup_rule_update = page("POST", "/followups/rules/<rule_id>", followup_pages.rule_save,
                                allow=followup_pages.RULE_EDITORS)
    followup_form = page("GET", "/followups/<task_id>", followup_pages.form,
                         allow=followup_pages.READERS)
    followup_record = page("POST", "/followups/<task_id>", followup_pages.record,
                           allow=followup_pages.READERS)
    questionnaire_list = page("GET", "/surveys/questionnaires", survey_pages.index,
                              allow=survey_pages.READERS)
    questionnaire_new = page("GET", "/surveys/questionnaires/new", survey_pages.new,
                             allow=survey_pages.EDITORS)
    questionnaire_create = page("POST", "/surveys/questionnaires", survey_pages.save,
                                allow=survey_pages.EDITORS)
    questionnaire_page = page("GET", "/surveys/questionnaires/<questionnaire_id>",
                              survey_pages.detail, allow=survey_pages.READERS)
    questionnaire_save = page("POST", "/surveys/questionnaires/<questionnaire_id>",
                              survey_pages.save, allow=survey_pages.EDITORS)
    questionnaire_publish = page("POST", "/surveys/questionnaires/<questionnaire_id>/publish",
                                 survey_pages.publish, allow=survey_pages.EDITORS)
    satisfaction_page = page("GET", "/satisfaction", survey_pages.satisfaction,
                             allow=survey_pages.FIGURES)
    # console: campaigns 市场活动 (issue 12, V5)
    campaign_list = page("GET", "/campaigns", campaign_pages.index, allow=campaign_pages.READERS)
    campaign_new = page("GET", "/campaigns/new", campaign_pages.new, allow=campaign_pages.MAKERS)
    campaign_create = page("POST", "/campaigns", campaign_pages.create,
                           allow=campaign_pages.MAKERS)
    invitation_list = page("GET", "/campaigns/invitations", campaign_pages.invitations,
                           allow=campaign_pages.INVITERS)
    invitation_call = page("POST", "/campaigns/invitations/<invitation_id>",
                           campaign_pages.record_call, allow=campaign_pages.INVITERS)
    invitation_outcome = page("POST", "/campaigns/invitations/<invitation_id>/outcome",
                              campaign_pages.record_outcome, allow=campaign_pages.DOOR)
    campaign_page = page("GET", "/campaigns/<campaign_id>", campaign_pages.detail,
                         allow=campaign_pages.READERS)
    campaign_door = page("GET", "/campaigns/<campaign_id>/check-in", campaign_pages.door,
                         allow=campaign_pages.DOOR)
    campaign_check_in = page("POST", "/campaigns/<campaign_id>/check-in",
                             campaign_pages.check_in, allow=campaign_pages.DOOR)
    # console: statistics 统计 (issue 13): the board, trends, calls; downloads run the API route
    stats_board = page("GET", "/stats", stats_pages.board, allow=stats_pages.READERS)
    stats_board_part = page("GET", "/stats/board", stats_pages.board_part,
                            allow=stats_pages.READERS)
    stats_trends = page("GET", "/stats/trends", stats_pages.trends, allow=stats_pages.READERS)
    stats_calls = page("GET", "/stats/calls", stats_pages.calls, allow=stats_pages.READERS)
    stats_ticket_export = page("GET", "/stats/tickets/export", stats_pages.download,
                               allow=stats_pages.READERS)
    stats_ticket_chart = page("GET", "/stats/tickets/chart", stats_pages.download,
                              allow=stats_pages.READERS)
    stats_call_export = page("GET", "/stats/calls/export", stats_pages.download,
                             allow=stats_pages.READERS)
    stats_call_chart = page("GET", "/stats/calls/chart", stats_pages.download,
                            allow=stats_pages.READERS)
    stats_field = page("GET", "/stats/field", stat_table_pages.page("field"),
                       allow=stat_table_pages.READERS["field"])
    stats_followups = page("GET", "/stats/followups", stat_table_pages.page("followups"),
                           allow=stat_table_pages.READERS["followups"])
    stats_satisfaction = page("GET", "/stats/satisfaction",
                              stat_table_pages.page("satisfaction"),
                              allow=stat_table_pages.READERS["satisfaction"])
    stats_notifications = page("GET", "/stats/notifications",
                               stat_table_pages.page("notifications"),
                               allow=stat_table_pages.READERS["notifications"])
    stats_ivr = page("GET", "/stats/ivr", stat_table_pages.page("ivr"),
                     allow=stat_table_pages.READERS["ivr"])
    # console: admin 系统设置 (pages/admin.py)
    admin_home = page("GET", "/admin", admin_pages.index, allow=ADMINS)
    admin_staff = page("GET", "/admin/staff", staff_admin.index, allow=ADMINS)
    admin_staff_create = page("POST", "/admin/staff", staff_admin.create, allow=ADMINS)
    admin_staff_edit = page("GET", "/admin/staff/<staff_id>", staff_admin.edit, allow=ADMINS)
    admin_staff_update = page("POST", "/admin/staff/<staff_id>", staff_admin.update,
                              allow=ADMINS)
    admin_staff_decide = page("POST", "/admin/staff-changes/<change_id>/<decision>",
                              staff_admin.decide, allow=ADMINS)
    admin_groups = page("GET", "/admin/groups", admin_pages.group_list, allow=ADMINS)
    admin_group_create = page("POST", "/admin/groups", admin_pages.group_create, allow=ADMINS)
    admin_categories = page("GET", "/admin/categories", category_admin.index, allow=ADMINS)
    admin_category_new = page("GET", "/admin/categories/new", category_admin.new, allow=ADMINS)
    admin_category_create = page("POST", "/admin/categories", category_admin.create,
                                 allow=ADMINS)
    admin_category = page("GET", "/admin/categories/<category_id>", category_admin.edit,
                          allow=ADMINS)
    admin_category_update = page("POST", "/admin/categories/<category_id>",
                                 category_admin.update, allow=ADMINS)
    admin_sla = page("GET", "/admin/sla", sla_admin.sla, allow=ADMINS)
    admin_sla_policies = page("POST", "/admin/sla/policies", sla_admin.sla_policies,
                              allow=ADMINS)
    admin_sla_hours = page("POST", "/admin/sla/hours", sla_admin.sla_hours, allow=ADMINS)
    admin_calendar_set = page("POST", "/admin/sla/calendar", sla_admin.calendar_set,
                              allow=ADMINS)
    admin_calendar_delete = page("POST", "/admin/sla/calendar/<day>/delete",
                                 sla_admin.calendar_delete, allow=ADMINS)
    admin_repeat = page("GET", "/admin/repeat", sla_admin.repeat, allow=ADMINS)
    admin_repeat_save = page("POST", "/admin/repeat", sla_admin.repeat_save, allow=ADMINS)
    admin_notify_settings = page("GET", "/admin/notifications", notify_settings.settings,
                                 allow=notify_settings.SETTINGS_EDITORS)
    admin_notify_settings_save = page("POST", "/admin/notifications",
                                      notify_settings.settings_save,
                                      allow=notify_settings.SETTINGS_EDITORS)
    admin_robots = page("GET", "/admin/robots", notify_settings.robots,
                        allow=notify_settings.ROBOT_ADMINS)
    admin_robot_save = page("POST", "/admin/robots", notify_settings.robot_save,
                            allow=notify_settings.ROBOT_ADMINS)
    # console: end of admin

    # -- this API and the system's health -------------------------------------------------
    @api("GET", "/api/v1/openapi.json", "This document", public=True)
    def openapi_document(self, request):
        """The OpenAPI document of every route above."""
        return openapi.document()

    @openapi.answers(503, Health, "a check failed: the names of those that did")
    @api("GET", "/healthz", "200 when the broker and every service answer", public=True,
         response=Health)
    def healthz(self, request):
        """{"status": "ok", "checks": {name: true}, "failing": []}; 503 naming the
        failing checks (their reasons are logged, not answered)."""
        body = health.report(health.check(self.db, self.peers,
                                          timeout=min(self.deadline, 3)))
        return (200 if body["status"] == "ok" else 503), body


SERVICE = GatewayService

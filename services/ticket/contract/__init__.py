"""The ticket service 工单 — its contract index: every RPC and every event (T1–T9).

Schemas live by area: tickets (the record; kinds, statuses, channels), forms
(categories and their forms, repeat rules, the detail and update), workflow
(transitions, transfer, queues, duty), sla (targets, business hours, calendar,
reminders, the due view), dispatch (field jobs), contacts (contact log, call
events), knowledge (knowledge base), overview (the screen pop's part), events (the
payload of each event published; every ticket event carries the ticket's snapshot),
report_feed (what the report service reads to rebuild and check).  `roles` is who may
call (the service's @rpc takes them from here); errors are besides Unauthenticated and
Forbidden, which any call may answer.

Within its roles an operation reaches only the tickets of the caller's data scope
(domain.access: own and group, all for managers up); a ticket out of scope is NotFound.
A classified customer's tickets, contacts and field jobs show their content only to
those cleared (`content_withheld` says why otherwise).
"""
from services.common.contracts import Consumes, Contract, Event, Operation
from services.common.errors import Conflict, DeadlineExceeded, Invalid, NotFound
from services.ticket.contract.contacts import (
    CallEventBatch,
    CallEventsResult,
    CallStats,
    Contact,
    ContactIn,
    ContactPage,
    ContactQuery,
    StatsQuery,
)
from services.ticket.contract.dispatch import (
    Dispatch,
    DispatchIn,
    DispatchList,
    DispatchPage,
    DispatchQuery,
    HandlingIn,
    JobsQuery,
)
from services.ticket.contract.events import (
    CallRecorded,
    ContactLogged,
    DispatchHandled,
    TicketCreated,
    TicketDispatched,
    TicketReminderDue,
    TicketRouted,
    TicketSlaBreached,
    TicketStatusChanged,
    TicketUpdated,
)
from services.ticket.contract.forms import (
    Category,
    CategoryIn,
    CategoryList,
    CategoryQuery,
    CategoryUpdate,
    RepeatRule,
    RepeatRules,
    TicketDetail,
    TicketUpdate,
)
from services.ticket.contract.knowledge import (
    KbArticle,
    KbArticleIn,
    KbArticleList,
    KbArticlePatch,
    KbCategory,
    KbCategoryIn,
    KbCategoryList,
    KbLinkIn,
    KbPage,
    KbRanking,
    KbRankingQuery,
    KbSearchQuery,
    KbSuggestQuery,
    KbTicketList,
    KbVersion,
    KbVersionList,
)
from services.ticket.contract.overview import CustomerOverview, OverviewQuery
from services.ticket.contract.report_feed import (
    ReportCallCounts,
    ReportCalls,
    ReportCallsPage,
    ReportContacts,
    ReportCounts,
    ReportCountsQuery,
    ReportPage,
    ReportTickets,
)
from services.ticket.contract.report_field import (
    ReportDispatchCounts,
    ReportDispatches,
    ReportDispatchesPage,
)
from services.ticket.contract.sla import (
    BusinessHours,
    BusinessHoursIn,
    CalendarDay,
    CalendarDayIn,
    CalendarQuery,
    CalendarView,
    DueList,
    DueQuery,
    Reminder,
    ReminderIn,
    ReminderList,
    ReminderQuery,
    SlaPolicies,
    SlaPolicy,
    SlaPolicyIn,
)
from services.ticket.contract.tickets import CustomerTickets, Ticket, TicketCreate, TicketList
from services.ticket.contract.workflow import (
    Duty,
    DutyIn,
    GroupDuty,
    HandBackIn,
    QueueCounts,
    QueuePage,
    QueueQuery,
    Routed,
    TransferIn,
    TransitionIn,
)
from services.vocabulary import (
    ADMINS,
    FIELD_STAFF,
    INTEGRATIONS,
    OPERATORS,
    STAFF,
    SUPERVISORS_UP,
)

SERVICE = "ticket"
EDITORS = SUPERVISORS_UP | ADMINS  # who writes the knowledge base
# No staff role: an operation only a named service's system identity may call.
NOBODY: frozenset = frozenset()

CONTRACT = Contract(
    SERVICE,
    operations=[
        #         name                     roles           input            output            errors
        # -- tickets (T2, T3; C3)
        Operation("create_ticket",         OPERATORS,      TicketCreate,    Ticket,           (Invalid, NotFound, DeadlineExceeded)),
        Operation("get_ticket",            STAFF,          None,            TicketDetail,     (NotFound,)),
        Operation("update_ticket",         OPERATORS,      TicketUpdate,    TicketDetail,     (Invalid, NotFound)),
        Operation("list_for_customer",     STAFF,          CustomerTickets, TicketList,       (Invalid,)),
        # -- forms: categories and their forms (T1), repeat rules (T3)
        Operation("create_category",       ADMINS,         CategoryIn,      Category,         (Invalid, Conflict)),
        Operation("update_category",       ADMINS,         CategoryUpdate,  Category,         (Invalid, NotFound, Conflict)),
        Operation("list_categories",       STAFF,          CategoryQuery,   CategoryList,     (Invalid,)),
        Operation("get_category",          STAFF,          None,            Category,         (NotFound,), system=frozenset({"survey"})),
        Operation("repeat_rules",          STAFF,          None,            RepeatRules),
        Operation("set_repeat_rule",       ADMINS,         RepeatRule,      RepeatRule,       (Invalid,)),
        # -- workflow (T4)
        Operation("transition_ticket",     STAFF,          TransitionIn,    Routed,           (Invalid, NotFound, Conflict)),
        Operation("transfer_ticket",       STAFF,          TransferIn,      Routed,           (Invalid, NotFound, Conflict)),
        Operation("accept_ticket",         STAFF,          None,            Routed,           (NotFound, Conflict)),
        Operation("hand_back_ticket",      STAFF,          HandBackIn,      Routed,           (Invalid, NotFound, Conflict)),
        # -- queues (T5)
        Operation("list_tickets",          STAFF,          QueueQuery,      QueuePage,        (Invalid, NotFound)),
        Operation("queue_counts",          STAFF,          None,            QueueCounts),
        # -- staff: duty 值班 (the staff read model is fed by the gateway's events)
        Operation("set_duty",              STAFF,          DutyIn,          Duty,             (Invalid,)),
        Operation("group_duty",            STAFF,          None,            GroupDuty,        (NotFound,)),
        # -- sla: targets, business hours, calendar (T6)
        Operation("sla_policies",          STAFF,          None,            SlaPolicies),
        Operation("set_sla_policy",        ADMINS,         SlaPolicyIn,     SlaPolicy,        (Invalid,)),
        Operation("business_hours",        STAFF,          None,            BusinessHours),
        Operation("set_business_hours",    ADMINS,         BusinessHoursIn, BusinessHours,    (Invalid,)),
        Operation("calendar",              STAFF,          CalendarQuery,   CalendarView,     (Invalid,)),
        Operation("set_calendar_day",      ADMINS,         CalendarDayIn,   CalendarDay,      (Invalid,)),
        Operation("delete_calendar_day",   ADMINS,         None,            CalendarDay,      (Invalid, NotFound)),
        # -- sla: reminders and the due view (T6)
        Operation("remind",                STAFF,          ReminderIn,      Reminder,         (Invalid, NotFound)),
        Operation("my_reminders",          STAFF,          ReminderQuery,   ReminderList,     (Invalid,)),
        Operation("cancel_reminder",       STAFF,          None,            Reminder,         (NotFound, Conflict)),
        Operation("due_tickets",           SUPERVISORS_UP, DueQuery,        DueList,          (Invalid, NotFound)),
        # -- dispatch: field jobs 派单 (T7)
        Operation("dispatch_ticket",       OPERATORS,      DispatchIn,      Dispatch,         (Invalid, NotFound, Conflict)),
        Operation("record_handling",       FIELD_STAFF,    HandlingIn,      Dispatch,         (Invalid, NotFound, Conflict)),
        Operation("dispatches",            SUPERVISORS_UP, DispatchQuery,   DispatchPage,     (Invalid,)),
        Operation("my_jobs",               FIELD_STAFF,    JobsQuery,       DispatchPage,     (Invalid,)),
        Operation("dispatches_of_ticket",  STAFF,          None,            DispatchList,     (NotFound,)),
        # -- contacts: the contact log and call events (T8)
        Operation("log_contact",           OPERATORS,      ContactIn,       Contact,          (Invalid, NotFound)),
        Operation("contacts_for_customer", STAFF,          ContactQuery,    ContactPage,      (Invalid, NotFound)),
        Operation("contacts_for_ticket",   STAFF,          ContactQuery,    ContactPage,      (Invalid, NotFound)),
        Operation("record_call_events",    INTEGRATIONS,   CallEventBatch,  CallEventsResult, (Invalid,)),
        Operation("call_stats",            SUPERVISORS_UP, StatsQuery,      CallStats,        (Invalid,)),
        # -- knowledge base 知识库 (T9): EDITORS write; drafts and archived are theirs to see
        Operation("kb_create_category",    EDITORS,        KbCategoryIn,    KbCategory,       (Invalid, NotFound, Conflict)),
        Operation("kb_categories",         STAFF,          None,            KbCategoryList),
        Operation("kb_create_article",     EDITORS,        KbArticleIn,     KbArticle,        (Invalid, NotFound)),
        Operation("kb_article",            STAFF,          None,            KbArticle,        (NotFound,)),
        Operation("kb_update_article",     EDITORS,        KbArticlePatch,  KbArticle,        (Invalid, NotFound, Conflict)),
        Operation("kb_publish",            EDITORS,        None,            KbArticle,        (NotFound,)),
        Operation("kb_versions",           STAFF,          None,            KbVersionList,    (NotFound,)),
        Operation("kb_version",            STAFF,          None,            KbVersion,        (Invalid, NotFound)),
        Operation("kb_search",             STAFF,          KbSearchQuery,   KbArticleList,    (Invalid,)),
        Operation("kb_suggest",            STAFF,          KbSuggestQuery,  KbArticleList,    (Invalid,)),
        Operation("kb_link",               OPERATORS,      KbLinkIn,        KbArticleList,    (Invalid, NotFound)),
        Operation("kb_unlink",             OPERATORS,      KbLinkIn,        KbArticleList,    (Invalid, NotFound)),
        Operation("kb_ticket_articles",    STAFF,          None,            KbArticleList,    (NotFound,)),
        Operation("kb_article_tickets",    STAFF,          KbPage,          KbTicketList,     (Invalid, NotFound)),
        Operation("kb_ranking",            STAFF,          KbRankingQuery,  KbRanking,        (Invalid,)),
        # -- overview: the screen pop's part (C3, T8)
        Operation("customer_overview",     STAFF,          OverviewQuery,   CustomerOverview, (Invalid,)),
        # -- report feed (issue 13): the report service's system identity only
        Operation("report_tickets",        NOBODY,         ReportPage,      ReportTickets,    (Invalid,), system=frozenset({"report"})),
        Operation("report_ticket_counts",  NOBODY,         ReportCountsQuery, ReportCounts,   (Invalid,), system=frozenset({"report"})),
        Operation("report_calls",          NOBODY,         ReportCallsPage, ReportCalls,      (Invalid,), system=frozenset({"report"})),
        Operation("report_contacts",       NOBODY,         ReportPage,      ReportContacts,   (Invalid,), system=frozenset({"report"})),
        Operation("report_call_counts",    NOBODY,         ReportCountsQuery, ReportCallCounts, (Invalid,), system=frozenset({"report"})),
        Operation("report_dispatches",     NOBODY,         ReportDispatchesPage, ReportDispatches, (Invalid,), system=frozenset({"report"})),
        Operation("report_dispatch_counts", NOBODY,        ReportCountsQuery, ReportDispatchCounts, (Invalid,), system=frozenset({"report"})),
    ],
    events=[
        Event("ticket_created",        TicketCreated),        # accepted (T2)
        Event("ticket_updated",        TicketUpdated),        # the record edited (urgency, category...)
        Event("ticket_assigned",       TicketRouted),         # to a person (T4)
        Event("ticket_transferred",    TicketRouted),         # to a group, or handed back
        Event("ticket_status_changed", TicketStatusChanged),  # every status move
        Event("ticket_resolved",       TicketStatusChanged),  # and on reaching resolved
        Event("ticket_closed",         TicketStatusChanged),  # and on reaching closed
        Event("ticket_sla_breached",   TicketSlaBreached),    # escalated (T6)
        Event("ticket_reminder_due",   TicketReminderDue),    # a reminder fell due (T6)
        Event("ticket_dispatched",     TicketDispatched),     # a field job (T7)
        Event("dispatch_handled",      DispatchHandled),      # a field job done (T7, V1)
        Event("contact_logged",        ContactLogged),        # the contact log (T8)
        Event("call_recorded",         CallRecorded),         # telephony (T8)
    ],
    consumes=[
        Consumes("customer", "customer_classified"),  # C4: the level its tickets inherit
        Consumes("customer", "customer_destroyed"),   # C6: tickets, jobs, contacts redacted
        Consumes("customer", "customer_merged"),      # C8: tickets, contacts to the survivor
        Consumes("gateway", "staff_created"),         # the staff read model (transfer, duty)
        Consumes("gateway", "staff_updated"),
    ],
)

"""The ticket service 工单: work orders (T1–T9).

Each operation: load with its contract schema, one handler (in one transaction, or
given the unit of work when it needs several or calls another service), dump.  The
index of operations and events is contract/__init__.py.
"""
from nameko.extensions import DependencyProvider
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
from services.ticket import contract
from services.ticket.contract import contacts as co
from services.ticket.contract import dispatch as di
from services.ticket.contract import forms as fo
from services.ticket.contract import knowledge as kb
from services.ticket.contract import overview as ov
from services.ticket.contract import report_feed as rf
from services.ticket.contract import report_field as rfield
from services.ticket.contract import sla as sl
from services.ticket.contract import tickets as ti
from services.ticket.contract import workflow as wf
from services.ticket.domain.knowledge import load_words
from services.ticket.handlers import (
    contacts,
    dispatch,
    forms,
    knowledge,
    overview,
    queues,
    reading,
    report_feed,
    report_field,
    sla,
    staff,
    tickets,
    workflow,
)
from services.vocabulary import StaffChanged

rpc = rpc_entrypoints(contract.CONTRACT)
# Schema instances are reused: building one per call costs more than the dump itself.
TICKET_CREATE, TICKET, TICKET_LIST = ti.TicketCreate(), ti.Ticket(), ti.TicketList()
CUSTOMER_TICKETS, TICKET_UPDATE, DETAIL = ti.CustomerTickets(), fo.TicketUpdate(), fo.TicketDetail()
CATEGORY_IN, CATEGORY_UPDATE = fo.CategoryIn(), fo.CategoryUpdate()
CATEGORY_QUERY, CATEGORY, CATEGORIES = fo.CategoryQuery(), fo.Category(), fo.CategoryList()
RULE, RULES = fo.RepeatRule(), fo.RepeatRules()
TRANSITION_IN, TRANSFER_IN, HAND_BACK_IN, ROUTED = (
    wf.TransitionIn(), wf.TransferIn(), wf.HandBackIn(), wf.Routed())
QUEUE_QUERY, QUEUE_PAGE, QUEUE_COUNTS = wf.QueueQuery(), wf.QueuePage(), wf.QueueCounts()
DUTY_IN, DUTY, GROUP_DUTY = wf.DutyIn(), wf.Duty(), wf.GroupDuty()
POLICY_KEY, POLICY_IN, POLICY, POLICIES = (
    sl.SlaPolicyKey(), sl.SlaPolicyIn(), sl.SlaPolicy(), sl.SlaPolicies())
HOURS_IN, HOURS = sl.BusinessHoursIn(), sl.BusinessHours()
CALENDAR_QUERY, CALENDAR, DAY_IN, DAY = (
    sl.CalendarQuery(), sl.CalendarView(), sl.CalendarDayIn(), sl.CalendarDay())
REMINDER_IN, REMINDER, REMINDER_QUERY, REMINDERS = (
    sl.ReminderIn(), sl.Reminder(), sl.ReminderQuery(), sl.ReminderList())
DUE_QUERY, DUE_LIST = sl.DueQuery(), sl.DueList()
DISPATCH_IN, HANDLING_IN, DISPATCH = di.DispatchIn(), di.HandlingIn(), di.Dispatch()
DISPATCH_QUERY, JOBS_QUERY = di.DispatchQuery(), di.JobsQuery()
DISPATCH_PAGE, DISPATCH_LIST = di.DispatchPage(), di.DispatchList()
CONTACT_IN, CONTACT, CONTACT_QUERY, CONTACT_PAGE = (
    co.ContactIn(), co.Contact(), co.ContactQuery(), co.ContactPage())
CALL_EVENT_IN, CALL_EVENT_BATCH, CALL_EVENTS = (
    co.CallEventIn(), co.CallEventBatch(), co.CallEventsResult())
STATS_QUERY, CALL_STATS = co.StatsQuery(), co.CallStats()
KB_CATEGORY_IN, KB_CATEGORY, KB_CATEGORIES = (
    kb.KbCategoryIn(), kb.KbCategory(), kb.KbCategoryList())
ARTICLE_IN, ARTICLE_PATCH, ARTICLE, ARTICLES = (
    kb.KbArticleIn(), kb.KbArticlePatch(), kb.KbArticle(), kb.KbArticleList())
VERSIONS, VERSION = kb.KbVersionList(), kb.KbVersion()
SEARCH_QUERY, SUGGEST_QUERY, LINK_IN = kb.KbSearchQuery(), kb.KbSuggestQuery(), kb.KbLinkIn()
KB_PAGE, KB_TICKETS = kb.KbPage(), kb.KbTicketList()
RANKING_QUERY, RANKING = kb.KbRankingQuery(), kb.KbRanking()
OVERVIEW_QUERY, OVERVIEW = ov.OverviewQuery(), ov.CustomerOverview()
REPORT_PAGE, REPORT_TICKETS = rf.ReportPage(), rf.ReportTickets()
COUNTS_QUERY, REPORT_COUNTS = rf.ReportCountsQuery(), rf.ReportCounts()
CALLS_PAGE, REPORT_CALLS = rf.ReportCallsPage(), rf.ReportCalls()
REPORT_CONTACTS, REPORT_CALL_COUNTS = rf.ReportContacts(), rf.ReportCallCounts()
DISPATCHES_PAGE, REPORT_DISPATCHES = rfield.ReportDispatchesPage(), rfield.ReportDispatches()
REPORT_DISPATCH_COUNTS = rfield.ReportDispatchCounts()
STAFF_CHANGED = StaffChanged()
CUSTOMER_DESTROYED, CUSTOMER_MERGED = CustomerDestroyed(), CustomerMerged()
CUSTOMER_CLASSIFIED, ENVELOPE = CustomerClassified(), EnvelopeSchema()
READ_REASON = ti.ReadReason()


class ChineseWords(DependencyProvider):
    """Loads jieba's dictionary when the service starts (about a second), so that no
    knowledge-base request pays for it."""

    def setup(self):
        load_words()


class TicketService(HealthCheck):
    name = contract.SERVICE

    db = Database()
    principal = Identity()
    metrics = Metrics()
    customers = proxy("customer")
    words = ChineseWords()

    # -- tickets: accepting, the detail, updates (T1–T4) -------------------------------
    @rpc
    def create_ticket(self, data, idempotency_key=None):
        """The ticket accepted for an existing customer (Ticket, with its due times and
        `repeat_of`, the earlier tickets it repeats, newest first); a repeated
        idempotency key answers the ticket the first call created."""
        return TICKET.dump(tickets.create_ticket(self.db, self.principal, self.customers,
                                                 TICKET_CREATE.load(data), idempotency_key))

    @rpc
    def get_ticket(self, ticket_id, reason=None):
        """TicketDetail: the record as accepted and as it is now, the whole trail (oldest
        first), the final handler, the category and the tickets it repeats; of a
        classified customer's ticket, what it says if the borrowing rule allows (`reason`
        goes to the borrowing log), else its identity and `content_withheld`."""
        ticket_id = parse_id(ticket_id, "ticket")
        reason = READ_REASON.load({"reason": reason or ""})["reason"]
        return DETAIL.dump(tickets.get_ticket(self.db, self.principal, self.customers,
                                              ticket_id, reason))

    @rpc
    def update_ticket(self, ticket_id, data):
        """TicketDetail after changing subject, form values (merged; null removes one),
        contact, urgency, fee, paid or the category (within the kind); one "updated"
        trail row names the changed fields."""
        ticket_id = parse_id(ticket_id, "ticket")
        fields = TICKET_UPDATE.load(tickets.writable(data))
        return DETAIL.dump(tickets.update_ticket(self.db, self.principal, self.customers,
                                                 ticket_id, fields))

    @rpc
    def list_for_customer(self, customer_id, limit=20):
        """The customer's most recent tickets, newest first: {"tickets": [...]}."""
        query = CUSTOMER_TICKETS.load({"customer_id": customer_id, "limit": limit})
        return TICKET_LIST.dump(tickets.list_for_customer(self.db, self.principal,
                                                          self.customers, query))

    # -- forms: kinds, categories and their forms (T1), repeat rules (T3) --------------
    @rpc
    def create_category(self, data):
        """The new category (Category) under a kind, with its form."""
        fields = CATEGORY_IN.load(data)
        with self.db.transaction() as tx:
            return CATEGORY.dump(forms.create_category(tx, self.principal, fields))

    @rpc
    def update_category(self, category_id, data):
        """The category (Category) renamed, with its new form, (de)activated; the kind
        stays."""
        category_id = parse_id(category_id, "category")
        fields = CATEGORY_UPDATE.load(forms.keeps_kind(data))
        with self.db.transaction() as tx:
            return CATEGORY.dump(forms.update_category(tx, self.principal, category_id, fields))

    @rpc
    def list_categories(self, query=None):
        """{"categories": [Category]} by kind and name; active only unless asked."""
        query = CATEGORY_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return CATEGORIES.dump(forms.list_categories(tx, self.principal, query))

    @rpc
    def get_category(self, category_id):
        """One category with its form (Category)."""
        category_id = parse_id(category_id, "category")
        with self.db.transaction() as tx:
            return CATEGORY.dump(forms.get_category(tx, self.principal, category_id))

    @rpc
    def repeat_rules(self):
        """{"rules": [RepeatRule]}: every kind's repeat window and similarity threshold."""
        with self.db.transaction() as tx:
            return RULES.dump(forms.repeat_rules(tx, self.principal))

    @rpc
    def set_repeat_rule(self, data):
        """One kind's repeat window (days, 0 = off) and threshold, set (RepeatRule)."""
        rule = RULE.load(data)
        with self.db.transaction() as tx:
            return RULE.dump(forms.set_repeat_rule(tx, self.principal, rule))

    # -- workflow: transitions, transfer, accept, hand back (T4) -----------------------
    @rpc
    def transition_ticket(self, ticket_id, data):
        """Routed {ticket, step}: the ticket moved along the status graph
        (domain.workflow.TRANSITIONS) and the trail row of the move."""
        move = TRANSITION_IN.load(data)
        ticket_id = parse_id(ticket_id, "ticket")
        with self.db.transaction() as tx:
            return ROUTED.dump(workflow.transition_ticket(tx, self.principal, ticket_id, move))

    @rpc
    def transfer_ticket(self, ticket_id, data):
        """Routed: the ticket transferred to a group (unassigned there: new), to a named
        active staff member (assigned), or to the on-duty member of a group assigned
        least recently (assigned)."""
        order = TRANSFER_IN.load(data)
        ticket_id = parse_id(ticket_id, "ticket")
        with self.db.transaction() as tx:
            return ROUTED.dump(workflow.transfer_ticket(tx, self.principal, ticket_id, order))

    @rpc
    def accept_ticket(self, ticket_id):
        """Routed: the ticket taken by the caller — its assignee starts it (assigned →
        in_progress), or a member of its group takes it unassigned (new → in_progress)."""
        ticket_id = parse_id(ticket_id, "ticket")
        with self.db.transaction() as tx:
            return ROUTED.dump(workflow.accept_ticket(tx, self.principal, ticket_id))

    @rpc
    def hand_back_ticket(self, ticket_id, data):
        """Routed: the ticket back in its group's queue (new, unassigned), by its
        assignee, saying why."""
        note = HAND_BACK_IN.load(data)["note"]
        ticket_id = parse_id(ticket_id, "ticket")
        with self.db.transaction() as tx:
            return ROUTED.dump(workflow.hand_back_ticket(tx, self.principal, ticket_id, note))

    # -- queues (T5) ---------------------------------------------------------------
    @rpc
    def list_tickets(self, query=None):
        """A page of a queue (view mine | group_unassigned | all, filters, cursor, limit),
        newest accepted first: {tickets, next_cursor}."""
        query = QUEUE_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return QUEUE_PAGE.dump(queues.list_tickets(tx, self.principal, query))

    @rpc
    def queue_counts(self):
        """QueueCounts: my open tickets by status, and each of my groups' unassigned
        tickets by status."""
        with self.db.transaction() as tx:
            return QUEUE_COUNTS.dump(queues.queue_counts(tx, self.principal))

    # -- staff: the read model of the gateway's staff, duty 值班 -------------------------
    @on_event("gateway", "staff_created")
    def staff_created(self, event):
        """A new staff account: known to the ticket service from now on."""
        with self.db.transaction() as tx:
            staff.staff_changed(tx, STAFF_CHANGED.load(event["data"]))

    @on_event("gateway", "staff_updated")
    def staff_updated(self, event):
        """A changed staff account (roles, groups, active): same payload as created."""
        with self.db.transaction() as tx:
            staff.staff_changed(tx, STAFF_CHANGED.load(event["data"]))

    @rpc
    def set_duty(self, data):
        """The caller on or off duty (Duty)."""
        on_duty = DUTY_IN.load(data)["on_duty"]
        with self.db.transaction() as tx:
            return DUTY.dump(staff.set_duty(tx, self.principal, on_duty))

    @rpc
    def group_duty(self, group):
        """Who of a group is on duty: {group, members}, for its members and supervisors
        and up."""
        with self.db.transaction() as tx:
            return GROUP_DUTY.dump(staff.group_duty(tx, self.principal, group))

    # -- sla: targets, business hours, the calendar (T6) ---------------------------------
    @rpc
    def sla_policies(self):
        """Response and resolution targets (business minutes) per kind x urgency."""
        with self.db.transaction() as tx:
            return POLICIES.dump(sla.sla_policies(tx, self.principal))

    @rpc
    def set_sla_policy(self, kind, urgency, data):
        """The targets of one kind x urgency, set (they apply to tickets created after)."""
        key = POLICY_KEY.load({"kind": kind, "urgency": urgency})
        targets = POLICY_IN.load(data)
        with self.db.transaction() as tx:
            return POLICY.dump(sla.set_sla_policy(tx, self.principal, key, targets))

    @rpc
    def business_hours(self):
        """The opening and closing time of a working day, and its time zone."""
        with self.db.transaction() as tx:
            return HOURS.dump(sla.business_hours(tx, self.principal))

    @rpc
    def set_business_hours(self, data):
        """The business hours, set."""
        hours = HOURS_IN.load(data)
        with self.db.transaction() as tx:
            return HOURS.dump(sla.set_business_hours(tx, self.principal, hours))

    @rpc
    def calendar(self, query):
        """Each day of [from, to] (at most 366): working day or not, and why (override /
        chinese_calendar / weekend_rule)."""
        query = CALENDAR_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return CALENDAR.dump(sla.calendar(tx, self.principal, query))

    @rpc
    def set_calendar_day(self, day, data):
        """A day made a working day or a day off, whatever chinese_calendar says."""
        change = DAY_IN.load(data)
        with self.db.transaction() as tx:
            return DAY.dump(sla.set_calendar_day(tx, self.principal, day, change))

    @rpc
    def delete_calendar_day(self, day):
        """A day's override dropped: it follows chinese_calendar / weekends again."""
        with self.db.transaction() as tx:
            return DAY.dump(sla.delete_calendar_day(tx, self.principal, day))

    @timer(interval=2)
    def sla_escalate(self):
        """Escalate breaches (resolution due passed, or response due without a first
        response) of open, unpaused tickets, each once, to the group's supervisors."""
        sla.escalate(self.db, self.principal)

    # -- sla: reminders and the due view (T6) --------------------------------------
    @rpc
    def remind(self, ticket_id, data):
        """A reminder of a ticket for the caller, at a time or in N minutes/hours/days
        (calendar time): Reminder."""
        ticket_id = parse_id(ticket_id, "ticket")
        fields = REMINDER_IN.load(data or {})
        with self.db.transaction() as tx:
            return REMINDER.dump(sla.remind(tx, self.principal, ticket_id, fields))

    @rpc
    def my_reminders(self, query=None):
        """The caller's reminders by due time (pending only unless pending=false), keyset
        paged: {"reminders": [...], "next": cursor or null}."""
        query = REMINDER_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return REMINDERS.dump(sla.my_reminders(tx, self.principal, query))

    @rpc
    def cancel_reminder(self, reminder_id):
        """One's own pending reminder, cancelled (Reminder)."""
        reminder_id = parse_id(reminder_id, "reminder")
        with self.db.transaction() as tx:
            return REMINDER.dump(sla.cancel_reminder(tx, self.principal, reminder_id))

    @timer(interval=2)
    def sla_send_reminders(self):
        """Deliver due reminders as ticket_reminder_due (notify puts them in the staff
        member's inbox)."""
        sla.send_reminders(self.db)

    @rpc
    def due_tickets(self, query=None):
        """Open tickets by resolution due time, soonest first (breached=true: only those
        past it); supervisors see their groups, managers up all (or one group)."""
        query = DUE_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return DUE_LIST.dump(sla.due_tickets(tx, self.principal, query))

    # -- dispatch: field jobs 派单 (T7) ---------------------------------------------------
    @rpc
    def dispatch_ticket(self, ticket_id, data):
        """The Dispatch sending an after-sales ticket to a field staff member, who
        becomes its handler; an open dispatch of the ticket is cancelled (reschedule)."""
        fields = DISPATCH_IN.load(data or {})
        ticket_id = parse_id(ticket_id, "ticket")
        with self.db.transaction() as tx:
            return DISPATCH.dump(dispatch.dispatch_ticket(tx, self.principal, self.metrics,
                                                          ticket_id, fields))

    @rpc
    def record_handling(self, dispatch_id, data):
        """The Dispatch with the handling record of one's own job (done or not and why,
        parts, fee, paid, note); the ticket takes its fee and paid flag."""
        fields = HANDLING_IN.load(data or {})
        dispatch_id = parse_id(dispatch_id, "dispatch")
        with self.db.transaction() as tx:
            return DISPATCH.dump(dispatch.record_handling(tx, self.principal, self.metrics,
                                                          dispatch_id, fields))

    @rpc
    def dispatches(self, state="open", staff_id=None, limit=50, after=None):
        """Open dispatches, or (state="overdue") those whose window passed without a
        handling record, by appointment end: {"dispatches": [...], "next": cursor}."""
        query = DISPATCH_QUERY.load({"state": state, "staff_id": staff_id, "limit": limit,
                                     "after": after})
        with self.db.transaction() as tx:
            return DISPATCH_PAGE.dump(dispatch.dispatches(tx, self.principal, query))

    @rpc
    def my_jobs(self, limit=50, after=None):
        """The caller's open jobs by appointment end: {"dispatches": [...], "next"}."""
        query = JOBS_QUERY.load({"limit": limit, "after": after})
        with self.db.transaction() as tx:
            return DISPATCH_PAGE.dump(dispatch.my_jobs(tx, self.principal, query))

    @rpc
    def dispatches_of_ticket(self, ticket_id):
        """Every dispatch of a ticket with its handling record, newest first:
        {"dispatches": [...]}."""
        ticket_id = parse_id(ticket_id, "ticket")
        return DISPATCH_LIST.dump(dispatch.dispatches_of_ticket(self.db, self.principal,
                                                                self.customers, ticket_id))

    @timer(interval=5)
    def flag_overdue_dispatches(self):
        """Flag open dispatches whose appointment window ended with no handling record
        (a trail row "dispatch_overdue" each); how many."""
        with self.db.transaction() as tx:
            return dispatch.flag_overdue(tx, self.principal, self.metrics)

    # -- contacts: the contact log and call events (T8) ----------------------------------
    @rpc
    def log_contact(self, data, idempotency_key=None):
        """The Contact logged (channel, direction, agent, start, duration, IVR path,
        customer, ticket, note); a repeated idempotency key answers the first."""
        fields = CONTACT_IN.load(data or {})
        with self.db.transaction() as tx:
            return CONTACT.dump(contacts.log_contact(tx, self.principal, self.metrics, fields,
                                                     idempotency_key))

    @rpc
    def contacts_for_customer(self, customer_id, limit=20, before=None):
        """A customer's contacts, newest first: {"contacts": [...], "next": cursor}."""
        query = CONTACT_QUERY.load({"limit": limit, "before": before})
        customer_id = parse_id(customer_id, "customer")
        return CONTACT_PAGE.dump(contacts.contacts_of(self.db, self.principal, self.customers,
                                                      "customer", customer_id, query))

    @rpc
    def contacts_for_ticket(self, ticket_id, limit=20, before=None):
        """A ticket's contacts, newest first: {"contacts": [...], "next": cursor}."""
        query = CONTACT_QUERY.load({"limit": limit, "before": before})
        ticket_id = parse_id(ticket_id, "ticket")
        return CONTACT_PAGE.dump(contacts.contacts_of(self.db, self.principal, self.customers,
                                                      "ticket", ticket_id, query))

    @rpc
    def record_call_events(self, data):
        """Call events from the telephony system — one event, or {"events": [...]} (at
        most 500) — stored once each: {"accepted", "duplicates"}."""
        data = data or {}
        events = (CALL_EVENT_BATCH.load(data)["events"] if "events" in data
                  else [CALL_EVENT_IN.load(data)])
        with self.db.transaction() as tx:
            return CALL_EVENTS.dump(contacts.record_call_events(tx, self.principal,
                                                                self.metrics, events))

    @rpc
    def call_stats(self, from_=None, to=None):
        """CallStats over a period (dates in China time, `to` inclusive, or aware
        date-times; default today), in total and per queue."""
        query = STATS_QUERY.load({k: v for k, v in (("from", from_), ("to", to)) if v})
        with self.db.transaction() as tx:
            return CALL_STATS.dump(contacts.call_stats(tx, self.principal, query))

    # -- knowledge base 知识库 (T9) --------------------------------------------------------
    @rpc
    def kb_create_category(self, data):
        """The new KbCategory, under `parent_id` when given."""
        fields = KB_CATEGORY_IN.load(data)
        with self.db.transaction() as tx:
            return KB_CATEGORY.dump(knowledge.kb_create_category(tx, self.principal, fields))

    @rpc
    def kb_categories(self):
        """{"categories": [KbCategory]}, by name (a tree through parent_id)."""
        with self.db.transaction() as tx:
            return KB_CATEGORIES.dump(knowledge.kb_categories(tx, self.principal))

    @rpc
    def kb_create_article(self, data):
        """The new KbArticle, version 1 (a draft unless status says otherwise)."""
        fields = ARTICLE_IN.load(data)
        with self.db.transaction() as tx:
            return ARTICLE.dump(knowledge.kb_create_article(tx, self.principal, fields))

    @rpc
    def kb_article(self, article_id):
        """The KbArticle with its current version number (drafts and archived ones:
        editors only)."""
        article_id = parse_id(article_id, "article")
        with self.db.transaction() as tx:
            return ARTICLE.dump(knowledge.kb_article(tx, self.principal, article_id))

    @rpc
    def kb_update_article(self, article_id, data):
        """The KbArticle edited: its next version (who, when, title, body)."""
        patch = ARTICLE_PATCH.load(data)
        article_id = parse_id(article_id, "article")
        with self.db.transaction() as tx:
            return ARTICLE.dump(knowledge.kb_update_article(tx, self.principal, article_id,
                                                            patch))

    @rpc
    def kb_publish(self, article_id):
        """The KbArticle published (a new version, same content; published: as is)."""
        article_id = parse_id(article_id, "article")
        with self.db.transaction() as tx:
            return ARTICLE.dump(knowledge.kb_publish(tx, self.principal, article_id))

    @rpc
    def kb_versions(self, article_id):
        """{"versions": [KbVersionBrief]}, newest first."""
        article_id = parse_id(article_id, "article")
        with self.db.transaction() as tx:
            return VERSIONS.dump(knowledge.kb_versions(tx, self.principal, article_id))

    @rpc
    def kb_version(self, article_id, number):
        """One version in full (KbVersion)."""
        article_id = parse_id(article_id, "article")
        with self.db.transaction() as tx:
            return VERSION.dump(knowledge.kb_version(tx, self.principal, article_id, number))

    @rpc
    def kb_search(self, query):
        """Articles for ?q= (Chinese words, best first), or without q newest first with
        keyset paging: {"articles": [KbArticleBrief], "next": cursor or null}."""
        query = SEARCH_QUERY.load(query)
        with self.db.transaction() as tx:
            return ARTICLES.dump(knowledge.kb_search(tx, self.principal, query))

    @rpc
    def kb_suggest(self, text, kind=None, category_id=None, limit=5):
        """Published articles for what is being typed into a ticket, best first:
        {"articles": [...]}."""
        query = SUGGEST_QUERY.load({"text": text, "kind": kind, "category_id": category_id,
                                    "limit": limit})
        with self.db.transaction() as tx:
            return ARTICLES.dump(knowledge.kb_suggest(tx, self.principal, query))

    @rpc
    def kb_link(self, ticket_id, article_id):
        """A published article linked to a ticket (from a consultation it counts as
        asked): {"articles": [...]} of the ticket."""
        article_id = str(LINK_IN.load({"article_id": article_id})["article_id"])
        ticket_id = parse_id(ticket_id, "ticket")
        with self.db.transaction() as tx:
            return ARTICLES.dump(knowledge.kb_link(tx, self.principal, ticket_id, article_id))

    @rpc
    def kb_unlink(self, ticket_id, article_id):
        """A link removed (and its count as asked): {"articles": [...]} of the ticket."""
        article_id = str(LINK_IN.load({"article_id": article_id})["article_id"])
        ticket_id = parse_id(ticket_id, "ticket")
        with self.db.transaction() as tx:
            return ARTICLES.dump(knowledge.kb_unlink(tx, self.principal, ticket_id,
                                                     article_id))

    @rpc
    def kb_ticket_articles(self, ticket_id):
        """The articles linked to a ticket, last linked first: {"articles": [...]}."""
        ticket_id = parse_id(ticket_id, "ticket")
        with self.db.transaction() as tx:
            return ARTICLES.dump(knowledge.kb_ticket_articles(tx, self.principal, ticket_id))

    @rpc
    def kb_article_tickets(self, article_id, before=None, limit=20):
        """The tickets an article is linked to, last linked first, keyset paged:
        {"tickets": [KbTicketBrief], "next"}."""
        page = KB_PAGE.load({"before": before, "limit": limit})
        article_id = parse_id(article_id, "article")
        with self.db.transaction() as tx:
            return KB_TICKETS.dump(knowledge.kb_article_tickets(tx, self.principal,
                                                                article_id, page))

    @rpc
    def kb_ranking(self, query):
        """KbRanking: the most asked consultation topics over [from, to] (days in China),
        articles by linked consultation tickets, categories by ticket count."""
        query = RANKING_QUERY.load(query)
        with self.db.transaction() as tx:
            return RANKING.dump(knowledge.kb_ranking(tx, self.principal, query))

    # -- overview: the screen pop's part (C3, T8) -----------------------------------------
    @rpc
    def customer_overview(self, customer_id, limit=10):
        """{"open_tickets", "recent_tickets", "contacts"} of a customer, newest first."""
        query = OVERVIEW_QUERY.load({"customer_id": customer_id, "limit": limit})
        return OVERVIEW.dump(overview.customer_overview(self.db, self.principal,
                                                        self.customers, query))

    # -- report feed: the report service's system identity only (issue 13) --------------
    @rpc
    def report_tickets(self, page=None):
        """ReportTickets: every ticket's snapshot by id after `after` (limit 1..1000,
        default 500), {"tickets", "next"}; `next` null on the last page."""
        page = REPORT_PAGE.load(page or {})
        with self.db.transaction() as tx:
            return REPORT_TICKETS.dump(report_feed.report_tickets(tx, self.principal, page))

    @rpc
    def report_ticket_counts(self, query):
        """ReportCounts: by China day x kind over [from, to] (at most 400 days), tickets
        created, resolved, closed, cancelled, reopened, repeats and breaches."""
        query = COUNTS_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return REPORT_COUNTS.dump(report_feed.report_ticket_counts(tx, self.principal,
                                                                       query))

    @rpc
    def report_calls(self, page=None):
        """ReportCalls: every call's events by call id after `after` (limit 1..1000,
        default 500), {"calls", "next"}; `next` null on the last page."""
        page = CALLS_PAGE.load(page or {})
        with self.db.transaction() as tx:
            return REPORT_CALLS.dump(report_feed.report_calls(tx, self.principal, page))

    @rpc
    def report_contacts(self, page=None):
        """ReportContacts: every contact (no customer, IVR path nor note) by id after
        `after` (limit 1..1000, default 500), {"contacts", "next"}."""
        page = REPORT_PAGE.load(page or {})
        with self.db.transaction() as tx:
            return REPORT_CONTACTS.dump(report_feed.report_contacts(tx, self.principal, page))

    @rpc
    def report_call_counts(self, query):
        """ReportCallCounts: by China day over [from, to] (at most 400 days), calls
        offered (on their offered day), answered, abandoned, and outbound phone
        contacts."""
        query = COUNTS_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return REPORT_CALL_COUNTS.dump(report_feed.report_call_counts(
                tx, self.principal, query))

    @rpc
    def report_dispatches(self, page=None):
        """ReportDispatches: every field job with what its handling record counts, by
        dispatch id after `after` (limit 1..1000, default 500), {"dispatches", "next"}."""
        page = DISPATCHES_PAGE.load(page or {})
        with self.db.transaction() as tx:
            return REPORT_DISPATCHES.dump(report_field.report_dispatches(
                tx, self.principal, page))

    @rpc
    def report_dispatch_counts(self, query):
        """ReportDispatchCounts: by China day over [from, to] (at most 400 days), field
        jobs dispatched, handled (done, by finish) and their fees in fen."""
        query = COUNTS_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return REPORT_DISPATCH_COUNTS.dump(report_field.report_dispatch_counts(
                tx, self.principal, query))

    # -- what a customer's lifecycle does to tickets, jobs and contacts (C4, C6, C8) -----
    @on_event("customer", "customer_classified")
    def learn_customer_level(self, event):
        """C4: the level the customer's tickets, contacts and jobs inherit from now on
        (the newest word kept: events may come late)."""
        classified = CUSTOMER_CLASSIFIED.load(event["data"])
        occurred_at = ENVELOPE.load(event)["occurred_at"]
        with self.db.transaction() as tx:
            reading.customer_classified(tx, classified, occurred_at)

    @on_event("customer", "customer_destroyed")
    def anonymise_destroyed_customer(self, event):
        """C6: the customer's tickets keep serial, kind, dates and statistics and lose
        the person (content redacted); later tickets for it are refused."""
        destroyed = CUSTOMER_DESTROYED.load(event["data"])
        with self.db.transaction() as tx:
            tickets.customer_destroyed(tx, destroyed["customer_id"])

    @on_event("customer", "customer_destroyed")
    def anonymise_dispatches_of_destroyed_customer(self, event):
        """C6: the destroyed customer's dispatch addresses and notes become '[已销毁]'."""
        destroyed = CUSTOMER_DESTROYED.load(event["data"])
        with self.db.transaction() as tx:
            dispatch.customer_destroyed(tx, destroyed["customer_id"])

    @on_event("customer", "customer_destroyed")
    def anonymise_contacts_of_destroyed_customer(self, event):
        """C6: the destroyed customer's contact notes and linked callers' numbers become
        '[已销毁]'; contacts logged for it later are refused."""
        destroyed = CUSTOMER_DESTROYED.load(event["data"])
        with self.db.transaction() as tx:
            contacts.customer_destroyed(tx, destroyed["customer_id"])

    @on_event("customer", "customer_merged")
    def repoint_merged_customer(self, event):
        """C8: the tickets of a merged-away customer now belong to the survivor."""
        merged = CUSTOMER_MERGED.load(event["data"])
        with self.db.transaction() as tx:
            tickets.customer_merged(tx, merged["merged_id"], merged["survivor_id"])

    @on_event("customer", "customer_merged")
    def repoint_contacts_of_merged_customer(self, event):
        """C8: the merged-away customer's contacts now belong to the survivor."""
        merged = CUSTOMER_MERGED.load(event["data"])
        with self.db.transaction() as tx:
            contacts.customer_merged(tx, merged["merged_id"], merged["survivor_id"])


SERVICE = TicketService

"""The notify service 消息通知: templates, single and bulk sends to customers by SMS and
email, group robots and webhooks, preferences, the staff inbox (N1–N5).

Each operation: load with its contract schema, one handler, dump.  The index of
operations and events is contract/__init__.py; the wire formats of the providers are
in docs/providers.md.  Timers: one sender per channel (handlers/sender.py), the bulk
filler (handlers/batches.py), holiday greetings (handlers/greetings.py) — each safe
with several replicas (row locks with SKIP LOCKED, a shared pace row, unique keys).
"""
from nameko.dependency_providers import Config
from nameko.timer import timer

from services.common.db import Database
from services.common.events import on_event
from services.common.health import HealthCheck
from services.common.identity import Identity
from services.common.ids import parse_id
from services.common.metrics import Metrics
from services.common.rpc import proxy, rpc_entrypoints
from services.notify import contract
from services.notify.contract import callbacks as callback_schemas
from services.notify.contract import greetings as greeting_schemas
from services.notify.contract import inbox as schemas
from services.notify.contract import preferences as preference_schemas
from services.notify.contract import report_feed as feed_schemas
from services.notify.contract import sends as send_schemas
from services.notify.contract import targets as target_schemas
from services.notify.contract import templates as template_schemas
from services.notify.dependencies import Channels
from services.notify.handlers import (
    batches,
    callbacks,
    events,
    greetings,
    inbox,
    preferences,
    report_feed,
    sender,
    sends,
    survey_links,
    targets,
    templates,
)
from services.report.contract.daily_report import DailyReport
from services.survey.contract import events as survey_events
from services.ticket.contract import events as ticket_events

rpc = rpc_entrypoints(contract.CONTRACT)
# Schema instances are reused: building one per call costs more than the dump itself.
INBOX_QUERY, INBOX, ITEM = schemas.InboxQuery(), schemas.Inbox(), schemas.InboxItem()
TEMPLATE_IN, TEMPLATE = template_schemas.TemplateIn(), template_schemas.Template()
TEMPLATE_QUERY, TEMPLATES = template_schemas.TemplateQuery(), template_schemas.TemplateList()
PREVIEW_IN, PREVIEW = template_schemas.PreviewIn(), template_schemas.Preview()
SEND_IN, MESSAGE = send_schemas.SendIn(), send_schemas.Message()
MESSAGE_QUERY, MESSAGES = send_schemas.MessageQuery(), send_schemas.MessagePage()
BATCH_IN, BATCH = send_schemas.BatchIn(), send_schemas.Batch()
BATCH_QUERY, BATCHES = send_schemas.BatchQuery(), send_schemas.BatchList()
PREFS, PREFS_IN = preference_schemas.Preferences(), preference_schemas.PreferencesIn()
SETTINGS, SETTINGS_IN = preference_schemas.Settings(), preference_schemas.SettingsIn()
TARGET_IN, TARGET = target_schemas.TargetIn(), target_schemas.Target()
TARGETS = target_schemas.TargetList()
GREETING_IN, GREETING = greeting_schemas.GreetingIn(), greeting_schemas.Greeting()
GREETINGS = greeting_schemas.GreetingList()
CALLBACK_IN, CALLBACK = callback_schemas.CallbackIn(), callback_schemas.CallbackAnswer()
TICKET_CREATED, TICKET_ROUTED = ticket_events.TicketCreated(), ticket_events.TicketRouted()
TICKET_DISPATCHED = ticket_events.TicketDispatched()
TICKET_STATUS = ticket_events.TicketStatusChanged()
TICKET_SLA_BREACHED = ticket_events.TicketSlaBreached()
FOLLOWUP_CREATED, FOLLOWUP_DUE_SOON, FOLLOWUP_MISSED = (
    survey_events.FollowupCreated(), survey_events.FollowupDueSoon(),
    survey_events.FollowupMissed())
TICKET_REMINDER_DUE = ticket_events.TicketReminderDue()
INVITATION_ACCEPTED = survey_events.CampaignInvitationAccepted()
DAILY_REPORT = DailyReport()
FEED_PAGE, FEED = feed_schemas.ReportNotificationsPage(), feed_schemas.ReportNotifications()
FEED_COUNTS_QUERY = feed_schemas.ReportNotificationCountsQuery()
FEED_COUNTS = feed_schemas.ReportNotificationCounts()


class NotifyService(HealthCheck):
    name = contract.SERVICE

    db = Database()
    principal = Identity()
    metrics = Metrics()
    channels = Channels()
    config = Config()
    customers = proxy("customer")
    surveys = proxy("survey")  # personal survey links in the message after a resolution

    # -- templates (N2) ----------------------------------------------------------------
    @rpc
    def save_template(self, data):
        """The next version of a template (the first is 1): its variables must be exactly
        those the body and subject use; SMS ones carry the provider's template code and
        sign name, and answer their length in characters and billed parts."""
        fields = TEMPLATE_IN.load(data or {})
        with self.db.transaction() as tx:
            return TEMPLATE.dump(templates.save_template(tx, self.principal, fields))

    @rpc
    def templates(self, query=None):
        """Current versions (or all_versions), by name: {"templates": [...]}."""
        query = TEMPLATE_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return TEMPLATES.dump(templates.templates(tx, query))

    @rpc
    def get_template(self, template_id):
        template_id = parse_id(template_id, "template")
        with self.db.transaction() as tx:
            return TEMPLATE.dump(templates.get_template(tx, template_id))

    @rpc
    def retire_template(self, template_id):
        """No new send may use this version; queued messages keep it."""
        template_id = parse_id(template_id, "template")
        with self.db.transaction() as tx:
            return TEMPLATE.dump(templates.retire_template(tx, template_id))

    @rpc
    def preview_template(self, template_id, data=None):
        """The template rendered with the given values (all declared, no others)."""
        template_id = parse_id(template_id, "template")
        params = PREVIEW_IN.load(data or {})["params"]
        with self.db.transaction() as tx:
            return PREVIEW.dump(templates.preview(tx, template_id, params))

    # -- sends (N1, N3) ------------------------------------------------------------------
    @rpc
    def send(self, data, idempotency_key=None):
        """One message queued to a customer (their first phone / email), a phone or an
        email address, with the template's current version; a repeated Idempotency-Key
        answers the first message."""
        fields = SEND_IN.load(data or {})
        return MESSAGE.dump(sends.send(self.db, self.principal, self.customers, fields,
                                       idempotency_key))

    @rpc
    def get_message(self, message_id):
        """A message's status (queued, sending, sent, delivered, failed, skipped) and why."""
        message_id = parse_id(message_id, "message")
        return MESSAGE.dump(sends.get_message(self.db, self.principal, self.customers,
                                              message_id))

    @rpc
    def messages(self, query=None):
        """A customer's messages or a batch's, newest first, keyset paged."""
        query = MESSAGE_QUERY.load(query or {})
        return MESSAGES.dump(sends.messages(self.db, self.principal, self.customers, query))

    @rpc
    def create_batch(self, data, idempotency_key=None):
        """A bulk send accepted at once: to a customer segment (streamed from the customer
        service) or a list; its recipients are queued in the background."""
        fields = BATCH_IN.load(data or {})
        return BATCH.dump(batches.create_batch(self.db, self.principal, fields,
                                               idempotency_key))

    @rpc
    def get_batch(self, batch_id):
        """A batch with its progress: messages by status, skips by reason."""
        batch_id = parse_id(batch_id, "batch")
        return BATCH.dump(batches.get_batch(self.db, batch_id))

    @rpc
    def batches(self, query=None):
        query = BATCH_QUERY.load(query or {})
        return BATCHES.dump(batches.batches(self.db, query))

    # -- preferences (N4) ------------------------------------------------------------------
    @rpc
    def preferences(self, customer_id):
        customer_id = parse_id(customer_id, "customer")
        return PREFS.dump(preferences.preferences(self.db, self.customers, customer_id))

    @rpc
    def set_preference(self, customer_id, data):
        """Opt a customer out of a channel (marketing or all), or back in (scope null)."""
        customer_id = parse_id(customer_id, "customer")
        fields = PREFS_IN.load(data or {})
        return PREFS.dump(preferences.set_preference(self.db, self.principal, self.customers,
                                                     customer_id, fields))

    @rpc
    def settings(self):
        return SETTINGS.dump(preferences.settings(self.db))

    @rpc
    def update_settings(self, data):
        """Quiet hours and the marketing caps."""
        fields = SETTINGS_IN.load(data or {})
        return SETTINGS.dump(preferences.update_settings(self.db, self.principal, fields))

    # -- robots, webhooks and greetings (N1, N5) -------------------------------------------
    @rpc
    def targets(self):
        return TARGETS.dump(targets.targets(self.db))

    @rpc
    def save_target(self, data):
        """A group robot or outgoing webhook (by name: saved again, replaced)."""
        return TARGET.dump(targets.save_target(self.db, TARGET_IN.load(data or {})))

    @rpc
    def greetings(self):
        return GREETINGS.dump(greetings.greetings(self.db))

    @rpc
    def save_greeting(self, data):
        """A holiday greeting: a template to a segment on the holiday's first day."""
        fields = GREETING_IN.load(data or {})
        return GREETING.dump(greetings.save_greeting(self.db, self.principal, fields))

    # -- provider callbacks: receipts and uplink (signed by the provider) -----------------
    @rpc
    def provider_callback(self, data):
        """A provider's delivery receipts or customers' replies (退订/TD opts out)."""
        fields = CALLBACK_IN.load(data or {})
        return CALLBACK.dump(callbacks.provider_callback(self.db, self.channels.providers,
                                                         fields))

    # -- the senders, the filler, greetings (timers; notify's system identity) ------------
    @timer(interval=0.25)
    def send_sms(self):
        return self._work("sms")

    @timer(interval=0.5)
    def send_email(self):
        return self._work("email")

    @timer(interval=1)
    def send_robot(self):
        return self._work("robot")

    @timer(interval=1)
    def send_webhook(self):
        return self._work("webhook")

    def _work(self, name: str) -> int:
        adapter = self.channels.adapters.get(name)
        if adapter is None:
            return 0
        return sender.work(self.db, adapter, self.customers, self.channels.paces[name],
                           self.channels.lease, self.metrics)

    @timer(interval=0.5)
    def fill_batches(self):
        return batches.fill(self.db, self.customers)

    @timer(interval=0.5)
    def fill_survey_links(self):
        """Messages waiting for their survey link get it (asked again with back-off
        while the survey service cannot answer)."""
        return survey_links.fill(self.db, self.surveys, self.config["PUBLIC_BASE_URL"])

    @timer(interval=60)
    def holiday_greetings(self):
        return greetings.send_due(self.db)

    # -- the staff inbox: reading it --------------------------------------------------
    @rpc
    def inbox(self, limit=50, unread=False):
        """The caller's own inbox, newest first: {"items": [...]}."""
        query = INBOX_QUERY.load({"limit": limit, "unread": unread})
        with self.db.transaction() as tx:
            return INBOX.dump(inbox.inbox(tx, self.principal, query))

    @rpc
    def mark_read(self, item_id):
        """Mark one of one's own notices read; anyone else's is NotFound."""
        item_id = parse_id(item_id, "notice")
        with self.db.transaction() as tx:
            return ITEM.dump(inbox.mark_read(tx, self.principal, item_id))

    # -- the report feed (issue 13): the report's system identity only -------------------
    @rpc
    def report_notifications(self, page=None):
        """ReportNotifications: every message's outcome (no address nor content) by id
        after `after` (limit 1..1000, default 500), {"notifications", "next"}; `next`
        null on the last page."""
        page = FEED_PAGE.load(page or {})
        with self.db.transaction() as tx:
            return FEED.dump(report_feed.report_notifications(tx, page))

    @rpc
    def report_notification_counts(self, query):
        """ReportNotificationCounts: per China day (the message's creation) and channel
        over [from, to] (at most 400 days): sent, delivered, undelivered, failed,
        skipped."""
        query = FEED_COUNTS_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return FEED_COUNTS.dump(report_feed.report_notification_counts(tx, query))

    # -- ticket events: the inbox, customers' messages, robots and webhooks (N5) -------
    @on_event("report", "daily_report")
    def send_daily_report(self, event):
        """The 日报 e-mailed to the set addresses (its curve attached); subscribed robots
        and webhooks."""
        data = DAILY_REPORT.load(event["data"])
        with self.db.transaction() as tx:
            events.daily_report(tx, event["event_id"], data)

    @on_event("ticket", "ticket_created")
    def notify_acceptor(self, event):
        """The acceptor of a new ticket; subscribed robots and webhooks."""
        data = TICKET_CREATED.load(event["data"])
        with self.db.transaction() as tx:
            inbox.ticket_created(tx, event["event_id"], data)
            events.to_targets(tx, event["event_id"], "ticket_created", data)

    @on_event("ticket", "ticket_assigned")
    def notify_assigned(self, event):
        """The new handler(s) of an assigned ticket; subscribed robots and webhooks."""
        data = TICKET_ROUTED.load(event["data"])
        with self.db.transaction() as tx:
            inbox.ticket_routed(tx, event["event_id"], "ticket_assigned", data)
            events.to_targets(tx, event["event_id"], "ticket_assigned", data)

    @on_event("ticket", "ticket_transferred")
    def notify_transferred(self, event):
        """The new handler(s) of a transferred ticket; subscribed robots and webhooks."""
        data = TICKET_ROUTED.load(event["data"])
        with self.db.transaction() as tx:
            inbox.ticket_routed(tx, event["event_id"], "ticket_transferred", data)
            events.to_targets(tx, event["event_id"], "ticket_transferred", data)

    @on_event("ticket", "ticket_dispatched")
    def notify_dispatched(self, event):
        """The field staff member (address and window); the customer's SMS with the
        appointment window; subscribed robots and webhooks."""
        job = TICKET_DISPATCHED.load(event["data"])
        cp = events.contact_point(self.customers, job["customer_id"],
                                  f"派工通知 {job['serial']}")
        with self.db.transaction() as tx:
            inbox.ticket_dispatched(tx, event["event_id"], job)
            events.to_customer(tx, event["event_id"], cp, "dispatch_appointment", ("sms",),
                               events.dispatched_values(job), job.get("level", 0))
            events.to_targets(tx, event["event_id"], "ticket_dispatched", job)

    @on_event("ticket", "ticket_resolved")
    def notify_resolved(self, event):
        """The customer: by email when they have an address, else by SMS, with a
        personal survey link (the message waits for it: handlers/survey_links.py)."""
        ticket = TICKET_STATUS.load(event["data"])
        cp = events.contact_point(self.customers, ticket["customer_id"],
                                  f"解决通知 {ticket['serial']}")
        link = events.resolution_link(ticket, self.config.get("RESOLUTION_SURVEY") or "")
        with self.db.transaction() as tx:
            events.to_customer(tx, event["event_id"], cp, "ticket_resolved", ("email", "sms"),
                               events.resolved_values(ticket), ticket.get("level", 0), link)
            events.to_targets(tx, event["event_id"], "ticket_resolved", ticket)

    @on_event("ticket", "ticket_closed")
    def notify_closed(self, event):
        """Subscribed robots and webhooks."""
        data = TICKET_STATUS.load(event["data"])
        with self.db.transaction() as tx:
            events.to_targets(tx, event["event_id"], "ticket_closed", data)

    @on_event("ticket", "ticket_sla_breached")
    def notify_breached(self, event):
        """The supervisors (or managers) an SLA breach was escalated to; robots."""
        data = TICKET_SLA_BREACHED.load(event["data"])
        with self.db.transaction() as tx:
            inbox.ticket_sla_breached(tx, event["event_id"], data)
            events.to_targets(tx, event["event_id"], "ticket_sla_breached", data)

    @on_event("ticket", "ticket_reminder_due")
    def notify_reminder(self, event):
        """The staff member who set a reminder that fell due."""
        with self.db.transaction() as tx:
            inbox.ticket_reminder_due(tx, event["event_id"],
                                      TICKET_REMINDER_DUE.load(event["data"]))

    # -- follow-ups (the survey service, V1) ------------------------------------------------
    @on_event("survey", "followup_created")
    def notify_followup_created(self, event):
        """The assignee of a new follow-up task."""
        with self.db.transaction() as tx:
            inbox.followup_event(tx, event["event_id"], "followup_created",
                                 FOLLOWUP_CREATED.load(event["data"]))

    @on_event("survey", "followup_due_soon")
    def notify_followup_due_soon(self, event):
        """The assignee of a follow-up about to fall due."""
        with self.db.transaction() as tx:
            inbox.followup_event(tx, event["event_id"], "followup_due_soon",
                                 FOLLOWUP_DUE_SOON.load(event["data"]))

    @on_event("survey", "followup_missed")
    def notify_followup_missed(self, event):
        """The supervisors (or managers) a missed follow-up was escalated to."""
        with self.db.transaction() as tx:
            inbox.followup_event(tx, event["event_id"], "followup_missed",
                                 FOLLOWUP_MISSED.load(event["data"]))


    # -- campaigns (the survey service, V5) ----------------------------------------------
    @on_event("survey", "campaign_invitation_accepted")
    def notify_invitation_accepted(self, event):
        """The customer's SMS with the check-in code, once per invitation (keyed by the
        payload's event id, which survey keeps the same for the invitation)."""
        invitation = INVITATION_ACCEPTED.load(event["data"])
        cp = events.contact_point(self.customers, invitation["customer_id"],
                                  f"活动签到码 {invitation['theme']}"[:100])
        with self.db.transaction() as tx:
            events.to_customer(tx, invitation["event_id"], cp, "campaign_checkin", ("sms",),
                               events.invitation_values(invitation), invitation["level"])


SERVICE = NotifyService

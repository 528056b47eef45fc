"""The notify service 消息通知 — its contract index: every RPC and every event.

Areas, each with its schemas in its own module:
  templates    (N2) named, versioned templates per channel and locale — contract/templates.py
  sends        (N1, N3) one message, bulk batches with progress, status — contract/sends.py
  preferences  (N4) opt-outs per customer and channel; quiet hours and caps — contract/preferences.py
  targets      (N1, N5) group robots and outgoing webhooks — contract/targets.py
  greetings    (N5) holiday greetings on the mainland calendar — contract/greetings.py
  callbacks    provider receipts and uplink (signed by the provider) — contract/callbacks.py
  inbox        (N1) the staff inbox — contract/inbox.py
  events       what it publishes — contract/events.py
  report_feed  (issue 13) what the report's system identity reads to rebuild and check
               its notification rollups — contract/report_feed.py

`roles` is who may call (the service's @rpc takes them from here); errors are
besides Unauthenticated and Forbidden, which any call may answer.
"""
from services.common.contracts import Consumes, Contract, Event, Operation
from services.common.errors import Conflict, Invalid, NotFound, Unauthenticated
from services.notify.contract.callbacks import CallbackAnswer, CallbackIn
from services.notify.contract.events import NotificationOutcome
from services.notify.contract.greetings import Greeting, GreetingIn, GreetingList
from services.notify.contract.inbox import Inbox, InboxItem, InboxQuery
from services.notify.contract.preferences import Preferences, PreferencesIn, Settings, SettingsIn
from services.notify.contract.report_feed import (
    ReportNotificationCounts,
    ReportNotificationCountsQuery,
    ReportNotifications,
    ReportNotificationsPage,
)
from services.notify.contract.sends import (
    Batch,
    BatchIn,
    BatchList,
    BatchQuery,
    Message,
    MessagePage,
    MessageQuery,
    SendIn,
)
from services.notify.contract.targets import Target, TargetIn, TargetList
from services.notify.contract.templates import (
    Preview,
    PreviewIn,
    Template,
    TemplateIn,
    TemplateList,
    TemplateQuery,
)
from services.vocabulary import (
    ADMINS,
    AUDITOR,
    FRONT_LINE,
    MANAGERS_UP,
    STAFF,
    SUPERVISORS_UP,
)

SERVICE = "notify"

TEMPLATE_EDITORS = SUPERVISORS_UP | ADMINS
SENDERS = FRONT_LINE                      # one message to one customer
BULK_SENDERS = SUPERVISORS_UP             # a segment or a list
MESSAGE_READERS = FRONT_LINE | {AUDITOR}
SETTINGS_EDITORS = MANAGERS_UP | ADMINS
NOBODY: frozenset = frozenset()           # no staff: a system identity named on the line

CONTRACT = Contract(
    SERVICE,
    operations=[
        #         name                roles             input          output          errors
        # -- templates (N2)
        Operation("save_template",    TEMPLATE_EDITORS, TemplateIn,    Template,       (Invalid,)),
        Operation("templates",        STAFF,            TemplateQuery, TemplateList,   (Invalid,)),
        Operation("get_template",     STAFF,            None,          Template,       (NotFound,)),
        Operation("retire_template",  TEMPLATE_EDITORS, None,          Template,       (NotFound,)),
        Operation("preview_template", STAFF,            PreviewIn,     Preview,        (Invalid, NotFound)),
        # -- sends (N1, N3)
        Operation("send",             SENDERS,          SendIn,        Message,        (Invalid, NotFound)),
        Operation("get_message",      MESSAGE_READERS,  None,          Message,        (NotFound,)),
        Operation("messages",         MESSAGE_READERS,  MessageQuery,  MessagePage,    (Invalid, NotFound)),
        Operation("create_batch",     BULK_SENDERS,     BatchIn,       Batch,          (Invalid, NotFound)),
        Operation("get_batch",        BULK_SENDERS,     None,          Batch,          (NotFound,)),
        Operation("batches",          BULK_SENDERS,     BatchQuery,    BatchList,      (Invalid,)),
        # -- preferences (N4)
        Operation("preferences",      STAFF,            None,          Preferences,    (NotFound,)),
        Operation("set_preference",   FRONT_LINE,       PreferencesIn, Preferences,    (Invalid, NotFound)),
        Operation("settings",         STAFF,            None,          Settings),
        Operation("update_settings",  SETTINGS_EDITORS, SettingsIn,    Settings,       (Invalid,)),
        # -- robots and webhooks (N1, N5)
        Operation("targets",          ADMINS,           None,          TargetList),
        Operation("save_target",      ADMINS,           TargetIn,      Target,         (Invalid, Conflict)),
        Operation("greetings",        BULK_SENDERS,     None,          GreetingList),
        Operation("save_greeting",    BULK_SENDERS,     GreetingIn,    Greeting,       (Invalid,)),
        # -- provider callbacks: public, authenticated by the provider's signature
        Operation("provider_callback", None,            CallbackIn,    CallbackAnswer, (Invalid, Unauthenticated)),
        # -- the staff inbox (N1)
        Operation("inbox",            STAFF,            InboxQuery,    Inbox,          (Invalid,)),
        Operation("mark_read",        STAFF,            None,          InboxItem,      (NotFound,)),
        # -- the report feed (issue 13): the report's system identity only
        Operation("report_notifications", NOBODY, ReportNotificationsPage, ReportNotifications, (Invalid,), system=frozenset({"report"})),
        Operation("report_notification_counts", NOBODY, ReportNotificationCountsQuery, ReportNotificationCounts, (Invalid,), system=frozenset({"report"})),
    ],
    events=[
        Event("notification_sent",   NotificationOutcome),  # the provider took it
        Event("notification_failed", NotificationOutcome),  # permanent error, given up, undelivered, skipped
        Event("notification_delivered", NotificationOutcome),  # the receipt said delivered
    ],
    consumes=[
        # each a reliable handler: one inbox notice per recipient per event, and one
        # message per (event, recipient, channel) to customers, robots and webhooks
        Consumes("report", "daily_report"),         # -> the set addresses by e-mail; robots
        Consumes("ticket", "ticket_created"),       # -> the acceptor; robots/webhooks
        Consumes("ticket", "ticket_assigned"),      # -> each of notify_staff_ids; robots
        Consumes("ticket", "ticket_transferred"),   # -> each of notify_staff_ids; robots
        Consumes("ticket", "ticket_dispatched"),    # -> field staff; the customer's SMS; robots
        Consumes("ticket", "ticket_resolved"),      # -> the customer (email, else SMS)
        Consumes("ticket", "ticket_closed"),        # -> robots/webhooks
        Consumes("ticket", "ticket_sla_breached"),  # -> the supervisors (or managers); robots
        Consumes("ticket", "ticket_reminder_due"),  # -> who set the reminder
        Consumes("survey", "followup_created"),     # -> the assignee
        Consumes("survey", "followup_due_soon"),    # -> the assignee
        Consumes("survey", "followup_missed"),      # -> the supervisors (or managers)
        Consumes("survey", "campaign_invitation_accepted"),  # -> the customer's check-in SMS
    ],
)

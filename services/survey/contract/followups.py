"""Follow-ups 回访 (V1, V2): rules, tasks, attempts — the schemas of their operations, and
the vocabularies (units, statuses, why a call did not reach, satisfaction) other areas
and the gateway use.  Every text and list is bounded."""
import datetime

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from services.common.zone import CHINA
from services.ticket.contract.tickets import AFTER_SALES_TYPES, KINDS

DELAY_UNITS = ("hours", "days")
# What makes a rule's tasks: a ticket resolved (or closed), or a field job recorded done.
TRIGGERS = ("resolved", "dispatch_handled")
STATUSES = ("open", "done", "missed")
OUTCOMES = ("reached", "unreachable", "erased")  # erased: the customer was destroyed (C6)
# Why a call did not reach the customer (a bounded vocabulary, reported as such).
NOT_REACHED = ("no_answer", "busy", "wrong_number", "refused", "other")
SATISFACTION = ("very_satisfied", "satisfied", "neutral", "dissatisfied", "very_dissatisfied")
VIEWS = ("open", "due_today", "overdue", "done", "missed")  # my_followups
MAX_NOTES = 2000
MAX_LIST = 100
MAX_DELAY = {"hours": 24 * 90, "days": 90}
# A rule's delay is at least 1 (hour or day): a task due at the resolution itself (even
# Saturday 23:00) would be missed two seconds later.
MIN_DELAY = 1
CALL_AGAIN_DAYS = 366  # "call again on": tomorrow to a year from today (China)
_ID = validate.Length(min=1, max=64)
_NAME = validate.Length(min=1, max=100)


def _call_again_day(day: datetime.date) -> None:
    """Tomorrow to CALL_AGAIN_DAYS from today, in China: a past day would make a task
    due (and missed, escalated) at once."""
    today = datetime.datetime.now(CHINA).date()
    last = today + datetime.timedelta(days=CALL_AGAIN_DAYS)
    if not today < day <= last:
        raise ValidationError(f"from tomorrow to {last.isoformat()}")


def _ids(**kwargs) -> fields.List:
    return fields.List(fields.String(validate=_ID), validate=validate.Length(max=MAX_LIST),
                       **kwargs)


class RuleIn(Schema):
    """A follow-up rule.  It follows up a resolved (or closed) ticket when the ticket
    passes every filter given — kinds, after-sales subtypes (of the ticket's category),
    categories, the agent who handled it (assignee_ids), VIP customers only — and, with
    `share_percent`, when the ticket falls in that reproducible share of them (chosen
    from hash(rule, ticket), not at random).  `rest_only`: only tickets no other active
    rule follows up ("a random x% of the rest").  The task is due `delay_amount` (at
    least 1) business hours or business days after resolution (mainland calendar), and
    goes to the least busy agent of `group_name`, or to `agent_id`.  `trigger`: the
    ticket resolved (or closed; the default), or its field job recorded done
    (`dispatch_handled`: the task is due after the job, and assignee_ids filter the
    field staff member who did it).  Rules of one trigger do not see the other's:
    a `rest_only` rule takes x% of what no other rule of its own trigger takes, so a
    ticket may have a field-job call and a resolution call."""

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=_NAME)
    active = fields.Boolean(load_default=True)
    kinds = fields.List(fields.String(validate=validate.OneOf(KINDS)), load_default=list,
                        validate=validate.Length(max=len(KINDS)))
    subtypes = fields.List(fields.String(validate=validate.OneOf(AFTER_SALES_TYPES)),
                           load_default=list, validate=validate.Length(max=len(AFTER_SALES_TYPES)))
    category_ids = _ids(load_default=list)
    assignee_ids = _ids(load_default=list)
    vip_only = fields.Boolean(load_default=False)
    share_percent = fields.Decimal(places=2, allow_none=True, load_default=None, as_string=True,
                                   allow_nan=False,
                                   validate=validate.Range(min=0, max=100, min_inclusive=False))
    rest_only = fields.Boolean(load_default=False)
    delay_amount = fields.Integer(required=True,
                                  validate=validate.Range(min=MIN_DELAY, max=24 * 90))
    delay_unit = fields.String(load_default="days", validate=validate.OneOf(DELAY_UNITS))
    group_name = fields.String(allow_none=True, load_default=None, validate=_ID)
    agent_id = fields.String(allow_none=True, load_default=None, validate=_ID)
    trigger = fields.String(load_default="resolved", validate=validate.OneOf(TRIGGERS))

    @validates_schema
    def _whole(self, data, partial=False, **kwargs):
        check_rule(data, partial)


def check_rule(data: dict, partial=False) -> None:
    """Who takes the tasks, and a delay within bounds (also for an update's merge)."""
    if not partial and not data.get("group_name") and not data.get("agent_id"):
        raise ValidationError("give the follow-up group or a named agent", "group_name")
    unit, amount = data.get("delay_unit"), data.get("delay_amount")
    if unit in MAX_DELAY and amount is not None and amount > MAX_DELAY[unit]:
        raise ValidationError(f"at most {MAX_DELAY[unit]} {unit}", "delay_amount")


class RuleUpdate(RuleIn):
    """Any field of a rule; the rest stay."""

    name = fields.String(validate=_NAME)
    delay_amount = fields.Integer(validate=validate.Range(min=MIN_DELAY, max=24 * 90))
    delay_unit = fields.String(validate=validate.OneOf(DELAY_UNITS))

    def load(self, data, **kwargs):  # every field optional: no defaults filled in
        return super().load(data, partial=True, **kwargs)


class Rule(Schema):
    id = fields.String()
    name = fields.String()
    active = fields.Boolean()
    kinds = fields.List(fields.String())
    subtypes = fields.List(fields.String())
    category_ids = fields.List(fields.String())
    assignee_ids = fields.List(fields.String())
    vip_only = fields.Boolean()
    share_percent = fields.Decimal(as_string=True, allow_none=True)
    rest_only = fields.Boolean()
    delay_amount = fields.Integer()
    delay_unit = fields.String()
    group_name = fields.String(allow_none=True)
    agent_id = fields.String(allow_none=True)
    trigger = fields.String()
    created_by = fields.String()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class RuleQuery(Schema):
    class Meta:
        unknown = RAISE

    active_only = fields.Boolean(load_default=False)


class RuleList(Schema):
    rules = fields.List(fields.Nested(Rule))


# -- tasks -----------------------------------------------------------------------------

class Attempt(Schema):
    """One call made on a task; `notes` and `service_note` are empty when withheld."""

    id = fields.String()
    number = fields.Integer()
    staff_id = fields.String()
    reached = fields.Boolean()
    reason = fields.String(allow_none=True)
    notes = fields.String()
    satisfaction = fields.String(allow_none=True)
    call_again_on = fields.Date(allow_none=True)
    needs_service = fields.Boolean()
    service_note = fields.String()
    new_ticket_id = fields.String(allow_none=True)
    next_task_id = fields.String(allow_none=True)
    at = fields.AwareDateTime()


class Task(Schema):
    """A follow-up task.  `level` is the customer's confidentiality level, copied when
    the task was made; of a task above the reader's clearance the notes (its own and its
    attempts') are withheld and `content_withheld` is true."""

    id = fields.String()
    rule_id = fields.String(allow_none=True)
    previous_task_id = fields.String(allow_none=True)
    ticket_id = fields.String()
    ticket_serial = fields.String()
    ticket_kind = fields.String()
    category_id = fields.String(allow_none=True)
    customer_id = fields.String()
    level = fields.Integer()
    groups = fields.List(fields.String())
    assignee_id = fields.String(allow_none=True)
    status = fields.String()
    outcome = fields.String(allow_none=True)
    resolved_at = fields.AwareDateTime()
    due_at = fields.AwareDateTime()
    missed_at = fields.AwareDateTime(allow_none=True)
    completed_at = fields.AwareDateTime(allow_none=True)
    attempts = fields.Integer()
    satisfaction = fields.String(allow_none=True)
    notes = fields.String()
    new_ticket_id = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    content_withheld = fields.Boolean()
    attempt_log = fields.List(fields.Nested(Attempt))


class TaskQuery(Schema):
    """my_followups: one view of the caller's tasks, by due time (done: newest first)."""

    class Meta:
        unknown = RAISE

    view = fields.String(load_default="open", validate=validate.OneOf(VIEWS))
    cursor = fields.String(allow_none=True, load_default=None,
                           validate=validate.Length(max=200))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ScopeQuery(TaskQuery):
    """list_followups: the tasks of the caller's scope (a supervisor's groups, every
    task for managers up), optionally of one group or one agent."""

    group = fields.String(allow_none=True, load_default=None, validate=_ID)
    assignee_id = fields.String(allow_none=True, load_default=None, validate=_ID)


class CustomerTaskQuery(Schema):
    class Meta:
        unknown = RAISE

    cursor = fields.String(allow_none=True, load_default=None,
                           validate=validate.Length(max=200))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class TaskPage(Schema):
    tasks = fields.List(fields.Nested(Task))
    next = fields.String(allow_none=True)


class TaskList(Schema):
    tasks = fields.List(fields.Nested(Task))


class AttemptIn(Schema):
    """A call on a task.  Not reached: why (required), and the task stays open for the
    next attempt (the next business day, or `call_again_on`) until the last allowed
    attempt, which ends it `unreachable`.  Reached: satisfaction, notes; the task is
    done; `call_again_on` makes the next task (linked to this one); `needs_service`
    opens a new ticket in the ticket service (what for: `service_note`) and needs an
    Idempotency-Key, so that a retry finishes opening it."""

    class Meta:
        unknown = RAISE

    reached = fields.Boolean(required=True)
    reason = fields.String(allow_none=True, load_default=None,
                           validate=validate.OneOf(NOT_REACHED))
    notes = fields.String(load_default="", validate=validate.Length(max=MAX_NOTES))
    satisfaction = fields.String(allow_none=True, load_default=None,
                                 validate=validate.OneOf(SATISFACTION))
    call_again_on = fields.Date(allow_none=True, load_default=None,
                                validate=_call_again_day,
                                metadata={"description": "tomorrow to 366 days from "
                                                         "today (China)"})
    needs_service = fields.Boolean(load_default=False)
    service_note = fields.String(load_default="", validate=validate.Length(max=MAX_NOTES))

    @validates_schema
    def _consistent(self, data, **kwargs):
        if not data["reached"]:
            if not data.get("reason"):
                raise ValidationError("say why the call did not reach", "reason")
            if data.get("satisfaction"):
                raise ValidationError("only a reached customer rates", "satisfaction")
            if data.get("needs_service"):
                raise ValidationError("only a reached customer asks for service",
                                      "needs_service")
        elif data.get("reason"):
            raise ValidationError("a reached call has no reason", "reason")
        if data.get("needs_service") and not data.get("service_note"):
            raise ValidationError("say what needs doing", "service_note")


class Recorded(Schema):
    """The task after the attempt, and the attempt."""

    task = fields.Nested(Task)
    attempt = fields.Nested(Attempt)

"""Kinds, categories and their forms (T1), the repeat rules (T3), and the ticket's
detail and update (T2, T4): what callers send and what they get back."""
import re

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from services.ticket.contract.pages import list_of
from services.ticket.contract.tickets import (
    AFTER_SALES_TYPES,
    KINDS,
    MAX_FORM_FIELDS,
    URGENCIES,
    Ticket,
    TicketContact,
    TrailEntry,
    form_values,
)

FIELD_TYPES = ("text", "number", "date", "datetime", "choice", "multi_choice", "address",
               "phone", "boolean")
CHOICE_TYPES = ("choice", "multi_choice")
# min/max mean: a number's value, a text's or address's length, how many of a multi_choice.
BOUNDED_TYPES = ("number", "text", "address", "multi_choice")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_FIELDS = MAX_FORM_FIELDS
MAX_TEXT = 2000  # a text or address value's length when the form sets no max


class FormField(Schema):
    """One field of a category's form."""

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Regexp(
        FIELD_NAME, error="lower-case letters, digits and _, starting with a letter"))
    label = fields.String(load_default="", validate=validate.Length(max=100))
    type = fields.String(required=True, validate=validate.OneOf(FIELD_TYPES))
    required = fields.Boolean(load_default=False)
    choices = fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                          validate=validate.Length(min=1, max=200))
    min = fields.Decimal(allow_nan=False, as_string=False, allow_none=True)
    max = fields.Decimal(allow_nan=False, as_string=False, allow_none=True)

    @validates_schema
    def _consistent(self, data, **kwargs):
        kind = data.get("type")
        if kind in CHOICE_TYPES:
            if not data.get("choices"):
                raise ValidationError("a choice field needs its choices", "choices")
            if len(set(data["choices"])) != len(data["choices"]):
                raise ValidationError("choices repeat", "choices")
        elif "choices" in data:
            raise ValidationError("only choice and multi_choice fields have choices", "choices")
        for bound in ("min", "max"):
            if data.get(bound) is not None and kind not in BOUNDED_TYPES:
                raise ValidationError(f"{kind} fields take no {bound}", bound)
            if (data.get(bound) is not None and kind != "number"
                    and (data[bound] < 0 or data[bound] != int(data[bound]))):
                raise ValidationError("a length or count is a whole number >= 0", bound)
        if data.get("min") is not None and data.get("max") is not None \
                and data["min"] > data["max"]:
            raise ValidationError("min is above max", "min")


def _unique_names(form: list) -> None:
    names = [f["name"] for f in form]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValidationError(f"field names repeat: {', '.join(twice)}", "form")


def subtype_fits(kind: str | None, subtype: str | None) -> None:
    if kind == "after_sales" and not subtype:
        raise ValidationError(f"after-sales needs one of {', '.join(AFTER_SALES_TYPES)}",
                              "subtype")
    if kind and kind != "after_sales" and subtype:
        raise ValidationError("only after-sales categories have a subtype", "subtype")


class CategoryIn(Schema):
    class Meta:
        unknown = RAISE

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    subtype = fields.String(allow_none=True, load_default=None,
                            validate=validate.OneOf(AFTER_SALES_TYPES))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    form = fields.List(fields.Nested(FormField), load_default=list,
                       validate=validate.Length(max=MAX_FIELDS))
    active = fields.Boolean(load_default=True)

    @validates_schema
    def _consistent(self, data, **kwargs):
        subtype_fits(data.get("kind"), data.get("subtype"))
        _unique_names(data.get("form") or [])


class CategoryUpdate(Schema):
    """What may change: the kind may not (tickets of it point here)."""

    class Meta:
        unknown = RAISE

    subtype = fields.String(allow_none=True, validate=validate.OneOf(AFTER_SALES_TYPES))
    name = fields.String(validate=validate.Length(min=1, max=100))
    form = fields.List(fields.Nested(FormField), validate=validate.Length(max=MAX_FIELDS))
    active = fields.Boolean()

    @validates_schema
    def _consistent(self, data, **kwargs):
        _unique_names(data.get("form") or [])


class Category(Schema):
    id = fields.String()
    kind = fields.String()
    subtype = fields.String(allow_none=True)
    name = fields.String()
    form = fields.List(fields.Dict())
    active = fields.Boolean()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class CategoryQuery(Schema):
    class Meta:
        unknown = RAISE

    kind = fields.String(validate=validate.OneOf(KINDS))
    include_inactive = fields.Boolean(load_default=False)


CategoryList = list_of(Category, "categories", "CategoryList")


class RepeatRule(Schema):
    """T3 per kind: earlier tickets of the customer accepted within `window_days`
    (inclusive: exactly window_days before counts) of the same category, or with
    content at least `threshold` similar (pg_trgm), are what a new ticket repeats."""

    class Meta:
        unknown = RAISE

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    window_days = fields.Integer(required=True, validate=validate.Range(min=0, max=365))
    threshold = fields.Float(required=True, validate=validate.Range(min=0.1, max=1.0))


RepeatRules = list_of(RepeatRule, "rules", "RepeatRules")


class TicketUpdate(Schema):
    """The fields an update may carry; anything else is refused before this loads."""

    class Meta:
        unknown = RAISE

    subject = fields.String(allow_none=True, validate=validate.Length(max=200))
    form = form_values()
    contact = fields.Nested(TicketContact, allow_none=True)
    urgency = fields.String(validate=validate.OneOf(URGENCIES))
    fee = fields.Decimal(allow_nan=False, as_string=True,
                         validate=validate.Range(min=0, max=9999999999.99))
    paid = fields.Boolean()
    category_id = fields.UUID(allow_none=True)


class RepeatRef(Schema):
    id = fields.String()
    serial = fields.String()
    accepted_at = fields.AwareDateTime()


class Handler(Schema):
    """Who handles the ticket now: the assignee if any, else the group."""

    handler = fields.String(allow_none=True)  # "staff:<id>" / "group:<name>"
    assignee_id = fields.String(allow_none=True)
    group_name = fields.String(allow_none=True)
    display_name = fields.String(allow_none=True)


class TicketDetail(Schema):
    class Meta:
        unknown = EXCLUDE

    ticket = fields.Nested(Ticket)
    category = fields.Nested(Category, allow_none=True)
    trail = fields.List(fields.Nested(TrailEntry))
    handler = fields.Nested(Handler)
    repeats = fields.List(fields.Nested(RepeatRef))
    actions = fields.List(fields.String(), metadata={
        "description": "what the workflow allows the caller now (accept, in_progress, "
                       "waiting, resolved, closed, reopen, cancelled, transfer, dispatch, "
                       "remind); each is checked again when asked"})

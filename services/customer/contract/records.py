"""Customer records (C1–C5): the card and the archive, phones and assets, lookup,
classification, borrowing requests, the access log and custom fields; the kinds,
classes and levels other areas use."""
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates_schema,
)

from services.common.fields import Json, PhoneNumber
from services.customer.contract.levels import LEVELS

KINDS = ("person", "organization")
LIFECYCLES = ("potential", "normal", "declining", "lost")  # 潜在/正常/衰退/流失
CREDIT_CLASSES = ("A", "B", "C", "D")
GENDERS = ("male", "female", "unknown")
MARITAL = ("single", "married", "divorced", "widowed", "unknown")
ASSET_KINDS = ("product", "vehicle")
CUSTOM_TYPES = ("text", "number", "date", "choice", "boolean")
TEXT = validate.Length(max=2000)
SHORT = validate.Length(max=200)
ID = validate.Length(max=64)  # a customer's uuid, a staff member's id
# Custom field values (an admin defines the keys): an object of scalars, bounded as a
# whole (issue 9, finding 2); domain.records.check_custom checks each against its
# definition (text up to 2000 characters).
MAX_CUSTOM_CHARS = 50_000


def _short(**kw):
    return fields.String(validate=SHORT, **kw)


class Address(Schema):
    kind = fields.String(load_default="home", validate=validate.OneOf(
        ("home", "work", "office", "billing", "delivery", "other")))
    region = _short(load_default="")
    text = fields.String(required=True, validate=validate.Length(min=1, max=500))
    postcode = fields.String(load_default="", validate=[validate.Length(max=6),
                                                        validate.Regexp(r"^(\d{6})?$")])


class PersonProfile(Schema):
    gender = fields.String(validate=validate.OneOf(GENDERS))
    birth_date = fields.Date()
    occupation = _short()
    education = _short()
    marital_status = fields.String(validate=validate.OneOf(MARITAL))


class BusinessStatus(Schema):
    sales_record = fields.String(validate=TEXT)
    cooperation_attitude = fields.String(validate=TEXT)
    competitors = fields.String(validate=TEXT)


class OrganizationProfile(Schema):
    industry = _short()
    staff_count = fields.Integer(validate=validate.Range(min=0))
    revenue = fields.Decimal(places=2, as_string=True, validate=validate.Range(min=0))
    founded = fields.Date()
    trading_since = fields.Date()
    assets = fields.String(validate=TEXT)
    qualifications = fields.List(_short(), validate=validate.Length(max=50))
    structure = fields.String(validate=TEXT)
    business_status = fields.Nested(BusinessStatus)
    problems = fields.String(validate=TEXT)
    strengths = fields.String(validate=TEXT)


class KeyPerson(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    title = _short(load_default="")
    phone = PhoneNumber(allow_none=True, load_default=None)
    decision_maker = fields.Boolean(load_default=False)
    notes = fields.String(load_default="", validate=TEXT)


class Credit(Schema):
    limit = fields.Decimal(places=2, as_string=True, allow_none=True,
                           validate=validate.Range(min=0))
    problems = fields.String(validate=TEXT)


class AssetIn(Schema):
    kind = fields.String(load_default="product", validate=validate.OneOf(ASSET_KINDS))
    product = fields.String(required=True, validate=validate.Length(min=1, max=200))
    model = _short(load_default="")
    serial = fields.String(allow_none=True, load_default=None,
                           validate=validate.Length(min=1, max=64))
    plate = fields.String(allow_none=True, load_default=None,
                          validate=validate.Length(min=1, max=16))
    purchased_on = fields.Date(allow_none=True, load_default=None)
    warranty_end = fields.Date(allow_none=True, load_default=None)


class CustomerFields(Schema):
    """Everything a create or update may carry (which of it a role may write is
    decided by domain.records.writable_fields)."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    phones = fields.List(PhoneNumber(), validate=validate.Length(max=10))
    emails = fields.List(fields.Email(validate=validate.Length(max=254)),
                         validate=validate.Length(max=10))
    region = _short()
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=50)),
                       validate=validate.Length(max=50))
    grade = fields.String(validate=validate.Length(min=1, max=30))
    lifecycle = fields.String(validate=validate.OneOf(LIFECYCLES))
    credit_class = fields.String(allow_none=True, validate=validate.OneOf(CREDIT_CLASSES))
    credit = fields.Nested(Credit)
    person = fields.Nested(PersonProfile)
    organization = fields.Nested(OrganizationProfile)
    addresses = fields.List(fields.Nested(Address), validate=validate.Length(max=20))
    key_people = fields.List(fields.Nested(KeyPerson), validate=validate.Length(max=50))
    notes = fields.String(validate=validate.Length(max=10000))
    custom = Json(max_length=MAX_CUSTOM_CHARS, max_depth=2, object_only=True)


class CustomerCreate(CustomerFields):
    kind = fields.String(load_default="person", validate=validate.OneOf(KINDS))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    assets = fields.List(fields.Nested(AssetIn), load_default=list,
                         validate=validate.Length(max=50))

    @validates_schema
    def _profile_matches_kind(self, data, **kwargs):
        other = "organization" if data.get("kind", "person") == "person" else "person"
        if other in data:
            raise ValidationError(f"only for kind {other}", other)


class CustomerUpdate(CustomerFields):
    pass


class Classification(Schema):
    level = fields.Integer(required=True, validate=validate.OneOf(LEVELS))
    declassify_at = fields.AwareDateTime(allow_none=True, load_default=None)
    declassify_to = fields.Integer(allow_none=True, load_default=None,
                                   validate=validate.OneOf(LEVELS))
    owner_id = fields.String(allow_none=True, validate=validate.Length(min=1, max=64))
    owner_group = fields.String(allow_none=True, validate=validate.Length(min=1, max=64))
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))

    @validates_schema
    def _declassification(self, data, **kwargs):
        at, to = data.get("declassify_at"), data.get("declassify_to")
        if (at is None) != (to is None):
            raise ValidationError("give declassify_at and declassify_to together",
                                  "declassify_at" if at is None else "declassify_to")
        if to is not None and to >= data["level"]:
            raise ValidationError("must be lower than level", "declassify_to")


class Phone(Schema):
    masked = fields.String()
    ext = fields.String(allow_none=True)


class FullPhone(Schema):
    e164 = fields.String()
    ext = fields.String(allow_none=True)


class Asset(Schema):
    id = fields.String()
    kind = fields.String()
    product = fields.String()
    model = fields.String()
    serial = fields.String(allow_none=True)
    plate = fields.String(allow_none=True)
    purchased_on = fields.Date(allow_none=True)
    warranty_end = fields.Date(allow_none=True)
    in_warranty = fields.Boolean()
    last_visit_on = fields.Date(allow_none=True)  # the last workshop visit (DMS import)


class Archive(Schema):
    person = fields.Dict(allow_none=True)
    organization = fields.Dict(allow_none=True)
    emails = fields.List(fields.String())
    addresses = fields.List(fields.Dict())
    key_people = fields.List(fields.Dict())
    credit = fields.Dict()
    notes = fields.String()
    custom = fields.Dict()


class Customer(Schema):
    """The card (for every staff member) and the archive (null unless cleared)."""

    id = fields.String()
    number = fields.String()
    kind = fields.String()
    name = fields.String()
    phones = fields.List(fields.Nested(Phone))
    level = fields.Integer()
    level_name = fields.String()
    effective_level = fields.Integer()
    declassify_at = fields.AwareDateTime(allow_none=True)
    declassify_to = fields.Integer(allow_none=True)
    grade = fields.String()
    lifecycle = fields.String()
    credit_class = fields.String(allow_none=True)
    region = fields.String()
    tags = fields.List(fields.String())
    owner_id = fields.String(allow_none=True)
    owner_group = fields.String(allow_none=True)
    assets = fields.List(fields.Nested(Asset))
    last_contact_at = fields.AwareDateTime(allow_none=True)
    reviewed_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    version = fields.Integer()
    destroyed = fields.Boolean()
    archive = fields.Nested(Archive, allow_none=True)
    archive_withheld = fields.String(allow_none=True)


class LookupQuery(Schema):
    """Exactly one key: phone (any written form), email, number, plate or serial."""

    phone = PhoneNumber()
    email = fields.String(validate=validate.Length(min=3, max=254))
    number = fields.String(validate=validate.Length(min=1, max=32))
    plate = fields.String(validate=validate.Length(min=1, max=16))
    serial = fields.String(validate=validate.Length(min=1, max=64))

    @pre_load
    def _bare_phone(self, data, **kwargs):
        """A bare string is a phone number (the telephony's screen pop)."""
        return {"phone": data} if isinstance(data, str) else data

    @validates_schema
    def _exactly_one(self, data, **kwargs):
        if len(data) != 1:
            raise ValidationError("give exactly one of phone, email, number, plate, serial",
                                  "_query")


class LookupResult(Schema):
    matches = fields.List(fields.Nested(Customer))
    view = fields.Nested(Customer, allow_none=True)


class ArchiveReadingIn(Schema):
    """Another service opening what it holds of a customer (a ticket's content, C4):
    why (written to the borrowing log) and what it opens (the log row's detail)."""

    reason = fields.String(load_default="", validate=validate.Length(max=500))
    subject = Json(max_length=500, max_depth=2, object_only=True, load_default=dict)


class ArchiveReading(Schema):
    """The customer service's decision for the caller: allowed or not, and why."""

    allowed = fields.Boolean()
    reason = fields.String()
    level = fields.Integer()


class UnmaskRequest(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))


class HistoryEntry(Schema):
    id = fields.Integer()
    at = fields.AwareDateTime()
    actor_id = fields.String()
    actor_name = fields.String()
    action = fields.String()
    field = fields.String()
    old = fields.Raw(allow_none=True)
    new = fields.Raw(allow_none=True)


class ReviewDueQuery(Schema):
    months = fields.Integer(load_default=3, validate=validate.Range(min=1, max=120))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class AccessRequestIn(Schema):
    customer_id = fields.UUID(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))
    hours = fields.Integer(required=True, validate=validate.Range(min=1, max=168))


class AccessDecisionIn(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "reject")))


class AccessRequest(Schema):
    id = fields.String()
    customer_id = fields.String()
    requester_id = fields.String()
    requester_name = fields.String()
    reason = fields.String()
    hours = fields.Integer()
    status = fields.String()
    decided_by = fields.String(allow_none=True)
    decided_at = fields.AwareDateTime(allow_none=True)
    expires_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()


class AccessLogEntry(Schema):
    seq = fields.Integer()
    at = fields.AwareDateTime()
    actor_id = fields.String()
    actor_name = fields.String()
    customer_id = fields.String(allow_none=True)
    action = fields.String()
    level = fields.Integer(allow_none=True)
    fields_read = fields.List(fields.String(), data_key="fields", attribute="fields")
    reason = fields.String()
    detail = fields.Dict()


class CustomFieldIn(Schema):
    key = fields.String(required=True, validate=[validate.Length(max=40), validate.Regexp(
        r"^[a-z][a-z0-9_]{0,39}$", error="lower-case letters, digits and _, up to 40")])
    label = fields.String(required=True, validate=validate.Length(min=1, max=100))
    type = fields.String(required=True, validate=validate.OneOf(CUSTOM_TYPES))
    choices = fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                          load_default=list, validate=validate.Length(max=200))
    required = fields.Boolean(load_default=False)
    active = fields.Boolean(load_default=True)

    @validates_schema
    def _choices(self, data, **kwargs):
        if data["type"] == "choice" and not data["choices"]:
            raise ValidationError("a choice field needs choices", "choices")


class CustomField(CustomFieldIn):
    pass


# ---- lists and pages (the wrappers replies travel in) ------------------------------

class CustomerList(Schema):
    customers = fields.List(fields.Nested(Customer))


class History(Schema):
    entries = fields.List(fields.Nested(HistoryEntry))


class FullPhones(Schema):
    phones = fields.List(fields.Nested(FullPhone))


class AccessRequestList(Schema):
    requests = fields.List(fields.Nested(AccessRequest))


class AccessLogPage(Schema):
    entries = fields.List(fields.Nested(AccessLogEntry))
    next = fields.String(allow_none=True, metadata={"description": "null: last page; else "
                                                                   "the `before` of the next"})


class CustomFieldList(Schema):
    fields_ = fields.List(fields.Nested(CustomField), data_key="fields", attribute="fields")


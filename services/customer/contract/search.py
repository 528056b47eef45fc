"""Fuzzy search, duplicates and merge (C8), segments (C9): what callers send and get
(the operations, their roles and errors: the index, contract/__init__.py).

Lists in HTTP query strings are comma separated (`lifecycle=declining,lost`).
"""

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from services.common.fields import Moment
from services.customer.contract.levels import LEVELS
from services.customer.contract.records import CREDIT_CLASSES, KINDS, LIFECYCLES, Customer

MAX_PAGE = 1000


class CommaList(fields.List):
    """A list, also accepted as one comma-separated string (HTTP query strings)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        return super()._deserialize(value, attr, data, **kwargs)


class SearchQuery(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=100))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))

    @pre_load
    def _bare_text(self, data, **kwargs):
        """A bare string is the text searched for."""
        return {"q": data} if isinstance(data, str) else data


class SearchResult(Schema):
    kind = fields.String(metadata={"description": "how the query was read: name, pinyin, "
                                                  "phone or number"})
    customers = fields.List(fields.Nested(Customer))


class DuplicatesQuery(Schema):
    customer_id = fields.UUID(metadata={"description": "only the duplicates of this customer"})
    created_after = Moment(metadata={"description": "scan only customers created since then "
                                                    "(their duplicates may be older)"})
    cursor = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    scan = fields.Integer(load_default=500, validate=validate.Range(min=1, max=5000),
                          metadata={"description": "customers examined by this page at most"})


class DuplicatePair(Schema):
    customer = fields.Nested(Customer, metadata={"description": "the older record: the "
                                                                "suggested survivor"})
    duplicate = fields.Nested(Customer, metadata={"description": "the newer record"})
    reasons = fields.List(fields.String(), metadata={"description": "phone, name, pinyin"})
    score = fields.Float()
    name_similarity = fields.Float(allow_none=True)
    shared_phones = fields.List(fields.String(), metadata={"description": "masked"})


class DuplicatesPage(Schema):
    pairs = fields.List(fields.Nested(DuplicatePair))
    cursor = fields.String(allow_none=True, metadata={"description": "null: scan complete"})
    scanned = fields.Integer()


class MergeIn(Schema):
    merge_id = fields.UUID(required=True)
    reason = fields.String(load_default="", validate=validate.Length(max=500))


class MergeResult(Schema):
    survivor = fields.Nested(Customer)
    merged_id = fields.String()
    moved = fields.Dict(keys=fields.String(), values=fields.Integer())
    filled = fields.List(fields.String())


class SegmentQuery(Schema):
    kind = fields.String(validate=validate.OneOf(KINDS))
    credit_class = CommaList(fields.String(validate=validate.OneOf(CREDIT_CLASSES)),
                             validate=validate.Length(max=10))
    lifecycle = CommaList(fields.String(validate=validate.OneOf(LIFECYCLES)),
                          validate=validate.Length(max=10))
    level = CommaList(fields.Integer(validate=validate.OneOf(LEVELS)),
                      validate=validate.Length(max=10),
                      metadata={"description": "effective level (after declassification)"})
    grade = CommaList(fields.String(validate=validate.Length(min=1, max=30)),
                      validate=validate.Length(max=20))
    region = fields.String(validate=validate.Length(min=1, max=200),
                           metadata={"description": "prefix: 广东 matches 广东省深圳市"})
    tags_all = CommaList(fields.String(validate=validate.Length(min=1, max=50)),
                         validate=validate.Length(max=20))
    tags_any = CommaList(fields.String(validate=validate.Length(min=1, max=50)),
                         validate=validate.Length(max=20))
    product = fields.String(validate=validate.Length(min=1, max=200),
                            metadata={"description": "owns an asset of this product or model"})
    no_contact_months = fields.Integer(
        validate=validate.Range(min=1, max=600),
        metadata={"description": "last contact older than N months, or never"})
    no_visit_months = fields.Integer(
        validate=validate.Range(min=1, max=600),
        metadata={"description": "no workshop visit (DMS) in the last N months, or never"})
    last_visit_before = fields.Date(
        metadata={"description": "visited the workshop, but not since this day"})
    created_after = Moment()
    created_before = Moment()
    cursor = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=MAX_PAGE))
    count = fields.Boolean(load_default=False,
                           metadata={"description": "also count the whole segment"})

    @validates_schema
    def _period(self, data, **kwargs):
        after, before = data.get("created_after"), data.get("created_before")
        if after is not None and before is not None and after >= before:
            raise ValidationError("must be later than created_after", "created_before")


class SegmentPage(Schema):
    customers = fields.List(fields.Nested(Customer))
    cursor = fields.String(allow_none=True, metadata={"description": "null: last page"})
    total = fields.Integer(allow_none=True)


# ---- reaching customers (notify, N1/N3): full contact points, for its system identity --

class ContactPointsQuery(Schema):
    """The customers one notification goes to (≤ 500), and why (the borrowing log's
    reason)."""

    customer_ids = fields.List(fields.UUID(), required=True,
                               validate=validate.Length(min=1, max=500))
    purpose = fields.String(required=True, validate=validate.Length(min=1, max=200))


class ContactPoint(Schema):
    """Where a customer can be reached: the first phone and the first email, in full."""

    id = fields.String()
    name = fields.String()
    level = fields.Integer(metadata={"description": "effective confidentiality level"})
    phone = fields.String(allow_none=True, metadata={"description": "E.164"})
    email = fields.String(allow_none=True)


class ContactPoints(Schema):
    customers = fields.List(fields.Nested(ContactPoint))


class SegmentContactsQuery(SegmentQuery):
    """A segment page (the same filters and cursor as `segment`) as contact points."""

    purpose = fields.String(required=True, validate=validate.Length(min=1, max=200))
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=MAX_PAGE))


class SegmentContactsPage(Schema):
    customers = fields.List(fields.Nested(ContactPoint))
    cursor = fields.String(allow_none=True, metadata={"description": "null: last page"})
    total = fields.Integer(allow_none=True)

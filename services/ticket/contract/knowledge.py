"""The knowledge base 知识库 (T9): categories, articles and their versions, search and
suggestions, links to tickets, the ranking.  Drafts and archived articles are for the
editors (contract.EDITORS) only."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.ticket.contract.pages import list_of, page_cursor, page_size
from services.ticket.contract.tickets import KINDS

STATUSES = ("draft", "published", "archived")


def _tags(**kwargs):
    return fields.List(fields.String(validate=validate.Length(min=1, max=40)),
                       validate=validate.Length(max=20), **kwargs)


class KbCategoryIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    parent_id = fields.UUID(load_default=None, allow_none=True)


class KbCategory(Schema):
    id = fields.String()
    parent_id = fields.String(allow_none=True)
    name = fields.String()
    created_at = fields.AwareDateTime()


KbCategoryList = list_of(KbCategory, "categories", "KbCategoryList")


class KbArticleIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body = fields.String(load_default="", validate=validate.Length(max=50000))
    tags = _tags(load_default=list)
    category_id = fields.UUID(load_default=None, allow_none=True)
    ticket_kind = fields.String(load_default=None, allow_none=True,
                                validate=validate.OneOf(KINDS))
    ticket_category_id = fields.UUID(load_default=None, allow_none=True)
    status = fields.String(load_default="draft", validate=validate.OneOf(STATUSES))


class KbArticlePatch(Schema):
    """Any of the fields; `base_version`, when given, must be the current version
    (Conflict otherwise: someone else edited it meanwhile)."""

    title = fields.String(validate=validate.Length(min=1, max=200))
    body = fields.String(validate=validate.Length(max=50000))
    tags = _tags()
    category_id = fields.UUID(allow_none=True)
    ticket_kind = fields.String(allow_none=True, validate=validate.OneOf(KINDS))
    ticket_category_id = fields.UUID(allow_none=True)
    status = fields.String(validate=validate.OneOf(STATUSES))
    base_version = fields.Integer(validate=validate.Range(min=1))

    @validates_schema
    def not_empty(self, data, **kwargs):
        if not set(data) - {"base_version"}:
            raise ValidationError("give at least one field to change", "_body")


class KbArticle(Schema):
    id = fields.String()
    category_id = fields.String(allow_none=True)
    ticket_kind = fields.String(allow_none=True)
    ticket_category_id = fields.String(allow_none=True)
    title = fields.String()
    body = fields.String()
    tags = fields.List(fields.String())
    status = fields.String()
    version = fields.Integer()
    created_by = fields.String()
    created_at = fields.AwareDateTime()
    updated_by = fields.String()
    updated_at = fields.AwareDateTime()
    published_at = fields.AwareDateTime(allow_none=True)


class KbArticleBrief(Schema):
    id = fields.String()
    category_id = fields.String(allow_none=True)
    title = fields.String()
    snippet = fields.String()
    tags = fields.List(fields.String())
    status = fields.String()
    version = fields.Integer()
    updated_at = fields.AwareDateTime()
    linked_by = fields.String()
    linked_at = fields.AwareDateTime()


KbArticleList = list_of(KbArticleBrief, "articles", "KbArticleList", cursor="next")


class KbVersionBrief(Schema):
    version = fields.Integer()
    title = fields.String()
    status = fields.String()
    author_id = fields.String()
    at = fields.AwareDateTime()


KbVersionList = list_of(KbVersionBrief, "versions", "KbVersionList")


class KbVersion(KbVersionBrief):
    article_id = fields.String()
    body = fields.String()
    tags = fields.List(fields.String())


class KbSearchQuery(Schema):
    """?q= words to look for (none: newest first); category_id, status (editors),
    before (the `next` cursor of the previous page), limit."""

    q = fields.String(load_default="", validate=validate.Length(max=200))
    category_id = fields.UUID(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    before = page_cursor(100)
    limit = page_size(20, 50)


class KbSuggestQuery(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=10000))
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))
    category_id = fields.UUID(load_default=None)
    limit = page_size(5, 20)


class KbLinkIn(Schema):
    article_id = fields.UUID(required=True)


class KbTicketBrief(Schema):
    id = fields.String()
    serial = fields.String()
    kind = fields.String()
    status = fields.String()
    accepted_at = fields.AwareDateTime()
    linked_by = fields.String()
    linked_at = fields.AwareDateTime()


KbTicketList = list_of(KbTicketBrief, "tickets", "KbTicketList", cursor="next")


class KbPage(Schema):
    before = page_cursor(100)
    limit = page_size(20, 100)


class KbRankingQuery(Schema):
    """Days on the call center's calendar (Asia/Shanghai), both included."""

    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)
    limit = page_size(20, 100)

    @validates_schema
    def ordered(self, data, **kwargs):
        if data["to"] < data["from_"]:
            raise ValidationError("must not be before from", "to")
        if (data["to"] - data["from_"]).days > 366:
            raise ValidationError("at most a year", "to")


class KbRankedArticle(Schema):
    article_id = fields.String()
    title = fields.String()
    asked = fields.Integer()


class KbRankedCategory(Schema):
    category_id = fields.String()
    name = fields.String()
    tickets = fields.Integer()


class KbRanking(Schema):
    articles = fields.List(fields.Nested(KbRankedArticle))
    categories = fields.List(fields.Nested(KbRankedCategory))

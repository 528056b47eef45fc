"""Entrypoints of the ticket service: the knowledge base 知识库 (T9).

Articles in categories, draft / published / archived, every edit a version; search
and suggestions by jieba words (domain/knowledge.py says why), links to tickets, and
the ranking of the most asked consultation topics.  Mixed into TicketService.
"""
import datetime
import uuid

from nameko.extensions import DependencyProvider

from services.common.errors import Conflict, Invalid, NotFound
from services.common.rpc import AuthenticatedRpc
from services.ticket.contract import knowledge as contract
from services.ticket.domain import knowledge as domain
from services.ticket.store import knowledge as store
from services.ticket.store import trail
from services.vocabulary import ADMINS, OPERATORS, STAFF, SUPERVISORS_UP

rpc = AuthenticatedRpc.decorator  # transitional: roles move to the contract index (issue 8)

EDITORS = SUPERVISORS_UP | ADMINS
ARTICLE = contract.KbArticle()
ARTICLE_LIST = contract.KbArticleList()


class ChineseWords(DependencyProvider):
    """Loads jieba's dictionary when the service starts (about a second), so that no
    request pays for it; injects the domain's word functions."""

    def setup(self):
        domain.load_words()

    def get_dependency(self, worker_ctx):
        return domain


class KnowledgeEntrypoints:
    kb_words = ChineseWords()

    # ------------------------------------------------------------ categories
    @rpc(allow=EDITORS)
    def kb_create_category(self, data):
        """A category, under `parent_id` when given; KbCategory.  Invalid, NotFound
        (no such parent), Conflict (the name is taken under that parent)."""
        fields = contract.KbCategoryIn().load(data)
        with self.db.transaction() as tx:
            if fields["parent_id"] and not store.category_exists(tx.cur, fields["parent_id"]):
                raise NotFound("no such parent category", {"parent_id": ["not found"]})
            row = store.insert_category(tx.cur, fields["name"], fields["parent_id"])
        return contract.KbCategory().dump(row)

    @rpc(allow=STAFF)
    def kb_categories(self):
        """{"categories": [KbCategory]}, by name (a tree through parent_id)."""
        with self.db.transaction() as tx:
            rows = store.categories(tx.cur)
        return contract.KbCategoryList().dump({"categories": rows})

    # ------------------------------------------------------------ articles
    @rpc(allow=EDITORS)
    def kb_create_article(self, data):
        """A new article, version 1 (draft unless status says otherwise); KbArticle.
        Invalid, NotFound (category or ticket category)."""
        fields = contract.KbArticleIn().load(data)
        with self.db.transaction() as tx:
            self._check_categories(tx.cur, fields)
            row = store.insert_article(tx.cur, fields, *self._words(fields), self.principal.id)
            store.count_words(tx.cur, *domain.word_changes([], store.article_words(
                tx.cur, row["id"])))
        return ARTICLE.dump(row)

    @rpc(allow=STAFF)
    def kb_article(self, article_id):
        """The article with its current version number; KbArticle.  NotFound when it
        does not exist or is a draft / archived and the caller is no editor."""
        with self.db.transaction() as tx:
            row = store.article(tx.cur, self._id(article_id), self._statuses())
        if row is None:
            raise NotFound("no such article")
        return ARTICLE.dump(row)

    @rpc(allow=EDITORS)
    def kb_update_article(self, article_id, data):
        """Edit: the next version (who, when, title, body); KbArticle.  Invalid,
        NotFound, Conflict when `base_version` is not the current version."""
        patch = contract.KbArticlePatch().load(data)
        with self.db.transaction() as tx:
            current = store.article(tx.cur, self._id(article_id), domain.STATUSES, lock=True)
            if current is None:
                raise NotFound("no such article")
            if patch.get("base_version") not in (None, current["version"]):
                raise Conflict(f"the article is at version {current['version']}",
                               {"base_version": ["not the current version"]})
            changed = domain.changes(current, patch)
            if not changed:
                return ARTICLE.dump(current)
            fields = {**current, **changed}
            self._check_categories(tx.cur, changed)
            old_words = store.article_words(tx.cur, current["id"])
            row = store.update_article(tx.cur, current["id"], fields, *self._words(fields),
                                       self.principal.id)
            store.count_words(tx.cur, *domain.word_changes(
                old_words, store.article_words(tx.cur, row["id"])))
        return ARTICLE.dump(row)

    @rpc(allow=EDITORS)
    def kb_publish(self, article_id):
        """Publish (a new version with the same content; already published: as is)."""
        with self.db.transaction() as tx:
            current = store.article(tx.cur, self._id(article_id), domain.STATUSES, lock=True)
            if current is None:
                raise NotFound("no such article")
            if current["status"] == "published":
                return ARTICLE.dump(current)
            row = store.set_status(tx.cur, current["id"], "published", self.principal.id)
        return ARTICLE.dump(row)

    @rpc(allow=STAFF)
    def kb_versions(self, article_id):
        """{"versions": [KbVersionBrief]}, newest first; NotFound as kb_article."""
        with self.db.transaction() as tx:
            if store.article(tx.cur, self._id(article_id), self._statuses()) is None:
                raise NotFound("no such article")
            rows = store.versions(tx.cur, article_id)
        return contract.KbVersionList().dump({"versions": rows})

    @rpc(allow=STAFF)
    def kb_version(self, article_id, number):
        """One version in full (KbVersion); NotFound as kb_article or no such version."""
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise Invalid("bad version", {"version": ["must be a whole number from 1"]})
        with self.db.transaction() as tx:
            if store.article(tx.cur, self._id(article_id), self._statuses()) is None:
                raise NotFound("no such article")
            row = store.version(tx.cur, article_id, number)
        if row is None:
            raise NotFound("no such version")
        return contract.KbVersion().dump(row)

    @rpc(allow=STAFF)
    def kb_search(self, query):
        """Articles for ?q= (Chinese words, best first; a fragment jieba does not cut
        out falls back to titles containing it), or without q newest first with keyset
        paging: {"articles": [KbArticleBrief], "next": cursor or null}."""
        q = contract.KbSearchQuery().load(query)
        statuses = self._statuses()
        if q["status"]:
            statuses = tuple(s for s in statuses if s == q["status"])
        if not statuses:
            return ARTICLE_LIST.dump({"articles": [], "next": None})
        with self.db.transaction() as tx:
            if q["q"].strip():
                rows = self._find(tx.cur, q["q"], statuses, q["limit"],
                                  category_id=q["category_id"])
                return ARTICLE_LIST.dump({"articles": rows, "next": None})
            before = self._cursor(q["before"], "before")
            rows = store.list_articles(tx.cur, statuses, q["category_id"], before, q["limit"])
        last = rows[-1] if len(rows) == q["limit"] else None
        return ARTICLE_LIST.dump({"articles": rows, "next": domain.cursor(last, "updated_at")})

    @rpc(allow=STAFF)
    def kb_suggest(self, text, kind=None, category_id=None, limit=5):
        """Published articles for what is being typed into a ticket, best first: those
        of the ticket's category first, none meant for another kind.  {"articles": [...]}"""
        q = contract.KbSuggestQuery().load(
            {"text": text, "kind": kind, "category_id": category_id, "limit": limit})
        with self.db.transaction() as tx:
            rows = self._find(tx.cur, q["text"], ("published",), q["limit"], kind=q["kind"],
                              ticket_category_id=q["category_id"])
        return ARTICLE_LIST.dump({"articles": rows, "next": None})

    # ------------------------------------------------------------ links
    @rpc(allow=OPERATORS)
    def kb_link(self, ticket_id, article_id):
        """Link a published article to a ticket (again: no change); from a consultation
        it counts as asked.  {"articles": [...]} of the ticket.  NotFound, Invalid."""
        fields = contract.KbLinkIn().load({"article_id": article_id})
        with self.db.transaction() as tx:
            ticket = self._ticket(tx.cur, ticket_id)
            found = store.article(tx.cur, str(fields["article_id"]), ("published",))
            if found is None:
                raise NotFound("no such published article", {"article_id": ["not found"]})
            day = domain.asked_day(ticket["accepted_at"])
            if store.link(tx.cur, ticket, found["id"], day, self.principal.id):
                if ticket["kind"] == "consultation":
                    store.count_asked(tx.cur, day, found["id"], 1)
                trail.append(tx.cur, ticket["id"], self.principal.id, "kb_linked",
                             note=found["title"][:200])
            rows = store.articles_of_ticket(tx.cur, ticket["id"], self._statuses())
        return ARTICLE_LIST.dump({"articles": rows, "next": None})

    @rpc(allow=OPERATORS)
    def kb_unlink(self, ticket_id, article_id):
        """Remove a link (and its count as asked); {"articles": [...]} of the ticket.
        NotFound when the ticket or the link does not exist."""
        fields = contract.KbLinkIn().load({"article_id": article_id})
        with self.db.transaction() as tx:
            ticket = self._ticket(tx.cur, ticket_id)
            gone = store.unlink(tx.cur, ticket["id"], str(fields["article_id"]))
            if gone is None:
                raise NotFound("the article is not linked to this ticket")
            if gone["consultation"]:
                store.count_asked(tx.cur, gone["asked_on"], str(fields["article_id"]), -1)
            trail.append(tx.cur, ticket["id"], self.principal.id, "kb_unlinked",
                         note=str(fields["article_id"]))
            rows = store.articles_of_ticket(tx.cur, ticket["id"], self._statuses())
        return ARTICLE_LIST.dump({"articles": rows, "next": None})

    @rpc(allow=STAFF)
    def kb_ticket_articles(self, ticket_id):
        """The articles linked to a ticket, last linked first: {"articles": [...]}."""
        with self.db.transaction() as tx:
            ticket = self._ticket(tx.cur, ticket_id)
            rows = store.articles_of_ticket(tx.cur, ticket["id"], self._statuses())
        return ARTICLE_LIST.dump({"articles": rows, "next": None})

    @rpc(allow=STAFF)
    def kb_article_tickets(self, article_id, before=None, limit=20):
        """The tickets an article is linked to, last linked first, keyset paged:
        {"tickets": [KbTicketBrief], "next"}."""
        page = contract.KbPage().load({"before": before, "limit": limit})
        after = self._cursor(page["before"], "before")
        with self.db.transaction() as tx:
            if store.article(tx.cur, self._id(article_id), self._statuses()) is None:
                raise NotFound("no such article")
            rows = store.tickets_of_article(tx.cur, article_id, after, page["limit"])
        last = rows[-1] if len(rows) == page["limit"] else None
        return contract.KbTicketList().dump(
            {"tickets": rows, "next": domain.cursor(last, "linked_at")})

    @rpc(allow=STAFF)
    def kb_ranking(self, query):
        """The most asked consultation topics over [from, to] (days, Asia/Shanghai):
        articles by linked consultation tickets, and consultation categories by ticket
        count.  KbRanking; Invalid."""
        q = contract.KbRankingQuery().load(query)
        since = datetime.datetime.combine(q["from_"], datetime.time(), domain.CHINA)
        until = datetime.datetime.combine(q["to"] + datetime.timedelta(days=1),
                                          datetime.time(), domain.CHINA)
        with self.db.transaction() as tx:
            articles = store.most_asked_articles(tx.cur, q["from_"], q["to"], q["limit"])
            categories = store.most_asked_categories(tx.cur, since, until, q["limit"])
        return contract.KbRanking().dump({"articles": articles, "categories": categories})

    # ------------------------------------------------------------ helpers
    def _statuses(self):
        return domain.visible_statuses(domain.can_edit(self.principal, EDITORS))

    def _find(self, cur, text, statuses, limit, kind=None, ticket_category_id=None,
              category_id=None):
        words = self.kb_words.query_words(text)
        chosen = domain.selective_words(words, store.word_counts(cur, words))
        rows = []
        if chosen:  # the rarest words select, all of them rank
            rows = store.search_words(cur, domain.tsquery(chosen), statuses, limit, kind,
                                      ticket_category_id, category_id, domain.tsquery(words))
        fragment = text.strip()[:50]
        if not rows and fragment:
            rows = store.search_title(cur, fragment, statuses, limit, kind, category_id)
        return rows

    def _words(self, fields):
        title_words = self.kb_words.index_words(fields["title"] + " " + " ".join(fields["tags"]))
        return title_words, self.kb_words.index_words(fields["body"])

    def _check_categories(self, cur, fields):
        if fields.get("category_id") and not store.category_exists(cur, fields["category_id"]):
            raise NotFound("no such category", {"category_id": ["not found"]})
        if fields.get("ticket_category_id") and not store.ticket_category_exists(
                cur, fields["ticket_category_id"]):
            raise NotFound("no such ticket category", {"ticket_category_id": ["not found"]})

    def _ticket(self, cur, ticket_id):
        row = store.ticket_brief(cur, self._id(ticket_id, "ticket_id"))
        if row is None:
            raise NotFound("no such ticket")
        return row

    @staticmethod
    def _id(value, name="article_id") -> str:
        try:
            return str(uuid.UUID(str(value)))
        except ValueError as exc:
            raise NotFound(f"no such {name.removesuffix('_id')}") from exc

    @staticmethod
    def _cursor(text, name):
        try:
            return domain.parse_cursor(text)
        except ValueError as exc:
            raise Invalid("bad cursor", {name: ["not a cursor this list gave"]}) from exc

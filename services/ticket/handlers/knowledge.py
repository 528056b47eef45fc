"""Use cases of the knowledge base 知识库 (T9): categories, articles (draft / published /
archived, every edit a version), search and suggestions by jieba words (domain.knowledge
says why), links to tickets, and the ranking of the most asked consultation topics."""
import datetime

from services.common.errors import Conflict, Invalid, NotFound
from services.common.identity import Principal
from services.common.zone import day_start
from services.ticket.contract import EDITORS
from services.ticket.domain import access, pages
from services.ticket.domain import knowledge as rules
from services.ticket.store import knowledge as store
from services.ticket.store import tickets as tickets_store
from services.ticket.store import trail

NO_MORE = None  # the `next` of an answer that does not page


# -- categories ----------------------------------------------------------------------

def kb_create_category(tx, principal: Principal, fields: dict) -> dict:
    """A category, under `parent_id` when given (NotFound: no such parent)."""
    if fields["parent_id"] and not store.category_exists(tx.cur, fields["parent_id"]):
        raise NotFound("no such parent category", {"parent_id": ["not found"]})
    return store.insert_category(tx.cur, fields["name"], fields["parent_id"])


def kb_categories(tx, principal: Principal) -> dict:
    return {"categories": store.categories(tx.cur)}


# -- articles -------------------------------------------------------------------------

def kb_create_article(tx, principal: Principal, fields: dict) -> dict:
    """A new article, version 1 (a loaded KbArticleIn)."""
    _check_categories(tx.cur, fields)
    row = store.insert_article(tx.cur, fields, *_words(fields), principal.id)
    store.count_words(tx.cur, *rules.word_changes([], store.article_words(tx.cur, row["id"])))
    return row


def kb_article(tx, principal: Principal, article_id: str) -> dict:
    """The article, if the caller may see it (drafts and archived: editors only)."""
    row = store.article(tx.cur, article_id, _statuses(principal))
    if row is None:
        raise NotFound("no such article")
    return row


def kb_update_article(tx, principal: Principal, article_id: str, patch: dict) -> dict:
    """Edit (a loaded KbArticlePatch): the next version; Conflict when `base_version` is
    not the current one; an edit that changes nothing makes no version."""
    current = _current(tx.cur, article_id)
    if patch.get("base_version") not in (None, current["version"]):
        raise Conflict(f"the article is at version {current['version']}",
                       {"base_version": ["not the current version"]})
    changed = rules.changes(current, patch)
    if not changed:
        return current
    fields = {**current, **changed}
    _check_categories(tx.cur, changed)
    old_words = store.article_words(tx.cur, current["id"])
    row = store.update_article(tx.cur, current["id"], fields, *_words(fields), principal.id)
    store.count_words(tx.cur, *rules.word_changes(old_words,
                                                   store.article_words(tx.cur, row["id"])))
    return row


def kb_publish(tx, principal: Principal, article_id: str) -> dict:
    """Publish (a new version with the same content; already published: as it is)."""
    current = _current(tx.cur, article_id)
    if current["status"] == "published":
        return current
    return store.set_status(tx.cur, current["id"], "published", principal.id)


def kb_versions(tx, principal: Principal, article_id: str) -> dict:
    """The article's versions, newest first."""
    kb_article(tx, principal, article_id)
    return {"versions": store.versions(tx.cur, article_id)}


def kb_version(tx, principal: Principal, article_id: str, number: int) -> dict:
    """One version in full."""
    number = rules.check_version_number(number)
    kb_article(tx, principal, article_id)
    row = store.version(tx.cur, article_id, number)
    if row is None:
        raise NotFound("no such version")
    return row


# -- search ---------------------------------------------------------------------------

def kb_search(tx, principal: Principal, query: dict) -> dict:
    """Articles for the words of `q`, best first; without words, newest first, keyset
    paged (a loaded KbSearchQuery)."""
    statuses = rules.searched_statuses(_statuses(principal), query["status"])
    if not statuses:
        return {"articles": [], "next": NO_MORE}
    if query["q"].strip():
        return {"articles": _find(tx.cur, query["q"], statuses, query["limit"],
                                  category_id=query["category_id"]), "next": NO_MORE}
    rows = store.list_articles(tx.cur, statuses, query["category_id"],
                               _cursor(query["before"], "before"), query["limit"])
    return {"articles": rows,
            "next": pages.after_full(rows, query["limit"], "updated_at")}


def kb_suggest(tx, principal: Principal, query: dict) -> dict:
    """Published articles for what is being typed into a ticket (a loaded
    KbSuggestQuery): those of the ticket's category first, none meant for another kind."""
    return {"articles": _find(tx.cur, query["text"], ("published",), query["limit"],
                              kind=query["kind"], ticket_category_id=query["category_id"]),
            "next": NO_MORE}


# -- links and ranking ----------------------------------------------------------------

def kb_link(tx, principal: Principal, ticket_id: str, article_id: str) -> dict:
    """Link a published article to a ticket (again: no change); from a consultation it
    counts as asked.  The ticket's articles after."""
    ticket = _ticket(tx.cur, ticket_id, access.act_scope(principal))
    found = store.article(tx.cur, article_id, ("published",))
    if found is None:
        raise NotFound("no such published article", {"article_id": ["not found"]})
    day = rules.asked_day(ticket["accepted_at"])
    consultation = ticket["kind"] == "consultation"
    if store.link(tx.cur, ticket["id"], found["id"], consultation, day, principal.id):
        if consultation:
            store.count_asked(tx.cur, day, found["id"], 1)
        trail.append(tx.cur, ticket["id"], principal.id, "kb_linked",
                     note=found["title"][:200])
    return _articles_of(tx.cur, principal, ticket["id"])


def kb_unlink(tx, principal: Principal, ticket_id: str, article_id: str) -> dict:
    """Remove a link (and its count as asked); the ticket's articles after."""
    ticket = _ticket(tx.cur, ticket_id, access.act_scope(principal))
    gone = store.unlink(tx.cur, ticket["id"], article_id)
    if gone is None:
        raise NotFound("the article is not linked to this ticket")
    if gone["consultation"]:
        store.count_asked(tx.cur, gone["asked_on"], article_id, -1)
    trail.append(tx.cur, ticket["id"], principal.id, "kb_unlinked", note=article_id)
    return _articles_of(tx.cur, principal, ticket["id"])


def kb_ticket_articles(tx, principal: Principal, ticket_id: str) -> dict:
    """The articles linked to a ticket, last linked first."""
    return _articles_of(tx.cur, principal,
                        _ticket(tx.cur, ticket_id, access.read_scope(principal))["id"])


def kb_article_tickets(tx, principal: Principal, article_id: str, page: dict) -> dict:
    """The tickets of the caller's scope an article is linked to, last linked first,
    keyset paged."""
    after = _cursor(page["before"], "before")
    kb_article(tx, principal, article_id)
    rows = store.tickets_of_article(tx.cur, article_id, after, page["limit"],
                                    access.read_scope(principal))
    return {"tickets": rows,
            "next": pages.after_full(rows, page["limit"], "linked_at")}


def kb_ranking(tx, principal: Principal, query: dict) -> dict:
    """The most asked consultation topics over [from, to] (days in China)."""
    since = day_start(query["from_"])
    until = day_start(query["to"] + datetime.timedelta(days=1))
    return {"articles": store.most_asked_articles(tx.cur, query["from_"], query["to"],
                                                  query["limit"]),
            "categories": store.most_asked_categories(tx.cur, since, until, query["limit"])}


# -- the steps the use cases share ----------------------------------------------------

def _statuses(principal: Principal) -> tuple[str, ...]:
    return rules.visible_statuses(rules.can_edit(principal, EDITORS))


def _articles_of(cur, principal: Principal, ticket_id: str) -> dict:
    return {"articles": store.articles_of_ticket(cur, ticket_id, _statuses(principal)),
            "next": NO_MORE}


def _current(cur, article_id: str) -> dict:
    """The article in any status, locked for an edit (NotFound)."""
    current = store.article(cur, article_id, rules.STATUSES, lock=True)
    if current is None:
        raise NotFound("no such article")
    return current


def _find(cur, text: str, statuses, limit: int, kind=None, ticket_category_id=None,
          category_id=None) -> list[dict]:
    """Articles by the words of `text`: the rarest words select, all of them rank; a
    fragment jieba does not cut out falls back to titles containing it."""
    words = rules.query_words(text)
    chosen = rules.selective_words(words, store.word_counts(cur, words))
    rows = []
    if chosen:
        rows = store.search_words(cur, rules.tsquery(chosen), statuses, limit, kind,
                                  ticket_category_id, category_id, rules.tsquery(words))
    fragment = text.strip()[:50]
    if not rows and fragment:
        rows = store.search_title(cur, fragment, statuses, limit, kind, category_id)
    return rows


def _words(fields: dict) -> tuple[str, str]:
    """The jieba words of an article: (title and tags, body)."""
    return (rules.index_words(fields["title"] + " " + " ".join(fields["tags"])),
            rules.index_words(fields["body"]))


def _check_categories(cur, fields: dict) -> None:
    if fields.get("category_id") and not store.category_exists(cur, fields["category_id"]):
        raise NotFound("no such category", {"category_id": ["not found"]})
    if fields.get("ticket_category_id") and not store.ticket_category_exists(
            cur, fields["ticket_category_id"]):
        raise NotFound("no such ticket category", {"ticket_category_id": ["not found"]})


def _ticket(cur, ticket_id: str, scope: dict) -> dict:
    return access.found(tickets_store.ticket(cur, ticket_id, scope))


def _cursor(text: str | None, name: str):
    """The position a keyset page continues from; Invalid naming the parameter."""
    try:
        return rules.parse_cursor(text)
    except ValueError as exc:
        raise Invalid("bad cursor", {name: ["not a cursor this list gave"]}) from exc

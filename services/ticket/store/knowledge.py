"""All SQL of the knowledge base 知识库 (T9).  Every list uses an index (see migration 0009);
the tickets of an article are those of the caller's data scope (store.scope)."""
from psycopg2 import sql

from services.ticket.store import scope as scoped

# An article as the contract's KbArticle names it, and as lists show it (KbArticleBrief).
ARTICLE = sql.SQL("a.id::text, a.category_id::text, a.ticket_kind, a.ticket_category_id::text, a.title, a.body, a.tags, a.status, a.version, a.created_by, a.created_at, a.updated_by, a.updated_at, a.published_at")
BRIEF = sql.SQL("a.id::text, a.category_id::text, a.title, left(a.body, 120) AS snippet, a.tags, a.status, a.version, a.updated_at")
# The search vector: jieba words of title and tags weigh A, of the body B, so that an
# article about the question wins over one that mentions its words in passing.
SEARCH = sql.SQL("setweight(to_tsvector('simple', %(title_words)s), 'A') || setweight(to_tsvector('simple', %(body_words)s), 'B')")


# ---------------------------------------------------------------- categories
def insert_category(cur, name: str, parent_id) -> dict:
    cur.execute(
        "INSERT INTO kb_category (name, parent_id) VALUES (%s, %s)"
        " RETURNING id::text, parent_id::text, name, created_at",
        (name, parent_id and str(parent_id)))
    return cur.fetchone()


def category_exists(cur, category_id) -> bool:
    cur.execute("SELECT 1 FROM kb_category WHERE id = %s", (str(category_id),))
    return cur.fetchone() is not None


def ticket_category_exists(cur, category_id) -> bool:
    cur.execute("SELECT 1 FROM category WHERE id = %s", (str(category_id),))
    return cur.fetchone() is not None


def categories(cur) -> list[dict]:
    cur.execute("SELECT id::text, parent_id::text, name, created_at FROM kb_category"
                " ORDER BY name, id LIMIT 1000")
    return cur.fetchall()


# ---------------------------------------------------------------- articles
def insert_article(cur, fields: dict, title_words: str, body_words: str, actor: str) -> dict:
    cur.execute(sql.SQL(
        "INSERT INTO kb_article AS a (category_id, ticket_kind, ticket_category_id, title,"
        " body, tags, status, search, created_by, updated_by, published_at)"
        " VALUES (%(category_id)s, %(ticket_kind)s, %(ticket_category_id)s, %(title)s,"
        " %(body)s, %(tags)s, %(status)s, {search}, %(actor)s, %(actor)s,"
        " CASE WHEN %(status)s = 'published' THEN now() END) RETURNING {article}").format(
            search=SEARCH, article=ARTICLE),
        {**_ids(fields), "title_words": title_words, "body_words": body_words, "actor": actor})
    row = cur.fetchone()
    insert_version(cur, row, actor)
    return row


def update_article(cur, article_id: str, fields: dict, title_words: str, body_words: str,
                   actor: str) -> dict:
    """Write the whole new content as the next version; returns the article."""
    cur.execute(sql.SQL(
        "UPDATE kb_article AS a SET category_id = %(category_id)s,"
        " ticket_kind = %(ticket_kind)s, ticket_category_id = %(ticket_category_id)s,"
        " title = %(title)s, body = %(body)s, tags = %(tags)s, status = %(status)s,"
        " search = {search}, version = a.version + 1, updated_by = %(actor)s,"
        " updated_at = now(), published_at = CASE WHEN %(status)s = 'published'"
        " THEN coalesce(a.published_at, now()) ELSE a.published_at END"
        " WHERE a.id = %(id)s RETURNING {article}").format(search=SEARCH, article=ARTICLE),
        {**_ids(fields), "status": fields["status"], "title_words": title_words,
         "body_words": body_words, "actor": actor, "id": article_id})
    row = cur.fetchone()
    insert_version(cur, row, actor)
    return row


def set_status(cur, article_id: str, status: str, actor: str) -> dict:
    """Publishing or archiving is an edit too: the next version, same content."""
    cur.execute(sql.SQL(
        "UPDATE kb_article AS a SET status = %(status)s, version = a.version + 1,"
        " updated_by = %(actor)s, updated_at = now(),"
        " published_at = CASE WHEN %(status)s = 'published' THEN now() ELSE a.published_at END"
        " WHERE a.id = %(id)s RETURNING {}").format(ARTICLE),
        {"status": status, "actor": actor, "id": article_id})
    row = cur.fetchone()
    insert_version(cur, row, actor)
    return row


def insert_version(cur, article: dict, actor: str) -> None:
    cur.execute(
        "INSERT INTO kb_article_version (article_id, version, title, body, tags, status,"
        " author_id) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (article["id"], article["version"], article["title"], article["body"],
         article["tags"], article["status"], actor))


def article(cur, article_id: str, statuses, lock: bool = False) -> dict | None:
    cur.execute(sql.SQL("SELECT {} FROM kb_article a WHERE a.id = %s AND a.status = ANY(%s){}").format(
        ARTICLE, sql.SQL(" FOR UPDATE" if lock else "")), (article_id, list(statuses)))
    return cur.fetchone()


def versions(cur, article_id: str) -> list[dict]:
    cur.execute(
        "SELECT version, title, status, author_id, at FROM kb_article_version"
        " WHERE article_id = %s ORDER BY version DESC LIMIT 500", (article_id,))
    return cur.fetchall()


def version(cur, article_id: str, number: int) -> dict | None:
    cur.execute(
        "SELECT article_id::text, version, title, body, tags, status, author_id, at"
        " FROM kb_article_version WHERE article_id = %s AND version = %s",
        (article_id, number))
    return cur.fetchone()


def list_articles(cur, statuses, category_id, before, limit: int) -> list[dict]:
    """Newest edit first, keyset on (updated_at, id): kb_article_status_order or
    kb_article_category_order."""
    after_at, after_id = before or (None, None)
    if category_id:
        cur.execute(sql.SQL(
            "SELECT {} FROM kb_article a WHERE a.category_id = %(category)s"
            " AND a.status = ANY(%(statuses)s) AND (%(at)s::timestamptz IS NULL"
            " OR (a.updated_at, a.id) < (%(at)s, %(id)s::uuid))"
            " ORDER BY a.updated_at DESC, a.id DESC LIMIT %(limit)s").format(BRIEF),
            {"category": str(category_id), "statuses": list(statuses), "at": after_at,
             "id": after_id, "limit": limit})
        return cur.fetchall()
    rows: list[dict] = []
    for status in statuses:  # one index range per status, merged
        cur.execute(sql.SQL(
            "SELECT {} FROM kb_article a WHERE a.status = %(status)s"
            " AND (%(at)s::timestamptz IS NULL OR (a.updated_at, a.id) < (%(at)s, %(id)s::uuid))"
            " ORDER BY a.updated_at DESC, a.id DESC LIMIT %(limit)s").format(BRIEF),
            {"status": status, "at": after_at, "id": after_id, "limit": limit})
        rows.extend(cur.fetchall())
    rows.sort(key=lambda r: (r["updated_at"], r["id"]), reverse=True)
    return rows[:limit]


def article_words(cur, article_id: str) -> list[str]:
    cur.execute("SELECT tsvector_to_array(search) AS words FROM kb_article WHERE id = %s",
                (article_id,))
    row = cur.fetchone()
    return row["words"] if row else []


def count_words(cur, added: list[str], removed: list[str]) -> None:
    """Keep kb_word: one more article for each added word, one fewer for each removed."""
    if added:
        cur.execute(
            "INSERT INTO kb_word AS w (word, articles) SELECT word, 1 FROM unnest(%s::text[])"
            " AS u (word) ORDER BY word ON CONFLICT (word) DO UPDATE SET articles = w.articles + 1",
            (added,))
    if removed:
        cur.execute("UPDATE kb_word SET articles = articles - 1 WHERE word = ANY(%s)", (removed,))


def word_counts(cur, words: list[str]) -> dict:
    """{word: articles holding a word that starts with it} (the query matches prefixes)."""
    if not words:
        return {}
    patterns = [_like(w) + "%" for w in words]
    cur.execute(
        "SELECT q.word, (SELECT coalesce(sum(w.articles), 0) FROM kb_word w"
        " WHERE w.word LIKE q.pattern)::int AS n"
        " FROM unnest(%s::text[], %s::text[]) AS q (word, pattern)", (words, patterns))
    return {r["word"]: r["n"] for r in cur.fetchall()}


def search_words(cur, query: str, statuses, limit: int, kind=None, ticket_category_id=None,
                 category_id=None, rank_query: str | None = None) -> list[dict]:
    """Articles whose jieba words match `query`, best first by `rank_query` (all the
    words; default `query`) — GIN kb_article_search.
    A ticket kind keeps articles meant for it or for any kind; a ticket category ranks
    its own articles first."""
    cur.execute(sql.SQL(
        "SELECT {}, ts_rank(a.search, q) AS rank"
        " FROM kb_article a, to_tsquery('simple', %(q)s) m, to_tsquery('simple', %(r)s) q"
        " WHERE a.search @@ m AND a.status = ANY(%(statuses)s)"
        " AND (%(kind)s::text IS NULL OR a.ticket_kind IS NULL OR a.ticket_kind = %(kind)s)"
        " AND (%(category)s::uuid IS NULL OR a.category_id = %(category)s::uuid)"
        " ORDER BY (a.ticket_category_id IS NOT NULL"
        "           AND a.ticket_category_id = %(tcat)s::uuid) DESC,"
        " rank DESC, a.updated_at DESC, a.id DESC LIMIT %(limit)s").format(BRIEF),
        {"q": query, "r": rank_query or query, "statuses": list(statuses), "kind": kind,
         "category": category_id and str(category_id),
         "tcat": ticket_category_id and str(ticket_category_id), "limit": limit})
    return cur.fetchall()


def search_title(cur, text: str, statuses, limit: int, kind=None,
                 category_id=None) -> list[dict]:
    """Articles whose title contains the text (pg_trgm GIN for three characters and
    more), most similar first: the fallback for fragments jieba does not cut out."""
    pattern = "%" + _like(text) + "%"
    cur.execute(sql.SQL(
        "SELECT {}, similarity(a.title, %(text)s) AS rank FROM kb_article a"
        " WHERE a.title ILIKE %(pattern)s AND a.status = ANY(%(statuses)s)"
        " AND (%(kind)s::text IS NULL OR a.ticket_kind IS NULL OR a.ticket_kind = %(kind)s)"
        " AND (%(category)s::uuid IS NULL OR a.category_id = %(category)s::uuid)"
        " ORDER BY rank DESC, a.updated_at DESC, a.id DESC LIMIT %(limit)s").format(BRIEF),
        {"text": text, "pattern": pattern, "statuses": list(statuses), "kind": kind,
         "category": category_id and str(category_id), "limit": limit})
    return cur.fetchall()


# ---------------------------------------------------------------- links and ranking
def link(cur, ticket_id: str, article_id: str, consultation: bool, asked_on, actor: str) -> bool:
    """True when the link is new (linking twice is one link)."""
    cur.execute(
        "INSERT INTO kb_ticket_link (ticket_id, article_id, consultation, asked_on, linked_by)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING consultation",
        (ticket_id, article_id, consultation, asked_on, actor))
    return cur.fetchone() is not None


def unlink(cur, ticket_id: str, article_id: str) -> dict | None:
    cur.execute("DELETE FROM kb_ticket_link WHERE ticket_id = %s AND article_id = %s"
                " RETURNING consultation, asked_on", (ticket_id, article_id))
    return cur.fetchone()


def count_asked(cur, day, article_id: str, delta: int) -> None:
    cur.execute(
        "INSERT INTO kb_asked_daily AS d (day, article_id, asked) VALUES (%s, %s, %s)"
        " ON CONFLICT (day, article_id) DO UPDATE SET asked = d.asked + EXCLUDED.asked",
        (day, article_id, delta))


def articles_of_ticket(cur, ticket_id: str, statuses) -> list[dict]:
    cur.execute(sql.SQL(
        "SELECT {}, l.linked_by, l.linked_at FROM kb_ticket_link l"
        " JOIN kb_article a ON a.id = l.article_id"
        " WHERE l.ticket_id = %s AND a.status = ANY(%s) ORDER BY l.linked_at DESC LIMIT 200"
    ).format(BRIEF),
        (ticket_id, list(statuses)))
    return cur.fetchall()


def tickets_of_article(cur, article_id: str, before, limit: int, scope: dict) -> list[dict]:
    """The tickets of the scope an article is linked to, last linked first."""
    after_at, after_id = before or (None, None)
    cur.execute(sql.SQL(
        "SELECT t.id::text, t.serial, t.kind, t.status, t.accepted_at, l.linked_by,"
        " l.linked_at FROM kb_ticket_link l JOIN ticket t ON t.id = l.ticket_id"
        " WHERE l.article_id = %(article)s AND {} AND (%(at)s::timestamptz IS NULL"
        " OR (l.linked_at, l.ticket_id) < (%(at)s, %(id)s::uuid))"
        " ORDER BY l.linked_at DESC, l.ticket_id DESC LIMIT %(limit)s").format(
            scoped.tickets(scope)),
        {"article": article_id, "at": after_at, "id": after_id, "limit": limit,
         **scoped.params(scope)})
    return cur.fetchall()


def most_asked_articles(cur, first_day, last_day, limit: int) -> list[dict]:
    cur.execute(
        "SELECT a.id::text AS article_id, a.title, s.asked FROM"
        " (SELECT article_id, sum(asked)::int AS asked FROM kb_asked_daily"
        "  WHERE day BETWEEN %s AND %s GROUP BY article_id HAVING sum(asked) > 0) s"
        " JOIN kb_article a ON a.id = s.article_id"
        " ORDER BY s.asked DESC, a.title, a.id LIMIT %s",
        (first_day, last_day, limit))
    return cur.fetchall()


def most_asked_categories(cur, since, until, limit: int) -> list[dict]:
    """Consultation tickets per category in [since, until): one index-only count per
    category on ticket_kind_category_accepted."""
    cur.execute(
        "SELECT c.id::text AS category_id, c.name, n.tickets FROM category c"
        " CROSS JOIN LATERAL (SELECT count(*)::int AS tickets FROM ticket t"
        "  WHERE t.kind = 'consultation' AND t.category_id = c.id"
        "  AND t.accepted_at >= %s AND t.accepted_at < %s) n"
        " WHERE c.kind = 'consultation' AND n.tickets > 0"
        " ORDER BY n.tickets DESC, c.name, c.id LIMIT %s",
        (since, until, limit))
    return cur.fetchall()


def _like(text: str) -> str:
    """Literal text for a LIKE pattern (backslash is PostgreSQL's default escape)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _ids(fields: dict) -> dict:
    out = dict(fields)
    for name in ("category_id", "ticket_category_id"):
        out[name] = str(fields[name]) if fields.get(name) else None
    out.setdefault("ticket_kind", None)
    out["tags"] = list(fields.get("tags") or [])
    return out

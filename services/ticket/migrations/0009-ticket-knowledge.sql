-- depends: 0003-ticket-workorders
-- T9 the knowledge base 知识库: categories, articles with every version, the
-- search vector the service keeps (jieba words, 'simple' configuration), links
-- between articles and tickets, and the counters behind the consultation ranking.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE kb_category (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    parent_id   uuid REFERENCES kb_category (id),
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (parent_id, name)
);

CREATE TABLE kb_article (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    category_id        uuid REFERENCES kb_category (id),
    ticket_kind        text,                               -- suggest for this ticket kind only
    ticket_category_id uuid REFERENCES category (id),      -- ... and rank first for this category
    title              text NOT NULL,
    body               text NOT NULL DEFAULT '',
    tags               text[] NOT NULL DEFAULT '{}',
    status             text NOT NULL DEFAULT 'draft',
    version            integer NOT NULL DEFAULT 1,
    -- jieba words of title (weight A), tags (A) and body (B); written by the service.
    search             tsvector NOT NULL DEFAULT ''::tsvector,
    created_by         text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_by         text NOT NULL,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    published_at       timestamptz,
    CONSTRAINT kb_article_status_known CHECK (status IN ('draft', 'published', 'archived'))
);
CREATE INDEX kb_article_search ON kb_article USING gin (search);
-- short or partial queries (one or two characters, part of a word) fall back to the title.
CREATE INDEX kb_article_title_trgm ON kb_article USING gin (title gin_trgm_ops);
-- listing without a query: keyset (updated_at DESC, id DESC), by status or category.
CREATE INDEX kb_article_status_order ON kb_article (status, updated_at DESC, id DESC);
CREATE INDEX kb_article_category_order ON kb_article (category_id, updated_at DESC, id DESC);

-- How many articles hold each word (all statuses), kept on write: a query's most common
-- words only rank, they do not select, so that a search ranks a bounded set of rows.
CREATE TABLE kb_word (
    word      text PRIMARY KEY,
    articles  integer NOT NULL DEFAULT 0
);
CREATE INDEX kb_word_prefix ON kb_word (word text_pattern_ops);

-- Every edit is a version row (append-only in practice: the service only inserts).
CREATE TABLE kb_article_version (
    article_id  uuid NOT NULL REFERENCES kb_article (id),
    version     integer NOT NULL,
    title       text NOT NULL,
    body        text NOT NULL,
    tags        text[] NOT NULL DEFAULT '{}',
    status      text NOT NULL,
    author_id   text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (article_id, version)
);

CREATE TABLE kb_ticket_link (
    ticket_id     uuid NOT NULL REFERENCES ticket (id),
    article_id    uuid NOT NULL REFERENCES kb_article (id),
    consultation  boolean NOT NULL,           -- a consultation ticket: the article was "asked"
    asked_on      date NOT NULL,              -- the ticket's accepted day (Asia/Shanghai)
    linked_by     text NOT NULL,
    linked_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ticket_id, article_id)
);
CREATE INDEX kb_ticket_link_article ON kb_ticket_link (article_id, linked_at DESC, ticket_id DESC);

-- Ranking of articles: one counter per article and day, kept on link and unlink, so
-- a date range sums (days x linked articles) rows, not the links of 5M tickets.
CREATE TABLE kb_asked_daily (
    day         date NOT NULL,
    article_id  uuid NOT NULL REFERENCES kb_article (id),
    asked       integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, article_id)
);

-- Ranking of consultation categories: a count per category over an index-only range
-- scan of (kind, category_id, accepted_at), one small scan per category.
CREATE INDEX ticket_kind_category_accepted ON ticket (kind, category_id, accepted_at);

-- depends: 0002-customer-archive
-- Imports of customers (C7): one row per import or dry run — who, which file (name and
-- SHA-256), how its columns were read, the counts and every bad row with its reason.
-- The rows themselves are staged in temporary tables of the importing transaction.
CREATE TABLE customer_import (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    actor_id    text NOT NULL,
    actor_name  text NOT NULL DEFAULT '',
    file_name   text NOT NULL,
    sha256      text NOT NULL,
    format      text NOT NULL,
    dry_run     boolean NOT NULL,
    status      text NOT NULL CHECK (status IN ('dry_run', 'done')),
    mapping     jsonb NOT NULL DEFAULT '{}',
    columns     jsonb NOT NULL DEFAULT '[]',
    total_rows  integer NOT NULL DEFAULT 0,
    created     integer NOT NULL DEFAULT 0,
    updated     integer NOT NULL DEFAULT 0,
    unchanged   integer NOT NULL DEFAULT 0,
    failed      integer NOT NULL DEFAULT 0,
    errors      jsonb NOT NULL DEFAULT '[]',
    phases      jsonb NOT NULL DEFAULT '{}',  -- seconds per phase: read, stage, match, ...
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customer_import_sha256 ON customer_import (sha256);
CREATE INDEX customer_import_actor ON customer_import (actor_id, finished_at DESC);

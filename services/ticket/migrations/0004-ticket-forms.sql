-- depends: 0003-ticket-workorders
-- T3: repeat detection per kind, set by admins; a kind without a row uses the
-- defaults in services/ticket/domain/repeat.py (7 days, similarity 0.5).
CREATE TABLE repeat_rule (
    kind        text PRIMARY KEY,
    window_days integer NOT NULL CHECK (window_days BETWEEN 0 AND 365),
    threshold   real NOT NULL CHECK (threshold > 0 AND threshold <= 1),
    updated_by  text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- T1: the category list is read by kind.
CREATE INDEX category_kind ON category (kind, name);

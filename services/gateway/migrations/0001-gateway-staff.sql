-- depends: 0000-common-outbox
-- Staff accounts (G2): argon2id hashes, roles, groups, clearance; login throttling (S7).
CREATE TABLE staff_group (
    name         text PRIMARY KEY,
    display_name text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE staff (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    username      text NOT NULL UNIQUE,
    display_name  text NOT NULL,
    password_hash text NOT NULL,
    roles         text[] NOT NULL,
    groups        text[] NOT NULL DEFAULT '{}',
    clearance     smallint NOT NULL DEFAULT 0 CHECK (clearance BETWEEN 0 AND 3),
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Failed logins per username (known or not), for throttling.
CREATE TABLE login_throttle (
    username     text PRIMARY KEY,
    failures     integer NOT NULL DEFAULT 0,
    locked_until timestamptz
);

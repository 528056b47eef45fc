-- depends: 0002-gateway-duties
-- Sessions (issue 9, finding 5): access tokens live at most 15 minutes; a refresh token
-- gets the next one.  A refresh token is opaque (random), kept here only as its SHA-256,
-- and used once: each use rotates it (the used one is marked, a new one of the same
-- session issued).  A used one presented again means it was copied: the whole session
-- ends.  Logout ends the session; a password change, disabling the account or a change
-- of its rights (roles, groups, clearance) ends every session of the account.  A
-- session lasts at most REFRESH_TTL_SECONDS from its sign-in, however often refreshed.
CREATE TABLE refresh_token (
    token_hash  text PRIMARY KEY,                 -- hex SHA-256 of the token
    session_id  uuid NOT NULL,                    -- one sign-in and its rotations
    staff_id    uuid NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    issued_at   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,             -- the session's end
    used_at     timestamptz,                      -- rotated into a newer token
    revoked_at  timestamptz,
    revoked_why text
);
CREATE INDEX refresh_token_session ON refresh_token (session_id);
CREATE INDEX refresh_token_staff_live ON refresh_token (staff_id) WHERE revoked_at IS NULL;
CREATE INDEX refresh_token_expires ON refresh_token (expires_at);

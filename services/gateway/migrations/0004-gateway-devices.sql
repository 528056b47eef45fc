-- depends: 0003-gateway-sessions
-- Known devices (the device cookies of OWASP's "slow down online guessing attacks"):
-- a good sign-in hands the client a device token; presented again with the same
-- username it is counted on its own (the account's and the address's locks, which an
-- attacker can set, do not shut its owner out) and gets the next free hashing slot
-- before unknown clients.  Opaque (256 random bits), kept here only as its SHA-256;
-- forgotten after DEVICE_DAYS unused, with the account's password change, or when
-- guessed with (the device throttle locks it).
CREATE TABLE sign_in_device (
    token_hash   text PRIMARY KEY,                -- hex SHA-256 of the token
    staff_id     uuid NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_device_staff ON sign_in_device (staff_id);
CREATE INDEX sign_in_device_last_used ON sign_in_device (last_used_at);

-- The throttle counts a known device's attempts under a scope of its own.
ALTER TABLE login_throttle DROP CONSTRAINT login_throttle_scope_check;
ALTER TABLE login_throttle ADD CONSTRAINT login_throttle_scope_check
    CHECK (scope IN ('account', 'address', 'device'));

-- Sessions ended lately: every process reads the last seconds of these to drop
-- its cached copy of a signed-out session within a second (server/src/auth/session_cache.rs).
-- Written in the statement that deletes the session; rows older than a minute are deleted.
CREATE TABLE revoked_sessions (
    token_hash BYTEA NOT NULL,
    revoked_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX revoked_sessions_at_idx ON revoked_sessions (revoked_at);

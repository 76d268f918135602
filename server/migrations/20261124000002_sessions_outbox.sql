-- Sessions (browser cookie and app bearer token share one table), the
-- transactional outbox every event leaves through, and a per-room version that
-- orders rebuilds of the room's goods cache.

CREATE TABLE sessions (
    -- SHA-256 of the token: a leaked table does not leak usable tokens.
    token_hash BYTEA       PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expiry_idx ON sessions (expires_at);

CREATE TABLE outbox (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream       TEXT        NOT NULL CHECK (stream IN ('room', 'orders')),
    event_type   TEXT        NOT NULL CHECK (char_length(event_type) BETWEEN 1 AND 64),
    live_id      BIGINT      NOT NULL REFERENCES live_rooms (id) ON DELETE CASCADE,
    payload      JSONB       NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at TIMESTAMPTZ
);
-- The relay's work queue: only what is not yet published.
CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;

ALTER TABLE live_rooms ADD COLUMN goods_version BIGINT NOT NULL DEFAULT 0;

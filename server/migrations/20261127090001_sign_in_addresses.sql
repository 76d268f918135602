-- Where each account signed in from lately: the sign-in lockout lets an
-- account's own addresses keep their own budget, so strangers failing from
-- elsewhere can never lock the owner out. Kept in Postgres (the record), not in
-- Redis, so a flushed or evicted cache cannot forget the owner.

CREATE TABLE sign_in_addresses (
    user_id BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    address INET        NOT NULL,
    last_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, address)
);

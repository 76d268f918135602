-- Orders under flash-sale load: per-room sale rules, orders with their items,
-- the order-attempt log keyed by XID, the live-order stream the statistics are
-- computed from, and the level-2 compensation log of failed publishes.

CREATE TABLE sku_sales (
    live_id        BIGINT      NOT NULL REFERENCES live_rooms (id) ON DELETE CASCADE,
    sku_id         BIGINT      NOT NULL REFERENCES skus (id) ON DELETE CASCADE,
    starts_at      TIMESTAMPTZ,
    per_user_limit INTEGER     CHECK (per_user_limit IS NULL OR per_user_limit BETWEEN 1 AND 9999),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (live_id, sku_id)
);

CREATE SEQUENCE order_sn_seq;

CREATE TABLE orders (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_sn        TEXT        NOT NULL UNIQUE CHECK (order_sn ~ '^[0-9]{8}[0-9]{1,24}$'),
    xid             TEXT        NOT NULL UNIQUE,
    user_id         BIGINT      NOT NULL REFERENCES users (id),
    live_id         BIGINT      NOT NULL REFERENCES live_rooms (id),
    source_channel  TEXT        NOT NULL DEFAULT 'live' CHECK (source_channel = 'live'),
    tracking_code   TEXT,
    trace_id        TEXT,
    status          TEXT        NOT NULL DEFAULT 'created' CHECK (status IN ('created', 'paid', 'cancelled')),
    total_cents     BIGINT      NOT NULL CHECK (total_cents >= 0),
    idempotency_key TEXT        NOT NULL CHECK (char_length(idempotency_key) BETWEEN 1 AND 64),
    request_hash    TEXT        NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- A retried request finds its order; a concurrent duplicate waits on this.
    CONSTRAINT orders_idempotency_key UNIQUE (user_id, idempotency_key)
);
CREATE INDEX orders_room_idx ON orders (live_id, created_at);

CREATE TABLE order_items (
    order_id    BIGINT  NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    sku_id      BIGINT  NOT NULL REFERENCES skus (id),
    spu_id      BIGINT  NOT NULL REFERENCES spus (id),
    quantity    INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    price_cents BIGINT  NOT NULL CHECK (price_cents >= 0),
    PRIMARY KEY (order_id, sku_id)
);
CREATE INDEX order_items_sku_idx ON order_items (sku_id);

-- What the statistics consumer saw: one row per order, whatever the redeliveries.
CREATE TABLE live_order_stream (
    order_sn       TEXT        NOT NULL,
    live_id        BIGINT      NOT NULL,
    user_id        BIGINT      NOT NULL,
    sku_id         BIGINT      NOT NULL,
    order_quantity INTEGER     NOT NULL,
    amount_cents   BIGINT      NOT NULL,
    ordered_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (order_sn, sku_id)
);
CREATE INDEX live_order_stream_room_idx ON live_order_stream (live_id, sku_id);

-- Level-2 compensation (S5): a publish that failed, retried with backoff.
CREATE TABLE live_order_sync_fail_log (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    outbox_id       BIGINT      NOT NULL UNIQUE REFERENCES outbox (id) ON DELETE CASCADE,
    order_sn        TEXT        NOT NULL,
    live_id         BIGINT      NOT NULL REFERENCES live_rooms (id) ON DELETE CASCADE,
    fail_time       TIMESTAMPTZ NOT NULL DEFAULT now(),
    retry_count     INTEGER     NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
    last_error_code TEXT        NOT NULL,
    next_retry_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    state           TEXT        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX sync_fail_due_idx ON live_order_sync_fail_log (next_retry_at) WHERE state = 'pending';
CREATE INDEX sync_fail_room_idx ON live_order_sync_fail_log (live_id, fail_time DESC);

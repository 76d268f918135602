-- The live center: the order's life after it is placed (payment, expiry,
-- cancellation), the sandbox payment provider's queue, the signing secrets
-- every process shares, and the statistics: the materialized view
-- `live_goods_sales` of the source design, read from a rollup that the
-- stream's inserts maintain, with a watermark that says which stream rows the
-- last refresh saw.

-- ---- the order's life ------------------------------------------------------
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check
    CHECK (status IN ('created', 'paid', 'expired', 'cancelled'));
-- When an unpaid order expires (set when it is placed, from LIVE_ORDER_PAY_TIMEOUT_S).
ALTER TABLE orders ADD COLUMN pay_by TIMESTAMPTZ;
ALTER TABLE orders ADD COLUMN paid_at TIMESTAMPTZ;
ALTER TABLE orders ADD COLUMN closed_at TIMESTAMPTZ;
UPDATE orders SET pay_by = created_at + interval '900 seconds' WHERE status = 'created';
ALTER TABLE orders ADD CONSTRAINT orders_unpaid_has_deadline CHECK (status <> 'created' OR pay_by IS NOT NULL);
-- The expirer's work queue: only unpaid orders.
CREATE INDEX orders_unpaid_idx ON orders (pay_by) WHERE status = 'created';
-- "My orders", newest first.
CREATE INDEX orders_user_idx ON orders (user_id, id DESC);

-- ---- payments ----------------------------------------------------------------
CREATE TABLE payments (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payment_id   TEXT        NOT NULL UNIQUE CHECK (char_length(payment_id) BETWEEN 1 AND 64),
    order_sn     TEXT        NOT NULL REFERENCES orders (order_sn),
    provider     TEXT        NOT NULL CHECK (provider IN ('sandbox')),
    amount_cents BIGINT      NOT NULL CHECK (amount_cents >= 0),
    -- pending: handed to the provider; confirmed: the order is paid;
    -- refunded: confirmed for an order that had expired or been cancelled meanwhile.
    status       TEXT        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed', 'refunded')),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    settled_at   TIMESTAMPTZ
);
-- One payment in flight per order: paying again answers the same one.
CREATE UNIQUE INDEX payments_one_pending_idx ON payments (order_sn) WHERE status = 'pending';

-- The local sandbox provider's own queue of confirmations to send (it stands
-- for an outside provider, which would keep this on its side).
CREATE TABLE sandbox_confirmations (
    payment_id   TEXT        PRIMARY KEY REFERENCES payments (payment_id),
    due_at       TIMESTAMPTZ NOT NULL,
    attempts     INTEGER     NOT NULL DEFAULT 0,
    sent_at      TIMESTAMPTZ
);
CREATE INDEX sandbox_confirmations_due_idx ON sandbox_confirmations (due_at) WHERE sent_at IS NULL;

-- Secrets every server process must share (generated once when not set).
CREATE TABLE shared_secrets (
    name       TEXT        PRIMARY KEY,
    value      TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- ---- statistics ----------------------------------------------------------------
-- The order in which rows arrived: the view's refresh records the last one it saw.
ALTER TABLE live_order_stream ADD COLUMN seq BIGINT GENERATED ALWAYS AS IDENTITY;
ALTER TABLE live_order_stream ADD COLUMN arrived_at TIMESTAMPTZ NOT NULL DEFAULT now();
CREATE UNIQUE INDEX live_order_stream_seq_idx ON live_order_stream (seq);
CREATE INDEX live_order_stream_room_seq_idx ON live_order_stream (live_id, seq);
CREATE INDEX live_order_stream_window_idx ON live_order_stream (live_id, ordered_at);

-- One row per (room, SKU, buyer), kept by the stream's inserts: the view reads
-- this instead of the ever-growing stream, so a refresh costs what the rollup
-- holds. `first_seq` is the stream row that made the buyer count for the SKU.
CREATE TABLE live_goods_sales_rollup (
    live_id     BIGINT NOT NULL,
    sku_id      BIGINT NOT NULL,
    user_id     BIGINT NOT NULL,
    total_sales BIGINT NOT NULL,
    first_seq   BIGINT NOT NULL,
    PRIMARY KEY (live_id, sku_id, user_id)
);
CREATE INDEX live_goods_sales_rollup_seq_idx ON live_goods_sales_rollup (live_id, first_seq);

CREATE FUNCTION live_goods_sales_rollup_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO live_goods_sales_rollup (live_id, sku_id, user_id, total_sales, first_seq)
    VALUES (NEW.live_id, NEW.sku_id, NEW.user_id, NEW.order_quantity, NEW.seq)
    ON CONFLICT (live_id, sku_id, user_id)
    DO UPDATE SET total_sales = live_goods_sales_rollup.total_sales + EXCLUDED.total_sales;
    RETURN NULL;
END $$;

CREATE TRIGGER live_order_stream_rollup AFTER INSERT ON live_order_stream
    FOR EACH ROW EXECUTE FUNCTION live_goods_sales_rollup_add();

INSERT INTO live_goods_sales_rollup (live_id, sku_id, user_id, total_sales, first_seq)
SELECT live_id, sku_id, user_id, SUM(order_quantity), MIN(seq)
  FROM live_order_stream GROUP BY live_id, sku_id, user_id;

-- The source's view, with its columns and meaning: per (live_id, sku_id),
-- SUM(order_quantity) AS total_sales and COUNT(DISTINCT user_id) AS uv of
-- live_order_stream (the rollup holds one row per distinct buyer).
CREATE MATERIALIZED VIEW live_goods_sales AS
SELECT live_id, sku_id, SUM(total_sales)::BIGINT AS total_sales, COUNT(*)::BIGINT AS uv
  FROM live_goods_sales_rollup
 GROUP BY live_id, sku_id;
-- REFRESH ... CONCURRENTLY needs a unique index.
CREATE UNIQUE INDEX live_goods_sales_key ON live_goods_sales (live_id, sku_id);

-- Each refresh: when, how long, and the last stream row it saw.
CREATE TABLE view_refreshes (
    view_name    TEXT        PRIMARY KEY,
    refreshed_at TIMESTAMPTZ NOT NULL,
    watermark    BIGINT      NOT NULL,
    duration_ms  BIGINT      NOT NULL
);
-- The view was just filled from every stream row (this migration holds the
-- stream's table lock, so none arrives meanwhile).
INSERT INTO view_refreshes (view_name, refreshed_at, watermark, duration_ms)
SELECT 'live_goods_sales', now(), COALESCE(MAX(seq), 0), 0 FROM live_order_stream;

-- The statistics reconciler's cursor: every order with an id at or below it
-- is known to be in live_order_stream.
CREATE TABLE stats_reconcile_cursor (
    id            BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
    last_order_id BIGINT  NOT NULL
);
INSERT INTO stats_reconcile_cursor (last_order_id) VALUES (0);

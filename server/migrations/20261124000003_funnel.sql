-- Click → view → order funnel per room: one row per tracked event, carrying
-- the binding's tracking code and the trace id minted per tap.

CREATE TABLE funnel_events (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event         TEXT        NOT NULL CHECK (event IN ('click', 'view', 'order')),
    live_id       BIGINT      NOT NULL REFERENCES live_rooms (id) ON DELETE CASCADE,
    spu_id        BIGINT      NOT NULL REFERENCES spus (id) ON DELETE CASCADE,
    tracking_code TEXT        CHECK (tracking_code IS NULL OR tracking_code ~ '^[A-Za-z0-9_-]{1,64}$'),
    trace_id      TEXT        CHECK (trace_id IS NULL OR trace_id ~ '^[A-Za-z0-9_-]{1,64}$'),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX funnel_events_room_idx ON funnel_events (live_id, event);
CREATE INDEX funnel_events_trace_idx ON funnel_events (trace_id) WHERE trace_id IS NOT NULL;

-- Stream entries a consumer could not read (a kind it does not know yet, or a
-- payload off its kind's shape): kept with their raw fields for replay instead
-- of being dropped or read with defaults.

CREATE TABLE parked_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_name  TEXT        NOT NULL,
    stream_key  TEXT        NOT NULL,
    entry_id    TEXT        NOT NULL,
    event_id    BIGINT,
    event_type  TEXT,
    live_id     BIGINT,
    fields      JSONB       NOT NULL,
    reason      TEXT        NOT NULL CHECK (reason IN ('unknown_kind', 'malformed_payload', 'malformed_entry')),
    detail      TEXT        NOT NULL DEFAULT '',
    parked_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    replayed_at TIMESTAMPTZ,
    CONSTRAINT parked_events_entry_key UNIQUE (group_name, entry_id)
);
CREATE INDEX parked_events_waiting_idx ON parked_events (parked_at) WHERE replayed_at IS NULL;

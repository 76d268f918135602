-- Real live video (issue 12): each room's stream key, where its stream is,
-- when it is scheduled, the stream clock's zero, the HLS segments kept for
-- its replay, and every explaining change with its stream time.

ALTER TABLE live_rooms
    ADD COLUMN stream_status     TEXT        NOT NULL DEFAULT 'offline'
        CHECK (stream_status IN ('offline', 'live', 'reconnecting', 'ended')),
    ADD COLUMN scheduled_at      TIMESTAMPTZ,
    -- SHA-256 of the secret part of the key; the key itself is shown once.
    ADD COLUMN stream_key_digest BYTEA UNIQUE,
    -- Zero of the stream clock: the room's first publish. Stream times
    -- (explaining marks, segment starts) count milliseconds from it.
    ADD COLUMN stream_epoch      TIMESTAMPTZ;

UPDATE live_rooms SET stream_status = 'ended' WHERE status = 'ended';

-- HLS segments as the ingest wrote them, in order; the replay playlist is
-- built from them. `start_ms` is on the stream clock.
CREATE TABLE live_segments (
    live_id     BIGINT  NOT NULL REFERENCES live_rooms (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL CHECK (name ~ '^[0-9]{1,19}\.ts$'),
    start_ms    BIGINT  NOT NULL,
    duration_ms INTEGER NOT NULL CHECK (duration_ms > 0),
    -- A new publish after a drop starts a discontinuity.
    discontinuity BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (live_id, name)
);
CREATE INDEX live_segments_order_idx ON live_segments (live_id, start_ms);

-- Every explaining change, with the stream time it was pressed at (null:
-- no stream yet): the replay's product timeline.
CREATE TABLE live_explaining_log (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    live_id        BIGINT      NOT NULL REFERENCES live_rooms (id) ON DELETE CASCADE,
    spu_id         BIGINT,
    stream_time_ms BIGINT,
    at             TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX live_explaining_log_room_idx ON live_explaining_log (live_id, id);

-- Dead letters live in Postgres: an entry whose handler kept failing while the
-- stores answered joins the unreadable ones in parked_events.

ALTER TABLE parked_events DROP CONSTRAINT parked_events_reason_check;
ALTER TABLE parked_events ADD CONSTRAINT parked_events_reason_check
    CHECK (reason IN ('unknown_kind', 'malformed_payload', 'malformed_entry', 'handler_failed'));
CREATE INDEX parked_events_room_idx ON parked_events (live_id, parked_at DESC);

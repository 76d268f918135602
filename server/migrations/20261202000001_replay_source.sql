-- Orders and funnel steps remember whether the tap that led to them was on the
-- live stream or on the room's replay (`source_type`), so the streamer's funnel
-- can show what a replay sold. Rows from before are live.
ALTER TABLE orders ADD COLUMN source_type TEXT NOT NULL DEFAULT 'live'
    CONSTRAINT orders_source_type_check CHECK (source_type IN ('live', 'replay'));
ALTER TABLE funnel_events ADD COLUMN source_type TEXT NOT NULL DEFAULT 'live'
    CONSTRAINT funnel_events_source_type_check CHECK (source_type IN ('live', 'replay'));

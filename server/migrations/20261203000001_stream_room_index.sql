-- `live_order_stream_room_idx (live_id, sku_id)` serves no query: the
-- dashboard reads the stream by (live_id, seq) and (live_id, ordered_at), the
-- catch-up by order_sn, each with an index of its own. Every order's stream
-- row paid for it on insert, in the statistics consumer's hot path.
DROP INDEX IF EXISTS live_order_stream_room_idx;

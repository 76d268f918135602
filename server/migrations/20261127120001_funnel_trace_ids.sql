-- Trace ids as real tracers write them: W3C trace-context, SkyWalking
-- (`segment.thread.timestamp`), UUIDs. The server checks the same alphabet and
-- length (`app::deep_link::valid_trace_id`) and drops anything else.

ALTER TABLE funnel_events DROP CONSTRAINT funnel_events_trace_id_check;
ALTER TABLE funnel_events ADD CONSTRAINT funnel_events_trace_id_check
    CHECK (trace_id IS NULL OR trace_id ~ '^[A-Za-z0-9_.:-]{1,128}$');

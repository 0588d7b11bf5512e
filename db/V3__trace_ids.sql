-- The trace each event's message came from (the W3C trace id of its producer span, io.eventflow.tracing), so the
-- dashboard can link an event to its trace. Null when tracing is off or the message carried no trace context.
ALTER TABLE topic1 ADD COLUMN trace_id text;
ALTER TABLE topic2 ADD COLUMN trace_id text;
ALTER TABLE topic3 ADD COLUMN trace_id text;

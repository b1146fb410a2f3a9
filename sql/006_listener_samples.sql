-- 006_listener_samples.sql: listeners per stream per minute, for the dashboard's and the stream
-- page's charts.
--
-- The streamer playing a stream writes one row per wall-clock minute when the minute closes
-- (and a partial one when it stops or hands the stream over). Listeners are the live mount's
-- plus the voice-call bridge's. listener_ms is the integral of the count over the minute
-- (listeners x milliseconds), so the mean over the whole minute is listener_ms / 60000 and a
-- mean over any span or over several streams is a plain sum divided by the span. covered_ms is
-- how much of the minute a streamer was playing. Two streamers that each played part of a
-- minute (a hand-over) add their parts: the upsert adds listener_ms and covered_ms and keeps
-- the larger peak. Rows older than listener_samples_retention_days are deleted by a streamer
-- about once an hour.

-- minute is the start of a UTC minute (the writer truncates it).
CREATE TABLE listener_samples (
  stream_id      bigint NOT NULL REFERENCES streams (id) ON DELETE CASCADE,
  minute         timestamptz NOT NULL,
  peak_listeners integer NOT NULL,
  listener_ms    bigint NOT NULL,
  covered_ms     integer NOT NULL,
  mean_listeners double precision GENERATED ALWAYS AS (listener_ms / 60000.0) STORED,
  PRIMARY KEY (stream_id, minute),
  CONSTRAINT listener_samples_peak CHECK (peak_listeners >= 0),
  CONSTRAINT listener_samples_listener_ms CHECK (listener_ms >= 0),
  CONSTRAINT listener_samples_covered_ms CHECK (covered_ms BETWEEN 0 AND 60000)
);
-- The all-streams chart and the retention delete read by time alone.
CREATE INDEX listener_samples_minute_idx ON listener_samples (minute);

-- The dashboard counts plays and auto-ends since midnight and plays per hour over a day,
-- across all streams: by time alone.
CREATE INDEX play_history_started_idx ON play_history (started_at);
CREATE INDEX stream_sessions_auto_end_idx ON stream_sessions (ended_at)
  WHERE end_reason = 'auto_end';

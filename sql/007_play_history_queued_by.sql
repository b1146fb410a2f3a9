-- 007_play_history_queued_by.sql: who queued each play, and an index that serves the history's
-- order exactly.
--
-- queued_by: the streamer copies the queue item's added_by.id into the row when the item
-- starts; NULL for rows written before this migration and once the user row is gone. The
-- partial index keeps ON DELETE SET NULL from scanning the whole history when a user row is
-- deleted.
--
-- History is read newest first with id as the tie-break (pages, the API, exports of a million
-- rows through a cursor). (stream_id, started_at DESC, id DESC) gives that order straight from
-- the index, with no sort, and does everything (stream_id, started_at DESC) did, so it replaces
-- it.

ALTER TABLE play_history
  ADD COLUMN queued_by bigint REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX play_history_queued_by_idx ON play_history (queued_by) WHERE queued_by IS NOT NULL;
CREATE INDEX play_history_stream_started_id_idx
  ON play_history (stream_id, started_at DESC, id DESC);
DROP INDEX play_history_stream_started_idx;

-- 004_stream_slug_live.sql: a deleted stream's slug may be used again.
--
-- Streams are soft-deleted (deleted_at) so their sessions and history stay. The slug must be
-- unique among live streams only; otherwise deleting "radio" would block a new "radio" forever.

ALTER TABLE streams DROP CONSTRAINT streams_slug_key;
CREATE UNIQUE INDEX streams_slug_live_key ON streams (slug) WHERE deleted_at IS NULL;

-- 008_track_list.sql: indexes for the admin tracks list (/admin/tracks) at 100,000 tracks.
--
-- The list shows one page of live tracks in one of five orders, optionally filtered by codec or
-- source kind. Each order gets a btree over its sort key with id as the tie-breaker, on live
-- rows only, so a page is an index walk that stops after LIMIT rows instead of a sort of the
-- whole catalog. (001's lower(title)/lower(artist) indexes use text_pattern_ops, which serve
-- prefix matches but not ORDER BY in the database's collation.) duration_ms sorts NULLS LAST in
-- both directions, so it needs one index per direction.

CREATE INDEX tracks_live_title_sort_idx ON tracks (lower(title), id) WHERE deleted_at IS NULL;
CREATE INDEX tracks_live_artist_sort_idx ON tracks (lower(artist), id) WHERE deleted_at IS NULL;
CREATE INDEX tracks_live_duration_asc_idx ON tracks (duration_ms ASC NULLS LAST, id ASC)
  WHERE deleted_at IS NULL;
CREATE INDEX tracks_live_duration_desc_idx ON tracks (duration_ms DESC NULLS LAST, id DESC)
  WHERE deleted_at IS NULL;
CREATE INDEX tracks_live_created_idx ON tracks (created_at, id) WHERE deleted_at IS NULL;
-- The codec and source filters, in id order (the default sort).
CREATE INDEX tracks_live_codec_idx ON tracks (codec, id) WHERE deleted_at IS NULL;
CREATE INDEX tracks_live_source_kind_idx ON tracks (source_kind, id) WHERE deleted_at IS NULL;

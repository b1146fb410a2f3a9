-- 003_track_search.sql: substring search over live tracks (GET /api/v1/tracks?q=...).
--
-- The tracks list matches q anywhere in the title or artist (ILIKE '%q%'), live tracks only. The
-- btree indexes of 001 serve prefix matches; trigram GIN indexes serve substrings, so the search
-- stays fast as the catalog grows. pg_trgm was created by 002_user_search.sql.

CREATE INDEX tracks_title_trgm_idx ON tracks USING gin (title gin_trgm_ops)
  WHERE deleted_at IS NULL;
CREATE INDEX tracks_artist_trgm_idx ON tracks USING gin (artist gin_trgm_ops)
  WHERE deleted_at IS NULL;

-- 005_stream_public.sql: which streams the public status page (/) and
-- GET /api/v1/public/now-playing may show. New and existing streams are public; an operator
-- hides one in its settings. Hidden streams never appear on public surfaces.

ALTER TABLE streams ADD COLUMN public boolean NOT NULL DEFAULT true;

-- 002_user_search.sql: substring search over users (GET /api/v1/users?q=...).
--
-- The users list matches q anywhere in the email or display name (ILIKE '%q%'). A btree cannot
-- serve that; trigram GIN indexes can, so the search stays fast as the table grows. pg_trgm is a
-- trusted extension (PostgreSQL 13+): the database owner may create it without superuser.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX users_email_trgm_idx ON users USING gin (email gin_trgm_ops);
CREATE INDEX users_display_name_trgm_idx ON users USING gin (display_name gin_trgm_ops);

-- 001_initial.sql: the first Sattva schema (PostgreSQL 15).
--
-- Applied by common/migrate.cc inside one transaction together with its schema_migrations row,
-- so this file must not contain transaction control (BEGIN/COMMIT) or statements that cannot run
-- in a transaction (CREATE INDEX CONCURRENTLY). Never edit it once applied anywhere: the migrator
-- refuses to run when an applied file's checksum changes. Add sql/002_*.sql instead.
--
-- Conventions: bigserial ids; timestamptz everywhere; enums are text with a CHECK (cheaper to
-- extend than a PostgreSQL enum type); soft deletes use deleted_at; no superuser-only extensions.

-- Keeps updated_at honest on every UPDATE, whoever forgets to set it.
CREATE FUNCTION sattva_set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

-- Users. Emails are stored lower-cased (the CHECK enforces it) and unique.
CREATE TABLE users (
  id            bigserial PRIMARY KEY,
  email         text NOT NULL,
  display_name  text NOT NULL DEFAULT '',
  telegram_id   bigint UNIQUE,
  -- Argon2id PHC string; NULL means the user cannot log in with a password.
  password_hash text,
  role          text NOT NULL DEFAULT 'user',
  status        text NOT NULL DEFAULT 'active',
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz,
  CONSTRAINT users_email_lower CHECK (email = lower(btrim(email))),
  CONSTRAINT users_email_format CHECK (length(email) <= 254 AND email ~ '^[^@\s]+@[^@\s]+$'),
  CONSTRAINT users_display_name_length CHECK (length(display_name) <= 200),
  CONSTRAINT users_password_hash_nonempty CHECK (password_hash IS NULL OR password_hash <> ''),
  CONSTRAINT users_role CHECK (role IN ('admin', 'moderator', 'user')),
  CONSTRAINT users_status CHECK (status IN ('active', 'blocked', 'deleted'))
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION sattva_set_updated_at();

-- API tokens. Only the SHA-256 (lower-case hex) of a token is stored.
CREATE TABLE api_tokens (
  id           bigserial PRIMARY KEY,
  user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name         text NOT NULL,
  token_hash   text NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  expires_at   timestamptz,
  revoked_at   timestamptz,
  CONSTRAINT api_tokens_name_length CHECK (length(name) BETWEEN 1 AND 100),
  CONSTRAINT api_tokens_token_hash_format CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  CONSTRAINT api_tokens_expires_after_created CHECK (expires_at IS NULL OR expires_at > created_at)
);
CREATE INDEX api_tokens_user_id_idx ON api_tokens (user_id);

-- Tracks: a local file, a URL, or an upload stored under media_dir, with what the probe found.
CREATE TABLE tracks (
  id          bigserial PRIMARY KEY,
  source_kind text NOT NULL,
  -- An absolute path for file and upload, an http(s) URL for url.
  source      text NOT NULL,
  title       text NOT NULL,
  artist      text NOT NULL DEFAULT '',
  -- NULL when unknown (a live URL has no duration).
  duration_ms bigint,
  codec       text NOT NULL DEFAULT '',
  sample_rate integer,
  channels    integer,
  size_bytes  bigint,
  created_by  bigint REFERENCES users (id) ON DELETE SET NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  deleted_at  timestamptz,
  CONSTRAINT tracks_source_kind CHECK (source_kind IN ('file', 'url', 'upload')),
  CONSTRAINT tracks_source_nonempty CHECK (source <> ''),
  CONSTRAINT tracks_url_scheme CHECK (source_kind <> 'url' OR source ~* '^https?://'),
  CONSTRAINT tracks_title_length CHECK (length(title) BETWEEN 1 AND 500),
  CONSTRAINT tracks_artist_length CHECK (length(artist) <= 500),
  CONSTRAINT tracks_duration_ms CHECK (duration_ms IS NULL OR duration_ms >= 0),
  CONSTRAINT tracks_sample_rate CHECK (sample_rate IS NULL OR sample_rate BETWEEN 1 AND 1000000),
  CONSTRAINT tracks_channels CHECK (channels IS NULL OR channels BETWEEN 1 AND 255),
  CONSTRAINT tracks_size_bytes CHECK (size_bytes IS NULL OR size_bytes >= 0)
);
-- One live track per source: re-importing a directory never duplicates a file.
CREATE UNIQUE INDEX tracks_source_key ON tracks (source) WHERE deleted_at IS NULL;
-- Case-insensitive equality and prefix search (lower(title) LIKE 'abc%') on live tracks.
CREATE INDEX tracks_title_idx ON tracks (lower(title) text_pattern_ops) WHERE deleted_at IS NULL;
CREATE INDEX tracks_artist_idx ON tracks (lower(artist) text_pattern_ops) WHERE deleted_at IS NULL;
CREATE INDEX tracks_created_by_idx ON tracks (created_by) WHERE created_by IS NOT NULL;

-- Streams.
CREATE TABLE streams (
  id                   bigserial PRIMARY KEY,
  slug                 text NOT NULL UNIQUE,
  title                text NOT NULL,
  description          text NOT NULL DEFAULT '',
  placeholder_track_id bigint REFERENCES tracks (id) ON DELETE SET NULL,
  auto_end_enabled     boolean NOT NULL DEFAULT true,
  auto_end_timeout_s   integer NOT NULL DEFAULT 300,
  desired_state        text NOT NULL DEFAULT 'stopped',
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  deleted_at           timestamptz,
  CONSTRAINT streams_slug_format CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  CONSTRAINT streams_title_length CHECK (length(title) BETWEEN 1 AND 200),
  CONSTRAINT streams_description_length CHECK (length(description) <= 5000),
  CONSTRAINT streams_auto_end_timeout_s CHECK (auto_end_timeout_s BETWEEN 10 AND 86400),
  CONSTRAINT streams_desired_state CHECK (desired_state IN ('running', 'stopped'))
);
CREATE INDEX streams_placeholder_track_id_idx ON streams (placeholder_track_id)
  WHERE placeholder_track_id IS NOT NULL;
CREATE TRIGGER streams_set_updated_at BEFORE UPDATE ON streams
  FOR EACH ROW EXECUTE FUNCTION sattva_set_updated_at();

-- One row per time a stream ran. An open session has no end; a closed one has a reason.
CREATE TABLE stream_sessions (
  id             bigserial PRIMARY KEY,
  stream_id      bigint NOT NULL REFERENCES streams (id),
  started_at     timestamptz NOT NULL DEFAULT now(),
  ended_at       timestamptz,
  end_reason     text,
  end_detail     text,
  ended_by       bigint REFERENCES users (id) ON DELETE SET NULL,
  peak_listeners integer NOT NULL DEFAULT 0,
  tracks_played  integer NOT NULL DEFAULT 0,
  CONSTRAINT stream_sessions_end_reason
    CHECK (end_reason IN ('auto_end', 'manual', 'error', 'shutdown')),
  CONSTRAINT stream_sessions_ended_has_reason CHECK ((ended_at IS NULL) = (end_reason IS NULL)),
  CONSTRAINT stream_sessions_ended_by_when_ended CHECK (ended_by IS NULL OR ended_at IS NOT NULL),
  CONSTRAINT stream_sessions_end_after_start CHECK (ended_at IS NULL OR ended_at >= started_at),
  CONSTRAINT stream_sessions_peak_listeners CHECK (peak_listeners >= 0),
  CONSTRAINT stream_sessions_tracks_played CHECK (tracks_played >= 0)
);
CREATE INDEX stream_sessions_stream_started_idx ON stream_sessions (stream_id, started_at DESC);
-- At most one open session per stream.
CREATE UNIQUE INDEX stream_sessions_one_open_key ON stream_sessions (stream_id)
  WHERE ended_at IS NULL;

-- What played, when, and how it ended. track_id is NULL once the track is hard-deleted.
CREATE TABLE play_history (
  id            bigserial PRIMARY KEY,
  stream_id     bigint NOT NULL REFERENCES streams (id),
  session_id    bigint REFERENCES stream_sessions (id) ON DELETE SET NULL,
  track_id      bigint REFERENCES tracks (id) ON DELETE SET NULL,
  -- The Redis queue item id; NULL when the placeholder played.
  queue_item_id text,
  started_at    timestamptz NOT NULL DEFAULT now(),
  ended_at      timestamptz,
  end_reason    text,
  error         text,
  CONSTRAINT play_history_end_reason CHECK (end_reason IN ('finished', 'skipped', 'error', 'stopped')),
  CONSTRAINT play_history_end_after_start CHECK (ended_at IS NULL OR ended_at >= started_at),
  CONSTRAINT play_history_reason_when_ended CHECK (end_reason IS NULL OR ended_at IS NOT NULL)
);
CREATE INDEX play_history_stream_started_idx ON play_history (stream_id, started_at DESC);
CREATE INDEX play_history_session_id_idx ON play_history (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX play_history_track_id_idx ON play_history (track_id) WHERE track_id IS NOT NULL;

-- Who did what to what. Append-only; changes never holds secrets.
CREATE TABLE audit_log (
  id            bigserial PRIMARY KEY,
  actor_user_id bigint REFERENCES users (id) ON DELETE SET NULL,
  -- A readable actor for rows without a user ('sattva-ctl', 'system', a token name) or the
  -- user's email at the time.
  actor_label   text NOT NULL DEFAULT '',
  action        text NOT NULL,
  target_type   text,
  target_id     text,
  changes       jsonb NOT NULL DEFAULT '{}'::jsonb,
  ip            inet,
  user_agent    text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT audit_log_action_format CHECK (action ~ '^[a-z][a-z0-9_.]*$'),
  CONSTRAINT audit_log_changes_object CHECK (jsonb_typeof(changes) = 'object'),
  CONSTRAINT audit_log_target_id_needs_type CHECK (target_id IS NULL OR target_type IS NOT NULL)
);
CREATE INDEX audit_log_created_idx ON audit_log (created_at);
CREATE INDEX audit_log_actor_created_idx ON audit_log (actor_user_id, created_at);
CREATE INDEX audit_log_action_created_idx ON audit_log (action, created_at);
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id);

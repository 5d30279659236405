-- The edge's own state: emailed sign-in links and browser sessions. Secrets never reach the
-- database: only their SHA-256, so a copy of these tables signs nobody in. No personal data:
-- member ids, role names and times only.
CREATE TABLE sign_in_links (
  secret_hash bytea PRIMARY KEY,
  member_id   uuid NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  -- Set once, by the one UPDATE that consumes the link (single use).
  used_at     timestamptz
);
CREATE INDEX sign_in_links_expires ON sign_in_links (expires_at);

CREATE TABLE sessions (
  id          uuid PRIMARY KEY,
  secret_hash bytea NOT NULL UNIQUE,
  member_id   uuid NOT NULL,
  -- Token role names as membership last said ("alumnus", "coordinator", ...).
  roles       text[] NOT NULL DEFAULT '{}',
  csrf_token  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  revoked_at  timestamptz
);
CREATE INDEX sessions_member ON sessions (member_id) WHERE revoked_at IS NULL;
CREATE INDEX sessions_expires ON sessions (expires_at);

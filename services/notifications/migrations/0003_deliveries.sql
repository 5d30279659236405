-- Consent per channel as membership last reported it (MemberConsentChanged). A channel with no
-- row has no consent: email and SMS are used only while a row says granted. Facts of one member
-- arrive in order (keyed by member id), and changed_at guards against an older fact replayed.
CREATE TABLE consents (
  member_id text NOT NULL,
  channel text NOT NULL,
  granted boolean NOT NULL,
  changed_at timestamptz NOT NULL,
  PRIMARY KEY (member_id, channel)
);

-- One row per (fact, member, channel) for the channels that leave the service (email, SMS):
-- the due-work table the dispatchers of every replica share. Only ids and kinds: the text is
-- rendered, and the address fetched (GetContact), at send time and never stored.
--
-- status: queued (due at due_at) | held (quiet hours; due when they end) | sending (claimed by
-- a dispatcher until lease_until) | sent | failed (gave up; last_error says why, never an
-- address) | suppressed_preference | suppressed_consent | digested (waits for the daily digest)
-- | capped (past the daily cap, SMS only).
CREATE TABLE deliveries (
  delivery_id uuid PRIMARY KEY,
  member_id text NOT NULL,
  channel text NOT NULL,
  category text NOT NULL,
  kind text NOT NULL,
  event_id uuid,
  shift_id uuid,
  role_id uuid,
  -- domain::DedupeKey(fact or reminder id, member, channel): one fact, one message per member
  -- and channel, whatever redelivers it.
  dedupe_key text NOT NULL UNIQUE,
  status text NOT NULL,
  due_at timestamptz NOT NULL,
  lease_until timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  sent_at timestamptz
);
-- What the dispatchers poll: due work per channel.
CREATE INDEX deliveries_due ON deliveries (channel, due_at)
  WHERE status IN ('queued', 'held', 'digested');
-- Claims whose dispatcher died.
CREATE INDEX deliveries_sending ON deliveries (lease_until) WHERE status = 'sending';
-- The daily cap: what went out to a member lately.
CREATE INDEX deliveries_sent_by_member ON deliveries (member_id, channel, sent_at)
  WHERE status = 'sent';

-- What members chose. A member without a row has domain::DefaultPreferences().
-- Choices are kept by name ("events.in_app", "reminders"), so reordering the enums in code
-- never changes what a stored row means.
CREATE TABLE preferences (
  member_id text PRIMARY KEY,
  time_zone text NOT NULL,
  -- "<category>.<channel>" for every channel that is on.
  enabled text[] NOT NULL,
  -- Categories gathered into the daily digest.
  digest text[] NOT NULL,
  quiet_start_minute integer NOT NULL,
  quiet_end_minute integer NOT NULL,
  role_suggestions boolean NOT NULL,
  updated_at timestamptz NOT NULL
);

-- The in-app inbox. Only ids: the text is rendered from `kind` when read.
CREATE TABLE inbox_items (
  item_id uuid PRIMARY KEY,
  member_id text NOT NULL,
  -- domain::DedupeKey(fact ce_id, member, in_app): one fact, one item per member, whatever
  -- redelivers it.
  dedupe_key text NOT NULL UNIQUE,
  category text NOT NULL,
  kind text NOT NULL,
  event_id uuid,
  created_at timestamptz NOT NULL,
  read_at timestamptz
);
CREATE INDEX inbox_items_by_member ON inbox_items (member_id, created_at DESC, item_id DESC);
CREATE INDEX inbox_items_unread ON inbox_items (member_id) WHERE read_at IS NULL;

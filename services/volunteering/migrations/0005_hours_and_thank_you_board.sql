-- Volunteer hours, one entry per member and shift, reviewed by coordinators; the thank-you
-- board's opt-ins; and the approved hours of erased members, kept per role only as anonymous
-- totals (so a role's totals are the same before and after an erasure). Writes take the
-- member's lock first; see storage/hours_store.cc.
CREATE TABLE hours (
  shift_id    uuid NOT NULL REFERENCES shifts (shift_id),
  member_id   uuid NOT NULL,
  role_id     uuid NOT NULL,
  minutes     integer NOT NULL,
  status      smallint NOT NULL,  -- 1 pending, 2 approved, 3 rejected
  logged_at   timestamptz NOT NULL,
  reviewed_at timestamptz,
  PRIMARY KEY (shift_id, member_id),
  -- At most a whole day: a shift is at most 24 hours long (the exact bound is the shift's).
  CONSTRAINT hours_minutes CHECK (minutes BETWEEN 1 AND 1440),
  CONSTRAINT hours_status CHECK (status IN (1, 2, 3)),
  CONSTRAINT hours_reviewed CHECK ((status = 1) = (reviewed_at IS NULL))
);
-- ListHours: a role's entries by status, in the order they were logged.
CREATE INDEX hours_by_role ON hours (role_id, logged_at, shift_id, member_id);
-- Summaries, the board and erasure.
CREATE INDEX hours_by_member ON hours (member_id, role_id);

-- Each member's approved minutes, the sum of their APPROVED entries, kept in step by the
-- approval (under the member's lock) so the thank-you board walks an index instead of summing
-- every entry on each call.
CREATE TABLE hours_member_totals (
  member_id uuid PRIMARY KEY,
  minutes   bigint NOT NULL,
  CONSTRAINT hours_member_totals_positive CHECK (minutes > 0)
);
CREATE INDEX hours_member_totals_board ON hours_member_totals (minutes DESC, member_id);

CREATE TABLE hours_anonymous (
  role_id    uuid PRIMARY KEY,
  minutes    bigint NOT NULL DEFAULT 0,
  -- Approved entries (one per volunteer and shift) and erased volunteers folded in.
  shifts     integer NOT NULL DEFAULT 0,
  volunteers integer NOT NULL DEFAULT 0,
  -- When an erasure last folded hours in.
  updated_at timestamptz NOT NULL
);

-- Members who chose to appear on the thank-you board; absent means off.
CREATE TABLE thank_you_board (
  member_id    uuid PRIMARY KEY,
  opted_in_at  timestamptz NOT NULL
);

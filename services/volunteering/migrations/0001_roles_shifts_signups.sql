-- Volunteer roles, their shifts and the sign-ups. Slot counts live on the shift row, and every
-- change to a shift's sign-ups first locks that row (SELECT ... FOR UPDATE), so the counts, the
-- rows and the waitlist order move together; see storage/role_store.cc for the lock order.
CREATE TABLE roles (
  role_id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  title                 text NOT NULL,
  description           text NOT NULL DEFAULT '',
  tags                  text[] NOT NULL DEFAULT '{}',
  venue                 text NOT NULL DEFAULT '',
  online_url            text NOT NULL DEFAULT '',
  event_id              uuid,
  min_sober_days        integer NOT NULL DEFAULT 0,
  max_shifts_per_person integer NOT NULL,
  status                smallint NOT NULL DEFAULT 1,  -- 1 open, 2 closed
  created_by            text NOT NULL,
  created_at            timestamptz NOT NULL,
  updated_at            timestamptz NOT NULL
);
CREATE INDEX roles_open ON roles (created_at DESC, role_id) WHERE status = 1;
CREATE INDEX roles_by_tag ON roles USING gin (tags);
CREATE INDEX roles_by_event ON roles (event_id) WHERE event_id IS NOT NULL;

CREATE TABLE shifts (
  shift_id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  role_id           uuid NOT NULL REFERENCES roles (role_id),
  starts_at         timestamptz NOT NULL,
  ends_at           timestamptz NOT NULL,
  time_zone         text NOT NULL,
  slots             integer NOT NULL,
  confirmed_count   integer NOT NULL DEFAULT 0,
  waitlist_count    integer NOT NULL DEFAULT 0,
  -- The next waitlist ticket: handed out in lock order, so it is the order of the line.
  next_waitlist_seq bigint NOT NULL DEFAULT 1,
  created_at        timestamptz NOT NULL,
  CONSTRAINT shifts_slots CHECK (slots BETWEEN 1 AND 500),
  -- The last line of defence against over-filling.
  CONSTRAINT shifts_not_overfilled CHECK (confirmed_count >= 0 AND confirmed_count <= slots),
  CONSTRAINT shifts_waitlist_count CHECK (waitlist_count >= 0),
  CONSTRAINT shifts_end_after_start CHECK (ends_at > starts_at)
);
CREATE INDEX shifts_by_role ON shifts (role_id, starts_at);

CREATE TABLE signups (
  signup_id    bigserial PRIMARY KEY,
  shift_id     uuid NOT NULL REFERENCES shifts (shift_id),
  role_id      uuid NOT NULL,
  member_id    uuid NOT NULL,
  status       smallint NOT NULL,  -- 1 confirmed, 2 waitlisted, 3 withdrawn
  waitlist_seq bigint,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  CONSTRAINT signups_waitlisted_have_a_ticket CHECK (status <> 2 OR waitlist_seq IS NOT NULL)
);
-- One active sign-up per member and shift; withdrawn ones are history.
CREATE UNIQUE INDEX signups_one_active ON signups (shift_id, member_id) WHERE status IN (1, 2);
-- The line: one ticket per place, walked in order to promote.
CREATE UNIQUE INDEX signups_line ON signups (shift_id, waitlist_seq) WHERE status = 2;
CREATE INDEX signups_by_member ON signups (member_id, role_id) WHERE status IN (1, 2);

-- Events and the RSVPs to them. The seat counts live on the event row, and every change to an
-- event's RSVPs first locks that row (SELECT ... FOR UPDATE), so the counts, the rows and the
-- waitlist order move together; see storage/event_store.cc for why that holds under READ
-- COMMITTED.
CREATE TABLE events (
  event_id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  series_id         uuid,
  title             text NOT NULL,
  description       text NOT NULL DEFAULT '',
  kind              smallint NOT NULL,
  starts_at         timestamptz NOT NULL,
  ends_at           timestamptz NOT NULL,
  time_zone         text NOT NULL,
  venue             text NOT NULL DEFAULT '',
  online_url        text NOT NULL DEFAULT '',
  capacity          integer NOT NULL,
  waitlist_enabled  boolean NOT NULL,
  visibility        smallint NOT NULL,
  status            smallint NOT NULL DEFAULT 1,  -- 1 scheduled, 2 cancelled
  going_count       integer NOT NULL DEFAULT 0,
  waitlist_count    integer NOT NULL DEFAULT 0,
  -- The next waitlist ticket: handed out in lock order, so it is the order of the line.
  next_waitlist_seq bigint NOT NULL DEFAULT 1,
  -- The iCalendar SEQUENCE: bumped on every change a calendar shows.
  sequence          integer NOT NULL DEFAULT 0,
  created_by        text NOT NULL,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  cancelled_at      timestamptz,
  CONSTRAINT events_capacity CHECK (capacity >= 1),
  -- The last line of defence against overbooking.
  CONSTRAINT events_not_overbooked CHECK (going_count >= 0 AND going_count <= capacity),
  CONSTRAINT events_waitlist_count CHECK (waitlist_count >= 0),
  CONSTRAINT events_ends_after_start CHECK (ends_at > starts_at)
);

CREATE INDEX events_by_start ON events (starts_at, event_id);
CREATE INDEX events_by_series ON events (series_id, starts_at) WHERE series_id IS NOT NULL;

CREATE TABLE rsvps (
  rsvp_id        bigserial PRIMARY KEY,
  event_id       uuid NOT NULL REFERENCES events (event_id),
  member_id      uuid NOT NULL,
  status         smallint NOT NULL,  -- 1 going, 2 waitlisted, 3 cancelled
  -- The ticket taken when joining the line; kept after promotion or cancellation.
  waitlist_seq   bigint,
  checked_in_at  timestamptz,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  CONSTRAINT rsvps_waitlisted_have_a_ticket CHECK (status <> 2 OR waitlist_seq IS NOT NULL)
);

-- One active (going or waitlisted) RSVP per member and event; cancelled ones are history.
CREATE UNIQUE INDEX rsvps_one_active ON rsvps (event_id, member_id) WHERE status IN (1, 2);
-- The line: one ticket per place, walked in order to promote.
CREATE UNIQUE INDEX rsvps_waitlist ON rsvps (event_id, waitlist_seq) WHERE status = 2;
CREATE INDEX rsvps_by_member ON rsvps (member_id, event_id);
CREATE INDEX rsvps_by_event ON rsvps (event_id, status, rsvp_id);

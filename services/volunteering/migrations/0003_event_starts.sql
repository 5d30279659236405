-- The start each event linked to a role was last known at, from the events service's facts
-- (EventPublished, EventUpdated), so an EventUpdated says how far the event moved and its
-- linked shifts move by as much. `sequence` is the event's own change counter: an update at or
-- below the one recorded is stale or replayed and moves nothing.
CREATE TABLE event_starts (
  event_id   uuid PRIMARY KEY,
  starts_at  timestamptz NOT NULL,
  sequence   integer NOT NULL,
  updated_at timestamptz NOT NULL
);
-- Walking a role's scheduled shifts when its event moves or is cancelled.
CREATE INDEX shifts_scheduled_by_role ON shifts (role_id, shift_id) WHERE status = 1;

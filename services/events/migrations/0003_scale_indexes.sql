-- An erasure finds the events the member created: without this it read every event
-- (tests/explain found it).
CREATE INDEX events_by_creator ON events (created_by);

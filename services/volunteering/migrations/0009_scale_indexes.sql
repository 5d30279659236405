-- An erasure finds the roles the member created: without this it read every role.
CREATE INDEX roles_by_creator ON roles (created_by);
-- ListRoles with a date range finds the scheduled shifts starting in it, not every shift of
-- every role (tests/explain found both).
CREATE INDEX shifts_scheduled_by_start ON shifts (starts_at, role_id) WHERE status = 1;

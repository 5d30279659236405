-- Columns the later parts of the service share: roles that need a coordinator's approval, the
-- pending count beside the other slot counts (kept under the shift's lock like them), a shift's
-- status (scheduled or cancelled) and when it last changed.
ALTER TABLE roles ADD COLUMN requires_approval boolean NOT NULL DEFAULT false;

ALTER TABLE shifts ADD COLUMN status smallint NOT NULL DEFAULT 1;  -- 1 scheduled, 2 cancelled
ALTER TABLE shifts ADD COLUMN pending_count integer NOT NULL DEFAULT 0;
ALTER TABLE shifts ADD COLUMN updated_at timestamptz;
UPDATE shifts SET updated_at = created_at;
ALTER TABLE shifts ALTER COLUMN updated_at SET NOT NULL;
ALTER TABLE shifts ADD CONSTRAINT shifts_pending_count CHECK (pending_count >= 0);

-- Sign-up statuses: 1 confirmed, 2 waitlisted, 3 withdrawn, 4 pending approval, 5 declined,
-- 6 shift cancelled. A pending sign-up is active: one per member and shift, counted in the
-- per-person limit.
DROP INDEX signups_one_active;
CREATE UNIQUE INDEX signups_one_active ON signups (shift_id, member_id) WHERE status IN (1, 2, 4);
DROP INDEX signups_by_member;
CREATE INDEX signups_by_member ON signups (member_id, role_id) WHERE status IN (1, 2, 4);

-- When the member (last) chose to celebrate milestones. The milestone job announces the latest
-- milestone reached since then, by the member's own calendar, however long the job was down;
-- milestones reached before the member opted in are not announced.
ALTER TABLE members ADD COLUMN celebrating_since timestamptz;
-- Members who already celebrate keep what the old job's 7-day look-back gave them.
UPDATE members SET celebrating_since = now() - interval '7 days' WHERE celebrate_milestones;

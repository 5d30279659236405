-- Who is going to or waiting for what, kept from events' and volunteering's facts (so that a
-- moved event can be told to everyone on it, and reminders follow the start time). Ids only.
CREATE TABLE attendance (
  -- 'event' or 'shift' (domain::SubjectKindName).
  subject_kind text NOT NULL,
  subject_id uuid NOT NULL,
  -- The role a shift belongs to; NULL for events.
  role_id uuid,
  member_id text NOT NULL,
  -- 'going' or 'waiting'.
  status text NOT NULL,
  -- NULL while no fact has said when it starts.
  start_time timestamptz,
  PRIMARY KEY (subject_kind, subject_id, member_id)
);
CREATE INDEX attendance_by_member ON attendance (member_id);

-- Reminders due before what a member is going to: work for the poller
-- (messaging::ReminderPoller), taken FOR UPDATE SKIP LOCKED so replicas never take one twice.
CREATE TABLE reminders (
  subject_kind text NOT NULL,
  subject_id uuid NOT NULL,
  role_id uuid,
  member_id text NOT NULL,
  -- 'day_before' or 'two_hours' (domain::ReminderKindName).
  kind text NOT NULL,
  -- The start time it was computed from: part of its delivery's dedupe key, so a reminder made
  -- again for a new time is delivered again, and one for the same time never twice.
  start_time timestamptz NOT NULL,
  due_at timestamptz NOT NULL,
  -- 'pending', 'sent', or 'missed' (due only after the start: never sent).
  status text NOT NULL,
  sent_at timestamptz,
  PRIMARY KEY (subject_kind, subject_id, member_id, kind)
);
CREATE INDEX reminders_due ON reminders (due_at) WHERE status = 'pending';
CREATE INDEX reminders_by_member ON reminders (member_id);

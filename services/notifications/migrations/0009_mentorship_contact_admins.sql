-- Mentorship, continued (issue 12).

-- An introduction's email shows the other party's address only when they chose to share it:
-- the choice (from MentorshipStarted's booleans) is kept on the delivery, the address is looked
-- up from membership at send time and never stored here.
ALTER TABLE deliveries
  ADD COLUMN other_shares_email boolean NOT NULL DEFAULT false,
  ADD COLUMN other_shares_phone boolean NOT NULL DEFAULT false,
  -- The time a notice asks for an answer by (a mentor's choice: MentorChosen's respond_by),
  -- rendered in the member's zone at send time.
  ADD COLUMN answer_by timestamptz;

-- Who holds membership's "admin" role: told, like coordinators, that a mentorship needs
-- attention. Kept apart from `coordinators` because a member may hold both roles and lose one.
-- Same rules: newest `changed_at` wins, a revocation keeps the row, MemberDeleted erases it.
CREATE TABLE admins (
  member_id text PRIMARY KEY,
  admin boolean NOT NULL,
  changed_at timestamptz NOT NULL
);
CREATE INDEX admins_current ON admins (member_id) WHERE admin;

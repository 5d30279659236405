-- Contact sharing (issue 12): which of their addresses a person is willing to show the other
-- party of a match they start. Booleans only: the addresses stay in membership and are looked up
-- by notifications when the introduction is sent. A mentor's choice is on their profile, a
-- mentee's on each request (the choice as it stood when the match started is what counts).
ALTER TABLE mentor_profiles
  ADD COLUMN share_email boolean NOT NULL DEFAULT false,
  ADD COLUMN share_phone boolean NOT NULL DEFAULT false;
ALTER TABLE mentorship_requests
  ADD COLUMN share_email boolean NOT NULL DEFAULT false,
  ADD COLUMN share_phone boolean NOT NULL DEFAULT false;

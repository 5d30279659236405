-- A projection of members' interest tags from membership's facts (MemberRegistered, and
-- MemberProfileUpdated naming "interests": the member's whole new set replaces the old one),
-- for matching volunteering's new roles to the members who opted in to role suggestions.
-- Catalogue tags only; MemberDeleted erases the member's rows.
CREATE TABLE member_interests (
  member_id text NOT NULL,
  tag text NOT NULL,
  PRIMARY KEY (member_id, tag)
);
-- A role's recipients: the members holding any of its tags.
CREATE INDEX member_interests_by_tag ON member_interests (tag, member_id);
-- ... among those who opted in to role suggestions.
CREATE INDEX preferences_role_suggestions ON preferences (member_id) WHERE role_suggestions;

-- Mentorship (volunteering's MentorshipService facts): issue 12.

-- Who holds the coordinator role, projected from membership's MemberRoleAssigned /
-- MemberRoleRevoked (role "coordinator"), for telling coordinators that a mentorship needs
-- their attention. A revocation keeps the row with `coordinator` false so that an older fact
-- handled later (newest `changed_at` wins) can't bring the role back. Ids and times only;
-- MemberDeleted erases the member's row.
CREATE TABLE coordinators (
  member_id text PRIMARY KEY,
  coordinator boolean NOT NULL,
  changed_at timestamptz NOT NULL
);
CREATE INDEX coordinators_current ON coordinators (member_id) WHERE coordinator;

-- A mentorship introduction's email / SMS names the other party: their id (looked up at send
-- time for the display name, never stored as text). Cleared when that member is erased.
ALTER TABLE deliveries ADD COLUMN other_member_id text;
CREATE INDEX deliveries_by_other_member ON deliveries (other_member_id)
  WHERE other_member_id IS NOT NULL;

-- The new "mentorship" category: a member who saved preferences before it existed gets the
-- same channels and digest choice for it as they chose for volunteering (giving back is one
-- domain), rather than nothing at all.
UPDATE preferences
SET enabled = enabled || ARRAY(
      SELECT 'mentorship.' || substr(e, length('volunteering.') + 1)
      FROM unnest(enabled) AS e WHERE e LIKE 'volunteering.%'),
    digest = CASE WHEN 'volunteering' = ANY(digest) THEN digest || ARRAY['mentorship']
                  ELSE digest END
WHERE NOT EXISTS (SELECT 1 FROM unnest(enabled) AS e WHERE e LIKE 'mentorship.%');

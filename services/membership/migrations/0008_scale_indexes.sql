-- The milestone job reads only the members who celebrate (and told us a date): without this it
-- read every member at each run, however few opted in (tests/explain found it).
CREATE INDEX members_celebrating ON members (member_id)
  WHERE status = 1 AND celebrate_milestones AND sobriety_sealed IS NOT NULL;

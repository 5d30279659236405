-- CheckEligibility answers only thresholds of the milestone ladder, and each caller may ask
-- about at most a few distinct thresholds per member per day (see MemberStore::CheckEligibility).
-- The threshold asked is kept with the audit row so that limit holds across replicas.
ALTER TABLE access_audit ADD COLUMN min_sober_days integer;
CREATE INDEX access_audit_eligibility ON access_audit (member_id, accessed_by, accessed_at)
  WHERE what = 'eligibility';

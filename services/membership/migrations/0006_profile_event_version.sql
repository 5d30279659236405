-- MemberProfileUpdated.version is its own per-member sequence, bumped only when that event is
-- emitted. members.version also moves on changes nothing announces (phone, program, sobriety
-- date, privacy, consent, roles), so its gaps on the topic told every consumer that something
-- private had changed. Existing members continue from their current version, so the sequence a
-- consumer has seen keeps rising.
ALTER TABLE members ADD COLUMN profile_event_version bigint NOT NULL DEFAULT 1;
UPDATE members SET profile_event_version = version;

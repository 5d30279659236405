-- Program (treatment level) is health data: sealed at rest like the sobriety date, bound to its
-- row and column. SQL can't seal (the key lives in the service), so the service seals the
-- values already here when it starts (MemberStore::SealPlainPrograms) and zeroes the plain
-- column; nothing writes the plain column any more. A later migration drops it once every
-- deployment has started this version.
ALTER TABLE members ADD COLUMN program_sealed bytea;

-- Personal data at rest: email, phone and sobriety date are sealed by the service with
-- libsodium (keys from HC_DATA_KEY_FILE) and the plain columns go. Email uniqueness is kept
-- through a keyed fingerprint, not the address.
-- Pre-release: there is no production data; local demo rows are removed here and
-- scripts/run.sh seeds them again.
DELETE FROM members;
ALTER TABLE members
  DROP COLUMN email,
  DROP COLUMN phone,
  DROP COLUMN sobriety_date,
  ADD COLUMN email_fingerprint bytea,
  ADD COLUMN email_sealed bytea,
  ADD COLUMN phone_sealed bytea,
  ADD COLUMN sobriety_sealed bytea,
  ADD COLUMN directory_visibility smallint NOT NULL DEFAULT 1,
  ADD COLUMN visible_fields smallint[] NOT NULL DEFAULT '{}',
  ADD COLUMN celebrate_milestones boolean NOT NULL DEFAULT false,
  ADD COLUMN hide_name_in_lists boolean NOT NULL DEFAULT false,
  ADD COLUMN deleted_at timestamptz;

-- Tombstones have no fingerprint (NULLs don't collide), so an erased person may come back.
CREATE UNIQUE INDEX members_email_fingerprint_key ON members (email_fingerprint);
CREATE INDEX members_directory ON members (lower(display_name), member_id)
  WHERE status = 1 AND directory_visibility = 2;

CREATE TABLE member_consents (
  member_id  uuid NOT NULL REFERENCES members ON DELETE CASCADE,
  channel    smallint NOT NULL,
  granted    boolean NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (member_id, channel)
);

-- Every read of contact data or eligibility by another service (accounting of disclosures).
-- Ids and purposes only.
CREATE TABLE access_audit (
  id          bigserial PRIMARY KEY,
  member_id   uuid NOT NULL,
  accessed_by text NOT NULL,
  purpose     text NOT NULL,
  what        text NOT NULL,
  accessed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX access_audit_member ON access_audit (member_id, id DESC);

-- Milestones already announced: the primary key makes each one go out once, however many
-- job runs or replicas race.
CREATE TABLE member_milestones (
  member_id  uuid NOT NULL,
  milestone  text NOT NULL,
  emitted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (member_id, milestone)
);

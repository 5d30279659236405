-- Members: the system of record for who belongs to the community.
CREATE TABLE members (
  member_id     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  first_name    text NOT NULL,
  last_name     text NOT NULL DEFAULT '',
  display_name  text NOT NULL,
  email         text NOT NULL,
  phone         text NOT NULL DEFAULT '',
  program       smallint NOT NULL DEFAULT 0,
  sobriety_date date,
  interests     text[] NOT NULL DEFAULT '{}',
  time_zone     text NOT NULL,
  roles         smallint[] NOT NULL DEFAULT '{1}',
  status        smallint NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  version       bigint NOT NULL DEFAULT 1
);

-- Emails are stored normalised (trimmed, lower case) by the service.
CREATE UNIQUE INDEX members_email_key ON members (email);

-- Interests are tags from a catalogue coordinators keep, not free text: interests go on Kafka
-- (MemberRegistered) and into the directory, and free text is where a member could write a
-- date. Retired tags stay for members who have them; nobody new can choose them.
CREATE TABLE interest_tags (
  tag        text PRIMARY KEY,
  added_by   text NOT NULL DEFAULT '',
  added_at   timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz
);
INSERT INTO interest_tags (tag) VALUES
  ('art'), ('cooking'), ('crafts'), ('faith'), ('film'), ('fitness'), ('games'), ('gardening'),
  ('hiking'), ('meditation'), ('music'), ('outdoors'), ('parenting'), ('peer-support'),
  ('reading'), ('running'), ('sports'), ('volunteering'), ('writing'), ('yoga');
-- Interests already held that are not in the catalogue were free text: they go.
UPDATE members SET interests = ARRAY(
  SELECT i FROM unnest(interests) WITH ORDINALITY AS u(i, n)
  WHERE i IN (SELECT tag FROM interest_tags) ORDER BY n)
WHERE NOT interests <@ ARRAY(SELECT tag FROM interest_tags);

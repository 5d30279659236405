-- SearchDirectory's keys: each name folded by ICU's root locale (as the search matches it) and
-- compared byte by byte (COLLATE "C"), so a LIKE 'prefix%' on a key is an index range. The
-- directory is listed in display-name key order; walking members_directory (plain lower(), in
-- that order) to find a prefix read every entry that sorts before it, a share of the whole
-- community (bench/README.md, scale.sh).
CREATE INDEX members_directory_key
  ON members ((lower(display_name COLLATE "und-x-icu") COLLATE "C"), member_id)
  WHERE status = 1 AND directory_visibility = 2;
-- First and last name match only where shown (1 = ANY(visible_fields), left to a filter): these
-- find the candidates, which are then sorted by display-name key.
CREATE INDEX members_directory_first_key
  ON members ((lower(first_name COLLATE "und-x-icu") COLLATE "C"))
  WHERE status = 1 AND directory_visibility = 2;
CREATE INDEX members_directory_last_key
  ON members ((lower(last_name COLLATE "und-x-icu") COLLATE "C"))
  WHERE status = 1 AND directory_visibility = 2;
-- The planner does not use a partial index's statistics, so without these it guesses 0.5 % of
-- the members for every prefix and sorts every first-name match of "j" instead of walking the
-- display-name key in order, where the page is found at once.
CREATE STATISTICS members_directory_keys
  ON (lower(display_name COLLATE "und-x-icu") COLLATE "C"),
     (lower(first_name COLLATE "und-x-icu") COLLATE "C"),
     (lower(last_name COLLATE "und-x-icu") COLLATE "C")
  FROM members;
DROP INDEX members_directory;

-- Recurring series: the rule a coordinator chose. Each occurrence is an ordinary event (its own
-- seats, RSVPs and waitlist) that names its series.
CREATE TABLE series (
  series_id   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  frequency   smallint NOT NULL,  -- 1 weekly, 2 monthly
  occurrences integer NOT NULL,
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL
);

ALTER TABLE events ADD CONSTRAINT events_series_fk FOREIGN KEY (series_id) REFERENCES series;

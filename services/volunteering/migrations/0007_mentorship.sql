-- Peer mentorship (issue 12): mentor profiles, requests with their ranked proposals, matches
-- and their check-ins, and blocked pairs. Free text (a mentor's introduction, check-in notes)
-- and self-described gender are sealed with the service's data key (libs/crypto), bound to
-- their row; gender is matched through a keyed fingerprint of its normalised form. Writes take
-- the member's lock first, then the mentor's profile row, then the request or match row; see
-- storage/mentorship_store.cc.
CREATE TABLE mentor_profiles (
  member_id          uuid PRIMARY KEY,
  capacity           smallint NOT NULL,
  accepting          boolean NOT NULL,
  programs           text[] NOT NULL,
  interests          text[] NOT NULL,
  languages          text[] NOT NULL,
  time_zone          text NOT NULL,
  -- Weekly windows in the mentor's zone as (day, start minute, end minute) triples.
  windows            integer[] NOT NULL,
  introduction       bytea,
  gender             bytea,
  gender_fingerprint bytea,
  updated_at         timestamptz NOT NULL,
  CONSTRAINT mentor_profiles_capacity CHECK (capacity BETWEEN 1 AND 5)
);

CREATE TABLE mentorship_requests (
  request_id         uuid PRIMARY KEY,
  mentee_id          uuid NOT NULL,
  status             smallint NOT NULL,  -- 1 open, 2 matched, 3 withdrawn
  programs           text[] NOT NULL,
  interests          text[] NOT NULL,
  language           text NOT NULL,
  time_zone          text NOT NULL,
  windows            integer[] NOT NULL,
  same_gender        boolean NOT NULL,
  created_at         timestamptz NOT NULL,
  CONSTRAINT mentorship_requests_status CHECK (status IN (1, 2, 3))
);
-- One open request per mentee.
CREATE UNIQUE INDEX mentorship_requests_open ON mentorship_requests (mentee_id) WHERE status = 1;

-- Up to three ranked proposals per request, with the score's parts as they were then.
CREATE TABLE mentorship_proposals (
  request_id uuid NOT NULL REFERENCES mentorship_requests (request_id) ON DELETE CASCADE,
  rank       smallint NOT NULL,
  mentor_id  uuid NOT NULL,
  score      integer[] NOT NULL,  -- programs, interests, overlap minutes, focus, interest, overlap, load, total points
  PRIMARY KEY (request_id, rank),
  CONSTRAINT mentorship_proposals_rank CHECK (rank BETWEEN 1 AND 3)
);

CREATE TABLE mentorship_matches (
  match_id          uuid PRIMARY KEY,
  request_id        uuid NOT NULL REFERENCES mentorship_requests (request_id) ON DELETE CASCADE,
  mentor_id         uuid NOT NULL,
  mentee_id         uuid NOT NULL,
  -- 1 chosen (awaiting the mentor), 2 active, 3 declined, 4 expired, 5 ended, 6 paused
  status            smallint NOT NULL,
  respond_by        timestamptz NOT NULL,
  created_at        timestamptz NOT NULL,
  started_at        timestamptz,
  ended_at          timestamptz,
  end_reason        smallint,
  last_activity_at  timestamptz NOT NULL,
  check_in_due_at   timestamptz,
  CONSTRAINT mentorship_matches_status CHECK (status BETWEEN 1 AND 6)
);
-- A mentor's places: active and paused matches count against the capacity.
CREATE INDEX mentorship_matches_by_mentor ON mentorship_matches (mentor_id, status);
CREATE INDEX mentorship_matches_by_mentee ON mentorship_matches (mentee_id, status);
-- At most one choice awaiting an answer or match going on per request.
CREATE UNIQUE INDEX mentorship_matches_live ON mentorship_matches (request_id)
  WHERE status IN (1, 2, 6);
-- The poller's two scans.
CREATE INDEX mentorship_matches_respond_by ON mentorship_matches (respond_by) WHERE status = 1;
CREATE INDEX mentorship_matches_quiet ON mentorship_matches (last_activity_at) WHERE status = 2;

CREATE TABLE mentorship_check_ins (
  check_in_id uuid PRIMARY KEY,
  match_id    uuid NOT NULL REFERENCES mentorship_matches (match_id) ON DELETE CASCADE,
  author_id   uuid NOT NULL,
  held_on     date NOT NULL,
  note        bytea,  -- sealed; opened only for its author
  created_at  timestamptz NOT NULL
);
CREATE INDEX mentorship_check_ins_by_match ON mentorship_check_ins (match_id, held_on);

-- Pairs never proposed again, whichever of the two asked.
CREATE TABLE mentorship_blocks (
  blocker_id uuid NOT NULL,
  blocked_id uuid NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX mentorship_blocks_by_blocked ON mentorship_blocks (blocked_id);

-- Concerns for coordinators: categories only.
CREATE TABLE mentorship_concerns (
  concern_id  uuid PRIMARY KEY,
  match_id    uuid NOT NULL REFERENCES mentorship_matches (match_id) ON DELETE CASCADE,
  category    smallint NOT NULL,
  created_at  timestamptz NOT NULL
);

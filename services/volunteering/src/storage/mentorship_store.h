#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/crypto/crypto.h"
#include "libs/postgres/pool.h"
#include "libs/tz/time_zones.h"
#include "services/volunteering/src/domain/mentorship.h"
#include "services/volunteering/src/messaging/mentorship_facts.h"

namespace volunteering::storage {

// A mentor's profile with its sealed fields opened (for its owner only).
struct MentorProfileRecord {
  mentorship::MentorCandidate mentor;  // `load` = active and paused matches
  std::string introduction;
  std::string gender;
  mentorship::ContactSharing share_contact;
  absl::Time updated_at;
};

struct RequestResult {
  std::string request_id;
  std::vector<mentorship::Proposal> proposals;
};

// How a mentor's answer went; `status` is what the caller is told.
struct RespondResult {
  mentorship::Match match;
  absl::Status status;
};

struct MyMentorship {
  std::vector<mentorship::Match> as_mentee;
  std::vector<mentorship::Match> as_mentor;
  std::string open_request_id;
  std::vector<mentorship::Proposal> open_proposals;
  // Introductions of the mentors of the caller's active matches as mentee, by mentor id.
  std::map<std::string, std::string> introductions;
};

struct CheckIn {
  std::string check_in_id;
  std::string match_id;
  std::string author_id;
  absl::CivilDay held_on;
  // Only for its author; empty for the other party.
  std::string note;
  absl::Time created_at;
};

// What coordinators see: aggregates only, no names, no conversations.
struct MentorshipOverview {
  int mentors = 0;
  int accepting_mentors = 0;
  int places = 0;  // capacity of accepting mentors
  int active = 0;
  int paused = 0;
  int awaiting_answer = 0;
  int open_requests = 0;
  int open_requests_older_than_week = 0;
};

// Mentor profiles, requests, proposals and matches in PostgreSQL, with their facts in the
// outbox. The lock order and the capacity invariant are written in mentorship_store.cc.
class MentorshipStore {
 public:
  MentorshipStore(hc::postgres::Pool& pool, const hc::crypto::DataKeys& keys,
                  const facts::MentorshipFacts& facts, const hc::tz::SystemTimeZones& zones)
      : pool_(pool), keys_(keys), facts_(facts), zones_(zones) {}

  // Creates or replaces the profile of `profile.mentor.member_id` (already validated).
  absl::StatusOr<MentorProfileRecord> UpsertProfile(const MentorProfileRecord& profile,
                                                    absl::Time now);
  // NOT_FOUND when the member has no profile.
  absl::StatusOr<MentorProfileRecord> GetProfile(const std::string& member_id);

  // Ranks the mentors for `request` (validated; `blocked` and the fingerprint are filled here
  // from `gender`) and records the request with its proposals. A previous open request of the
  // mentee is withdrawn; FAILED_PRECONDITION while they have a choice pending or a match.
  absl::StatusOr<RequestResult> Request(mentorship::MenteeRequest request,
                                        const std::string& gender, absl::Time now);
  // The mentee picks one of the request's proposals. NOT_FOUND for another's request.
  absl::StatusOr<mentorship::Match> Choose(const std::string& mentee_id,
                                           const std::string& request_id,
                                           const std::string& mentor_id, absl::Time now,
                                           absl::Time respond_by);
  // The mentor's answer. Accepting takes a place under the mentor's profile lock; no place left
  // is FAILED_PRECONDITION with nothing changed. An answer after `respond_by` expires the
  // choice (committed) and says FAILED_PRECONDITION.
  absl::StatusOr<RespondResult> Respond(const std::string& mentor_id, const std::string& match_id,
                                        bool accept, absl::Time now);
  absl::StatusOr<MyMentorship> Mine(const std::string& member_id);
  // Either party; a match already over answers as it stands.
  absl::StatusOr<mentorship::Match> End(const std::string& member_id, const std::string& match_id,
                                        mentorship::EndReason reason, absl::Time now);
  // Either party of an active or paused match; the note sealed for its author.
  absl::StatusOr<CheckIn> LogCheckIn(const std::string& member_id, const std::string& match_id,
                                     absl::CivilDay held_on, const std::string& note,
                                     absl::Time now);
  // A match's check-ins, oldest first; notes only of the caller's own.
  absl::StatusOr<std::vector<CheckIn>> ListCheckIns(const std::string& member_id,
                                                    const std::string& match_id);
  // Either party: an active match is paused (it keeps its place), a choice awaiting an answer
  // ends; with `block` the pair is never proposed again. Returns the match as it is now.
  absl::StatusOr<mentorship::Match> ReportConcern(const std::string& member_id,
                                                  const std::string& match_id, int category,
                                                  bool block, absl::Time now);
  absl::StatusOr<MentorshipOverview> Overview(absl::Time now);
  // The poller's two jobs, each one transaction of up to `batch` rows taken FOR UPDATE SKIP
  // LOCKED (replicas take disjoint rows): choices unanswered past their deadline expire
  // (MentorChoiceLapsed); active matches quiet for `quiet` get one MentorCheckInDue (again
  // only after a new check-in and another quiet spell). Return how many rows they changed.
  absl::StatusOr<int> ExpireChoices(absl::Time now, int batch);
  absl::StatusOr<int> MarkCheckInsDue(absl::Time now, absl::Duration quiet, int batch);
  // Inside the erasing transaction (which holds the member's erasure lock): their live
  // matches end (MentorshipEnded, MEMBER_LEFT, naming only the other party), then their
  // profile, requests, matches with their check-ins, and blocks are deleted.
  void EraseMemberIn(hc::postgres::Tx& tx, const std::string& member_id, absl::Time now);

 private:
  hc::postgres::Pool& pool_;
  const hc::crypto::DataKeys& keys_;
  const facts::MentorshipFacts& facts_;
  const hc::tz::SystemTimeZones& zones_;
};

}  // namespace volunteering::storage

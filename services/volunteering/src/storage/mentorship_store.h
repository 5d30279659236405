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

#pragma once

#include <string>

#include "absl/time/time.h"
#include "libs/postgres/pool.h"
#include "services/volunteering/src/domain/mentorship.h"

namespace volunteering::facts {

// Mentorship's facts, recorded in the outbox inside the caller's transaction on the service's
// topic: keyed by request id until a mentor is chosen, then by match id, so each thread's facts
// stay in order. Ids, ranks, scores and categories only; the members named are the facts'
// subjects (an erasure forgets them). See volunteering_events.proto.
class MentorshipFacts {
 public:
  explicit MentorshipFacts(std::string topic) : topic_(std::move(topic)) {}

  void Requested(hc::postgres::Tx& tx, const std::string& request_id, const std::string& mentee_id,
                 int proposals, absl::Time at) const;
  void Proposed(hc::postgres::Tx& tx, const std::string& request_id, const std::string& mentee_id,
                const mentorship::Proposal& proposal, int rank) const;
  void Chosen(hc::postgres::Tx& tx, const mentorship::Match& match) const;
  // `expired`: the mentor did not answer in time; else they declined.
  void Lapsed(hc::postgres::Tx& tx, const mentorship::Match& match, bool expired,
              absl::Time at) const;
  // Carries only whether each party shares an address, never the address.
  void Started(hc::postgres::Tx& tx, const mentorship::Match& match,
               const mentorship::ContactSharing& mentee_shares,
               const mentorship::ContactSharing& mentor_shares) const;
  // With kMemberLeft, `left` is the party erased: their id is left out of the fact.
  // `ended_by`: the party who ended it, if one did.
  void Ended(hc::postgres::Tx& tx, const mentorship::Match& match, mentorship::EndReason reason,
             absl::Time at, const std::string& left = "", const std::string& ended_by = "") const;
  void CheckInDue(hc::postgres::Tx& tx, const mentorship::Match& match,
                  absl::Time last_activity) const;
  // Names no member: coordinators are told a match needs them, and look it up.
  void ConcernReported(hc::postgres::Tx& tx, const std::string& match_id,
                       const std::string& concern_id, int category, bool blocked,
                       absl::Time at) const;

 private:
  std::string topic_;
};

}  // namespace volunteering::facts

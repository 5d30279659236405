#include "services/volunteering/src/messaging/mentorship_facts.h"

#include <google/protobuf/util/time_util.h>

#include "alumni/volunteering/v1/volunteering_events.pb.h"
#include "libs/outbox/outbox.h"

namespace volunteering::facts {
namespace {

namespace pb = alumni::volunteering::v1;

google::protobuf::Timestamp Ts(absl::Time t) {
  return google::protobuf::util::TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(t));
}

}  // namespace

void MentorshipFacts::Requested(hc::postgres::Tx& tx, const std::string& request_id,
                                const std::string& mentee_id, int proposals, absl::Time at) const {
  pb::MentorshipRequested fact;
  fact.set_request_id(request_id);
  fact.set_mentee_id(mentee_id);
  fact.set_proposal_count(proposals);
  *fact.mutable_requested_at() = Ts(at);
  hc::outbox::Append(tx, topic_, request_id, fact, {mentee_id});
}

void MentorshipFacts::Proposed(hc::postgres::Tx& tx, const std::string& request_id,
                               const std::string& mentee_id, const mentorship::Proposal& proposal,
                               int rank) const {
  pb::MentorProposed fact;
  fact.set_request_id(request_id);
  fact.set_mentee_id(mentee_id);
  fact.set_mentor_id(proposal.mentor_id);
  fact.set_rank(rank);
  fact.set_score_total(proposal.score.total);
  hc::outbox::Append(tx, topic_, request_id, fact, {mentee_id, proposal.mentor_id});
}

void MentorshipFacts::Chosen(hc::postgres::Tx& tx, const mentorship::Match& match) const {
  pb::MentorChosen fact;
  fact.set_match_id(match.match_id);
  fact.set_request_id(match.request_id);
  fact.set_mentee_id(match.mentee_id);
  fact.set_mentor_id(match.mentor_id);
  *fact.mutable_respond_by() = Ts(match.respond_by);
  hc::outbox::Append(tx, topic_, match.match_id, fact, {match.mentee_id, match.mentor_id});
}

void MentorshipFacts::Lapsed(hc::postgres::Tx& tx, const mentorship::Match& match, bool expired,
                             absl::Time at) const {
  pb::MentorChoiceLapsed fact;
  fact.set_match_id(match.match_id);
  fact.set_request_id(match.request_id);
  fact.set_mentee_id(match.mentee_id);
  fact.set_mentor_id(match.mentor_id);
  fact.set_lapse(expired ? pb::CHOICE_LAPSE_EXPIRED : pb::CHOICE_LAPSE_DECLINED);
  *fact.mutable_at() = Ts(at);
  hc::outbox::Append(tx, topic_, match.match_id, fact, {match.mentee_id, match.mentor_id});
}

void MentorshipFacts::Started(hc::postgres::Tx& tx, const mentorship::Match& match,
                              const mentorship::ContactSharing& mentee_shares,
                              const mentorship::ContactSharing& mentor_shares) const {
  pb::MentorshipStarted fact;
  fact.set_match_id(match.match_id);
  fact.set_mentee_id(match.mentee_id);
  fact.set_mentor_id(match.mentor_id);
  *fact.mutable_started_at() = Ts(match.started_at);
  fact.set_mentee_shares_email(mentee_shares.email);
  fact.set_mentee_shares_phone(mentee_shares.phone);
  fact.set_mentor_shares_email(mentor_shares.email);
  fact.set_mentor_shares_phone(mentor_shares.phone);
  hc::outbox::Append(tx, topic_, match.match_id, fact, {match.mentee_id, match.mentor_id});
}

void MentorshipFacts::Ended(hc::postgres::Tx& tx, const mentorship::Match& match,
                            mentorship::EndReason reason, absl::Time at, const std::string& left,
                            const std::string& ended_by) const {
  pb::MentorshipEnded fact;
  fact.set_match_id(match.match_id);
  std::vector<std::string> subjects;
  if (match.mentee_id != left) {
    fact.set_mentee_id(match.mentee_id);
    subjects.push_back(match.mentee_id);
  }
  if (match.mentor_id != left) {
    fact.set_mentor_id(match.mentor_id);
    subjects.push_back(match.mentor_id);
  }
  fact.set_reason(static_cast<pb::EndReason>(reason));
  *fact.mutable_ended_at() = Ts(at);
  fact.set_ended_by(ended_by);
  hc::outbox::Append(tx, topic_, match.match_id, fact, subjects);
}

void MentorshipFacts::CheckInDue(hc::postgres::Tx& tx, const mentorship::Match& match,
                                 absl::Time last_activity) const {
  pb::MentorCheckInDue fact;
  fact.set_match_id(match.match_id);
  fact.set_mentee_id(match.mentee_id);
  fact.set_mentor_id(match.mentor_id);
  *fact.mutable_last_activity_at() = Ts(last_activity);
  hc::outbox::Append(tx, topic_, match.match_id, fact, {match.mentee_id, match.mentor_id});
}

void MentorshipFacts::ConcernReported(hc::postgres::Tx& tx, const std::string& match_id,
                                      const std::string& concern_id, int category, bool blocked,
                                      absl::Time at) const {
  pb::MentorshipConcernReported fact;
  fact.set_match_id(match_id);
  fact.set_concern_id(concern_id);
  fact.set_category(category);
  fact.set_blocked(blocked);
  *fact.mutable_reported_at() = Ts(at);
  hc::outbox::Append(tx, topic_, match_id, fact);
}

}  // namespace volunteering::facts

#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "libs/kafka/kafka.h"
#include "libs/postgres/pool.h"
#include "services/notifications/src/messaging/inbox_deliveries.h"
#include "services/notifications/src/storage/coordinator_store.h"
#include "services/notifications/src/storage/interest_store.h"
#include "services/notifications/src/storage/notification_store.h"

namespace notifications::messaging {

// `alumni.volunteering.v1`'s facts for the inbox (an InboxFactsHandler's FactItems), items of
// the volunteering category about the shift and its role:
// - VolunteerSignedUp (CONFIRMED, WAITLISTED or PENDING_APPROVAL), SignupApproved (CONFIRMED or
//   WAITLISTED), SignupDeclined and VolunteerPromoted: one item for their member;
// - ShiftCancelled, and ShiftUpdated whose changed_fields name start_time: one item for every
//   member of the page's affected_member_ids (each page is a fact with its own ce_id, so the
//   dedupe key (ce_id, member, in_app) keeps each member to one item per page).
// Other facts and statuses make none.
absl::StatusOr<std::vector<storage::InboxItem>> VolunteeringFactItems(
    const hc::kafka::Message& message);

// The handler of `alumni.volunteering.v1` for libs/kafka's Consumer: VolunteeringFactItems'
// items through an InboxFactsHandler, and for VolunteerRolePosted one ROLE_SUGGESTED item
// (category volunteering, about the role) for every member who opted in to role suggestions and
// holds one of the role's tags (InterestStore::RoleSuggestionRecipientsIn, one statement), each
// through InboxDeliveries::Deliver. Runs on the consumer's one thread.
//
// The mentorship facts (category mentorship, no subject ids; the client shows the match from
// volunteering's GetMyMentorship), each notice through InboxDeliveries::Deliver:
// - MentorChosen: the mentor ("someone would like you as their mentor");
// - MentorChoiceLapsed: the mentee (choose another proposal);
// - MentorshipStarted: an introduction to each party, whose email / SMS names the other
//   (other_member_id; the display name is looked up at send time, never an address);
// - MentorCheckInDue: a reminder to both (the dispatchers hold it through quiet hours);
// - MentorshipEnded: a neutral notice to each party named (with MEMBER_LEFT only the one who
//   remains), never the reason;
// - MentorshipConcernReported: every coordinator (the `coordinators` projection) is told that a
//   mentorship needs attention: no ids of people, no category.
//
// Invariants:
// - Mentorship notices' dedupe bases are the match (introduction, choice, ending), the concern,
//   or the match and its last activity (check-in): one per party whatever is redelivered or
//   published again.
// - A suggestion's dedupe base is the role, not the fact: a member is told of a role once,
//   however often it is redelivered or announced again.
// - One fact's suggestions are one transaction: all of them or none. Each takes its member's
//   shared lock (Deliver), so PostgreSQL's lock table must hold one lock per recipient
//   (max_locks_per_transaction x max_connections; see the README).
class VolunteeringFactsHandler {
 public:
  // `effects` (optional) runs after each fact's items in the same transaction (the attendance
  // projection and reminders).
  VolunteeringFactsHandler(InboxDeliveries& deliveries, storage::InterestStore& interests,
                           FactEffects effects = {})
      : deliveries_(deliveries),
        interests_(interests),
        items_(deliveries, VolunteeringFactItems, std::move(effects)) {}

  // The Consumer's handler.
  absl::Status Handle(hc::postgres::Tx& tx, const hc::kafka::Message& message);
  // The Consumer's after_commit: counts what the committed handling did.
  void AfterCommit();

 private:
  absl::Status HandleMentorship(hc::postgres::Tx& tx, const hc::kafka::Message& message);

  InboxDeliveries& deliveries_;
  storage::InterestStore& interests_;
  InboxFactsHandler items_;
  storage::CoordinatorStore coordinators_;
  // Whether the last Handle was a role's suggestions or a mentorship fact (counted from tally_
  // rather than by items_), and what it did (a retry starts afresh).
  bool own_tally_ = false;
  InboxDeliveries::Tally tally_;
};

}  // namespace notifications::messaging

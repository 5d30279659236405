#pragma once

#include <google/protobuf/timestamp.pb.h>

#include "absl/status/status.h"
#include "libs/kafka/kafka.h"
#include "libs/postgres/pool.h"
#include "services/notifications/src/messaging/inbox_deliveries.h"
#include "services/notifications/src/storage/coordinator_store.h"
#include "services/notifications/src/storage/delivery_store.h"
#include "services/notifications/src/storage/interest_store.h"

namespace notifications::messaging {

// `alumni.membership.v1`'s facts about what a member chose and reached, for libs/kafka's
// Consumer (inbox dedupe in the same transaction, DLQ), on a consumer group of its own beside
// libs/service's MembershipConsumer (which erases on MemberDeleted and refuses revoked tokens):
// - MemberConsentChanged (email, SMS; push is not ours): the `consents` projection the
//   dispatchers read, newest changed_at wins (DeliveryStore::SetConsentIn);
// - MemberRegistered: the member's interests, and one WELCOME item (category events);
// - MemberProfileUpdated naming "interests": the member's whole new set replaces the old;
// - SobrietyMilestoneReached (membership emits it only for members who chose to celebrate): one
//   MILESTONE item (category milestones, off unless the member turned it on) holding no more
//   than its kind: which milestone it was is never stored.
// - MemberRoleAssigned / MemberRoleRevoked of role "coordinator": the `coordinators` projection
//   (who is told that a mentorship needs attention), newest assigned_at / revoked_at wins
//   (CoordinatorStore::SetIn); other roles change nothing.
// Other facts change nothing here. Runs on the consumer's one thread.
//
// Invariants:
// - Every write takes the member's shared write lock (libs/identity) first, directly or through
//   InboxDeliveries::Deliver; an erased member's fact changes nothing, so nothing of theirs comes
//   back after MemberDeleted.
// - One welcome per member, whatever redelivers or re-announces the registration: its dedupe
//   base is the member, not the fact.
class MembershipFactsHandler {
 public:
  MembershipFactsHandler(InboxDeliveries& deliveries, storage::DeliveryStore& consents,
                         storage::InterestStore& interests)
      : deliveries_(deliveries), consents_(consents), interests_(interests) {}

  // The Consumer's handler; INVALID_ARGUMENT naming the fact when it can't be read.
  absl::Status Handle(hc::postgres::Tx& tx, const hc::kafka::Message& message);
  // The Consumer's after_commit: counts the items the committed handling decided.
  void AfterCommit() { deliveries_.Count(tally_); }

 private:
  // The coordinators projection from a role fact (`holds`: assigned), at the fact's time.
  template <typename Fact>
  absl::Status SetCoordinator(hc::postgres::Tx& tx, const Fact& fact, bool holds,
                              const google::protobuf::Timestamp& at);

  InboxDeliveries& deliveries_;
  storage::DeliveryStore& consents_;
  storage::InterestStore& interests_;
  storage::CoordinatorStore coordinators_;
  // What the last Handle call did (a retry starts afresh).
  InboxDeliveries::Tally tally_;
};

}  // namespace notifications::messaging

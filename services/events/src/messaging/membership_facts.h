#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "libs/identity/identity.h"
#include "libs/kafka/kafka.h"
#include "libs/postgres/pool.h"
#include "services/events/src/domain/event.h"
#include "services/events/src/storage/event_store.h"

namespace events::facts {

// Handles `alumni.membership.v1` for libs/kafka's Consumer (which dedupes by ce_id in the inbox
// within the same transaction):
// - MemberRoleRevoked: the member's tokens issued until then are refused (libs/identity);
// - MemberDeleted: the same, a tombstone, and the member's RSVPs go, their seats are freed, the
//   waitlists promoted and every mention of the member erased;
// every other ce_type is ignored. Runs on the consumer's one thread.
class MembershipFactsHandler {
 public:
  using Clock = std::function<domain::Time()>;
  // `invalidate` drops the cached reads of an event and `revoke` applies a revocation to this
  // process's verifier; both run after the commit.
  MembershipFactsHandler(storage::EventStore& store,
                         std::function<void(const std::string& event_id)> invalidate,
                         std::function<void(const hc::identity::IdentityChange&)> revoke,
                         Clock clock)
      : store_(store),
        invalidate_(std::move(invalidate)),
        revoke_(std::move(revoke)),
        clock_(std::move(clock)) {}

  // The Consumer's handler. INVALID_ARGUMENT for a fact that can't be read (it goes to the DLQ
  // after the Consumer's retries).
  absl::Status Handle(hc::postgres::Tx& tx, const hc::kafka::Message& message);
  // The Consumer's after_commit: applies the revocation and drops what the handling made stale.
  void AfterCommit(const hc::kafka::Message& message);

 private:
  storage::EventStore& store_;
  std::function<void(const std::string&)> invalidate_;
  std::function<void(const hc::identity::IdentityChange&)> revoke_;
  Clock clock_;
  // What the last Handle call did (a retry starts afresh).
  std::optional<hc::identity::IdentityChange> change_;
  std::vector<std::string> touched_;
};

}  // namespace events::facts

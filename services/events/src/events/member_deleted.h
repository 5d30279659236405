#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "libs/kafka/kafka.h"
#include "libs/postgres/pool.h"
#include "services/events/src/domain/event.h"
#include "services/events/src/storage/event_store.h"

namespace events::facts {

inline constexpr char kMembershipTopic[] = "alumni.membership.v1";
inline constexpr char kMemberDeletedType[] = "alumni.membership.v1.MemberDeleted";

// Handles `alumni.membership.v1` for libs/kafka's Consumer (which dedupes by ce_id in the inbox
// within the same transaction): on MemberDeleted the member's RSVPs go, their seats are freed
// and the waitlist promoted; every other ce_type is ignored. Runs on the consumer's one thread.
class MemberDeletedHandler {
 public:
  using Clock = std::function<domain::Time()>;
  // `invalidate` drops the cached reads of an event; it runs after the commit.
  MemberDeletedHandler(storage::EventStore& store,
                       std::function<void(const std::string& event_id)> invalidate, Clock clock)
      : store_(store), invalidate_(std::move(invalidate)), clock_(std::move(clock)) {}

  // The Consumer's handler. INVALID_ARGUMENT for a MemberDeleted that can't be read (it goes to
  // the DLQ after the Consumer's retries).
  absl::Status Handle(hc::postgres::Tx& tx, const hc::kafka::Message& message);
  // The Consumer's after_commit: drops what the committed handling made stale.
  void AfterCommit(const hc::kafka::Message& message);

 private:
  storage::EventStore& store_;
  std::function<void(const std::string&)> invalidate_;
  Clock clock_;
  // Events touched by the last Handle call (a retry starts afresh).
  std::vector<std::string> touched_;
};

}  // namespace events::facts

#pragma once

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <functional>
#include <optional>

#include "absl/status/status.h"
#include "libs/kafka/kafka.h"
#include "libs/postgres/pool.h"
#include "services/notifications/src/storage/notification_store.h"

namespace notifications::messaging {

// The handler of `alumni.events.v1` for libs/kafka's Consumer (inbox dedupe in the same
// transaction): RsvpConfirmed, RsvpWaitlisted and WaitlistPromoted become one in-app inbox item
// for their member when the member's preferences (or the defaults) let the events category
// reach the inbox. Other facts are ignored. Runs on the consumer's one thread.
//
// Exactly once: the consumer's inbox drops a redelivered ce_id, and the item's dedupe key
// (ce_id, member, in_app) is UNIQUE, so even a fact handled twice stores one item.
class EventFactsHandler {
 public:
  using Clock = std::function<storage::Time()>;
  EventFactsHandler(storage::NotificationStore& store, Clock clock, prometheus::Registry& registry);

  // The Consumer's handler; INVALID_ARGUMENT for a fact that can't be read (DLQ after retries).
  absl::Status Handle(hc::postgres::Tx& tx, const hc::kafka::Message& message);
  // The Consumer's after_commit: counts what the committed handling did.
  void AfterCommit(const hc::kafka::Message& message);

 private:
  enum class Outcome { kSent, kSuppressed, kDuplicate };

  storage::NotificationStore& store_;
  Clock clock_;
  // What the last Handle call did (a retry starts afresh).
  std::optional<Outcome> outcome_;
  prometheus::Family<prometheus::Counter>& deliveries_;
  prometheus::Counter& sent_;
  prometheus::Counter& suppressed_;
  prometheus::Counter& duplicate_;
};

}  // namespace notifications::messaging

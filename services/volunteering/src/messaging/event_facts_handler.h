#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "libs/kafka/kafka.h"
#include "libs/postgres/pool.h"
#include "services/volunteering/src/storage/role_store.h"

namespace volunteering::messaging {

// The handler of `alumni.events.v1` for libs/kafka's Consumer (inbox dedupe in the same
// transaction): roles linked to an event follow it. EventPublished records the event's start;
// EventUpdated moves the linked shifts by as much as the event moved (newer sequences only);
// EventCancelled cancels them. Other facts are ignored. Runs on the consumer's one thread.
class EventFactsHandler {
 public:
  using Clock = std::function<domain::Time()>;
  // `invalidate` drops a role's cached reads, after the commit.
  EventFactsHandler(storage::RoleStore& store, std::function<void(const std::string&)> invalidate,
                    Clock clock)
      : store_(store), invalidate_(std::move(invalidate)), clock_(std::move(clock)) {}

  // The Consumer's handler; INVALID_ARGUMENT for a fact that can't be read (DLQ after retries).
  absl::Status Handle(hc::postgres::Tx& tx, const hc::kafka::Message& message);
  // The Consumer's after_commit.
  void AfterCommit(const hc::kafka::Message& message);

 private:
  storage::RoleStore& store_;
  std::function<void(const std::string&)> invalidate_;
  Clock clock_;
  // The roles the last Handle call changed (a retry starts afresh).
  std::vector<std::string> touched_;
};

}  // namespace volunteering::messaging

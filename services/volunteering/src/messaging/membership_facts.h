#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "libs/identity/identity.h"
#include "libs/kafka/kafka.h"
#include "libs/postgres/pool.h"
#include "services/volunteering/src/storage/role_store.h"

namespace volunteering::facts {

// Handles `alumni.membership.v1` for libs/kafka's Consumer (inbox dedupe in the same
// transaction): MemberRoleRevoked and MemberDeleted revoke the member's earlier tokens
// (libs/identity); MemberDeleted also leaves a tombstone and, under the member's erasure lock,
// removes their sign-ups, promotes the lines and erases every mention of them. Other facts are
// ignored. Runs on the consumer's one thread.
class MembershipFactsHandler {
 public:
  using Clock = std::function<domain::Time()>;
  MembershipFactsHandler(storage::RoleStore& store,
                         std::function<void(const std::string& role_id)> invalidate,
                         std::function<void(const hc::identity::IdentityChange&)> revoke,
                         Clock clock)
      : store_(store),
        invalidate_(std::move(invalidate)),
        revoke_(std::move(revoke)),
        clock_(std::move(clock)) {}

  absl::Status Handle(hc::postgres::Tx& tx, const hc::kafka::Message& message);
  void AfterCommit(const hc::kafka::Message& message);

 private:
  storage::RoleStore& store_;
  std::function<void(const std::string&)> invalidate_;
  std::function<void(const hc::identity::IdentityChange&)> revoke_;
  Clock clock_;
  std::optional<hc::identity::IdentityChange> change_;
  std::vector<std::string> touched_;
};

}  // namespace volunteering::facts

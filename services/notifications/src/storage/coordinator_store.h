#pragma once

#include <string>
#include <vector>

#include "libs/postgres/pool.h"
#include "services/notifications/src/storage/notification_store.h"

namespace notifications::storage {

// The `coordinators` table (migration 0008): who holds membership's "coordinator" role, from
// MemberRoleAssigned / MemberRoleRevoked, read to tell coordinators that a mentorship needs
// their attention.
//
// Invariants:
// - Writes run in the consumer's transaction after hc::identity::LockMemberForWrite (the
//   caller's), so after MemberDeleted's erasure (NotificationStore::EraseMemberIn deletes the
//   row) nothing of the member comes back.
// - The newest `changed_at` wins: a revocation keeps the row (coordinator false), so an older
//   assignment handled after it changes nothing.
class CoordinatorStore {
 public:
  // Records that the member holds (`coordinator`) or no longer holds the role as of
  // `changed_at`, unless a newer change is already recorded.
  void SetIn(hc::postgres::Tx& tx, const std::string& member_id, bool coordinator, Time changed_at);
  // The same for the "admin" role (the `admins` table, migration 0009).
  void SetAdminIn(hc::postgres::Tx& tx, const std::string& member_id, bool admin, Time changed_at);
  // Every member holding the role now, sorted.
  std::vector<std::string> CoordinatorsIn(hc::postgres::Tx& tx);
  // Everyone told that a mentorship needs attention: coordinators and admins, each once, sorted.
  std::vector<std::string> StaffIn(hc::postgres::Tx& tx);
};

}  // namespace notifications::storage

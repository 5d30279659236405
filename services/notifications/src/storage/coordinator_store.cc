#include "services/notifications/src/storage/coordinator_store.h"

namespace notifications::storage {

void CoordinatorStore::SetIn(hc::postgres::Tx& tx, const std::string& member_id, bool coordinator,
                             Time changed_at) {
  tx.exec_params(
      "INSERT INTO coordinators (member_id, coordinator, changed_at) VALUES ($1, $2, "
      "to_timestamp($3::bigint / 1000.0)) ON CONFLICT (member_id) DO UPDATE SET coordinator = "
      "EXCLUDED.coordinator, changed_at = EXCLUDED.changed_at "
      "WHERE coordinators.changed_at <= EXCLUDED.changed_at",
      member_id, coordinator,
      std::chrono::duration_cast<std::chrono::milliseconds>(changed_at.time_since_epoch()).count());
}

void CoordinatorStore::SetAdminIn(hc::postgres::Tx& tx, const std::string& member_id, bool admin,
                                  Time changed_at) {
  tx.exec_params(
      "INSERT INTO admins (member_id, admin, changed_at) VALUES ($1, $2, "
      "to_timestamp($3::bigint / 1000.0)) ON CONFLICT (member_id) DO UPDATE SET admin = "
      "EXCLUDED.admin, changed_at = EXCLUDED.changed_at "
      "WHERE admins.changed_at <= EXCLUDED.changed_at",
      member_id, admin,
      std::chrono::duration_cast<std::chrono::milliseconds>(changed_at.time_since_epoch()).count());
}

std::vector<std::string> CoordinatorStore::StaffIn(hc::postgres::Tx& tx) {
  std::vector<std::string> members;
  for (const auto& row : tx.exec("SELECT member_id FROM coordinators WHERE coordinator UNION "
                                 "SELECT member_id FROM admins WHERE admin ORDER BY member_id")) {
    members.push_back(row[0].as<std::string>());
  }
  return members;
}

std::vector<std::string> CoordinatorStore::CoordinatorsIn(hc::postgres::Tx& tx) {
  std::vector<std::string> members;
  for (const auto& row :
       tx.exec("SELECT member_id FROM coordinators WHERE coordinator ORDER BY member_id")) {
    members.push_back(row[0].as<std::string>());
  }
  return members;
}

}  // namespace notifications::storage

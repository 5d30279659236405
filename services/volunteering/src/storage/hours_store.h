#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/postgres/pool.h"
#include "services/volunteering/src/domain/hours.h"
#include "services/volunteering/src/messaging/facts.h"

namespace volunteering::storage {

struct HoursPage {
  std::vector<domain::HoursEntry> entries;
  // "<logged ms>|<shift id>|<member id>", empty on the last page.
  std::string next;
};

struct RoleHours {
  std::string role_id;
  std::string role_title;
  int64_t approved_minutes = 0;
  int shifts = 0;
};

struct MemberHours {
  int64_t approved_minutes = 0;
  int shifts = 0;
  // Most minutes first (at most kMaxSummaryRoles; the totals above count every role).
  std::vector<RoleHours> roles;
  bool on_thank_you_board = false;
};

// A role's approved hours, erased members' included anonymously.
struct RoleTotals {
  RoleHours hours;
  int volunteers = 0;
};

struct BoardEntry {
  std::string member_id;
  int64_t approved_minutes = 0;
};
struct BoardPage {
  std::vector<BoardEntry> entries;
  std::string next;  // "<minutes>|<member id>"
};

inline constexpr int kMaxSummaryRoles = 200;

// Volunteer hours, their review, the thank-you board's opt-ins and erased members' anonymous
// totals, in PostgreSQL, with their facts in the outbox. The lock order is written in
// hours_store.cc.
class HoursStore {
 public:
  HoursStore(hc::postgres::Pool& pool, const facts::Recorder& recorder)
      : pool_(pool), recorder_(recorder) {}

  // The member's entry for the shift, new or replacing a pending one (HoursLogged).
  absl::StatusOr<domain::HoursEntry> Log(const std::string& shift_id, const std::string& member_id,
                                         int minutes, domain::Time now);
  // A coordinator's decision (HoursApproved on approval); NOT_FOUND when nothing was logged.
  absl::StatusOr<domain::HoursEntry> Review(const std::string& shift_id,
                                            const std::string& member_id,
                                            domain::HoursDecision decision, domain::Time now);
  // A role's entries with `status` (any when unset), in the order they were logged; NOT_FOUND
  // for an unknown role.
  absl::StatusOr<HoursPage> List(const std::string& role_id,
                                 std::optional<domain::HoursStatus> status, int page_size,
                                 const std::string& after);
  // A member's approved hours per role (only `role_id`'s when set).
  absl::StatusOr<MemberHours> MemberSummary(const std::string& member_id,
                                            const std::string& role_id);
  // NOT_FOUND for an unknown role.
  absl::StatusOr<RoleTotals> RoleSummary(const std::string& role_id);
  absl::Status SetThankYouBoard(const std::string& member_id, bool opt_in, domain::Time now);
  // Opted-in members with approved hours, most minutes first.
  absl::StatusOr<BoardPage> Board(int page_size, const std::string& after);
  // Inside the erasing transaction (which holds the member's erasure lock): approved hours fold
  // into their roles' anonymous totals, then the member's entries and opt-in are deleted
  // (pending and rejected ones simply go).
  void EraseMemberIn(hc::postgres::Tx& tx, const std::string& member_id, domain::Time now);

 private:
  hc::postgres::Pool& pool_;
  const facts::Recorder& recorder_;
};

}  // namespace volunteering::storage

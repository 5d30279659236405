#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/postgres/pool.h"
#include "services/volunteering/src/domain/volunteering.h"
#include "services/volunteering/src/messaging/facts.h"

namespace volunteering::storage {

struct RolePage {
  std::vector<domain::Role> roles;
  // Keyset cursor of the next page ("<created ms>|<role id>"), empty on the last page.
  std::string next;
};

struct SignupResult {
  domain::Shift shift;
  domain::Signup signup;
  bool changed = false;
};

struct MySignup {
  domain::Signup signup;
  domain::Shift shift;
  std::string role_title;
};
struct MySignupPage {
  std::vector<MySignup> signups;
  std::string next;  // "<start ms>|<signup id>"
};

// A shift's active sign-ups: confirmed, then the line, then pending approval.
struct VolunteerPage {
  std::vector<domain::Signup> signups;
  std::string next;  // "<group>|<key>", see ListVolunteers
};

// Roles, shifts and sign-ups in PostgreSQL, with their facts in the outbox. The lock order that
// keeps slot counts, the per-person limit and erasure right is written in role_store.cc.
class RoleStore {
 public:
  RoleStore(hc::postgres::Pool& pool, const facts::Recorder& recorder)
      : pool_(pool), recorder_(recorder) {}

  absl::StatusOr<domain::Role> Post(const domain::RoleDetails& details,
                                    const std::string& created_by, domain::Time now);
  absl::StatusOr<domain::Role> Close(const std::string& role_id, domain::Time now);
  // The role with its shifts; NOT_FOUND when there is none.
  absl::StatusOr<std::pair<domain::Role, std::vector<domain::Shift>>> Get(
      const std::string& role_id);
  // Open roles, newest first, with `tag` when set; `after` a cursor from a previous page.
  absl::StatusOr<RolePage> ListOpen(const std::string& tag, int page_size,
                                    const std::string& after);
  absl::StatusOr<domain::Shift> AddShift(const std::string& role_id, domain::Shift shift,
                                         const domain::TimeZoneCatalog& zones, domain::Time now);
  // The role of a shift (for the eligibility check before signing up).
  absl::StatusOr<domain::Role> RoleOfShift(const std::string& shift_id);
  absl::StatusOr<SignupResult> SignUp(const std::string& shift_id, const std::string& member_id,
                                      domain::Time now);
  absl::StatusOr<SignupResult> Withdraw(const std::string& shift_id, const std::string& member_id,
                                        domain::Time now, std::chrono::minutes cutoff);
  absl::StatusOr<MySignupPage> ListMine(const std::string& member_id, bool include_withdrawn,
                                        int page_size, const std::string& after);
  // A coordinator's answer to a PENDING_APPROVAL sign-up. Approve: a slot while one is left,
  // else the back of the line; an approved sign-up answers as it stands; a declined one, a
  // started or a cancelled shift is FAILED_PRECONDITION. Decline: DECLINED (final for that
  // shift); a declined one answers as it stands, an approved one is FAILED_PRECONDITION.
  // NOT_FOUND when the member holds no sign-up for the shift.
  absl::StatusOr<SignupResult> Approve(const std::string& shift_id, const std::string& member_id,
                                       domain::Time now);
  absl::StatusOr<SignupResult> Decline(const std::string& shift_id, const std::string& member_id,
                                       domain::Time now);
  // NOT_FOUND when there is no such shift.
  absl::StatusOr<VolunteerPage> ListVolunteers(const std::string& shift_id, int page_size,
                                               const std::string& after);
  // Erases what is held on a member who left, inside the caller's transaction (which holds
  // the member's erasure lock): sign-ups deleted, freed slots promoted, rows naming them gone.
  // Returns the roles whose reads changed.
  std::vector<std::string> EraseMemberIn(hc::postgres::Tx& tx, const std::string& member_id,
                                         domain::Time now);

 private:
  hc::postgres::Pool& pool_;
  const facts::Recorder& recorder_;
};

}  // namespace volunteering::storage

#pragma once

#include <map>
#include <optional>
#include <set>
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
  // By role id: the role's scheduled shifts that have not ended (in the filter's range when it
  // has one), soonest first, at most kListedShiftsPerRole each.
  std::map<std::string, std::vector<domain::Shift>> shifts;
};

// ListRoles' filters: a tag, and a range the start of a listed shift falls in
// ([from, until); either end may be open).
struct RoleFilter {
  std::string tag;
  std::optional<domain::Time> from;
  std::optional<domain::Time> until;
};
inline constexpr int kListedShiftsPerRole = 50;

struct RoleUpdate {
  domain::Role role;
  std::vector<std::string> changed_fields;  // empty: nothing changed, nothing recorded
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

// The statements RoleStore::SignUp sends, as it sends them: exported so tests/explain plans
// exactly these. Built once.
struct SignUpSql {
  std::string role_of_shift;   // before the transaction: $1 shift
  std::string check_and_lock;  // $1 shift, $2 member, $3 the member-and-role lock's class
  std::string lock_role;       // $1 shift
  std::string lock_shift;      // $1 shift
  std::string latest;          // $1 shift, $2 member, $3 now (ms)
  std::string insert;          // $1 shift, $2 role, $3 member, $4 status, $5 ticket, $6 now
                               // (ms), $7..$10 the shift's counts
};
const SignUpSql& SignUpStatements();

// Roles, shifts and sign-ups in PostgreSQL, with their facts in the outbox. The lock order that
// keeps slot counts, the per-person limit and erasure right is written in role_store.cc.
class RoleStore {
 public:
  RoleStore(hc::postgres::Pool& pool, const facts::Recorder& recorder)
      : pool_(pool), recorder_(recorder) {}

  absl::StatusOr<domain::Role> Post(const domain::RoleDetails& details,
                                    const std::string& created_by, domain::Time now);
  // Applies `changes` under the role row's lock (domain::ApplyRoleChanges; `vetted` the tags
  // the catalogue accepted) and records RoleUpdated when anything changed. NOT_FOUND when
  // there is no such role.
  absl::StatusOr<RoleUpdate> Update(const std::string& role_id, const domain::RoleChanges& changes,
                                    const std::set<std::string>& vetted, domain::Time now);
  absl::StatusOr<domain::Role> Close(const std::string& role_id, domain::Time now);
  // The role with up to 200 of its shifts: those that have not ended at `now`, soonest first,
  // then ended ones, the latest first (so a long-running role still shows what is coming).
  // NOT_FOUND when there is none.
  absl::StatusOr<std::pair<domain::Role, std::vector<domain::Shift>>> Get(
      const std::string& role_id, domain::Time now);
  // Open roles matching `filter`, newest first, each with its listed shifts (one query for
  // the shifts of the whole page); with a range, only roles with such a shift. `after` is a
  // cursor from a previous page.
  absl::StatusOr<RolePage> ListOpen(const RoleFilter& filter, int page_size,
                                    const std::string& after, domain::Time now);
  absl::StatusOr<domain::Shift> AddShift(const std::string& role_id, domain::Shift shift,
                                         const domain::TimeZoneCatalog& zones, domain::Time now);
  // The role of a shift (for the eligibility check before signing up).
  absl::StatusOr<domain::Role> RoleOfShift(const std::string& shift_id);
  // `checked_sober_days`: the sober time eligibility was confirmed for before the transaction;
  // a role that asks for more by the time it is locked is ABORTED (ask again).
  absl::StatusOr<SignupResult> SignUp(const std::string& shift_id, const std::string& member_id,
                                      int checked_sober_days, domain::Time now);
  absl::StatusOr<SignupResult> Withdraw(const std::string& shift_id, const std::string& member_id,
                                        domain::Time now, std::chrono::minutes cutoff);
  // Only shifts that have not ended at `now` unless `include_past`.
  absl::StatusOr<MySignupPage> ListMine(const std::string& member_id, bool include_withdrawn,
                                        bool include_past, domain::Time now, int page_size,
                                        const std::string& after);
  // Applies an UpdateShift's changes under the shift's lock (domain::ApplyShiftChanges); more
  // slots promote from the line, FIFO. Records ShiftUpdated when something changed.
  absl::StatusOr<domain::Shift> UpdateShift(const std::string& shift_id,
                                            const domain::ShiftChanges& changes,
                                            const domain::TimeZoneCatalog& zones, domain::Time now);
  // Cancels a shift: every active sign-up ends (SHIFT_CANCELLED), counts go to zero, and
  // ShiftCancelled is recorded, once; cancelling again returns the shift as it is.
  absl::StatusOr<domain::Shift> CancelShift(const std::string& shift_id, domain::Time now);

  // The events consumer, inside its transaction (inbox dedupe in the same one). Each returns
  // the roles whose reads changed.
  // EventPublished: the start of an event, remembered unless already known.
  void RecordEventStartIn(hc::postgres::Tx& tx, const std::string& event_id, domain::Time start);
  // EventCancelled: cancels the shifts of the event's roles that follow it (CancelShift's way,
  // ShiftCancelled with the event id). Cancelled shifts are skipped, so pages and redeliveries
  // cancel nothing twice.
  std::vector<std::string> CancelEventShiftsIn(hc::postgres::Tx& tx, const std::string& event_id,
                                               domain::Time now);
  // EventUpdated: when `sequence` is newer than the one recorded, moves the shifts of the
  // event's roles that follow it by as much as the event's start moved. An event whose start was
  // never seen is recorded and moves nothing.
  std::vector<std::string> MoveEventShiftsIn(hc::postgres::Tx& tx, const std::string& event_id,
                                             domain::Time start, int sequence, domain::Time now);

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

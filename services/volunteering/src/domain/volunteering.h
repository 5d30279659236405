#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/auth/auth.h"
#include "libs/tz/time_zones.h"

// The rules of volunteering, in plain C++: roles and their requirements, shifts and slots,
// sign-ups with a FIFO waitlist, the per-person limit and the withdrawal cut-off.
namespace volunteering::domain {

using Time = std::chrono::sys_time<std::chrono::milliseconds>;
using hc::tz::TimeZoneCatalog;

enum class RoleStatus { kOpen = 1, kClosed = 2 };
enum class SignupStatus {
  kConfirmed = 1,
  kWaitlisted = 2,
  kWithdrawn = 3,
  kPendingApproval = 4,
  kDeclined = 5,
  kShiftCancelled = 6,
};
enum class ShiftStatus { kScheduled = 1, kCancelled = 2 };

struct RoleDetails {
  std::string title;
  std::string description;
  std::vector<std::string> tags;
  std::string venue;
  std::string online_url;
  std::string event_id;
  int min_sober_days = 0;
  int max_shifts_per_person = 0;
  bool requires_approval = false;
};

struct Role {
  std::string role_id;
  RoleDetails details;
  RoleStatus status = RoleStatus::kOpen;
  std::string created_by;
  Time created_at{};
  Time updated_at{};
};

struct Shift {
  std::string shift_id;
  std::string role_id;
  Time start{};
  Time end{};
  std::string time_zone;
  int slots = 0;
  int confirmed_count = 0;
  int waitlist_count = 0;
  int pending_count = 0;
  ShiftStatus status = ShiftStatus::kScheduled;
  Time updated_at{};

  int slots_left() const { return slots - confirmed_count; }
};

struct Signup {
  std::string shift_id;
  std::string member_id;
  SignupStatus status = SignupStatus::kConfirmed;
  int waitlist_position = 0;  // 1-based while waitlisted
  Time created_at{};
  Time updated_at{};
};

// An UpdateRole: the fields named in its mask, each set to its new value.
struct RoleChanges {
  std::optional<std::string> title;
  std::optional<std::string> description;
  std::optional<std::vector<std::string>> tags;
  std::optional<std::string> venue;
  std::optional<std::string> online_url;
  std::optional<std::string> event_id;
  std::optional<int> min_sober_days;
  std::optional<int> max_shifts_per_person;
  std::optional<bool> requires_approval;
};

// Limits: generous for people, tight for abuse.
inline constexpr size_t kMaxTitleLength = 120;
inline constexpr size_t kMaxDescriptionLength = 4000;
inline constexpr size_t kMaxVenueLength = 300;
inline constexpr size_t kMaxUrlLength = 2000;
inline constexpr size_t kMaxTags = 10;
inline constexpr int kMaxSlots = 500;
inline constexpr int kDefaultShiftsPerPerson = 5;
inline constexpr int kMaxShiftsPerPerson = 50;
inline constexpr auto kMaxShiftLength = std::chrono::hours(24);
inline constexpr auto kMaxLeadTime = std::chrono::days(366);

// Who may do what.
absl::Status AuthorizeManage(const hc::auth::Principal& caller);
// The member acting: the token's subject, for members (not services).
absl::StatusOr<std::string> MemberOf(const hc::auth::Principal& caller);

// Tags as membership's catalogue spells them: 1-32 of a-z 0-9 -.
bool IsTag(std::string_view tag);
// Checks a new role and fills its defaults. INVALID_ARGUMENT naming the field.
absl::Status ValidateRole(RoleDetails& role);
// The tags of `after` that `before` did not have: only these are checked against membership's
// catalogue, so a role keeps a tag membership has retired since.
std::vector<std::string> AddedTags(const std::vector<std::string>& before,
                                   const std::vector<std::string>& after);
// Applies an UpdateRole to an open role and checks the result as ValidateRole checks a new one
// (setting a non-empty venue without online_url in the mask clears online_url, and the other
// way round; after that exactly one of them must be set). Every tag the role did not have
// must be in `vetted` (checked with the catalogue before the role was locked), else ABORTED:
// the role changed in between, try again. Returns the names of the fields that changed (none
// for a no-op). FAILED_PRECONDITION for a closed role; INVALID_ARGUMENT naming the field.
absl::StatusOr<std::vector<std::string>> ApplyRoleChanges(Role& role, const RoleChanges& changes,
                                                          const std::set<std::string>& vetted);
// Sober-time thresholds are the milestone ladder membership answers: 0 (none), 30, 60, 90,
// 180 days, or whole years.
bool IsAllowedSoberThreshold(int days);
// A new shift of an open role. INVALID_ARGUMENT naming the field, FAILED_PRECONDITION for a
// closed role.
absl::Status ValidateShift(const Role& role, const Shift& shift, const TimeZoneCatalog& zones,
                           Time now);
// The rules every shift's fields keep, new or changed: start in the future and within a year,
// end after start and within 24 h, an IANA zone, 1-500 slots. INVALID_ARGUMENT naming the field.
absl::Status ValidateShiftFields(const Shift& shift, const TimeZoneCatalog& zones, Time now);

// The fields an UpdateShift names in its update_mask; unset ones stay as they are.
struct ShiftChanges {
  std::optional<Time> start;
  std::optional<Time> end;
  std::optional<std::string> time_zone;
  std::optional<int> slots;
};
// Applies `changes` to `shift` and returns the names of the fields whose value changed
// (start_time, end_time, time_zone, slots). FAILED_PRECONDITION for a cancelled or started shift
// and for fewer slots than are confirmed (saying how many are); INVALID_ARGUMENT as
// ValidateShiftFields for the result.
absl::StatusOr<std::vector<std::string>> ApplyShiftChanges(Shift& shift,
                                                           const ShiftChanges& changes,
                                                           const TimeZoneCatalog& zones, Time now);
// FAILED_PRECONDITION once the shift was cancelled: no sign-ups, withdrawals or changes.
absl::Status CheckScheduled(const Shift& shift);
// CancelShift: FAILED_PRECONDITION "the shift has started" once it has (the people on it keep
// their record, as when its event is cancelled); a cancelled shift answers as it stands.
absl::Status CheckCancel(const Shift& shift, Time now);
// A shift follows its event (moves or is cancelled with it) while it is scheduled and has not
// started; the shifts already held keep their record.
bool FollowsEvent(const Shift& shift, Time now);

enum class Placement { kConfirmed, kWaitlisted, kPendingApproval };
// Where a new sign-up goes: for a role that needs approval, pending (it takes no slot yet);
// otherwise confirmed while slots remain, else at the back of the line.
// FAILED_PRECONDITION when the role is closed or the shift has started.
absl::StatusOr<Placement> PlaceSignup(const Role& role, const Shift& shift, Time now);
// FAILED_PRECONDITION when the member already holds the role's most shifts. `held` counts the
// member's active sign-ups of the role's shifts that have not ended: a shift that has happened
// no longer holds a place, so a weekly volunteer is never locked out by their own record.
absl::Status CheckShiftLimit(const Role& role, int held);
// Withdrawals close `cutoff` before the shift: FAILED_PRECONDITION saying when they closed.
absl::Status CheckWithdraw(const Shift& shift, Time now, std::chrono::minutes cutoff);
// A freed slot goes to the line only before the shift starts, and never on a cancelled shift.
bool PromotesOnFree(const Shift& shift, Time now);
// A shift that has ended is record only: it holds no place in the per-person limit, and an
// erased member's sign-up of it goes without a SignupWithdrawn (its line means nothing).
bool HasEnded(const Shift& shift, Time now);

// Coordinator approval.
//
// A sign-up is active (one per member and shift, counted in the per-person limit, ended by
// Withdraw) while confirmed, waitlisted or pending approval.
bool IsActive(SignupStatus status);
// Where an approved sign-up goes: a slot while one is left, else the back of the line (so the
// line's order is the order of approval). FAILED_PRECONDITION once the shift has started or
// was cancelled. The role may have closed since: the sign-up was made while it was open.
absl::StatusOr<Placement> PlaceApproval(const Shift& shift, Time now);
// A decline is the coordinator's answer for that shift: the member may not sign up for it
// again (FAILED_PRECONDITION), though other shifts stay open to them. Withdrawn sign-ups may
// sign up again, at the back of the line.
absl::Status CheckSignUpAgain(SignupStatus ended);
// Withdrawal of a sign-up in `status`. The cut-off protects the coordinator's plan for the
// people holding slots or places in line; a pending sign-up holds neither, so it may be
// withdrawn at any time.
absl::Status CheckWithdraw(const Shift& shift, SignupStatus status, Time now,
                           std::chrono::minutes cutoff);

}  // namespace volunteering::domain

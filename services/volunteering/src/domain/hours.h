#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/auth/auth.h"
#include "services/volunteering/src/domain/volunteering.h"

// The rules of volunteer hours: when a member may log them, how coordinators review them, and
// who may see whose totals. Plain C++, unit-tested alone (test/hours_test.cc).
namespace volunteering::domain {

enum class HoursStatus { kPending = 1, kApproved = 2, kRejected = 3 };
enum class HoursDecision { kApprove, kReject };

struct HoursEntry {
  std::string shift_id;
  std::string role_id;
  std::string member_id;
  int minutes = 0;
  HoursStatus status = HoursStatus::kPending;
  Time logged_at{};
  std::optional<Time> reviewed_at;
};

// The shift's length in whole minutes: the most one person can have given on it.
int ShiftMinutes(const Shift& shift);

// May the member log `minutes` on `shift`? `confirmed`: they hold a CONFIRMED sign-up for it;
// `existing`: the status of the entry they already logged, if any. INVALID_ARGUMENT naming
// `minutes` outside 1..ShiftMinutes; FAILED_PRECONDITION saying which rule otherwise (shift
// cancelled, not ended yet, not confirmed on it, entry already reviewed).
absl::Status CheckLogHours(const Shift& shift, bool confirmed, std::optional<HoursStatus> existing,
                           int minutes, Time now);

// A coordinator's decision on an entry with status `current`: the status it moves to. The same
// decision again answers with the entry as it stands (no change); the other decision after a
// review is FAILED_PRECONDITION.
absl::StatusOr<HoursStatus> Review(HoursStatus current, HoursDecision decision);
// Who reviews `member_id`'s hours or pending sign-ups: coordinators and admins, never the member
// themself (a coordinator's own are reviewed by another).
absl::Status AuthorizeReview(const hc::auth::Principal& caller, const std::string& member_id);

// What GetVolunteerSummary is asked for, once the caller may see it.
struct SummaryTarget {
  // Set for a member's summary; empty for a role's totals.
  std::string member_id;
  // A role's totals (member_id empty), or a member's summary restricted to one role.
  std::string role_id;
  // The caller asks about themself (on_thank_you_board is answered only then).
  bool own = false;
};
// `member_id` / `role_id` as sent (checked as UUIDs here). A member sees their own summary;
// coordinators and admins anyone's and a role's totals; PERMISSION_DENIED otherwise.
absl::StatusOr<SummaryTarget> SummaryFor(const hc::auth::Principal& caller,
                                         const std::string& member_id, const std::string& role_id);

}  // namespace volunteering::domain

#include "services/volunteering/src/domain/hours.h"

#include "libs/ids/ids.h"
#include "libs/status/status.h"

namespace volunteering::domain {

int ShiftMinutes(const Shift& shift) {
  return static_cast<int>(
      std::chrono::duration_cast<std::chrono::minutes>(shift.end - shift.start).count());
}

absl::Status CheckLogHours(const Shift& shift, bool confirmed, std::optional<HoursStatus> existing,
                           int minutes, Time now) {
  const int most = ShiftMinutes(shift);
  if (minutes < 1 || minutes > most) {
    return hc::InvalidField("minutes",
                            "must be 1 to " + std::to_string(most) + " (the shift's length)");
  }
  if (shift.status == ShiftStatus::kCancelled) {
    return absl::FailedPreconditionError("the shift was cancelled");
  }
  if (now < shift.end) return absl::FailedPreconditionError("the shift has not ended yet");
  if (!confirmed) return absl::FailedPreconditionError("you were not confirmed for this shift");
  if (existing && *existing != HoursStatus::kPending) {
    return absl::FailedPreconditionError("your hours for this shift were already reviewed");
  }
  return absl::OkStatus();
}

absl::StatusOr<HoursStatus> Review(HoursStatus current, HoursDecision decision) {
  const HoursStatus wanted =
      decision == HoursDecision::kApprove ? HoursStatus::kApproved : HoursStatus::kRejected;
  if (current == HoursStatus::kPending || current == wanted) return wanted;
  return absl::FailedPreconditionError(current == HoursStatus::kApproved
                                           ? "these hours were already approved"
                                           : "these hours were already rejected");
}

absl::Status AuthorizeReview(const hc::auth::Principal& caller, const std::string& member_id) {
  HC_RETURN_IF_ERROR(AuthorizeManage(caller));
  if (hc::ids::IsUuid(caller.subject) &&
      hc::ids::Canonical(caller.subject) == hc::ids::Canonical(member_id)) {
    return absl::PermissionDeniedError(
        "your own hours and sign-ups are reviewed by another coordinator");
  }
  return absl::OkStatus();
}

absl::StatusOr<SummaryTarget> SummaryFor(const hc::auth::Principal& caller,
                                         const std::string& member_id, const std::string& role_id) {
  if (!member_id.empty() && !hc::ids::IsUuid(member_id)) {
    return hc::InvalidField("member_id", "must be a UUID");
  }
  if (!role_id.empty() && !hc::ids::IsUuid(role_id)) {
    return hc::InvalidField("role_id", "must be a UUID");
  }
  SummaryTarget target{.member_id = hc::ids::Canonical(member_id),
                       .role_id = hc::ids::Canonical(role_id)};
  const bool caller_is_member = !caller.IsService() && hc::ids::IsUuid(caller.subject);
  const std::string self = caller_is_member ? hc::ids::Canonical(caller.subject) : "";
  if (target.member_id.empty() && !target.role_id.empty()) {
    // A role's totals.
    if (!caller.IsStaff()) {
      return absl::PermissionDeniedError("a role's totals are for coordinators and admins");
    }
    return target;
  }
  if (target.member_id.empty()) {
    if (!caller_is_member) return absl::PermissionDeniedError("only members have hours");
    target.member_id = self;
  }
  target.own = target.member_id == self;
  if (!target.own && !caller.IsStaff()) {
    return absl::PermissionDeniedError("only your own summary, unless you coordinate");
  }
  return target;
}

}  // namespace volunteering::domain

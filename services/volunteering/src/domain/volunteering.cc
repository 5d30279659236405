#include "services/volunteering/src/domain/volunteering.h"

#include <algorithm>
#include <set>

#include "absl/time/time.h"
#include "libs/ids/ids.h"
#include "libs/status/status.h"
#include "libs/text/text.h"

namespace volunteering::domain {
namespace {

using hc::InvalidField;
using hc::text::CheckText;

bool IsWebUrl(std::string_view url) {
  if (!url.starts_with("https://") && !url.starts_with("http://")) return false;
  std::string_view rest = url.substr(url.find("//") + 2);
  return !rest.empty() && rest.front() != '/' && std::none_of(url.begin(), url.end(), [](char c) {
    return static_cast<unsigned char>(c) <= 0x20 || c == '"' || c == '<' || c == '>';
  });
}

std::string Utc(Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M UTC", absl::FromChrono(t), absl::UTCTimeZone());
}

}  // namespace

bool IsTag(std::string_view tag) {
  return !tag.empty() && tag.size() <= 32 && std::all_of(tag.begin(), tag.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

absl::Status AuthorizeManage(const hc::auth::Principal& caller) {
  if (caller.IsStaff()) return absl::OkStatus();
  return absl::PermissionDeniedError("coordinators and admins only");
}

absl::StatusOr<std::string> MemberOf(const hc::auth::Principal& caller) {
  if (caller.IsService() || !hc::ids::IsUuid(caller.subject)) {
    return absl::PermissionDeniedError("only members sign up, as themselves");
  }
  return hc::ids::Canonical(caller.subject);
}

bool IsAllowedSoberThreshold(int days) {
  return days == 0 || days == 30 || days == 60 || days == 90 || days == 180 ||
         (days > 0 && days % 365 == 0 && days <= 100 * 365);
}

absl::Status ValidateRole(RoleDetails& r) {
  HC_RETURN_IF_ERROR(
      CheckText("title", r.title, {.required = true, .max_characters = kMaxTitleLength}));
  HC_RETURN_IF_ERROR(CheckText("description", r.description,
                               {.max_characters = kMaxDescriptionLength, .multi_line = true}));
  if (r.tags.size() > kMaxTags) return InvalidField("tags", "at most 10 tags");
  std::set<std::string> seen;
  for (const auto& tag : r.tags) {
    if (!IsTag(tag)) return InvalidField("tags", "must be catalogue tags (a-z 0-9 -)");
    if (!seen.insert(tag).second) return InvalidField("tags", "must not repeat a tag");
  }
  if (r.venue.empty() == r.online_url.empty()) {
    return InvalidField("location", "set exactly one of venue and online_url");
  }
  if (!r.venue.empty()) {
    HC_RETURN_IF_ERROR(
        CheckText("venue", r.venue, {.required = true, .max_characters = kMaxVenueLength}));
  } else if (r.online_url.size() > kMaxUrlLength || !IsWebUrl(r.online_url)) {
    return InvalidField("online_url", "must be an http(s) URL of at most 2000 characters");
  }
  if (!r.event_id.empty() && !hc::ids::IsUuid(r.event_id)) {
    return InvalidField("event_id", "must be an event id (UUID)");
  }
  r.event_id = hc::ids::Canonical(r.event_id);
  if (!IsAllowedSoberThreshold(r.min_sober_days)) {
    return InvalidField("min_sober_days",
                        "must be 0, 30, 60, 90, 180 or whole years (365, 730, ...)");
  }
  if (r.max_shifts_per_person == 0) r.max_shifts_per_person = kDefaultShiftsPerPerson;
  if (r.max_shifts_per_person < 1 || r.max_shifts_per_person > kMaxShiftsPerPerson) {
    return InvalidField("max_shifts_per_person", "must be 1 to 50");
  }
  return absl::OkStatus();
}

std::vector<std::string> AddedTags(const std::vector<std::string>& before,
                                   const std::vector<std::string>& after) {
  const std::set<std::string> had(before.begin(), before.end());
  std::vector<std::string> added;
  for (const auto& tag : after) {
    if (!had.contains(tag)) added.push_back(tag);
  }
  return added;
}

absl::StatusOr<std::vector<std::string>> ApplyRoleChanges(Role& role, const RoleChanges& c,
                                                          const std::set<std::string>& vetted) {
  if (role.status != RoleStatus::kOpen) {
    return absl::FailedPreconditionError("the role is closed; post a new one instead");
  }
  RoleDetails d = role.details;
  if (c.title) d.title = *c.title;
  if (c.description) d.description = *c.description;
  if (c.tags) d.tags = *c.tags;
  if (c.venue) {
    d.venue = *c.venue;
    if (!c.venue->empty() && !c.online_url) d.online_url.clear();
  }
  if (c.online_url) {
    d.online_url = *c.online_url;
    if (!c.online_url->empty() && !c.venue) d.venue.clear();
  }
  if (c.event_id) d.event_id = *c.event_id;
  if (c.min_sober_days) d.min_sober_days = *c.min_sober_days;
  if (c.max_shifts_per_person) d.max_shifts_per_person = *c.max_shifts_per_person;
  if (c.requires_approval) d.requires_approval = *c.requires_approval;
  HC_RETURN_IF_ERROR(ValidateRole(d));
  for (const auto& tag : AddedTags(role.details.tags, d.tags)) {
    if (!vetted.contains(tag)) {
      return absl::AbortedError("the role changed while its tags were checked; try again");
    }
  }
  const RoleDetails& was = role.details;
  std::vector<std::string> changed;
  auto note = [&changed](bool differs, const char* name) {
    if (differs) changed.emplace_back(name);
  };
  note(d.title != was.title, "title");
  note(d.description != was.description, "description");
  note(d.tags != was.tags, "tags");
  note(d.venue != was.venue, "venue");
  note(d.online_url != was.online_url, "online_url");
  note(d.event_id != was.event_id, "event_id");
  note(d.min_sober_days != was.min_sober_days, "min_sober_days");
  note(d.max_shifts_per_person != was.max_shifts_per_person, "max_shifts_per_person");
  note(d.requires_approval != was.requires_approval, "requires_approval");
  role.details = std::move(d);
  return changed;
}

absl::Status ValidateShift(const Role& role, const Shift& s, const TimeZoneCatalog& zones,
                           Time now) {
  HC_RETURN_IF_ERROR(ValidateShiftFields(s, zones, now));
  if (role.status != RoleStatus::kOpen) {
    return absl::FailedPreconditionError("the role is closed");
  }
  return absl::OkStatus();
}

absl::Status ValidateShiftFields(const Shift& s, const TimeZoneCatalog& zones, Time now) {
  if (s.start == Time{}) return InvalidField("start_time", "is required");
  if (s.end == Time{}) return InvalidField("end_time", "is required");
  if (s.start <= now) return InvalidField("start_time", "must be in the future");
  if (s.start - now > kMaxLeadTime) return InvalidField("start_time", "must be within a year");
  if (s.end <= s.start) return InvalidField("end_time", "must be after start_time");
  if (s.end - s.start > kMaxShiftLength) {
    return InvalidField("end_time", "must be within 24 hours of start_time");
  }
  if (s.time_zone.empty() || !zones.Exists(s.time_zone)) {
    return InvalidField("time_zone", "must be an IANA time zone");
  }
  if (s.slots < 1 || s.slots > kMaxSlots) return InvalidField("slots", "must be 1 to 500");
  return absl::OkStatus();
}

absl::Status CheckScheduled(const Shift& shift) {
  if (shift.status == ShiftStatus::kCancelled) {
    return absl::FailedPreconditionError("the shift was cancelled");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ApplyShiftChanges(Shift& shift,
                                                           const ShiftChanges& changes,
                                                           const TimeZoneCatalog& zones, Time now) {
  HC_RETURN_IF_ERROR(CheckScheduled(shift));
  if (shift.start <= now) return absl::FailedPreconditionError("the shift has started");
  Shift next = shift;
  std::vector<std::string> changed;
  auto apply = [&changed](const char* name, auto& field, const auto& value) {
    if (!value || field == *value) return;
    field = *value;
    changed.push_back(name);
  };
  apply("start_time", next.start, changes.start);
  apply("end_time", next.end, changes.end);
  apply("time_zone", next.time_zone, changes.time_zone);
  apply("slots", next.slots, changes.slots);
  HC_RETURN_IF_ERROR(ValidateShiftFields(next, zones, now));
  if (next.slots < next.confirmed_count) {
    return absl::FailedPreconditionError(
        std::to_string(next.confirmed_count) +
        " volunteers are confirmed on this shift; slots can't go below that");
  }
  shift = std::move(next);
  return changed;
}

absl::Status CheckCancel(const Shift& shift, Time now) {
  if (shift.status == ShiftStatus::kCancelled) return absl::OkStatus();
  if (shift.start <= now) return absl::FailedPreconditionError("the shift has started");
  return absl::OkStatus();
}

bool FollowsEvent(const Shift& shift, Time now) {
  return shift.status == ShiftStatus::kScheduled && shift.start > now;
}

absl::StatusOr<Placement> PlaceSignup(const Role& role, const Shift& shift, Time now) {
  if (role.status != RoleStatus::kOpen) {
    return absl::FailedPreconditionError("the role is closed to new sign-ups");
  }
  HC_RETURN_IF_ERROR(CheckScheduled(shift));
  if (shift.start <= now) return absl::FailedPreconditionError("the shift has started");
  if (role.details.requires_approval) return Placement::kPendingApproval;
  return shift.confirmed_count < shift.slots ? Placement::kConfirmed : Placement::kWaitlisted;
}

absl::Status CheckShiftLimit(const Role& role, int held) {
  if (held >= role.details.max_shifts_per_person) {
    return absl::FailedPreconditionError("you hold " + std::to_string(held) +
                                         " current shifts of this role, the most one person may (" +
                                         std::to_string(role.details.max_shifts_per_person) + ")");
  }
  return absl::OkStatus();
}

absl::Status CheckWithdraw(const Shift& shift, Time now, std::chrono::minutes cutoff) {
  const Time closes = shift.start - cutoff;
  if (now >= closes) {
    return absl::FailedPreconditionError("withdrawals for this shift closed at " + Utc(closes) +
                                         "; please contact the coordinator");
  }
  return absl::OkStatus();
}

bool PromotesOnFree(const Shift& shift, Time now) {
  return shift.status == ShiftStatus::kScheduled && shift.start > now;
}

bool HasEnded(const Shift& shift, Time now) { return shift.end <= now; }

bool IsActive(SignupStatus status) {
  return status == SignupStatus::kConfirmed || status == SignupStatus::kWaitlisted ||
         status == SignupStatus::kPendingApproval;
}

absl::StatusOr<Placement> PlaceApproval(const Shift& shift, Time now) {
  if (shift.status == ShiftStatus::kCancelled) {
    return absl::FailedPreconditionError("the shift was cancelled");
  }
  if (shift.start <= now) return absl::FailedPreconditionError("the shift has started");
  return shift.confirmed_count < shift.slots ? Placement::kConfirmed : Placement::kWaitlisted;
}

absl::Status CheckSignUpAgain(SignupStatus ended) {
  if (ended == SignupStatus::kDeclined) {
    return absl::FailedPreconditionError(
        "a coordinator declined your sign-up for this shift; its other shifts are open to you");
  }
  return absl::OkStatus();
}

absl::Status CheckWithdraw(const Shift& shift, SignupStatus status, Time now,
                           std::chrono::minutes cutoff) {
  if (status == SignupStatus::kPendingApproval) return absl::OkStatus();
  return CheckWithdraw(shift, now, cutoff);
}

}  // namespace volunteering::domain

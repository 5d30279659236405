#include "services/notifications/src/domain/attendance.h"

#include <algorithm>

namespace notifications::domain {

std::string_view SubjectKindName(SubjectKind kind) {
  return kind == SubjectKind::kEvent ? "event" : "shift";
}

std::optional<SubjectKind> SubjectKindFromName(std::string_view name) {
  if (name == "event") return SubjectKind::kEvent;
  if (name == "shift") return SubjectKind::kShift;
  return std::nullopt;
}

std::string_view PresenceName(Presence presence) {
  return presence == Presence::kGoing ? "going" : "waiting";
}

std::string_view ReminderKindName(ReminderKind kind) {
  return kind == ReminderKind::kDayBefore ? "day_before" : "two_hours";
}

std::optional<ReminderKind> ReminderKindFromName(std::string_view name) {
  if (name == "day_before") return ReminderKind::kDayBefore;
  if (name == "two_hours") return ReminderKind::kTwoHoursBefore;
  return std::nullopt;
}

bool EventMoved(const std::vector<std::string>& changed_fields) {
  return std::any_of(changed_fields.begin(), changed_fields.end(), [](const std::string& f) {
    return f == "start_time" || f == "end_time" || f == "venue" || f == "online_url";
  });
}

std::vector<ReminderChange> ReconcileReminders(const std::vector<StoredReminder>& stored,
                                               absl::Time start, absl::Time now) {
  const std::vector<Reminder> ahead = ReminderSchedule(start, now);
  std::vector<ReminderChange> out;
  for (ReminderKind kind : {ReminderKind::kDayBefore, ReminderKind::kTwoHoursBefore}) {
    const auto held = std::find_if(stored.begin(), stored.end(),
                                   [kind](const StoredReminder& r) { return r.kind == kind; });
    const auto due = std::find_if(ahead.begin(), ahead.end(),
                                  [kind](const Reminder& r) { return r.kind == kind; });
    if (held != stored.end() && held->start == start) {
      out.push_back({kind, ReminderChange::Action::kKeep, {}});
    } else if (due != ahead.end()) {
      out.push_back({kind, ReminderChange::Action::kSchedule, due->due});
    } else if (held != stored.end() && !held->sent) {
      out.push_back({kind, ReminderChange::Action::kDrop, {}});
    }
  }
  return out;
}

bool StillWorthSending(absl::Time start, absl::Time now) { return now < start; }

std::string ReminderFactId(SubjectKind subject, std::string_view subject_id, ReminderKind kind,
                           absl::Time start) {
  // Debian's Abseil has its own string_view: build the id with std::string.
  std::string id = "reminder|";
  id.append(SubjectKindName(subject))
      .append("|")
      .append(subject_id)
      .append("|")
      .append(ReminderKindName(kind))
      .append("|")
      .append(std::to_string(absl::ToUnixMillis(start)));
  return id;
}

}  // namespace notifications::domain

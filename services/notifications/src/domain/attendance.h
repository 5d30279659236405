#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "services/notifications/src/domain/schedule.h"

// Who is going to or waiting for what (kept from events' and volunteering's facts), and what
// that means for the notices of a moved event and for reminders.
namespace notifications::domain {

// What a member can be going to: an event, or a shift of a volunteer role.
enum class SubjectKind { kEvent = 1, kShift = 2 };
std::string_view SubjectKindName(SubjectKind kind);
std::optional<SubjectKind> SubjectKindFromName(std::string_view name);

// Going (confirmed, promoted) gets reminders; waiting (waitlisted) is only told of changes.
enum class Presence { kGoing = 1, kWaiting = 2 };
std::string_view PresenceName(Presence presence);

std::string_view ReminderKindName(ReminderKind kind);
std::optional<ReminderKind> ReminderKindFromName(std::string_view name);

// Does an EventUpdated with these changed_fields move the event, in time ("start_time",
// "end_time") or place ("venue", "online_url")? Only that is worth telling everyone on it.
bool EventMoved(const std::vector<std::string>& changed_fields);

// One of a member's stored reminders of one subject.
struct StoredReminder {
  ReminderKind kind;
  // The start time it was computed from.
  absl::Time start;
  bool sent = false;
};

// What becomes of one kind of a member's reminder of a subject starting at a (new) start.
struct ReminderChange {
  enum class Action {
    // Left as stored (computed from this start already, pending or sent).
    kKeep,
    // Stored as pending at `due`, computed from the new start (new, moved, or made again).
    kSchedule,
    // Deleted: pending for an old start, and no longer ahead for the new one.
    kDrop,
  };
  ReminderKind kind;
  Action action;
  absl::Time due;
};

// A member going to something starting at `start`: what their stored reminders of it become.
// Kinds computed from `start` already stay as they are (a redelivered fact changes nothing; a
// sent one is not sent again). Otherwise ReminderSchedule(start, now) decides: a kind still
// ahead is scheduled at its new due time, also when it was sent for the old time (the member
// was told the old time); a pending kind no longer ahead is dropped; a sent one stays as the
// record that it went. Kinds neither stored nor ahead get no change.
std::vector<ReminderChange> ReconcileReminders(const std::vector<StoredReminder>& stored,
                                               absl::Time start, absl::Time now);

// A reminder taken when due is sent only while what it is about has not started yet (after an
// outage, a day-before reminder coming after the start would only confuse).
bool StillWorthSending(absl::Time start, absl::Time now);

// The id a reminder is delivered under (the dedupe base for InboxDeliveries::Deliver): the
// subject, the kind and the start it was computed from. The member is added by DedupeKey.
std::string ReminderFactId(SubjectKind subject, std::string_view subject_id, ReminderKind kind,
                           absl::Time start);

}  // namespace notifications::domain

#pragma once

#include <optional>
#include <string>
#include <vector>

#include "libs/postgres/pool.h"
#include "services/notifications/src/domain/attendance.h"
#include "services/notifications/src/storage/notification_store.h"

namespace notifications::storage {

// What a member can attend: an event, or a shift and the role it belongs to.
struct Subject {
  domain::SubjectKind kind = domain::SubjectKind::kEvent;
  std::string id;
  // Shifts only ("" for events).
  std::string role_id;
};

// A pending reminder taken by the poller.
struct DueReminder {
  Subject subject;
  std::string member_id;
  domain::ReminderKind kind = domain::ReminderKind::kDayBefore;
  Time start;
};

// The `attendance` projection and the `reminders` due work (migration 0004). Everything runs
// inside the caller's transaction: the consumer's (with its inbox dedupe and items) or the
// poller's.
//
// Invariants:
// - One attendance row per (subject, member), one reminder per (subject, member, kind).
// - Reminders exist only for members going (attendance status going); whoever writes a
//   member's row keeps them in step (AttendanceEffects), and removing the row removes them.
class AttendanceStore {
 public:
  // Upserts the member's presence. `start` nullopt keeps the stored start, else the one any
  // other row of the subject has (facts from older producers may not carry it). Returns the
  // start the row has now.
  std::optional<Time> SetIn(hc::postgres::Tx& tx, const Subject& subject,
                            const std::string& member_id, domain::Presence presence,
                            std::optional<Time> start);
  // The member is no longer going or waiting: their row and reminders go.
  void RemoveIn(hc::postgres::Tx& tx, const Subject& subject, const std::string& member_id);
  // The subject is cancelled: everyone's rows and reminders go.
  void RemoveSubjectIn(hc::postgres::Tx& tx, const Subject& subject);
  // A new start for everyone on the subject.
  void SetStartIn(hc::postgres::Tx& tx, const Subject& subject, Time start);
  // Members on the subject: going only, or going and waiting.
  std::vector<std::string> MembersIn(hc::postgres::Tx& tx, const Subject& subject, bool going_only);

  std::vector<domain::StoredReminder> RemindersIn(hc::postgres::Tx& tx, const Subject& subject,
                                                  const std::string& member_id);
  // Applies ReconcileReminders' changes for the member's reminders computed from `start`.
  void ApplyIn(hc::postgres::Tx& tx, const Subject& subject, const std::string& member_id,
               Time start, const std::vector<domain::ReminderChange>& changes);
  void DropRemindersIn(hc::postgres::Tx& tx, const Subject& subject, const std::string& member_id);

  // Up to `limit` pending reminders due at `now`, earliest first, locked FOR UPDATE SKIP
  // LOCKED: another transaction taking due reminders at the same time gets others.
  std::vector<DueReminder> TakeDueIn(hc::postgres::Tx& tx, Time now, int limit);
  // `status` is "sent" or "missed".
  void FinishIn(hc::postgres::Tx& tx, const DueReminder& reminder, const std::string& status,
                Time now);
  // Pending reminders already due at `now`.
  int BacklogIn(hc::postgres::Tx& tx, Time now);
};

}  // namespace notifications::storage

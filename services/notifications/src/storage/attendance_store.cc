#include "services/notifications/src/storage/attendance_store.h"

namespace notifications::storage {
namespace {

using hc::postgres::Tx;

int64_t Ms(Time t) { return t.time_since_epoch().count(); }
Time FromMs(int64_t ms) { return Time(std::chrono::milliseconds(ms)); }
std::string MsToTs(const std::string& param) {
  return "to_timestamp(" + param + "::bigint / 1000.0)";
}
std::string Epoch(const std::string& column) {
  return "(extract(epoch FROM " + column + ") * 1000)::bigint";
}
Time FromAbsl(absl::Time t) { return FromMs(absl::ToUnixMillis(t)); }

std::string KindOf(const Subject& subject) {
  return std::string(domain::SubjectKindName(subject.kind));
}

}  // namespace

std::optional<Time> AttendanceStore::SetIn(Tx& tx, const Subject& subject,
                                           const std::string& member_id, domain::Presence presence,
                                           std::optional<Time> start) {
  // $5 is NULL when the fact had no start: then the stored one, or any other row's.
  const auto row = tx.exec_params1(
      "INSERT INTO attendance (subject_kind, subject_id, role_id, member_id, status, start_time) "
      "VALUES ($1, $2::uuid, NULLIF($3, '')::uuid, $4, $6, COALESCE(" +
          MsToTs("$5") +
          ", (SELECT max(start_time) FROM attendance WHERE subject_kind = $1 AND subject_id = "
          "$2::uuid))) ON CONFLICT (subject_kind, subject_id, member_id) DO UPDATE SET status = "
          "excluded.status, start_time = COALESCE(" +
          MsToTs("$5") + ", attendance.start_time) RETURNING " + Epoch("start_time"),
      KindOf(subject), subject.id, subject.role_id, member_id,
      start ? std::optional<int64_t>(Ms(*start)) : std::nullopt,
      std::string(domain::PresenceName(presence)));
  if (row[0].is_null()) return std::nullopt;
  return FromMs(row[0].as<int64_t>());
}

void AttendanceStore::RemoveIn(Tx& tx, const Subject& subject, const std::string& member_id) {
  for (const char* table : {"attendance", "reminders"}) {
    tx.exec_params(std::string("DELETE FROM ") + table +
                       " WHERE subject_kind = $1 AND subject_id = $2::uuid AND member_id = $3",
                   KindOf(subject), subject.id, member_id);
  }
}

void AttendanceStore::RemoveSubjectIn(Tx& tx, const Subject& subject) {
  for (const char* table : {"attendance", "reminders"}) {
    tx.exec_params(
        std::string("DELETE FROM ") + table + " WHERE subject_kind = $1 AND subject_id = $2::uuid",
        KindOf(subject), subject.id);
  }
}

void AttendanceStore::SetStartIn(Tx& tx, const Subject& subject, Time start) {
  tx.exec_params("UPDATE attendance SET start_time = " + MsToTs("$3") +
                     " WHERE subject_kind = $1 AND subject_id = $2::uuid",
                 KindOf(subject), subject.id, Ms(start));
}

std::vector<std::string> AttendanceStore::MembersIn(Tx& tx, const Subject& subject,
                                                    bool going_only) {
  const auto rows = tx.exec_params(
      "SELECT member_id FROM attendance WHERE subject_kind = $1 AND subject_id = $2::uuid" +
          std::string(going_only ? " AND status = 'going'" : "") + " ORDER BY member_id",
      KindOf(subject), subject.id);
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(row[0].as<std::string>());
  return out;
}

std::vector<domain::StoredReminder> AttendanceStore::RemindersIn(Tx& tx, const Subject& subject,
                                                                 const std::string& member_id) {
  const auto rows = tx.exec_params("SELECT kind, " + Epoch("start_time") +
                                       ", status = 'sent' FROM reminders WHERE subject_kind = $1 "
                                       "AND subject_id = $2::uuid AND member_id = $3",
                                   KindOf(subject), subject.id, member_id);
  std::vector<domain::StoredReminder> out;
  for (const auto& row : rows) {
    auto kind = domain::ReminderKindFromName(row[0].as<std::string>());
    if (!kind) continue;
    out.push_back({.kind = *kind,
                   .start = absl::FromUnixMillis(row[1].as<int64_t>()),
                   .sent = row[2].as<bool>()});
  }
  return out;
}

void AttendanceStore::ApplyIn(Tx& tx, const Subject& subject, const std::string& member_id,
                              Time start, const std::vector<domain::ReminderChange>& changes) {
  using Action = domain::ReminderChange::Action;
  for (const domain::ReminderChange& change : changes) {
    const std::string kind(domain::ReminderKindName(change.kind));
    if (change.action == Action::kSchedule) {
      tx.exec_params(
          "INSERT INTO reminders (subject_kind, subject_id, role_id, member_id, kind, start_time, "
          "due_at, status) VALUES ($1, $2::uuid, NULLIF($3, '')::uuid, $4, $5, " +
              MsToTs("$6") + ", " + MsToTs("$7") +
              ", 'pending') ON CONFLICT (subject_kind, subject_id, member_id, kind) DO UPDATE SET "
              "start_time = excluded.start_time, due_at = excluded.due_at, status = 'pending', "
              "sent_at = NULL",
          KindOf(subject), subject.id, subject.role_id, member_id, kind, Ms(start),
          Ms(FromAbsl(change.due)));
    } else if (change.action == Action::kDrop) {
      tx.exec_params(
          "DELETE FROM reminders WHERE subject_kind = $1 AND subject_id = $2::uuid AND "
          "member_id = $3 AND kind = $4",
          KindOf(subject), subject.id, member_id, kind);
    }
  }
}

void AttendanceStore::DropRemindersIn(Tx& tx, const Subject& subject,
                                      const std::string& member_id) {
  tx.exec_params(
      "DELETE FROM reminders WHERE subject_kind = $1 AND subject_id = $2::uuid AND member_id = $3",
      KindOf(subject), subject.id, member_id);
}

std::vector<DueReminder> AttendanceStore::TakeDueIn(Tx& tx, Time now, int limit) {
  const auto rows = tx.exec_params(
      "SELECT subject_kind, subject_id::text, COALESCE(role_id::text, ''), member_id, kind, " +
          Epoch("start_time") + " FROM reminders WHERE status = 'pending' AND due_at <= " +
          MsToTs("$1") + " ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED",
      Ms(now), limit);
  std::vector<DueReminder> out;
  for (const auto& row : rows) {
    auto subject_kind = domain::SubjectKindFromName(row[0].as<std::string>());
    auto kind = domain::ReminderKindFromName(row[4].as<std::string>());
    // A row this build can't read (written by a newer one) is left for that one.
    if (!subject_kind || !kind) continue;
    out.push_back({.subject = {.kind = *subject_kind,
                               .id = row[1].as<std::string>(),
                               .role_id = row[2].as<std::string>()},
                   .member_id = row[3].as<std::string>(),
                   .kind = *kind,
                   .start = FromMs(row[5].as<int64_t>())});
  }
  return out;
}

void AttendanceStore::FinishIn(Tx& tx, const DueReminder& reminder, const std::string& status,
                               Time now) {
  tx.exec_params("UPDATE reminders SET status = $5, sent_at = " + MsToTs("$6") +
                     " WHERE subject_kind = $1 AND subject_id = $2::uuid AND member_id = $3 AND "
                     "kind = $4",
                 KindOf(reminder.subject), reminder.subject.id, reminder.member_id,
                 std::string(domain::ReminderKindName(reminder.kind)), status, Ms(now));
}

int AttendanceStore::BacklogIn(Tx& tx, Time now) {
  return tx
      .exec_params1(
          "SELECT count(*) FROM reminders WHERE status = 'pending' AND due_at <= " + MsToTs("$1"),
          Ms(now))[0]
      .as<int>();
}

}  // namespace notifications::storage

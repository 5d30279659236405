// How hours stay right with members writing, coordinators reviewing and erasures arriving,
// at READ COMMITTED:
//
// Lock order, the same on every path (and compatible with role_store.cc's):
//   member (libs/identity: shared by LogHours, the reviews and SetThankYouBoard, always for the
//           member the entry or opt-in belongs to; exclusive for an erasure)
//   -> shift row (FOR SHARE, LogHours only: a cancellation, which takes it FOR UPDATE, can't
//      slip between the checks and the write)
//   -> the entry's hours row (FOR UPDATE)
//   -> the member's hours_member_totals row (an approval adds the entry's minutes to it).
// Invariant: hours_member_totals.minutes = the sum of the member's APPROVED entries. Only an
// approval (PENDING -> APPROVED, once per entry) changes that sum, and it adds to the total in
// the same transaction; approved entries are never changed again; an erasure deletes both.
// An hours row is only ever written under its own member's lock, so an erasure (exclusive)
// waits for every log and review of that member in flight, and none starts until it commits;
// after the tombstone, writes are refused. So no entry of an erased member survives, and no
// approval lands after its hours were folded into the anonymous totals (which would count it
// twice or lose it).
// The anonymous totals (hours_anonymous) are written only by erasures, which upsert their rows
// in role id order, so two erasures can't deadlock on them.
//
// A pending entry is replaced in place (ON CONFLICT ... WHERE status = 1): if a review won the
// race for the row, the replacement writes nothing and the caller is told it was reviewed.
#include "services/volunteering/src/storage/hours_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "libs/identity/identity.h"
#include "libs/ids/ids.h"
#include "libs/status/status.h"

namespace volunteering::storage {
namespace {

using domain::HoursEntry;
using domain::HoursStatus;
using hc::postgres::Tx;

int64_t Ms(domain::Time t) { return t.time_since_epoch().count(); }
domain::Time FromMs(int64_t ms) { return domain::Time(std::chrono::milliseconds(ms)); }
std::string MsToTs(const std::string& param) {
  return "to_timestamp(" + param + "::bigint / 1000.0)";
}
bool ValidMs(int64_t ms) { return ms >= 0 && ms <= 253402300799000; }
std::string Epoch(const std::string& column) {
  return "(extract(epoch FROM " + column + ") * 1000)::bigint";
}

const std::string kEntryColumns =
    "h.shift_id::text, h.role_id::text, h.member_id::text, "
    "h.minutes, h.status, " +
    Epoch("h.logged_at") + ", " + Epoch("h.reviewed_at");

HoursEntry EntryFromRow(const pqxx::row& row) {
  HoursEntry e{.shift_id = row[0].as<std::string>(),
               .role_id = row[1].as<std::string>(),
               .member_id = row[2].as<std::string>(),
               .minutes = row[3].as<int>(),
               .status = static_cast<HoursStatus>(row[4].as<int>()),
               .logged_at = FromMs(row[5].as<int64_t>())};
  if (!row[6].is_null()) e.reviewed_at = FromMs(row[6].as<int64_t>());
  return e;
}

std::optional<HoursEntry> LockEntry(Tx& tx, const std::string& shift_id,
                                    const std::string& member_id) {
  auto rows = tx.exec_params("SELECT " + kEntryColumns +
                                 " FROM hours h WHERE h.shift_id = $1 AND h.member_id = $2 "
                                 "FOR UPDATE",
                             shift_id, member_id);
  if (rows.empty()) return std::nullopt;
  return EntryFromRow(rows[0]);
}

absl::Status BadToken() {
  return hc::InvalidField("page_token", "is not a token this listing gave out");
}

}  // namespace

absl::StatusOr<HoursEntry> HoursStore::Log(const std::string& shift_id,
                                           const std::string& member_id, int minutes,
                                           domain::Time now) {
  HoursEntry entry;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    HC_RETURN_IF_ERROR(hc::identity::LockMemberForWrite(tx, member_id));
    auto shifts =
        tx.exec_params("SELECT role_id::text, " + Epoch("starts_at") + ", " + Epoch("ends_at") +
                           ", status FROM shifts WHERE shift_id = $1 FOR SHARE",
                       shift_id);
    if (shifts.empty()) return absl::NotFoundError("no such shift");
    const domain::Shift shift{.shift_id = shift_id,
                              .role_id = shifts[0][0].as<std::string>(),
                              .start = FromMs(shifts[0][1].as<int64_t>()),
                              .end = FromMs(shifts[0][2].as<int64_t>()),
                              .status = static_cast<domain::ShiftStatus>(shifts[0][3].as<int>())};
    const bool confirmed = tx.exec_params1(
                                 "SELECT EXISTS (SELECT 1 FROM signups WHERE shift_id = $1 AND "
                                 "member_id = $2 AND status = 1)",
                                 shift_id, member_id)[0]
                               .as<bool>();
    std::optional<HoursStatus> existing;
    if (auto locked = LockEntry(tx, shift_id, member_id)) existing = locked->status;
    HC_RETURN_IF_ERROR(domain::CheckLogHours(shift, confirmed, existing, minutes, now));
    auto rows = tx.exec_params(
        "INSERT INTO hours AS h (shift_id, member_id, role_id, minutes, status, logged_at) "
        "VALUES ($1, $2, $3, $4, 1, " +
            MsToTs("$5") +
            ") ON CONFLICT (shift_id, member_id) DO UPDATE SET minutes = EXCLUDED.minutes, "
            "logged_at = EXCLUDED.logged_at WHERE h.status = 1 RETURNING " +
            kEntryColumns,
        shift_id, member_id, shift.role_id, minutes, Ms(now));
    // Only when a review took the row between our read and our write (see the top).
    if (rows.empty()) {
      return absl::FailedPreconditionError("your hours for this shift were already reviewed");
    }
    entry = EntryFromRow(rows[0]);
    recorder_.HoursLogged(tx, entry);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return entry;
}

absl::StatusOr<HoursEntry> HoursStore::Review(const std::string& shift_id,
                                              const std::string& member_id,
                                              domain::HoursDecision decision, domain::Time now) {
  HoursEntry entry;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    // The entry's member, not the coordinator: an erasure of the member waits for this.
    if (absl::Status locked = hc::identity::LockMemberForWrite(tx, member_id); !locked.ok()) {
      // An erased member's hours are only anonymous totals now: there is no entry to review.
      if (absl::IsFailedPrecondition(locked)) {
        return absl::NotFoundError("no hours logged by that member for this shift");
      }
      return locked;
    }
    std::optional<HoursEntry> found = LockEntry(tx, shift_id, member_id);
    if (!found) return absl::NotFoundError("no hours logged by that member for this shift");
    entry = *found;
    HC_ASSIGN_OR_RETURN(HoursStatus next, domain::Review(entry.status, decision));
    if (next == entry.status) return absl::OkStatus();
    tx.exec_params("UPDATE hours SET status = $3, reviewed_at = " + MsToTs("$4") +
                       " WHERE shift_id = $1 AND member_id = $2",
                   shift_id, member_id, static_cast<int>(next), Ms(now));
    entry.status = next;
    entry.reviewed_at = now;
    if (next == HoursStatus::kApproved) {
      tx.exec_params(
          "INSERT INTO hours_member_totals AS t (member_id, minutes) VALUES ($1, $2) "
          "ON CONFLICT (member_id) DO UPDATE SET minutes = t.minutes + EXCLUDED.minutes",
          member_id, entry.minutes);
      recorder_.HoursApproved(tx, entry, now);
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return entry;
}

absl::StatusOr<HoursPage> HoursStore::List(const std::string& role_id,
                                           std::optional<HoursStatus> wanted, int page_size,
                                           const std::string& after) {
  int64_t after_ms = 0;
  std::string after_shift = "00000000-0000-0000-0000-000000000000", after_member = after_shift;
  if (!after.empty()) {
    std::vector<std::string> parts = absl::StrSplit(after, '|');
    if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &after_ms) || !ValidMs(after_ms) ||
        !hc::ids::IsUuid(parts[1]) || !hc::ids::IsUuid(parts[2])) {
      return BadToken();
    }
    after_shift = parts[1];
    after_member = parts[2];
  }
  HoursPage page;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    page = HoursPage{};
    if (tx.exec_params("SELECT 1 FROM roles WHERE role_id = $1", role_id).empty()) {
      return absl::NotFoundError("no such role");
    }
    auto rows = tx.exec_params(
        "SELECT " + kEntryColumns +
            " FROM hours h WHERE h.role_id = $1 AND ($2 = 0 OR h.status = $2) AND (NOT $3 OR "
            "(h.logged_at, h.shift_id, h.member_id) > (" +
            MsToTs("$4") +
            ", $5::uuid, $6::uuid)) ORDER BY h.logged_at, h.shift_id, h.member_id LIMIT $7",
        role_id, wanted ? static_cast<int>(*wanted) : 0, !after.empty(), after_ms, after_shift,
        after_member, page_size + 1);
    for (const auto& row : rows) {
      if (static_cast<int>(page.entries.size()) == page_size) {
        const HoursEntry& last = page.entries.back();
        page.next = std::to_string(Ms(last.logged_at)) + "|" + last.shift_id + "|" + last.member_id;
        break;
      }
      page.entries.push_back(EntryFromRow(row));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return page;
}

absl::StatusOr<MemberHours> HoursStore::MemberSummary(const std::string& member_id,
                                                      const std::string& role_id) {
  MemberHours out;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    out = MemberHours{};
    const std::string only_role = "($2 = '' OR h.role_id = NULLIF($2, '')::uuid)";
    auto totals = tx.exec_params1(
        "SELECT COALESCE(sum(h.minutes), 0)::bigint, count(*) FROM hours h WHERE h.member_id = "
        "$1 AND h.status = 2 AND " +
            only_role,
        member_id, role_id);
    out.approved_minutes = totals[0].as<int64_t>();
    out.shifts = totals[1].as<int>();
    for (const auto& row : tx.exec_params(
             "SELECT h.role_id::text, r.title, sum(h.minutes)::bigint AS minutes, count(*) FROM "
             "hours h JOIN roles r ON r.role_id = h.role_id WHERE h.member_id = $1 AND h.status "
             "= 2 AND " +
                 only_role +
                 " GROUP BY h.role_id, r.title ORDER BY minutes DESC, h.role_id LIMIT $3",
             member_id, role_id, kMaxSummaryRoles)) {
      out.roles.push_back({.role_id = row[0].as<std::string>(),
                           .role_title = row[1].as<std::string>(),
                           .approved_minutes = row[2].as<int64_t>(),
                           .shifts = row[3].as<int>()});
    }
    out.on_thank_you_board =
        !tx.exec_params("SELECT 1 FROM thank_you_board WHERE member_id = $1", member_id).empty();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<RoleTotals> HoursStore::RoleSummary(const std::string& role_id) {
  RoleTotals out;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    // One statement, one snapshot: an erasure folding hours in commits wholly before or after.
    auto rows = tx.exec_params(
        "SELECT r.title, COALESCE(h.minutes, 0) + COALESCE(a.minutes, 0), "
        "COALESCE(h.shifts, 0) + COALESCE(a.shifts, 0), "
        "COALESCE(h.volunteers, 0) + COALESCE(a.volunteers, 0) FROM roles r "
        "LEFT JOIN (SELECT role_id, sum(minutes)::bigint AS minutes, count(*) AS shifts, "
        "count(DISTINCT member_id) AS volunteers FROM hours WHERE role_id = $1 AND status = 2 "
        "GROUP BY role_id) h ON h.role_id = r.role_id "
        "LEFT JOIN hours_anonymous a ON a.role_id = r.role_id WHERE r.role_id = $1",
        role_id);
    if (rows.empty()) return absl::NotFoundError("no such role");
    out = RoleTotals{.hours = {.role_id = role_id,
                               .role_title = rows[0][0].as<std::string>(),
                               .approved_minutes = rows[0][1].as<int64_t>(),
                               .shifts = rows[0][2].as<int>()},
                     .volunteers = rows[0][3].as<int>()};
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

absl::Status HoursStore::SetThankYouBoard(const std::string& member_id, bool opt_in,
                                          domain::Time now) {
  return pool_.InTransaction([&](Tx& tx) -> absl::Status {
    HC_RETURN_IF_ERROR(hc::identity::LockMemberForWrite(tx, member_id));
    if (opt_in) {
      tx.exec_params("INSERT INTO thank_you_board (member_id, opted_in_at) VALUES ($1, " +
                         MsToTs("$2") + ") ON CONFLICT (member_id) DO NOTHING",
                     member_id, Ms(now));
    } else {
      tx.exec_params("DELETE FROM thank_you_board WHERE member_id = $1", member_id);
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<BoardPage> HoursStore::Board(int page_size, const std::string& after) {
  int64_t after_minutes = 0;
  std::string after_member = "00000000-0000-0000-0000-000000000000";
  if (!after.empty()) {
    std::vector<std::string> parts = absl::StrSplit(after, '|');
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &after_minutes) || after_minutes < 1 ||
        !hc::ids::IsUuid(parts[1])) {
      return BadToken();
    }
    after_member = parts[1];
  }
  BoardPage page;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    page = BoardPage{};
    auto rows = tx.exec_params(
        "SELECT t.member_id::text, t.minutes FROM hours_member_totals t JOIN thank_you_board b "
        "ON b.member_id = t.member_id WHERE NOT $1 OR t.minutes < $2 OR (t.minutes = $2 AND "
        "t.member_id > $3::uuid) ORDER BY t.minutes DESC, t.member_id LIMIT $4",
        !after.empty(), after_minutes, after_member, page_size + 1);
    for (const auto& row : rows) {
      if (static_cast<int>(page.entries.size()) == page_size) {
        const BoardEntry& last = page.entries.back();
        page.next = std::to_string(last.approved_minutes) + "|" + last.member_id;
        break;
      }
      page.entries.push_back(
          {.member_id = row[0].as<std::string>(), .approved_minutes = row[1].as<int64_t>()});
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return page;
}

void HoursStore::EraseMemberIn(Tx& tx, const std::string& member_id, domain::Time now) {
  // Each role's approved minutes and entries, and one volunteer, move to the anonymous totals:
  // a role's totals (RoleSummary) are the same before and after. A redelivered MemberDeleted
  // finds no rows left, so nothing folds in twice.
  tx.exec_params(
      "INSERT INTO hours_anonymous AS a (role_id, minutes, shifts, volunteers, updated_at) "
      "SELECT role_id, sum(minutes), count(*), 1, " +
          MsToTs("$2") +
          " FROM hours WHERE member_id = $1 AND status = 2 GROUP BY role_id ORDER BY role_id "
          "ON CONFLICT (role_id) DO UPDATE SET minutes = a.minutes + EXCLUDED.minutes, shifts = "
          "a.shifts + EXCLUDED.shifts, volunteers = a.volunteers + EXCLUDED.volunteers, "
          "updated_at = EXCLUDED.updated_at",
      member_id, Ms(now));
  tx.exec_params("DELETE FROM hours WHERE member_id = $1", member_id);
  tx.exec_params("DELETE FROM hours_member_totals WHERE member_id = $1", member_id);
  tx.exec_params("DELETE FROM thank_you_board WHERE member_id = $1", member_id);
}

}  // namespace volunteering::storage

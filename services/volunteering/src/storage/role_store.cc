// How the slot rules hold whatever the concurrency, at READ COMMITTED:
//
// Every transaction that changes a shift's sign-ups or counts starts by locking that shift's
// row (SELECT ... FOR UPDATE), so they run one at a time per shift; statements after the lock
// see the previous holder's writes, so the counts read, the placement decided and the rows
// written form one serial history: no two sign-ups take the last slot, and waitlist tickets
// (shifts.next_waitlist_seq) are handed out in lock order, which is the order of the line.
//
// Lock order, the same everywhere so nothing can deadlock:
//   member (libs/identity, shared for writes, exclusive for erasure)
//   -> member-and-role (advisory, exclusive: the per-person limit)
//   -> role row (FOR SHARE by sign-ups and new shifts, FOR UPDATE by CloseRole and UpdateRole)
//   -> shift row (FOR UPDATE).
// The per-person limit counts the member's active sign-ups of the role's shifts that have not
// ended ("holds" = current shifts) while holding the member-and-role lock, so ten sign-ups of
// one member at once are counted one after another. A shift ending needs no lock: it only
// lowers the count.
// A sign-up holds the role FOR SHARE, so CloseRole waits for sign-ups in flight and later ones
// see the role closed. Withdrawals and promotions lock only the shift. UpdateRole holds the
// role FOR UPDATE too, so a sign-up counts against the limit it sees before or after, never a
// half-changed role; it asks membership's catalogue before locking anything.
//
// Shift lifecycle: UpdateShift and CancelShift lock only the shift row, and read its status
// and start after the lock (neither touches a shift that has started), so a sign-up or
// withdrawal either finished before (and is cancelled or moved with the rest) or sees the
// shift cancelled. The events consumer takes
//   event_starts row (FOR UPDATE, EventUpdated) -> the event's roles (FOR SHARE, id order)
//   -> their shifts (FOR UPDATE, id order),
// the same direction as everything above; erasure's roles-then-shifts is too.
//
// Approval: a sign-up for a role that needs it is made PENDING_APPROVAL on the same path as any
// sign-up (so it counts toward the per-person limit, under the same lock) and adds to
// shifts.pending_count under the shift's lock; it takes no slot. ApproveSignup and
// DeclineSignup lock only the shift, like withdrawals: an approval changes no member's count of
// active sign-ups, and under the shift's lock it either takes a slot or the next waitlist
// ticket, so the line's order is the order in which approvals got the lock.
// Invariant (checked by the integration tests after each one): confirmed_count, waitlist_count
// and pending_count equal the shift's rows in status 1, 2 and 4.
//
// Backstops if a future path forgot a lock: the unique indexes signups_one_active and
// signups_line, and the CHECK confirmed_count <= slots.
#include "services/volunteering/src/storage/role_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "libs/identity/identity.h"
#include "libs/ids/ids.h"
#include "libs/outbox/outbox.h"
#include "libs/status/status.h"

namespace volunteering::storage {
namespace {

using domain::Role;
using domain::Shift;
using domain::SignupStatus;
using hc::postgres::Tx;

// The advisory lock class of the per-person limit, apart from libs/identity's member locks.
constexpr int kMemberRoleLockClass = 0x5652;  // "VR"

int64_t Ms(domain::Time t) { return t.time_since_epoch().count(); }
domain::Time FromMs(int64_t ms) { return domain::Time(std::chrono::milliseconds(ms)); }
std::string MsToTs(const std::string& param) {
  return "to_timestamp(" + param + "::bigint / 1000.0)";
}
// Page cursors come back from clients: only instants PostgreSQL can hold (1970..9999).
bool ValidMs(int64_t ms) { return ms >= 0 && ms <= 253402300799000; }
std::string Epoch(const std::string& column) {
  return "(extract(epoch FROM " + column + ") * 1000)::bigint";
}

const std::string kRoleColumns =
    "r.role_id::text, r.title, r.description, array_to_string(r.tags, ','), r.venue, "
    "r.online_url, COALESCE(r.event_id::text, ''), r.min_sober_days, r.max_shifts_per_person, "
    "r.status, r.created_by, " +
    Epoch("r.created_at") + ", " + Epoch("r.updated_at") + ", r.requires_approval";
constexpr int kRoleColumnCount = 14;

const std::string kShiftColumns = "s.shift_id::text, s.role_id::text, " + Epoch("s.starts_at") +
                                  ", " + Epoch("s.ends_at") +
                                  ", s.time_zone, s.slots, s.confirmed_count, s.waitlist_count, "
                                  "s.next_waitlist_seq, s.pending_count, s.status, " +
                                  Epoch("s.updated_at");
constexpr int kShiftColumnCount = 12;

// Catalogue tags hold no commas: array_to_string(tags, ',') splits back exactly.
std::vector<std::string> Tags(const std::string& joined) {
  return absl::StrSplit(joined, ',', absl::SkipEmpty());
}

std::string TagArray(const std::vector<std::string>& tags) {
  std::string out = "{";
  for (size_t i = 0; i < tags.size(); ++i) out += (i ? "," : "") + tags[i];
  return out + "}";
}

// Row: a libpqxx row or a pipelined transaction's (hc::postgres::PipelineRow).
template <typename Row>
Role RoleFromRow(const Row& row, int at = 0) {
  Role r;
  r.role_id = row[at].template as<std::string>();
  r.details.title = row[at + 1].template as<std::string>();
  r.details.description = row[at + 2].template as<std::string>();
  r.details.tags = Tags(row[at + 3].template as<std::string>());
  r.details.venue = row[at + 4].template as<std::string>();
  r.details.online_url = row[at + 5].template as<std::string>();
  r.details.event_id = row[at + 6].template as<std::string>();
  r.details.min_sober_days = row[at + 7].template as<int>();
  r.details.max_shifts_per_person = row[at + 8].template as<int>();
  r.status = static_cast<domain::RoleStatus>(row[at + 9].template as<int>());
  r.created_by = row[at + 10].template as<std::string>();
  r.created_at = FromMs(row[at + 11].template as<int64_t>());
  r.updated_at = FromMs(row[at + 12].template as<int64_t>());
  r.details.requires_approval = row[at + 13].template as<bool>();
  return r;
}

struct ShiftRow {
  Shift shift;
  int64_t next_waitlist_seq = 1;
};

template <typename Row>
ShiftRow ShiftFromRow(const Row& row, int at = 0) {
  ShiftRow s;
  s.shift.shift_id = row[at].template as<std::string>();
  s.shift.role_id = row[at + 1].template as<std::string>();
  s.shift.start = FromMs(row[at + 2].template as<int64_t>());
  s.shift.end = FromMs(row[at + 3].template as<int64_t>());
  s.shift.time_zone = row[at + 4].template as<std::string>();
  s.shift.slots = row[at + 5].template as<int>();
  s.shift.confirmed_count = row[at + 6].template as<int>();
  s.shift.waitlist_count = row[at + 7].template as<int>();
  s.next_waitlist_seq = row[at + 8].template as<int64_t>();
  s.shift.pending_count = row[at + 9].template as<int>();
  s.shift.status = static_cast<domain::ShiftStatus>(row[at + 10].template as<int>());
  s.shift.updated_at = FromMs(row[at + 11].template as<int64_t>());
  return s;
}

const std::string kLockShiftSql =
    "SELECT " + kShiftColumns + " FROM shifts s WHERE s.shift_id = $1 FOR UPDATE";

absl::StatusOr<ShiftRow> LockShift(Tx& tx, const std::string& shift_id) {
  auto rows = hc::postgres::ExecPrepared(tx, kLockShiftSql, shift_id);
  if (rows.empty()) return absl::NotFoundError("no such shift");
  return ShiftFromRow(rows[0]);
}

void SaveCounts(Tx& tx, const ShiftRow& s) {
  hc::postgres::ExecPrepared(
      tx,
      "UPDATE shifts SET confirmed_count = $2, waitlist_count = $3, next_waitlist_seq = $4, "
      "pending_count = $5 WHERE shift_id = $1",
      s.shift.shift_id, s.shift.confirmed_count, s.shift.waitlist_count, s.next_waitlist_seq,
      s.shift.pending_count);
}

struct ActiveSignup {
  int64_t signup_id = 0;
  domain::Signup signup;
};

// The member's sign-up for the shift chosen by `which` (a condition and an order on `g`), with
// its place in line; read after the lock.
std::optional<ActiveSignup> FindSignup(Tx& tx, const std::string& shift_id,
                                       const std::string& member_id, const std::string& which) {
  auto rows = hc::postgres::ExecPrepared(
      tx,
      "SELECT g.signup_id, g.status, " + Epoch("g.created_at") + ", " + Epoch("g.updated_at") +
          ", CASE WHEN g.status = 2 THEN (SELECT count(*) FROM signups w WHERE w.shift_id = "
          "g.shift_id AND w.status = 2 AND w.waitlist_seq <= g.waitlist_seq) ELSE 0 END "
          "FROM signups g WHERE g.shift_id = $1 AND g.member_id = $2 " +
          which + " LIMIT 1",
      shift_id, member_id);
  if (rows.empty()) return std::nullopt;
  ActiveSignup a;
  a.signup_id = rows[0][0].as<int64_t>();
  a.signup = {.shift_id = shift_id,
              .member_id = member_id,
              .status = static_cast<SignupStatus>(rows[0][1].as<int>()),
              .waitlist_position = rows[0][4].as<int>(),
              .created_at = FromMs(rows[0][2].as<int64_t>()),
              .updated_at = FromMs(rows[0][3].as<int64_t>())};
  return a;
}

// The member's active (confirmed, waitlisted or pending) sign-up for the shift.
std::optional<ActiveSignup> Active(Tx& tx, const std::string& shift_id,
                                   const std::string& member_id) {
  return FindSignup(tx, shift_id, member_id, "AND g.status IN (1, 2, 4)");
}

// The member's latest sign-up for the shift, active or ended (an active one is always the
// latest: a new sign-up is made only when none is active).
std::optional<ActiveSignup> Latest(Tx& tx, const std::string& shift_id,
                                   const std::string& member_id) {
  return FindSignup(tx, shift_id, member_id, "ORDER BY g.signup_id DESC");
}

// Moves the first in line into each free slot, FIFO; under the shift's lock.
void Promote(Tx& tx, const facts::Recorder& recorder, ShiftRow& s, domain::Time now) {
  while (s.shift.confirmed_count < s.shift.slots && s.shift.waitlist_count > 0 &&
         domain::PromotesOnFree(s.shift, now)) {
    auto first = tx.exec_params(
        "UPDATE signups SET status = 1, updated_at = " + MsToTs("$2") +
            " WHERE signup_id = (SELECT signup_id FROM signups WHERE shift_id = $1 AND status = 2 "
            "ORDER BY waitlist_seq LIMIT 1) RETURNING member_id::text",
        s.shift.shift_id, Ms(now));
    if (first.empty()) break;
    ++s.shift.confirmed_count;
    --s.shift.waitlist_count;
    recorder.Promoted(tx, s.shift, first[0][0].as<std::string>(), now);
    if (s.shift.confirmed_count == s.shift.slots) recorder.Filled(tx, s.shift, now);
  }
}

// Everyone on the shift (confirmed, waitlisted, pending), in sign-up order; under its lock.
std::vector<std::string> OnShift(Tx& tx, const std::string& shift_id) {
  std::vector<std::string> ids;
  for (const auto& row : tx.exec_params(
           "SELECT member_id::text FROM signups WHERE shift_id = $1 AND status IN (1, 2, 4) "
           "ORDER BY signup_id",
           shift_id)) {
    ids.push_back(row[0].as<std::string>());
  }
  return ids;
}

// Cancels a locked shift; false when it already was. The counts go to zero with the rows, so
// slots-left and the line stay equal to the sign-ups (none active).
bool CancelLocked(Tx& tx, const facts::Recorder& recorder, ShiftRow& s, const std::string& event_id,
                  domain::Time now) {
  if (s.shift.status == domain::ShiftStatus::kCancelled) return false;
  const std::vector<std::string> affected = OnShift(tx, s.shift.shift_id);
  tx.exec_params("UPDATE signups SET status = 6, updated_at = " + MsToTs("$2") +
                     " WHERE shift_id = $1 AND status IN (1, 2, 4)",
                 s.shift.shift_id, Ms(now));
  tx.exec_params(
      "UPDATE shifts SET status = 2, confirmed_count = 0, waitlist_count = 0, pending_count = 0, "
      "updated_at = " +
          MsToTs("$2") + " WHERE shift_id = $1",
      s.shift.shift_id, Ms(now));
  s.shift.status = domain::ShiftStatus::kCancelled;
  s.shift.confirmed_count = s.shift.waitlist_count = s.shift.pending_count = 0;
  s.shift.updated_at = now;
  recorder.ShiftCancelled(tx, s.shift, affected, event_id, now);
  return true;
}

// The scheduled shifts of the roles linked to `event_id`, the roles held FOR SHARE (so their
// event link holds still) and the ids in lock order.
std::vector<std::string> EventShifts(Tx& tx, const std::string& event_id) {
  std::vector<std::string> ids;
  tx.exec_params("SELECT role_id FROM roles WHERE event_id = $1 ORDER BY role_id FOR SHARE",
                 event_id);
  for (const auto& row :
       tx.exec_params("SELECT s.shift_id::text FROM shifts s JOIN roles r ON r.role_id = s.role_id "
                      "WHERE r.event_id = $1 AND s.status = 1 ORDER BY s.shift_id",
                      event_id)) {
    ids.push_back(row[0].as<std::string>());
  }
  return ids;
}

}  // namespace

absl::StatusOr<Role> RoleStore::Post(const domain::RoleDetails& d, const std::string& created_by,
                                     domain::Time now) {
  Role role;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    // The creator is named in the row: an erasure of the creator must see it.
    HC_RETURN_IF_ERROR(hc::identity::LockMemberForWrite(tx, created_by));
    std::optional<std::string> event_id;
    if (!d.event_id.empty()) event_id = d.event_id;
    auto row = tx.exec_params1(
        "INSERT INTO roles AS r (title, description, tags, venue, online_url, event_id, "
        "min_sober_days, max_shifts_per_person, created_by, created_at, updated_at, "
        "requires_approval) VALUES ($1, $2, $3::text[], $4, $5, $6::uuid, $7, $8, $9, " +
            MsToTs("$10") + ", " + MsToTs("$10") + ", $11) RETURNING " + kRoleColumns,
        d.title, d.description, TagArray(d.tags), d.venue, d.online_url, event_id, d.min_sober_days,
        d.max_shifts_per_person, created_by, Ms(now), d.requires_approval);
    role = RoleFromRow(row);
    recorder_.RolePosted(tx, role);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return role;
}

absl::StatusOr<RoleUpdate> RoleStore::Update(const std::string& role_id,
                                             const domain::RoleChanges& changes,
                                             const std::set<std::string>& vetted,
                                             domain::Time now) {
  RoleUpdate update;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    auto rows = tx.exec_params(
        "SELECT " + kRoleColumns + " FROM roles r WHERE r.role_id = $1 FOR UPDATE", role_id);
    if (rows.empty()) return absl::NotFoundError("no such role");
    update.role = RoleFromRow(rows[0]);
    HC_ASSIGN_OR_RETURN(update.changed_fields,
                        domain::ApplyRoleChanges(update.role, changes, vetted));
    if (update.changed_fields.empty()) return absl::OkStatus();
    const domain::RoleDetails& d = update.role.details;
    std::optional<std::string> event_id;
    if (!d.event_id.empty()) event_id = d.event_id;
    // Sign-ups already made stay as they are: a lower max_shifts_per_person applies to new
    // sign-ups, and requires_approval to sign-ups made after it is set.
    tx.exec_params(
        "UPDATE roles SET title = $2, description = $3, tags = $4::text[], venue = $5, "
        "online_url = $6, event_id = $7::uuid, min_sober_days = $8, max_shifts_per_person = $9, "
        "requires_approval = $10, updated_at = " +
            MsToTs("$11") + " WHERE role_id = $1",
        role_id, d.title, d.description, TagArray(d.tags), d.venue, d.online_url, event_id,
        d.min_sober_days, d.max_shifts_per_person, d.requires_approval, Ms(now));
    update.role.updated_at = now;
    recorder_.RoleUpdated(tx, update.role, update.changed_fields);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return update;
}

absl::StatusOr<Role> RoleStore::Close(const std::string& role_id, domain::Time now) {
  Role role;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    auto rows = tx.exec_params(
        "SELECT " + kRoleColumns + " FROM roles r WHERE r.role_id = $1 FOR UPDATE", role_id);
    if (rows.empty()) return absl::NotFoundError("no such role");
    role = RoleFromRow(rows[0]);
    if (role.status == domain::RoleStatus::kClosed) return absl::OkStatus();
    tx.exec_params(
        "UPDATE roles SET status = 2, updated_at = " + MsToTs("$2") + " WHERE role_id = $1",
        role_id, Ms(now));
    role.status = domain::RoleStatus::kClosed;
    role.updated_at = now;
    recorder_.RoleClosed(tx, role_id, now);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return role;
}

absl::StatusOr<std::pair<Role, std::vector<Shift>>> RoleStore::Get(const std::string& role_id,
                                                                   domain::Time now) {
  std::pair<Role, std::vector<Shift>> out;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    out.second.clear();
    auto rows =
        tx.exec_params("SELECT " + kRoleColumns + " FROM roles r WHERE r.role_id = $1", role_id);
    if (rows.empty()) return absl::NotFoundError("no such role");
    out.first = RoleFromRow(rows[0]);
    for (const auto& row : tx.exec_params(
             "SELECT " + kShiftColumns +
                 " FROM shifts s WHERE s.role_id = $1 ORDER BY s.ends_at <= " + MsToTs("$2") +
                 ", CASE WHEN s.ends_at > " + MsToTs("$2") +
                 " THEN s.starts_at END, s.ends_at DESC, s.shift_id LIMIT 200",
             role_id, Ms(now))) {
      out.second.push_back(ShiftFromRow(row).shift);
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<RolePage> RoleStore::ListOpen(const RoleFilter& filter, int page_size,
                                             const std::string& after, domain::Time now) {
  int64_t after_ms = 0;
  std::string after_id = "00000000-0000-0000-0000-000000000000";
  if (!after.empty()) {
    std::vector<std::string> parts = absl::StrSplit(after, '|');
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &after_ms) || !ValidMs(after_ms) ||
        !hc::ids::IsUuid(parts[1])) {
      return hc::InvalidField("page_token", "is not a token this listing gave out");
    }
    after_id = parts[1];
  }
  std::optional<int64_t> from, until;
  if (filter.from) from = Ms(*filter.from);
  if (filter.until) until = Ms(*filter.until);
  // The shifts a listing shows: scheduled, not ended, starting in the range. The same
  // condition picks the roles when there is a range, so no listed role shows none.
  const std::string listed_shift = "s.status = 1 AND s.ends_at > " + MsToTs("$1") +
                                   " AND ($2::bigint IS NULL OR s.starts_at >= " + MsToTs("$2") +
                                   ") AND ($3::bigint IS NULL OR s.starts_at < " + MsToTs("$3") +
                                   ")";
  RolePage page;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    page = RolePage{};
    auto rows = tx.exec_params(
        "SELECT " + kRoleColumns +
            " FROM roles r WHERE r.status = 1 AND ($4 = '' OR r.tags @> ARRAY[$4]) AND "
            "(NOT $5 OR (r.created_at, r.role_id) < (" +
            MsToTs("$6") +
            ", $7::uuid)) AND (($2::bigint IS NULL AND $3::bigint IS NULL) OR EXISTS (SELECT 1 "
            "FROM shifts s WHERE s.role_id = r.role_id AND " +
            listed_shift + ")) ORDER BY r.created_at DESC, r.role_id DESC LIMIT $8",
        Ms(now), from, until, filter.tag, !after.empty(), after_ms, after_id, page_size + 1);
    for (const auto& row : rows) {
      if (static_cast<int>(page.roles.size()) == page_size) {
        const Role& last = page.roles.back();
        page.next = std::to_string(Ms(last.created_at)) + "|" + last.role_id;
        break;
      }
      page.roles.push_back(RoleFromRow(row));
    }
    if (page.roles.empty()) return absl::OkStatus();
    // One query for the whole page's shifts, the first kListedShiftsPerRole of each role.
    std::vector<std::string> ids;
    for (const auto& r : page.roles) ids.push_back(r.role_id);
    for (const auto& row : tx.exec_params(
             "SELECT " + kShiftColumns +
                 " FROM (SELECT s.*, row_number() OVER (PARTITION BY s.role_id ORDER BY "
                 "s.starts_at, s.shift_id) AS n FROM shifts s WHERE s.role_id = ANY($4::uuid[]) "
                 "AND " +
                 listed_shift + ") s WHERE s.n <= $5 ORDER BY s.role_id, s.starts_at, s.shift_id",
             Ms(now), from, until, TagArray(ids), kListedShiftsPerRole)) {
      Shift shift = ShiftFromRow(row).shift;
      page.shifts[shift.role_id].push_back(std::move(shift));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return page;
}

absl::StatusOr<Shift> RoleStore::AddShift(const std::string& role_id, Shift shift,
                                          const domain::TimeZoneCatalog& zones, domain::Time now) {
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    auto rows = tx.exec_params(
        "SELECT " + kRoleColumns + " FROM roles r WHERE r.role_id = $1 FOR SHARE", role_id);
    if (rows.empty()) return absl::NotFoundError("no such role");
    const Role role = RoleFromRow(rows[0]);
    HC_RETURN_IF_ERROR(domain::ValidateShift(role, shift, zones, now));
    auto row = tx.exec_params1(
        "INSERT INTO shifts AS s (role_id, starts_at, ends_at, time_zone, slots, created_at, "
        "updated_at) VALUES ($1, " +
            MsToTs("$2") + ", " + MsToTs("$3") + ", $4, $5, " + MsToTs("$6") + ", " + MsToTs("$6") +
            ") RETURNING " + kShiftColumns,
        role_id, Ms(shift.start), Ms(shift.end), shift.time_zone, shift.slots, Ms(now));
    shift = ShiftFromRow(row).shift;
    recorder_.ShiftAdded(tx, shift);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return shift;
}

const SignUpSql& SignUpStatements() {
  static const SignUpSql sql{
      .role_of_shift = "SELECT " + kRoleColumns +
                       " FROM roles r JOIN shifts s ON s.role_id = r.role_id WHERE s.shift_id = $1",
      .check_and_lock =
          "SELECT t.erased, r.role_id::text, pg_advisory_xact_lock($3, hashtext(r.role_id::text "
          "|| '|' || $2)) FROM (SELECT " +
          hc::identity::ErasedSql(2) +
          " AS erased) t LEFT JOIN shifts s ON s.shift_id = $1 LEFT JOIN roles r ON r.role_id = "
          "s.role_id",
      .lock_role = "SELECT " + kRoleColumns +
                   " FROM roles r WHERE r.role_id = (SELECT role_id FROM shifts WHERE shift_id = "
                   "$1) FOR SHARE",
      .lock_shift = kLockShiftSql,
      .latest = "SELECT g.signup_id, g.status, " + Epoch("g.created_at") + ", " +
                Epoch("g.updated_at") +
                ", CASE WHEN g.status = 2 THEN (SELECT count(*) FROM signups w WHERE w.shift_id "
                "= g.shift_id AND w.status = 2 AND w.waitlist_seq <= g.waitlist_seq) ELSE 0 END, "
                "(SELECT count(*) FROM shifts hs JOIN signups h ON h.shift_id = hs.shift_id "
                "WHERE hs.role_id = o.role_id AND hs.ends_at > " +
                MsToTs("$3") +
                " AND h.member_id = $2 AND h.role_id = o.role_id AND h.status IN (1, 2, 4)) FROM "
                "(SELECT role_id FROM shifts WHERE shift_id = $1) o LEFT JOIN LATERAL (SELECT * "
                "FROM signups g WHERE g.shift_id = $1 AND g.member_id = $2 ORDER BY g.signup_id "
                "DESC LIMIT 1) g ON true",
      .insert =
          "WITH added AS (INSERT INTO signups (shift_id, role_id, member_id, status, "
          "waitlist_seq, created_at, updated_at) VALUES ($1, $2, $3, $4, NULLIF($5::bigint, "
          "0), " +
          MsToTs("$6") + ", " + MsToTs("$6") +
          ")) UPDATE shifts SET confirmed_count = $7, waitlist_count = $8, "
          "next_waitlist_seq = $9, pending_count = $10 WHERE shift_id = $1",
  };
  return sql;
}

absl::StatusOr<Role> RoleStore::RoleOfShift(const std::string& shift_id) {
  Role role;
  // One statement of its own (no BEGIN/COMMIT): SignUp asks it on every call.
  absl::Status status = pool_.InTransaction(
      [&](Tx& tx) -> absl::Status {
        auto rows = hc::postgres::ExecPrepared(tx, SignUpStatements().role_of_shift, shift_id);
        if (rows.empty()) return absl::NotFoundError("no such shift");
        role = RoleFromRow(rows[0]);
        return absl::OkStatus();
      },
      hc::postgres::Isolation::kAutocommit);
  if (!status.ok()) return status;
  return role;
}

absl::StatusOr<SignupResult> RoleStore::SignUp(const std::string& shift_id,
                                               const std::string& member_id, int checked_sober_days,
                                               domain::Time now) {
  SignupResult result;
  const SignUpSql& sql = SignUpStatements();
  // Two round trips (libs/postgres/pipeline.h): the locks and reads go out in one batch, the
  // writes with the COMMIT in another. Queued together, the statements still run one after
  // the other in the lock order above, each with a snapshot taken when it starts; none of the
  // first batch needs an answer of another (the shift's role is looked up by the statements
  // themselves), so queuing them changes nothing the header argues from.
  absl::Status status = pool_.InPipeline([&](hc::postgres::PipelineTx& tx) -> absl::Status {
    result = SignupResult{};
    tx.Queue(hc::identity::LockMemberSharedStatement(member_id));
    // After the member's lock (so the tombstone it reads is current): the tombstone, the
    // shift's role and the member-and-role lock. The lock function is strict: for no such
    // shift the role is NULL and no lock is taken.
    const size_t first = tx.Queue(
        hc::postgres::MakeStatement(sql.check_and_lock, shift_id, member_id, kMemberRoleLockClass));
    const size_t locked_role = tx.Queue(hc::postgres::MakeStatement(sql.lock_role, shift_id));
    const size_t locked_shift = tx.Queue(hc::postgres::MakeStatement(sql.lock_shift, shift_id));
    // One read, after the shift's lock, for three questions: an active sign-up is always the
    // latest (see Latest), and the count of the member's current sign-ups of the role (under
    // the member-and-role lock taken above) for the per-person limit. The count goes from the
    // role's shifts to the member's sign-up of each, so its cost is the role's shifts whatever
    // the member holds: led by the member, a member with thousands of sign-ups (the bench's
    // one caller) made PostgreSQL's generic plan scan a whole index per call.
    const size_t mine =
        tx.Queue(hc::postgres::MakeStatement(sql.latest, shift_id, member_id, Ms(now)));
    HC_RETURN_IF_ERROR(tx.Flush());
    const auto checked = tx.Result(first)[0];
    if (checked[0].as<bool>()) return hc::identity::ErasedError();
    if (checked[1].is_null()) return absl::NotFoundError("no such shift");
    const std::string role_id = checked[1].as<std::string>();
    if (tx.Result(locked_role).empty()) return absl::NotFoundError("no such shift");
    const Role role = RoleFromRow(tx.Result(locked_role)[0]);
    // Eligibility was asked before the transaction (no lock held while membership answers);
    // a coordinator who raised the requirement since then wins.
    if (role.details.min_sober_days > checked_sober_days) {
      return absl::AbortedError("this role's requirements changed while signing up; try again");
    }
    if (tx.Result(locked_shift).empty()) return absl::NotFoundError("no such shift");
    ShiftRow s = ShiftFromRow(tx.Result(locked_shift)[0]);
    result.shift = s.shift;
    const auto latest = tx.Result(mine)[0];
    if (!latest[0].is_null()) {
      const auto latest_status = static_cast<SignupStatus>(latest[1].as<int>());
      if (domain::IsActive(latest_status)) {
        result.signup = {.shift_id = shift_id,
                         .member_id = member_id,
                         .status = latest_status,
                         .waitlist_position = latest[4].as<int>(),
                         .created_at = FromMs(latest[2].as<int64_t>()),
                         .updated_at = FromMs(latest[3].as<int64_t>())};
        return absl::OkStatus();
      }
      HC_RETURN_IF_ERROR(domain::CheckSignUpAgain(latest_status));
    }
    HC_ASSIGN_OR_RETURN(domain::Placement placement, domain::PlaceSignup(role, s.shift, now));
    const int held = latest[5].as<int>();
    HC_RETURN_IF_ERROR(domain::CheckShiftLimit(role, held));
    domain::Signup& g = result.signup;
    g = {.shift_id = shift_id, .member_id = member_id, .created_at = now, .updated_at = now};
    int64_t ticket = 0;  // none: only the waitlisted hold one
    if (placement == domain::Placement::kConfirmed) {
      g.status = SignupStatus::kConfirmed;
      ++s.shift.confirmed_count;
    } else if (placement == domain::Placement::kPendingApproval) {
      g.status = SignupStatus::kPendingApproval;
      ++s.shift.pending_count;
    } else {
      g.status = SignupStatus::kWaitlisted;
      ticket = s.next_waitlist_seq++;
      ++s.shift.waitlist_count;
      g.waitlist_position = s.shift.waitlist_count;
    }
    // The sign-up and the shift's counts go in one statement: both were decided above under
    // the shift's lock, and neither reads what the other writes. It and the facts go out
    // with the COMMIT.
    tx.Queue(hc::postgres::MakeStatement(sql.insert, shift_id, role_id, member_id,
                                         static_cast<int>(g.status), ticket, Ms(now),
                                         s.shift.confirmed_count, s.shift.waitlist_count,
                                         s.next_waitlist_seq, s.shift.pending_count));
    tx.Queue(recorder_.SignedUp(s.shift, g));
    if (placement == domain::Placement::kConfirmed && s.shift.confirmed_count == s.shift.slots) {
      tx.Queue(recorder_.FilledStatement(s.shift, now));
    }
    result.shift = s.shift;
    result.changed = true;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<SignupResult> RoleStore::Withdraw(const std::string& shift_id,
                                                 const std::string& member_id, domain::Time now,
                                                 std::chrono::minutes cutoff) {
  SignupResult result;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    result = SignupResult{};
    HC_ASSIGN_OR_RETURN(ShiftRow s, LockShift(tx, shift_id));
    HC_RETURN_IF_ERROR(domain::CheckScheduled(s.shift));
    auto active = Active(tx, shift_id, member_id);
    if (!active) return absl::NotFoundError("no sign-up of yours for this shift");
    HC_RETURN_IF_ERROR(domain::CheckWithdraw(s.shift, active->signup.status, now, cutoff));
    const SignupStatus previous = active->signup.status;
    tx.exec_params(
        "UPDATE signups SET status = 3, updated_at = " + MsToTs("$2") + " WHERE signup_id = $1",
        active->signup_id, Ms(now));
    if (previous == SignupStatus::kConfirmed) {
      --s.shift.confirmed_count;
    } else if (previous == SignupStatus::kPendingApproval) {
      --s.shift.pending_count;
    } else {
      --s.shift.waitlist_count;
    }
    recorder_.Withdrawn(tx, s.shift, member_id, previous, facts::WithdrawReason::kMember, now);
    Promote(tx, recorder_, s, now);
    SaveCounts(tx, s);
    result.shift = s.shift;
    result.signup = active->signup;
    result.signup.status = SignupStatus::kWithdrawn;
    result.signup.waitlist_position = 0;
    result.signup.updated_at = now;
    result.changed = true;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<MySignupPage> RoleStore::ListMine(const std::string& member_id,
                                                 bool include_withdrawn, bool include_past,
                                                 domain::Time now, int page_size,
                                                 const std::string& after) {
  int64_t after_ms = 0, after_id = 0;
  if (!after.empty()) {
    std::vector<std::string> parts = absl::StrSplit(after, '|');
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &after_ms) || !ValidMs(after_ms) ||
        !absl::SimpleAtoi(parts[1], &after_id)) {
      return hc::InvalidField("page_token", "is not a token this listing gave out");
    }
  }
  MySignupPage page;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    page = MySignupPage{};
    auto rows = tx.exec_params(
        "SELECT " + kShiftColumns + ", r.title, g.signup_id, g.status, " + Epoch("g.created_at") +
            ", " + Epoch("g.updated_at") +
            ", CASE WHEN g.status = 2 THEN (SELECT count(*) FROM signups w WHERE w.shift_id = "
            "g.shift_id AND w.status = 2 AND w.waitlist_seq <= g.waitlist_seq) ELSE 0 END "
            "FROM signups g JOIN shifts s ON s.shift_id = g.shift_id JOIN roles r ON r.role_id "
            "= g.role_id WHERE g.member_id = $1 AND ($2 OR g.status IN (1, 2, 4)) AND (NOT $3 OR "
            "(s.starts_at, g.signup_id) > (" +
            MsToTs("$4") + ", $5::bigint)) AND ($7 OR s.ends_at > " + MsToTs("$8") +
            ") ORDER BY s.starts_at, g.signup_id LIMIT $6",
        member_id, include_withdrawn, !after.empty(), after_ms, after_id, page_size + 1,
        include_past, Ms(now));
    int64_t last_id = 0;
    for (const auto& row : rows) {
      if (static_cast<int>(page.signups.size()) == page_size) {
        page.next =
            std::to_string(Ms(page.signups.back().shift.start)) + "|" + std::to_string(last_id);
        break;
      }
      const int c = kShiftColumnCount;
      MySignup m;
      m.shift = ShiftFromRow(row).shift;
      m.role_title = row[c].as<std::string>();
      last_id = row[c + 1].as<int64_t>();
      m.signup = {.shift_id = m.shift.shift_id,
                  .member_id = member_id,
                  .status = static_cast<SignupStatus>(row[c + 2].as<int>()),
                  .waitlist_position = row[c + 5].as<int>(),
                  .created_at = FromMs(row[c + 3].as<int64_t>()),
                  .updated_at = FromMs(row[c + 4].as<int64_t>())};
      page.signups.push_back(std::move(m));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return page;
}

absl::StatusOr<Shift> RoleStore::UpdateShift(const std::string& shift_id,
                                             const domain::ShiftChanges& changes,
                                             const domain::TimeZoneCatalog& zones,
                                             domain::Time now) {
  Shift shift;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    HC_ASSIGN_OR_RETURN(ShiftRow s, LockShift(tx, shift_id));
    HC_ASSIGN_OR_RETURN(std::vector<std::string> changed,
                        domain::ApplyShiftChanges(s.shift, changes, zones, now));
    shift = s.shift;
    if (changed.empty()) return absl::OkStatus();
    s.shift.updated_at = now;
    // Slots never go below the confirmed count (ApplyShiftChanges), so the CHECK holds here.
    tx.exec_params(
        "UPDATE shifts SET starts_at = " + MsToTs("$2") + ", ends_at = " + MsToTs("$3") +
            ", time_zone = $4, slots = $5, updated_at = " + MsToTs("$6") + " WHERE shift_id = $1",
        shift_id, Ms(s.shift.start), Ms(s.shift.end), s.shift.time_zone, s.shift.slots, Ms(now));
    Promote(tx, recorder_, s, now);
    SaveCounts(tx, s);
    recorder_.ShiftUpdated(tx, s.shift, changed, OnShift(tx, shift_id), "");
    shift = s.shift;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return shift;
}

absl::StatusOr<Shift> RoleStore::CancelShift(const std::string& shift_id, domain::Time now) {
  Shift shift;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    HC_ASSIGN_OR_RETURN(ShiftRow s, LockShift(tx, shift_id));
    HC_RETURN_IF_ERROR(domain::CheckCancel(s.shift, now));
    CancelLocked(tx, recorder_, s, "", now);
    shift = s.shift;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return shift;
}

void RoleStore::RecordEventStartIn(Tx& tx, const std::string& event_id, domain::Time start) {
  // A published event is at sequence 0; its updates count from 1.
  tx.exec_params(
      "INSERT INTO event_starts (event_id, starts_at, sequence, updated_at) VALUES ($1, " +
          MsToTs("$2") + ", 0, now()) ON CONFLICT (event_id) DO NOTHING",
      event_id, Ms(start));
}

std::vector<std::string> RoleStore::CancelEventShiftsIn(Tx& tx, const std::string& event_id,
                                                        domain::Time now) {
  std::set<std::string> touched;
  for (const auto& shift_id : EventShifts(tx, event_id)) {
    absl::StatusOr<ShiftRow> s = LockShift(tx, shift_id);
    if (!s.ok() || !domain::FollowsEvent(s->shift, now)) continue;
    if (CancelLocked(tx, recorder_, *s, event_id, now)) touched.insert(s->shift.role_id);
  }
  return {touched.begin(), touched.end()};
}

std::vector<std::string> RoleStore::MoveEventShiftsIn(Tx& tx, const std::string& event_id,
                                                      domain::Time start, int sequence,
                                                      domain::Time now) {
  auto inserted = tx.exec_params(
      "INSERT INTO event_starts (event_id, starts_at, sequence, updated_at) VALUES ($1, " +
          MsToTs("$2") + ", $3, now()) ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
      event_id, Ms(start), sequence);
  if (!inserted.empty()) {
    spdlog::info("EventUpdated for event {} whose start was never seen: recorded, no shift moved",
                 event_id);
    return {};
  }
  auto known = tx.exec_params1("SELECT " + Epoch("starts_at") +
                                   ", sequence FROM event_starts WHERE event_id = $1 FOR UPDATE",
                               event_id);
  if (sequence <= known[1].as<int>()) return {};  // stale or replayed
  tx.exec_params("UPDATE event_starts SET starts_at = " + MsToTs("$2") +
                     ", sequence = $3, updated_at = now() WHERE event_id = $1",
                 event_id, Ms(start), sequence);
  const auto by = start - FromMs(known[0].as<int64_t>());
  if (by == by.zero()) return {};
  std::set<std::string> touched;
  for (const auto& shift_id : EventShifts(tx, event_id)) {
    absl::StatusOr<ShiftRow> s = LockShift(tx, shift_id);
    if (!s.ok() || !domain::FollowsEvent(s->shift, now)) continue;
    s->shift.start += by;
    s->shift.end += by;
    s->shift.updated_at = now;
    tx.exec_params("UPDATE shifts SET starts_at = " + MsToTs("$2") + ", ends_at = " + MsToTs("$3") +
                       ", updated_at = " + MsToTs("$4") + " WHERE shift_id = $1",
                   shift_id, Ms(s->shift.start), Ms(s->shift.end), Ms(now));
    recorder_.ShiftUpdated(tx, s->shift, {"start_time", "end_time"}, OnShift(tx, shift_id),
                           event_id);
    touched.insert(s->shift.role_id);
  }
  return {touched.begin(), touched.end()};
}

std::vector<std::string> RoleStore::EraseMemberIn(Tx& tx, const std::string& member_id,
                                                  domain::Time now) {
  std::set<std::string> touched;
  // The lock order (role before shift): the roles the member posted first, then their shifts,
  // each in id order, so two erasures can't deadlock each other nor with a sign-up.
  for (const auto& row : tx.exec_params(
           "UPDATE roles SET created_by = 'deleted-member' WHERE role_id IN (SELECT role_id FROM "
           "roles WHERE created_by = $1 ORDER BY role_id FOR UPDATE) RETURNING role_id::text",
           member_id)) {
    touched.insert(row[0].as<std::string>());
  }
  auto shifts = tx.exec_params(
      "SELECT DISTINCT shift_id::text FROM signups WHERE member_id = $1 AND status IN (1, 2, 4) "
      "ORDER BY 1",
      member_id);
  for (const auto& row : shifts) {
    absl::StatusOr<ShiftRow> s = LockShift(tx, row[0].as<std::string>());
    if (!s.ok()) continue;  // signups reference shifts: can't happen
    auto active = Active(tx, s->shift.shift_id, member_id);
    if (!active) continue;
    // The member's sign-up ends before the line moves (as in Withdraw), so the line never
    // promotes the member being erased.
    tx.exec_params("DELETE FROM signups WHERE signup_id = $1", active->signup_id);
    if (active->signup.status == SignupStatus::kConfirmed) {
      --s->shift.confirmed_count;
    } else if (active->signup.status == SignupStatus::kPendingApproval) {
      --s->shift.pending_count;
    } else {
      --s->shift.waitlist_count;
    }
    // An ended shift's line means nothing: its counts follow the rows, and nobody is told.
    if (!domain::HasEnded(s->shift, now)) {
      recorder_.Withdrawn(tx, s->shift, member_id, active->signup.status,
                          facts::WithdrawReason::kMemberDeleted, now);
      Promote(tx, recorder_, *s, now);
    }
    SaveCounts(tx, *s);
    touched.insert(s->shift.role_id);
  }
  tx.exec_params("DELETE FROM signups WHERE member_id = $1", member_id);
  // Last, so the facts above are covered too: they still go out, then go.
  hc::outbox::ForgetSubject(tx, member_id);
  return {touched.begin(), touched.end()};
}

absl::StatusOr<SignupResult> RoleStore::Approve(const std::string& shift_id,
                                                const std::string& member_id, domain::Time now) {
  SignupResult result;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    result = SignupResult{};
    HC_ASSIGN_OR_RETURN(ShiftRow s, LockShift(tx, shift_id));
    result.shift = s.shift;
    auto latest = Latest(tx, shift_id, member_id);
    if (!latest) return absl::NotFoundError("no sign-up of that member for this shift");
    result.signup = latest->signup;
    switch (latest->signup.status) {
      case SignupStatus::kConfirmed:
      case SignupStatus::kWaitlisted:
        return absl::OkStatus();  // approved before (or never needed it): as it stands
      case SignupStatus::kPendingApproval:
        break;
      case SignupStatus::kDeclined:
        return absl::FailedPreconditionError("the sign-up was declined");
      case SignupStatus::kShiftCancelled:
        return absl::FailedPreconditionError("the shift was cancelled");
      case SignupStatus::kWithdrawn:
        return absl::NotFoundError("no sign-up of that member for this shift");
    }
    HC_ASSIGN_OR_RETURN(domain::Placement placement, domain::PlaceApproval(s.shift, now));
    domain::Signup& g = result.signup;
    g.updated_at = now;
    --s.shift.pending_count;
    if (placement == domain::Placement::kConfirmed) {
      tx.exec_params(
          "UPDATE signups SET status = 1, updated_at = " + MsToTs("$2") + " WHERE signup_id = $1",
          latest->signup_id, Ms(now));
      g.status = SignupStatus::kConfirmed;
      ++s.shift.confirmed_count;
    } else {
      tx.exec_params("UPDATE signups SET status = 2, waitlist_seq = $3, updated_at = " +
                         MsToTs("$2") + " WHERE signup_id = $1",
                     latest->signup_id, Ms(now), s.next_waitlist_seq);
      g.status = SignupStatus::kWaitlisted;
      ++s.next_waitlist_seq;
      ++s.shift.waitlist_count;
      g.waitlist_position = s.shift.waitlist_count;
    }
    SaveCounts(tx, s);
    recorder_.Approved(tx, s.shift, g);
    if (placement == domain::Placement::kConfirmed && s.shift.confirmed_count == s.shift.slots) {
      recorder_.Filled(tx, s.shift, now);
    }
    result.shift = s.shift;
    result.changed = true;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<SignupResult> RoleStore::Decline(const std::string& shift_id,
                                                const std::string& member_id, domain::Time now) {
  SignupResult result;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    result = SignupResult{};
    HC_ASSIGN_OR_RETURN(ShiftRow s, LockShift(tx, shift_id));
    result.shift = s.shift;
    auto latest = Latest(tx, shift_id, member_id);
    if (!latest) return absl::NotFoundError("no sign-up of that member for this shift");
    result.signup = latest->signup;
    switch (latest->signup.status) {
      case SignupStatus::kDeclined:
        return absl::OkStatus();  // declined before: as it stands
      case SignupStatus::kPendingApproval:
        break;
      case SignupStatus::kConfirmed:
      case SignupStatus::kWaitlisted:
        return absl::FailedPreconditionError(
            "the sign-up was already approved; only the member can withdraw it");
      case SignupStatus::kShiftCancelled:
        return absl::FailedPreconditionError("the shift was cancelled");
      case SignupStatus::kWithdrawn:
        return absl::NotFoundError("no sign-up of that member for this shift");
    }
    tx.exec_params(
        "UPDATE signups SET status = 5, updated_at = " + MsToTs("$2") + " WHERE signup_id = $1",
        latest->signup_id, Ms(now));
    --s.shift.pending_count;
    SaveCounts(tx, s);
    recorder_.Declined(tx, s.shift, member_id, now);
    result.signup.status = SignupStatus::kDeclined;
    result.signup.updated_at = now;
    result.shift = s.shift;
    result.changed = true;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<VolunteerPage> RoleStore::ListVolunteers(const std::string& shift_id, int page_size,
                                                        const std::string& after) {
  // The listing's order is (group, key): confirmed (1) by sign-up id, i.e. oldest first, the
  // line (2) by ticket, pending (3) by sign-up id. Both keys are unique within their group.
  int64_t after_group = 0, after_key = 0;
  if (!after.empty()) {
    std::vector<std::string> parts = absl::StrSplit(after, '|');
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &after_group) || after_group < 1 ||
        after_group > 3 || !absl::SimpleAtoi(parts[1], &after_key) || after_key < 0) {
      return hc::InvalidField("page_token", "is not a token this listing gave out");
    }
  }
  VolunteerPage page;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    page = VolunteerPage{};
    if (tx.exec_params("SELECT 1 FROM shifts WHERE shift_id = $1", shift_id).empty()) {
      return absl::NotFoundError("no such shift");
    }
    // The place in line is counted over the whole line, before the page is cut.
    auto rows = tx.exec_params(
        "SELECT v.grp, v.k, v.member_id, v.status, v.created, v.updated, v.pos FROM (SELECT "
        "CASE g.status WHEN 1 THEN 1 WHEN 2 THEN 2 ELSE 3 END AS grp, CASE WHEN g.status = 2 "
        "THEN g.waitlist_seq ELSE g.signup_id END AS k, g.member_id::text AS member_id, "
        "g.status, " +
            Epoch("g.created_at") + " AS created, " + Epoch("g.updated_at") +
            " AS updated, CASE WHEN g.status = 2 THEN row_number() OVER (PARTITION BY g.status "
            "ORDER BY g.waitlist_seq) ELSE 0 END AS pos FROM signups g WHERE g.shift_id = $1 "
            "AND g.status IN (1, 2, 4)) v WHERE (v.grp, v.k) > ($2, $3::bigint) "
            "ORDER BY v.grp, v.k LIMIT $4",
        shift_id, after_group, after_key, page_size + 1);
    int64_t last_group = 0, last_key = 0;
    for (const auto& row : rows) {
      if (static_cast<int>(page.signups.size()) == page_size) {
        page.next = std::to_string(last_group) + "|" + std::to_string(last_key);
        break;
      }
      last_group = row[0].as<int64_t>();
      last_key = row[1].as<int64_t>();
      page.signups.push_back({.shift_id = shift_id,
                              .member_id = row[2].as<std::string>(),
                              .status = static_cast<SignupStatus>(row[3].as<int>()),
                              .waitlist_position = row[6].as<int>(),
                              .created_at = FromMs(row[4].as<int64_t>()),
                              .updated_at = FromMs(row[5].as<int64_t>())});
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return page;
}

}  // namespace volunteering::storage

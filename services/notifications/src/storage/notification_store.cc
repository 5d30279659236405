#include "services/notifications/src/storage/notification_store.h"

#include <set>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/identity/identity.h"
#include "libs/status/status.h"

namespace notifications::storage {
namespace {

using domain::Category;
using domain::Channel;
using hc::postgres::Tx;

int64_t Ms(Time t) { return t.time_since_epoch().count(); }
Time FromMs(int64_t ms) { return Time(std::chrono::milliseconds(ms)); }
std::string MsToTs(const std::string& param) {
  return "to_timestamp(" + param + "::bigint / 1000.0)";
}
std::string Epoch(const std::string& column) {
  return "(extract(epoch FROM " + column + ") * 1000)::bigint";
}

// The stored spelling of preferences: choices by name, joined with commas (string_to_array on
// the way in, array_to_string on the way out). Names never contain a comma.
std::string EnabledNames(const domain::Preferences& p) {
  std::vector<std::string> names;
  for (int c = 0; c < domain::kCategories; ++c) {
    for (int ch = 0; ch < domain::kChannels; ++ch) {
      if (p.Enabled(static_cast<Category>(c), static_cast<Channel>(ch))) {
        names.push_back(std::string(domain::CategoryName(static_cast<Category>(c))) + "." +
                        std::string(domain::ChannelName(static_cast<Channel>(ch))));
      }
    }
  }
  return absl::StrJoin(names, ",");
}

std::string DigestNames(const domain::Preferences& p) {
  std::vector<std::string> names;
  for (int c = 0; c < domain::kCategories; ++c) {
    if (p.digest[c]) names.emplace_back(domain::CategoryName(static_cast<Category>(c)));
  }
  return absl::StrJoin(names, ",");
}

const std::string kPreferenceColumns =
    "time_zone, array_to_string(enabled, ','), array_to_string(digest, ','), "
    "quiet_start_minute, quiet_end_minute, role_suggestions";

domain::Preferences PreferencesFromRow(const pqxx::row& row) {
  domain::Preferences p;
  p.time_zone = row[0].as<std::string>();
  const std::string enabled = row[1].as<std::string>();
  for (absl::string_view name : absl::StrSplit(enabled, ',', absl::SkipEmpty())) {
    const std::vector<std::string> parts = absl::StrSplit(name, '.');
    if (parts.size() != 2) continue;
    auto category = domain::CategoryFromName(parts[0]);
    auto channel = domain::ChannelFromName(parts[1]);
    if (category && channel) p.Set(*category, *channel, true);
  }
  const std::string digest = row[2].as<std::string>();
  for (absl::string_view name : absl::StrSplit(digest, ',', absl::SkipEmpty())) {
    if (auto category = domain::CategoryFromName(std::string(name))) {
      p.digest[static_cast<int>(*category)] = true;
    }
  }
  p.quiet.start_minute = row[3].as<int>();
  p.quiet.end_minute = row[4].as<int>();
  p.role_suggestions = row[5].as<bool>();
  return p;
}

std::optional<domain::Preferences> StoredPreferences(Tx& tx, const std::string& member_id,
                                                     bool for_update) {
  auto rows =
      tx.exec_params("SELECT " + kPreferenceColumns + " FROM preferences WHERE member_id = $1" +
                         (for_update ? " FOR UPDATE" : ""),
                     member_id);
  if (rows.empty()) return std::nullopt;
  return PreferencesFromRow(rows[0]);
}

const std::string kItemColumns = "item_id::text, member_id, kind, COALESCE(event_id::text, ''), " +
                                 Epoch("created_at") + ", " + Epoch("read_at") +
                                 ", COALESCE(shift_id::text, ''), COALESCE(role_id::text, '')";

std::optional<InboxItem> ItemFromRow(const pqxx::row& row) {
  auto kind = domain::InboxKindFromName(row[2].as<std::string>());
  // A kind this build does not know (written by a newer one) is not shown rather than misread.
  if (!kind) return std::nullopt;
  InboxItem item{.item_id = row[0].as<std::string>(),
                 .member_id = row[1].as<std::string>(),
                 .kind = *kind,
                 .event_id = row[3].as<std::string>(),
                 .shift_id = row[6].as<std::string>(),
                 .role_id = row[7].as<std::string>(),
                 .created_at = FromMs(row[4].as<int64_t>())};
  if (!row[5].is_null()) item.read_at = FromMs(row[5].as<int64_t>());
  return item;
}

int CountUnread(Tx& tx, const std::string& member_id) {
  return tx
      .exec_params1("SELECT count(*) FROM inbox_items WHERE member_id = $1 AND read_at IS NULL",
                    member_id)[0]
      .as<int>();
}

}  // namespace

absl::StatusOr<domain::Preferences> NotificationStore::GetPreferences(
    const std::string& member_id) {
  domain::Preferences out;
  const absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    out = PreferencesIn(tx, member_id);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<domain::Preferences> NotificationStore::UpdatePreferences(
    const std::string& member_id, const std::function<absl::Status(domain::Preferences&)>& change,
    Time now) {
  domain::Preferences out;
  const absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    HC_RETURN_IF_ERROR(hc::identity::LockMemberForWrite(tx, member_id));
    // The first change of a member inserts the defaults first, so two first changes of
    // different fields serialise on the row like any others.
    const domain::Preferences defaults = domain::DefaultPreferences();
    tx.exec_params(
        "INSERT INTO preferences (member_id, time_zone, enabled, digest, quiet_start_minute, "
        "quiet_end_minute, role_suggestions, updated_at) VALUES ($1, $2, "
        "string_to_array($3, ','), string_to_array($4, ','), $5, $6, $7, " +
            MsToTs("$8") + ") ON CONFLICT (member_id) DO NOTHING",
        member_id, defaults.time_zone, EnabledNames(defaults), DigestNames(defaults),
        defaults.quiet.start_minute, defaults.quiet.end_minute, defaults.role_suggestions, Ms(now));
    out = *StoredPreferences(tx, member_id, /*for_update=*/true);
    HC_RETURN_IF_ERROR(change(out));
    tx.exec_params(
        "UPDATE preferences SET time_zone = $2, enabled = string_to_array($3, ','), "
        "digest = string_to_array($4, ','), quiet_start_minute = $5, quiet_end_minute = $6, "
        "role_suggestions = $7, updated_at = " +
            MsToTs("$8") + " WHERE member_id = $1",
        member_id, out.time_zone, EnabledNames(out), DigestNames(out), out.quiet.start_minute,
        out.quiet.end_minute, out.role_suggestions, Ms(now));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<std::vector<InboxItem>> NotificationStore::ListInbox(
    const std::string& member_id, bool unread_only, const std::optional<InboxCursor>& after,
    int limit) {
  std::vector<InboxItem> items;
  const absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    items.clear();
    const std::string unread = unread_only ? " AND read_at IS NULL" : "";
    pqxx::result rows;
    if (after) {
      rows = tx.exec_params("SELECT " + kItemColumns + " FROM inbox_items WHERE member_id = $1" +
                                unread + " AND (created_at, item_id) < (" + MsToTs("$2") +
                                ", $3::uuid) ORDER BY created_at DESC, item_id DESC LIMIT $4",
                            member_id, after->created_at_ms, after->item_id, limit);
    } else {
      rows = tx.exec_params("SELECT " + kItemColumns + " FROM inbox_items WHERE member_id = $1" +
                                unread + " ORDER BY created_at DESC, item_id DESC LIMIT $2",
                            member_id, limit);
    }
    for (const auto& row : rows) {
      if (auto item = ItemFromRow(row)) items.push_back(std::move(*item));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return items;
}

absl::StatusOr<int> NotificationStore::MarkRead(const std::string& member_id,
                                                const std::vector<std::string>& ids, Time now) {
  const std::set<std::string> distinct(ids.begin(), ids.end());
  const std::string array = absl::StrJoin(distinct, ",");
  int unread = 0;
  const absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    HC_RETURN_IF_ERROR(hc::identity::LockMemberForWrite(tx, member_id));
    const int owned = tx.exec_params1(
                            "SELECT count(*) FROM inbox_items WHERE member_id = $1 AND item_id = "
                            "ANY(string_to_array($2, ',')::uuid[])",
                            member_id, array)[0]
                          .as<int>();
    // Another member's item answers like one that does not exist.
    if (owned != static_cast<int>(distinct.size())) {
      return absl::NotFoundError("no such inbox item");
    }
    tx.exec_params("UPDATE inbox_items SET read_at = " + MsToTs("$3") +
                       " WHERE member_id = $1 AND item_id = ANY(string_to_array($2, ',')::uuid[]) "
                       "AND read_at IS NULL",
                   member_id, array, Ms(now));
    unread = CountUnread(tx, member_id);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return unread;
}

absl::StatusOr<int> NotificationStore::UnreadCount(const std::string& member_id) {
  int unread = 0;
  const absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    unread = CountUnread(tx, member_id);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return unread;
}

domain::Preferences NotificationStore::PreferencesIn(Tx& tx, const std::string& member_id) {
  return StoredPreferences(tx, member_id, /*for_update=*/false)
      .value_or(domain::DefaultPreferences());
}

bool NotificationStore::AddInboxItemIn(Tx& tx, const InboxItem& item,
                                       const std::string& dedupe_key) {
  auto rows = tx.exec_params(
      "INSERT INTO inbox_items (item_id, member_id, dedupe_key, category, kind, event_id, "
      "shift_id, role_id, created_at) VALUES ($1::uuid, $2, $3, $4, $5, NULLIF($6, '')::uuid, "
      "NULLIF($7, '')::uuid, NULLIF($8, '')::uuid, " +
          MsToTs("$9") + ") ON CONFLICT (dedupe_key) DO NOTHING RETURNING item_id",
      item.item_id, item.member_id, dedupe_key,
      std::string(domain::CategoryName(domain::CategoryOf(item.kind))),
      std::string(domain::InboxKindName(item.kind)), item.event_id, item.shift_id, item.role_id,
      Ms(item.created_at));
  if (rows.empty()) return false;
  tx.exec_params("SELECT pg_notify($1, $2)", std::string(kInboxChannel), item.member_id);
  return true;
}

absl::StatusOr<NewItems> NotificationStore::ItemsSince(const std::string& member_id, Time since,
                                                       const std::vector<std::string>& known,
                                                       int limit) {
  NewItems out;
  const absl::Status status = pool_.InTransaction(
      [&](Tx& tx) -> absl::Status {
        out = NewItems();
        auto rows = tx.exec_params(
            "SELECT " + kItemColumns +
                " FROM inbox_items WHERE member_id = $1 AND created_at >= " + MsToTs("$2") +
                " AND NOT (item_id = ANY(string_to_array($3, ',')::uuid[])) "
                "ORDER BY created_at, item_id LIMIT $4",
            member_id, Ms(since), absl::StrJoin(known, ","), limit);
        for (const auto& row : rows) {
          out.rows.emplace_back(row[0].as<std::string>(), FromMs(row[4].as<int64_t>()));
          if (auto item = ItemFromRow(row)) out.items.push_back(std::move(*item));
        }
        out.unread = CountUnread(tx, member_id);
        return absl::OkStatus();
      },
      hc::postgres::Isolation::kRepeatableRead);
  if (!status.ok()) return status;
  return out;
}

void NotificationStore::EraseMemberIn(Tx& tx, const std::string& member_id) {
  tx.exec_params("DELETE FROM inbox_items WHERE member_id = $1", member_id);
  tx.exec_params("DELETE FROM preferences WHERE member_id = $1", member_id);
  tx.exec_params("DELETE FROM deliveries WHERE member_id = $1", member_id);
  tx.exec_params("DELETE FROM consents WHERE member_id = $1", member_id);
  // What they were going to and their reminders (migration 0004).
  tx.exec_params("DELETE FROM attendance WHERE member_id = $1", member_id);
  tx.exec_params("DELETE FROM reminders WHERE member_id = $1", member_id);
  tx.exec_params("DELETE FROM member_interests WHERE member_id = $1", member_id);
  tx.exec_params("DELETE FROM coordinators WHERE member_id = $1", member_id);
  tx.exec_params("DELETE FROM admins WHERE member_id = $1", member_id);
  // Others' pending introductions to the member say no name once they are gone.
  tx.exec_params("UPDATE deliveries SET other_member_id = NULL WHERE other_member_id = $1",
                 member_id);
}

}  // namespace notifications::storage

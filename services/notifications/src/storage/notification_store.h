#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/postgres/pool.h"
#include "services/notifications/src/domain/inbox.h"
#include "services/notifications/src/domain/preferences.h"

namespace notifications::storage {

using Time = std::chrono::sys_time<std::chrono::milliseconds>;

struct InboxItem {
  std::string item_id;
  std::string member_id;
  domain::InboxKind kind = domain::InboxKind::kRsvpConfirmed;
  // What the item is about: an event, or a shift and the role it belongs to ("" when not).
  std::string event_id;
  std::string shift_id;
  std::string role_id;
  // A mentorship introduction's other party: kept on its email / SMS deliveries only (the
  // in-app row holds no one else's id; the client shows the match from volunteering).
  std::string other_member_id;
  // Whether that party chose to share their email / phone with this member (an introduction's
  // deliveries only; the address is looked up at send time).
  bool other_shares_email = false;
  bool other_shares_phone = false;
  // When the notice asks for an answer by (a mentor's choice), for its email / SMS.
  std::optional<Time> answer_by;
  Time created_at;
  std::optional<Time> read_at;
};

// The PostgreSQL channel told of each new inbox item (payload: the member id), on commit, so
// every replica's StreamInbox streams of that member read it.
inline constexpr char kInboxChannel[] = "notifications_inbox";

// What a live stream reads after its cursor (NotificationStore::ItemsSince).
struct NewItems {
  // Oldest first.
  std::vector<InboxItem> items;
  // Every row read, shown in `items` or not (a kind this build does not know), with its
  // created_at: the stream remembers them all so none is read twice.
  std::vector<std::pair<std::string, Time>> rows;
  // The member's unread count, read in the same snapshot as the items.
  int unread = 0;
};

// Where a page of the inbox starts: after this item (newest first).
struct InboxCursor {
  int64_t created_at_ms = 0;
  std::string item_id;
};

// The `preferences` and `inbox_items` tables.
//
// Invariants:
// - Writes on a member's behalf (UpdatePreferences, MarkRead, a new inbox item) take
//   hc::identity::LockMemberForWrite first, so after MemberDeleted's erasure (which takes the
//   exclusive lock and leaves a tombstone) nothing of the member comes back.
// - An inbox item exists at most once per dedupe_key (UNIQUE; inserts DO NOTHING on conflict).
class NotificationStore {
 public:
  explicit NotificationStore(hc::postgres::Pool& pool) : pool_(pool) {}

  // The member's stored preferences, or the defaults.
  absl::StatusOr<domain::Preferences> GetPreferences(const std::string& member_id);
  // Read, `change`, write, in one transaction under the row's lock (concurrent updates of
  // different fields both land). `change` validates; its error aborts with nothing written.
  // FAILED_PRECONDITION for an erased member.
  absl::StatusOr<domain::Preferences> UpdatePreferences(
      const std::string& member_id, const std::function<absl::Status(domain::Preferences&)>& change,
      Time now);

  // A page of the member's items, newest first: up to `limit`, after `after`.
  absl::StatusOr<std::vector<InboxItem>> ListInbox(const std::string& member_id, bool unread_only,
                                                   const std::optional<InboxCursor>& after,
                                                   int limit);
  // Marks the member's items read (already read ones keep their time) and returns the unread
  // count after. NOT_FOUND when an id is not one of the member's items (nothing is marked).
  absl::StatusOr<int> MarkRead(const std::string& member_id, const std::vector<std::string>& ids,
                               Time now);
  absl::StatusOr<int> UnreadCount(const std::string& member_id);
  // The member's items created at or after `since` except those in `known`, oldest first, up
  // to `limit`, and the unread count: what a StreamInbox stream has not sent yet.
  absl::StatusOr<NewItems> ItemsSince(const std::string& member_id, Time since,
                                      const std::vector<std::string>& known, int limit);

  // Inside a consumer's transaction.
  domain::Preferences PreferencesIn(hc::postgres::Tx& tx, const std::string& member_id);
  // True when stored, false when the dedupe key was already there. A stored item also
  // notifies kInboxChannel, delivered when `tx` commits.
  bool AddInboxItemIn(hc::postgres::Tx& tx, const InboxItem& item, const std::string& dedupe_key);
  // Everything held on the member (MemberDeleted).
  void EraseMemberIn(hc::postgres::Tx& tx, const std::string& member_id);

 private:
  hc::postgres::Pool& pool_;
};

}  // namespace notifications::storage

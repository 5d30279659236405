#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/postgres/pool.h"
#include "services/notifications/src/domain/inbox.h"
#include "services/notifications/src/domain/preferences.h"
#include "services/notifications/src/storage/notification_store.h"

namespace notifications::storage {

// Where a delivery stands; stored by name (see migrations/0003_deliveries.sql).
enum class DeliveryStatus {
  kQueued,
  kHeld,
  kSending,
  kSent,
  kFailed,
  kSuppressedPreference,
  kSuppressedConsent,
  kDigested,
  kCapped,
};
std::string_view DeliveryStatusName(DeliveryStatus status);
std::optional<DeliveryStatus> DeliveryStatusFromName(std::string_view name);

// One message for one member on one channel that leaves the service (email or SMS).
struct Delivery {
  std::string delivery_id;
  std::string member_id;
  domain::Channel channel = domain::Channel::kEmail;
  domain::Category category = domain::Category::kEvents;
  domain::InboxKind kind = domain::InboxKind::kRsvpConfirmed;
  std::string event_id;
  std::string shift_id;
  std::string role_id;
  DeliveryStatus status = DeliveryStatus::kQueued;
  Time due_at;
  int attempts = 0;
  Time created_at;
};

// The `consents` and `deliveries` tables.
//
// Invariants:
// - A delivery exists at most once per dedupe_key (UNIQUE; AddIn does nothing on a conflict).
// - A dispatcher owns a delivery only while it is `sending` and its lease is ahead: Claim moves
//   due rows (taken FOR UPDATE SKIP LOCKED, so replicas never claim the same row) to `sending`
//   and commits before anything is sent; a claim whose lease ran out (its dispatcher died) is
//   claimable again, so nothing is lost, and it is sent with the same Message-ID.
// - Consent rows only move forward in changed_at, so a replayed older fact never undoes a
//   newer choice.
class DeliveryStore {
 public:
  explicit DeliveryStore(hc::postgres::Pool& pool) : pool_(pool) {}

  // Inside a consumer's transaction: the consent membership last reported for the member.
  domain::Consent ConsentIn(hc::postgres::Tx& tx, const std::string& member_id);
  // Records a MemberConsentChanged (email or SMS) unless a newer one is already recorded.
  void SetConsentIn(hc::postgres::Tx& tx, const std::string& member_id, domain::Channel channel,
                    bool granted, Time changed_at);

  // True when stored, false when the dedupe key was already there.
  bool AddIn(hc::postgres::Tx& tx, const Delivery& delivery, const std::string& dedupe_key);

  // Up to `limit` deliveries of `channel` due at `now` (queued, held, or claimed by a
  // dispatcher whose lease ran out), moved to `sending` until now + lease, in one committed
  // transaction. Digested ones are not claimed here (see ClaimDigests).
  absl::StatusOr<std::vector<Delivery>> Claim(domain::Channel channel, Time now,
                                              std::chrono::milliseconds lease, int limit);
  // The end of a claimed delivery: sent, failed, suppressed, capped, or back to queued / held /
  // digested with a new due time (`attempts` counts the tries so far). Only while still
  // `sending` (a lease that ran out and was claimed again is the new owner's).
  absl::Status Finish(const std::string& delivery_id, DeliveryStatus status, Time due_at,
                      int attempts, const std::string& error, Time now);

  // How many deliveries of `channel` went to the member since `since`.
  absl::StatusOr<int> SentSince(const std::string& member_id, domain::Channel channel, Time since);
  // Deliveries of `channel` per status (for tests and the backlog gauge).
  absl::StatusOr<int> CountByStatus(domain::Channel channel, DeliveryStatus status);

 private:
  hc::postgres::Pool& pool_;
};

}  // namespace notifications::storage

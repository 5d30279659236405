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
  // Went out in the member's digest.
  kDigestSent,
  // A reminder whose RSVP, event or shift was cancelled, or whose start passed, before it went.
  kDropped,
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
  // A mentorship introduction: the other party, whose display name the message carries (looked
  // up at send time; cleared when they are erased).
  std::string other_member_id;
  // Whether the other party shares their email / phone with this member (see InboxItem).
  bool other_shares_email = false;
  bool other_shares_phone = false;
  // A mentor's choice: the time to answer by, shown in the member's zone.
  std::optional<Time> answer_by;
  DeliveryStatus status = DeliveryStatus::kQueued;
  Time due_at;
  int attempts = 0;
  Time created_at;
  // The claim's token: the lease end its claim set. Finish and Renew act only while it is still
  // the row's, so a dispatcher whose lease ran out (and was claimed again) changes nothing.
  Time lease_until;
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
  // Extends the claim of `delivery` to now + lease just before it is sent; false (nothing to
  // send) when the claim is no longer this dispatcher's.
  absl::StatusOr<bool> Renew(Delivery& delivery, Time now, std::chrono::milliseconds lease);
  // The end of a claimed delivery: sent, failed, suppressed, capped, or back to queued / held /
  // digested with a new due time (`attempts` counts the tries so far). Only while the claim is
  // still this one (status `sending` and the same lease token).
  absl::Status Finish(const Delivery& delivery, DeliveryStatus status, Time due_at, int attempts,
                      const std::string& error, Time now);

  // One member's email deliveries waiting for their digest and due at `now` (status digested),
  // claimed until now + lease (their lease_until is the claim's token); empty when no member's
  // digest is due. A member is taken under a transaction-scoped advisory lock, so two replicas
  // never gather the same member's digest at once.
  absl::StatusOr<std::vector<Delivery>> ClaimDigest(Time now, std::chrono::milliseconds lease,
                                                    int limit);
  // Extends a digest's claim (all its rows) just before it is sent; false when it is no longer
  // this dispatcher's.
  absl::StatusOr<bool> RenewDigest(std::vector<Delivery>& items, Time now,
                                   std::chrono::milliseconds lease);
  // How a claimed digest item ends: `digest_sent`, or for good as `failed` / suppressed, or
  // waiting again (status digested) until `due_at` with `attempts` tries so far. Only while the
  // claim is still this one.
  struct DigestOutcome {
    std::string delivery_id;
    Time lease_until;
    DeliveryStatus status = DeliveryStatus::kDigested;
    Time due_at;
    int attempts = 0;
  };
  absl::Status FinishDigest(const std::vector<DigestOutcome>& outcomes, Time now);
  // After a member's digest went out: what is still due for them (past the digest's limit)
  // waits for the next one instead of making a second email at once.
  absl::Status PostponeDigest(const std::string& member_id, Time now, Time next_digest);

  // How many deliveries of `channel` went to the member since `since`.
  absl::StatusOr<int> SentSince(const std::string& member_id, domain::Channel channel, Time since);
  // Deliveries of `channel` per status (for tests and the backlog gauge).
  absl::StatusOr<int> CountByStatus(domain::Channel channel, DeliveryStatus status);

 private:
  hc::postgres::Pool& pool_;
};

}  // namespace notifications::storage

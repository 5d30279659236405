#pragma once

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/ids/ids.h"
#include "libs/kafka/kafka.h"
#include "libs/postgres/pool.h"
#include "libs/tz/time_zones.h"
#include "services/notifications/src/storage/delivery_store.h"
#include "services/notifications/src/storage/notification_store.h"

namespace notifications::messaging {

// Parses a consumed fact; INVALID_ARGUMENT naming the fact when the value is not one (the
// consumer retries, then sends it to the DLQ).
template <typename Fact>
absl::StatusOr<Fact> ParseFact(const hc::kafka::Message& message) {
  Fact fact;
  if (!fact.ParseFromString(message.value)) {
    return absl::InvalidArgumentError(Fact::descriptor()->name() +
                                      ": value is not the protobuf message");
  }
  return fact;
}

// The canonical form of `id`, a UUID field of `Fact`; INVALID_ARGUMENT naming both otherwise.
template <typename Fact>
absl::StatusOr<std::string> UuidField(const std::string& id, std::string_view field) {
  if (!hc::ids::IsUuid(id)) {
    return absl::InvalidArgumentError(Fact::descriptor()->name() + ": " + std::string(field) +
                                      " is not a UUID");
  }
  return hc::ids::Canonical(id);
}

// InboxDeliveries' email and SMS deliveries are queued only when `deliveries` is given (otherwise
// only the inbox is served); `wake` runs after a commit that queued something due now.
struct QueuedChannels {
  storage::DeliveryStore* deliveries = nullptr;
  const hc::tz::SystemTimeZones* zones = nullptr;
  std::function<void()> wake;
};

// What every fact handler does for one member: the in-app item, and the email and SMS
// deliveries (rows in `deliveries` the dispatchers send later), as their preferences, consent
// and quiet hours allow, exactly once, and `hc_notifications_deliveries_total{channel,status}`.
// Shared by the handlers (each on its own consumer thread): the counters are thread-safe and
// what one handling did is kept in the caller's Tally.
//
// Invariants:
// - Each item is written under the member's shared write lock (libs/identity), taken before
//   their preferences are read; an erased member's item is dropped (counted as suppressed). A
//   fact for many members takes their shared locks one after another in one transaction: only
//   an erasure takes one exclusively, and it waits on no other member, so this can't deadlock.
// - The item's dedupe key is domain::DedupeKey(ce_id, member, in_app) and UNIQUE, so a fact
//   handled twice (even past the consumer's inbox) stores one item per member; the same holds
//   for each delivery with (ce_id, member, email / sms).
// - A channel the member did not choose for the category makes no row (it is only counted);
//   one they chose but have no consent for is kept as suppressed_consent, so the member's
//   history says why nothing came. Consent is asked again at send time.
class InboxDeliveries {
 public:
  using Clock = std::function<storage::Time()>;

  // What one handling of a fact did; counted only once it commits.
  struct Tally {
    int sent = 0;
    int suppressed = 0;
    int duplicate = 0;
    // Email and SMS: one (channel, status) per decision.
    std::vector<std::pair<domain::Channel, storage::DeliveryStatus>> queued;
    std::vector<domain::Channel> queued_duplicate;
    std::vector<domain::Channel> not_chosen;
    // A delivery is due now: the dispatchers may be woken after commit.
    bool due_now = false;
    // Members who got an inbox item: their cached ListInbox pages are retired after commit.
    std::vector<std::string> inbox_changed;
  };

  // Called after a commit with the members whose inbox it changed (each once).
  using InboxChanged = std::function<void(const std::vector<std::string>& member_ids)>;

  InboxDeliveries(storage::NotificationStore& store, Clock clock, prometheus::Registry& registry,
                  QueuedChannels channels = {}, InboxChanged inbox_changed = nullptr);

  // Stores `item` (its member, kind and subject ids; the item id and time are filled in here)
  // for the fact `ce_id` when Decide(preferences, events' or volunteering's category, in_app)
  // says send. Errors other than an erased member are the database's (the consumer retries).
  absl::Status Deliver(hc::postgres::Tx& tx, const std::string& ce_id, storage::InboxItem item,
                       Tally& tally);
  // After the handling's transaction committed: counts it, wakes the dispatchers, and tells
  // `inbox_changed` whose inbox it changed.
  void Count(const Tally& tally);

  // The family every channel's decisions and sends are counted in.
  prometheus::Family<prometheus::Counter>& family() { return family_; }

 private:
  // The email or SMS delivery of `item` on `channel`.
  void Queue(hc::postgres::Tx& tx, const std::string& ce_id, const storage::InboxItem& item,
             const domain::Preferences& preferences, const domain::Consent& consent,
             domain::Channel channel, Tally& tally);

  storage::NotificationStore& store_;
  Clock clock_;
  prometheus::Family<prometheus::Counter>& family_;
  prometheus::Counter& sent_;
  prometheus::Counter& suppressed_;
  prometheus::Counter& duplicate_;
  QueuedChannels channels_;
  InboxChanged inbox_changed_;
};

// What a consumed fact means for the inbox: the items it makes (member, kind, the ids it is
// about), none for a fact or status that tells nobody anything; INVALID_ARGUMENT naming the
// fact when it can't be read.
using FactItems =
    std::function<absl::StatusOr<std::vector<storage::InboxItem>>(const hc::kafka::Message&)>;

// What else a consumed fact does in the same transaction (projections, notices that need them:
// AttendanceEffects), with the handling's Tally for what it delivers. Optional.
using FactEffects = std::function<absl::Status(hc::postgres::Tx&, const hc::kafka::Message&,
                                               InboxDeliveries::Tally&)>;

// A handler for libs/kafka's Consumer (inbox dedupe in the same transaction, DLQ) that delivers
// each fact's items through InboxDeliveries. Runs on the consumer's one thread.
//
// Exactly once: the consumer's inbox drops a redelivered ce_id, and each item's dedupe key
// (ce_id, member, in_app) is UNIQUE, so even a fact handled twice stores one item per member.
class InboxFactsHandler {
 public:
  InboxFactsHandler(InboxDeliveries& deliveries, FactItems items)
      : deliveries_(deliveries), items_(std::move(items)) {}
  // Also runs `effects` after the items, in the same transaction.
  InboxFactsHandler(InboxDeliveries& deliveries, FactItems items, FactEffects effects)
      : deliveries_(deliveries), items_(std::move(items)), effects_(std::move(effects)) {}

  // The Consumer's handler.
  absl::Status Handle(hc::postgres::Tx& tx, const hc::kafka::Message& message);
  // The Consumer's after_commit: counts what the committed handling did.
  void AfterCommit() { deliveries_.Count(tally_); }

 private:
  InboxDeliveries& deliveries_;
  FactItems items_;
  FactEffects effects_;
  // What the last Handle call did (a retry starts afresh).
  InboxDeliveries::Tally tally_;
};

}  // namespace notifications::messaging

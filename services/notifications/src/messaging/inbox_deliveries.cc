#include "services/notifications/src/messaging/inbox_deliveries.h"

#include <algorithm>

#include "libs/identity/identity.h"
#include "libs/ids/ids.h"
#include "libs/status/status.h"
#include "services/notifications/src/domain/schedule.h"

namespace notifications::messaging {
namespace {

prometheus::Family<prometheus::Counter>& Deliveries(prometheus::Registry& registry) {
  return prometheus::BuildCounter()
      .Name("hc_notifications_deliveries_total")
      .Help("Notifications decided, by channel and status")
      .Register(registry);
}

prometheus::Counter& In(prometheus::Family<prometheus::Counter>& family,
                        const std::string& status) {
  return family.Add({{"channel", "in_app"}, {"status", status}});
}

}  // namespace

InboxDeliveries::InboxDeliveries(storage::NotificationStore& store, Clock clock,
                                 prometheus::Registry& registry, QueuedChannels channels,
                                 InboxChanged inbox_changed)
    : store_(store),
      clock_(std::move(clock)),
      family_(Deliveries(registry)),
      sent_(In(family_, "sent")),
      suppressed_(In(family_, "suppressed")),
      duplicate_(In(family_, "duplicate")),
      channels_(std::move(channels)),
      inbox_changed_(std::move(inbox_changed)) {}

absl::Status InboxDeliveries::Deliver(hc::postgres::Tx& tx, const std::string& ce_id,
                                      storage::InboxItem item, Tally& tally) {
  // After the member's erasure nothing of theirs comes back; a fact still in flight for them is
  // dropped. Otherwise the shared lock holds the erasure off until this commits.
  if (absl::Status locked = hc::identity::LockMemberForWrite(tx, item.member_id); !locked.ok()) {
    if (absl::IsFailedPrecondition(locked)) {
      ++tally.suppressed;
      return absl::OkStatus();
    }
    return locked;
  }
  const domain::Preferences preferences = store_.PreferencesIn(tx, item.member_id);
  item.created_at = clock_();
  if (channels_.deliveries != nullptr) {
    const domain::Consent consent = channels_.deliveries->ConsentIn(tx, item.member_id);
    Queue(tx, ce_id, item, preferences, consent, domain::Channel::kEmail, tally);
    Queue(tx, ce_id, item, preferences, consent, domain::Channel::kSms, tally);
  }
  // The inbox needs no consent beyond membership itself.
  if (domain::Decide(preferences, domain::Consent{}, domain::CategoryOf(item.kind),
                     domain::Channel::kInApp) != domain::Decision::kSend) {
    ++tally.suppressed;
    return absl::OkStatus();
  }
  item.item_id = hc::ids::NewUuid();
  const std::string key = domain::DedupeKey(ce_id, item.member_id, domain::Channel::kInApp);
  if (store_.AddInboxItemIn(tx, item, key)) {
    ++tally.sent;
    tally.inbox_changed.push_back(item.member_id);
  } else {
    ++tally.duplicate;
  }
  return absl::OkStatus();
}

void InboxDeliveries::Queue(hc::postgres::Tx& tx, const std::string& ce_id,
                            const storage::InboxItem& item, const domain::Preferences& preferences,
                            const domain::Consent& consent, domain::Channel channel, Tally& tally) {
  using storage::DeliveryStatus;
  const domain::Category category = domain::CategoryOf(item.kind);
  const domain::Decision decision = domain::Decide(preferences, consent, category, channel);
  if (decision == domain::Decision::kSuppressedByPreference) {
    tally.not_chosen.push_back(channel);
    return;
  }
  const absl::TimeZone zone =
      channels_.zones != nullptr
          ? channels_.zones->Load(preferences.time_zone).value_or(absl::UTCTimeZone())
          : absl::UTCTimeZone();
  const absl::Time now = absl::FromChrono(item.created_at);
  storage::Delivery d{.delivery_id = hc::ids::NewUuid(),
                      .member_id = item.member_id,
                      .channel = channel,
                      .category = category,
                      .kind = item.kind,
                      .event_id = item.event_id,
                      .shift_id = item.shift_id,
                      .role_id = item.role_id,
                      .other_member_id = item.other_member_id,
                      .other_shares_email = item.other_shares_email,
                      .other_shares_phone = item.other_shares_phone,
                      .answer_by = item.answer_by,
                      .due_at = item.created_at,
                      .created_at = item.created_at};
  switch (decision) {
    case domain::Decision::kSuppressedByConsent:
      d.status = DeliveryStatus::kSuppressedConsent;
      break;
    case domain::Decision::kDigest:
      d.status = DeliveryStatus::kDigested;
      d.due_at = std::chrono::time_point_cast<std::chrono::milliseconds>(
          absl::ToChronoTime(domain::NextDigestTime(now, preferences.quiet, zone)));
      break;
    default: {
      // Quiet hours hold it until they end, read on the member's own wall clock.
      const absl::Time allowed = domain::NextAllowed(now, preferences.quiet, zone);
      if (allowed > now) {
        d.status = DeliveryStatus::kHeld;
        d.due_at =
            std::chrono::time_point_cast<std::chrono::milliseconds>(absl::ToChronoTime(allowed));
      } else {
        d.status = DeliveryStatus::kQueued;
      }
    }
  }
  const std::string key = domain::DedupeKey(ce_id, item.member_id, channel);
  if (channels_.deliveries->AddIn(tx, d, key)) {
    tally.queued.emplace_back(channel, d.status);
    if (d.status == DeliveryStatus::kQueued) tally.due_now = true;
  } else {
    tally.queued_duplicate.push_back(channel);
  }
}

void InboxDeliveries::Count(const Tally& tally) {
  // Before the counters: whoever sees an item counted (a test, a dashboard) reads it too.
  if (inbox_changed_ && !tally.inbox_changed.empty()) {
    std::vector<std::string> members = tally.inbox_changed;
    std::sort(members.begin(), members.end());
    members.erase(std::unique(members.begin(), members.end()), members.end());
    inbox_changed_(members);
  }
  sent_.Increment(tally.sent);
  suppressed_.Increment(tally.suppressed);
  duplicate_.Increment(tally.duplicate);
  for (const auto& [channel, status] : tally.queued) {
    family_
        .Add({{"channel", std::string(domain::ChannelName(channel))},
              {"status", std::string(storage::DeliveryStatusName(status))}})
        .Increment();
  }
  for (domain::Channel channel : tally.queued_duplicate) {
    family_.Add({{"channel", std::string(domain::ChannelName(channel))}, {"status", "duplicate"}})
        .Increment();
  }
  for (domain::Channel channel : tally.not_chosen) {
    family_
        .Add({{"channel", std::string(domain::ChannelName(channel))},
              {"status", "suppressed_preference"}})
        .Increment();
  }
  if (tally.due_now && channels_.wake) channels_.wake();
}

absl::Status InboxFactsHandler::Handle(hc::postgres::Tx& tx, const hc::kafka::Message& message) {
  tally_ = {};
  HC_ASSIGN_OR_RETURN(std::vector<storage::InboxItem> items, items_(message));
  const std::string ce_id = message.Header(hc::kafka::kCeId);
  for (storage::InboxItem& item : items) {
    HC_RETURN_IF_ERROR(deliveries_.Deliver(tx, ce_id, std::move(item), tally_));
  }
  if (effects_) HC_RETURN_IF_ERROR(effects_(tx, message, tally_));
  return absl::OkStatus();
}

}  // namespace notifications::messaging

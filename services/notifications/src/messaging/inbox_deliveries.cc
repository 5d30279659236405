#include "services/notifications/src/messaging/inbox_deliveries.h"

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
                                 prometheus::Registry& registry)
    : store_(store),
      clock_(std::move(clock)),
      family_(Deliveries(registry)),
      sent_(In(family_, "sent")),
      suppressed_(In(family_, "suppressed")),
      duplicate_(In(family_, "duplicate")) {}

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
  // The inbox needs no consent beyond membership itself.
  if (domain::Decide(preferences, domain::Consent{}, domain::CategoryOf(item.kind),
                     domain::Channel::kInApp) != domain::Decision::kSend) {
    ++tally.suppressed;
    return absl::OkStatus();
  }
  item.item_id = hc::ids::NewUuid();
  item.created_at = clock_();
  const std::string key = domain::DedupeKey(ce_id, item.member_id, domain::Channel::kInApp);
  if (store_.AddInboxItemIn(tx, item, key)) {
    ++tally.sent;
  } else {
    ++tally.duplicate;
  }
  return absl::OkStatus();
}

void InboxDeliveries::Count(const Tally& tally) {
  sent_.Increment(tally.sent);
  suppressed_.Increment(tally.suppressed);
  duplicate_.Increment(tally.duplicate);
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

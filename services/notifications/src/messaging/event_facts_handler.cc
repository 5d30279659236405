#include "services/notifications/src/messaging/event_facts_handler.h"

#include "alumni/events/v1/events_events.pb.h"
#include "libs/status/status.h"
#include "services/notifications/src/messaging/inbox_deliveries.h"

namespace notifications::messaging {
namespace {

namespace epb = alumni::events::v1;

// The item for the member and event a fact is about; INVALID_ARGUMENT naming the fact when its
// ids are not.
template <typename Fact>
absl::StatusOr<std::vector<storage::InboxItem>> Read(const hc::kafka::Message& message,
                                                     domain::InboxKind kind) {
  HC_ASSIGN_OR_RETURN(const Fact fact, ParseFact<Fact>(message));
  HC_ASSIGN_OR_RETURN(std::string event_id, UuidField<Fact>(fact.event_id(), "event_id"));
  if (fact.member_id().empty()) {
    return absl::InvalidArgumentError(Fact::descriptor()->name() + ": no member_id");
  }
  return std::vector<storage::InboxItem>{{.member_id = hc::ids::Canonical(fact.member_id()),
                                          .kind = kind,
                                          .event_id = std::move(event_id)}};
}

}  // namespace

absl::StatusOr<std::vector<storage::InboxItem>> EventFactItems(const hc::kafka::Message& message) {
  const std::string type = message.Header(hc::kafka::kCeType);
  if (type == epb::RsvpConfirmed::descriptor()->full_name()) {
    return Read<epb::RsvpConfirmed>(message, domain::InboxKind::kRsvpConfirmed);
  }
  if (type == epb::RsvpWaitlisted::descriptor()->full_name()) {
    return Read<epb::RsvpWaitlisted>(message, domain::InboxKind::kRsvpWaitlisted);
  }
  if (type == epb::WaitlistPromoted::descriptor()->full_name()) {
    return Read<epb::WaitlistPromoted>(message, domain::InboxKind::kWaitlistPromoted);
  }
  return std::vector<storage::InboxItem>();
}

}  // namespace notifications::messaging

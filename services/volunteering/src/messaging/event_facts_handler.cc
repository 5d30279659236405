#include "services/volunteering/src/messaging/event_facts_handler.h"

#include <google/protobuf/util/time_util.h>

#include "alumni/events/v1/events_events.pb.h"
#include "libs/ids/ids.h"

namespace volunteering::messaging {
namespace {

namespace epb = alumni::events::v1;

domain::Time FromProto(const google::protobuf::Timestamp& t) {
  return domain::Time(
      std::chrono::milliseconds(google::protobuf::util::TimeUtil::TimestampToMilliseconds(t)));
}

// Parses the fact and checks its event id; INVALID_ARGUMENT naming the fact otherwise.
template <typename Fact>
absl::StatusOr<Fact> Read(const hc::kafka::Message& message) {
  Fact fact;
  if (!fact.ParseFromString(message.value)) {
    return absl::InvalidArgumentError(Fact::descriptor()->name() +
                                      ": value is not the protobuf message");
  }
  if (!hc::ids::IsUuid(fact.event_id())) {
    return absl::InvalidArgumentError(Fact::descriptor()->name() + ": event_id is not a UUID");
  }
  fact.set_event_id(hc::ids::Canonical(fact.event_id()));
  return fact;
}

}  // namespace

absl::Status EventFactsHandler::Handle(hc::postgres::Tx& tx, const hc::kafka::Message& message) {
  touched_.clear();
  const std::string type = message.Header(hc::kafka::kCeType);
  if (type == epb::EventPublished::descriptor()->full_name()) {
    auto fact = Read<epb::EventPublished>(message);
    if (!fact.ok()) return fact.status();
    if (!fact->has_start_time()) return absl::InvalidArgumentError("EventPublished: no start_time");
    store_.RecordEventStartIn(tx, fact->event_id(), FromProto(fact->start_time()));
  } else if (type == epb::EventUpdated::descriptor()->full_name()) {
    auto fact = Read<epb::EventUpdated>(message);
    if (!fact.ok()) return fact.status();
    // Without a start there is no move to measure; a zero one would read as 1970.
    if (!fact->has_start_time()) return absl::InvalidArgumentError("EventUpdated: no start_time");
    touched_ = store_.MoveEventShiftsIn(tx, fact->event_id(), FromProto(fact->start_time()),
                                        fact->sequence(), clock_());
  } else if (type == epb::EventCancelled::descriptor()->full_name()) {
    // Every page cancels what is still scheduled: the first to arrive does the work, the rest
    // (and redeliveries under another ce_id) find nothing left to cancel.
    auto fact = Read<epb::EventCancelled>(message);
    if (!fact.ok()) return fact.status();
    touched_ = store_.CancelEventShiftsIn(tx, fact->event_id(), clock_());
  }
  return absl::OkStatus();
}

void EventFactsHandler::AfterCommit(const hc::kafka::Message& message) {
  (void)message;
  for (const auto& role_id : touched_) invalidate_(role_id);
}

}  // namespace volunteering::messaging

#include "services/events/src/events/member_deleted.h"

#include <spdlog/spdlog.h>

#include "alumni/membership/v1/membership_events.pb.h"
#include "libs/status/status.h"

namespace events::facts {

absl::Status MemberDeletedHandler::Handle(hc::postgres::Tx& tx, const hc::kafka::Message& message) {
  touched_.clear();
  if (message.Header(hc::kafka::kCeType) != kMemberDeletedType) return absl::OkStatus();
  alumni::membership::v1::MemberDeleted event;
  if (!event.ParseFromString(message.value)) {
    return absl::InvalidArgumentError("MemberDeleted: value is not the protobuf message");
  }
  if (!domain::IsUuid(event.member_id())) {
    return hc::InvalidField("member_id", "must be a UUID");
  }
  touched_ = store_.EraseMemberIn(tx, event.member_id(), clock_());
  return absl::OkStatus();
}

void MemberDeletedHandler::AfterCommit(const hc::kafka::Message& message) {
  for (const auto& event_id : touched_) invalidate_(event_id);
  if (!touched_.empty()) {
    spdlog::info("erased a deleted member's RSVPs (ce_id {}): {} events changed",
                 message.Header(hc::kafka::kCeId), touched_.size());
  }
  touched_.clear();
}

}  // namespace events::facts

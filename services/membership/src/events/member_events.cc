#include "services/membership/src/events/member_events.h"

#include <google/protobuf/util/time_util.h>

#include "alumni/membership/v1/membership_events.pb.h"
#include "libs/outbox/outbox.h"

namespace membership::events {

using google::protobuf::util::TimeUtil;

void AppendMemberRegistered(hc::postgres::Tx& tx, const domain::Member& member) {
  alumni::membership::v1::MemberRegistered event;
  event.set_member_id(member.member_id);
  *event.mutable_registered_at() = TimeUtil::MillisecondsToTimestamp(member.created_at_ms);
  event.set_time_zone(member.time_zone);
  for (const auto& interest : member.interests) event.add_interests(interest);
  hc::outbox::Append(tx, kTopic, member.member_id, event);
}

void AppendMemberProfileUpdated(hc::postgres::Tx& tx, const domain::Member& member,
                                const std::vector<std::string>& changed_fields) {
  alumni::membership::v1::MemberProfileUpdated event;
  event.set_member_id(member.member_id);
  *event.mutable_updated_at() = TimeUtil::MillisecondsToTimestamp(member.updated_at_ms);
  for (const auto& field : changed_fields) event.add_changed_fields(field);
  event.set_version(member.version);
  hc::outbox::Append(tx, kTopic, member.member_id, event);
}

}  // namespace membership::events

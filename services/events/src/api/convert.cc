#include "services/events/src/api/convert.h"

#include <google/protobuf/util/time_util.h>

#include "libs/convert/time.h"
#include "libs/status/status.h"

namespace events::api {

namespace pb = alumni::events::v1;
using google::protobuf::util::TimeUtil;

absl::Status CheckId(std::string_view field, const std::string& value) {
  if (value.empty()) return hc::InvalidField(field, "must not be empty");
  if (!domain::IsUuid(value)) return hc::InvalidField(field, "must be a UUID");
  return absl::OkStatus();
}

absl::StatusOr<domain::Time> TimeFromProto(std::string_view field, bool present,
                                           const google::protobuf::Timestamp& ts) {
  return hc::convert::TimeFromProto(field, present, ts);
}

google::protobuf::Timestamp TimeToProto(domain::Time t) {
  return TimeUtil::MillisecondsToTimestamp(t.time_since_epoch().count());
}

absl::StatusOr<domain::EventDetails> DetailsFromProto(const pb::EventDetails& d) {
  domain::EventDetails out{.title = d.title(),
                           .description = d.description(),
                           .kind = static_cast<domain::EventKind>(d.kind()),
                           .time_zone = d.time_zone(),
                           .venue = d.venue(),
                           .online_url = d.online_url(),
                           .capacity = d.capacity(),
                           .waitlist_enabled = d.waitlist_enabled(),
                           .visibility = static_cast<domain::Visibility>(d.visibility())};
  HC_ASSIGN_OR_RETURN(out.start, TimeFromProto("start_time", d.has_start_time(), d.start_time()));
  HC_ASSIGN_OR_RETURN(out.end, TimeFromProto("end_time", d.has_end_time(), d.end_time()));
  return out;
}

void ToProto(const domain::Event& e, pb::Event& out) {
  const domain::EventDetails& d = e.details;
  out.set_event_id(e.event_id);
  out.set_title(d.title);
  out.set_description(d.description);
  out.set_kind(static_cast<pb::EventKind>(d.kind));
  *out.mutable_start_time() = TimeToProto(d.start);
  *out.mutable_end_time() = TimeToProto(d.end);
  out.set_time_zone(d.time_zone);
  if (!d.venue.empty()) out.set_venue(d.venue);
  if (!d.online_url.empty()) out.set_online_url(d.online_url);
  out.set_capacity(d.capacity);
  out.set_waitlist_enabled(d.waitlist_enabled);
  out.set_visibility(static_cast<pb::Visibility>(d.visibility));
  out.set_status(static_cast<pb::EventStatus>(e.status));
  out.set_going_count(e.going_count);
  out.set_waitlist_count(e.waitlist_count);
  out.set_seats_left(std::max(e.SeatsLeft(), 0));
  out.set_series_id(e.series_id);
  out.set_sequence(e.sequence);
  *out.mutable_created_at() = TimeToProto(e.created_at);
  *out.mutable_updated_at() = TimeToProto(e.updated_at);
}

void ToProto(const domain::Rsvp& r, pb::Rsvp& out) {
  out.set_event_id(r.event_id);
  out.set_member_id(r.member_id);
  out.set_status(static_cast<pb::RsvpStatus>(r.status));
  out.set_waitlist_position(r.waitlist_position);
  out.set_checked_in(r.checked_in_at.has_value());
  if (r.checked_in_at) *out.mutable_checked_in_at() = TimeToProto(*r.checked_in_at);
  *out.mutable_created_at() = TimeToProto(r.created_at);
  *out.mutable_updated_at() = TimeToProto(r.updated_at);
}

}  // namespace events::api

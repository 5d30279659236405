#include "services/events/src/messaging/event_facts.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>

#include "alumni/events/v1/events_events.pb.h"
#include "libs/outbox/outbox.h"

namespace events::facts {
namespace {

namespace pb = alumni::events::v1;
using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp Ts(domain::Time t) {
  return TimeUtil::MillisecondsToTimestamp(t.time_since_epoch().count());
}

}  // namespace

void Recorder::EventPublished(hc::postgres::Tx& tx, const domain::Event& e) const {
  pb::EventPublished event;
  event.set_event_id(e.event_id);
  event.set_kind(static_cast<pb::EventKind>(e.details.kind));
  *event.mutable_start_time() = Ts(e.details.start);
  *event.mutable_end_time() = Ts(e.details.end);
  event.set_time_zone(e.details.time_zone);
  event.set_capacity(e.details.capacity);
  event.set_visibility(static_cast<pb::Visibility>(e.details.visibility));
  event.set_series_id(e.series_id);
  event.set_created_by(e.created_by);
  hc::outbox::Append(tx, topic_, e.event_id, event, {e.created_by});
}

void Recorder::EventUpdated(hc::postgres::Tx& tx, const domain::Event& e,
                            const std::vector<std::string>& changed_fields) const {
  pb::EventUpdated event;
  event.set_event_id(e.event_id);
  for (const auto& f : changed_fields) event.add_changed_fields(f);
  *event.mutable_start_time() = Ts(e.details.start);
  *event.mutable_end_time() = Ts(e.details.end);
  event.set_capacity(e.details.capacity);
  event.set_sequence(e.sequence);
  *event.mutable_updated_at() = Ts(e.updated_at);
  hc::outbox::Append(tx, topic_, e.event_id, event);
}

void Recorder::EventCancelled(hc::postgres::Tx& tx, const domain::Event& e,
                              const std::vector<std::string>& affected_member_ids,
                              domain::Time at) const {
  const size_t pages =
      std::max<size_t>(1, (affected_member_ids.size() + kIdsPerFact - 1) / kIdsPerFact);
  for (size_t page = 0; page < pages; ++page) {
    pb::EventCancelled event;
    event.set_event_id(e.event_id);
    *event.mutable_cancelled_at() = Ts(at);
    const size_t end = std::min(affected_member_ids.size(), (page + 1) * kIdsPerFact);
    for (size_t i = page * kIdsPerFact; i < end; ++i) {
      event.add_affected_member_ids(affected_member_ids[i]);
    }
    event.set_sequence(e.sequence);
    event.set_series_id(e.series_id);
    event.set_page(static_cast<int>(page + 1));
    event.set_page_count(static_cast<int>(pages));
    hc::outbox::Append(tx, topic_, e.event_id, event,
                       {event.affected_member_ids().begin(), event.affected_member_ids().end()});
  }
}

hc::postgres::Statement Recorder::RsvpConfirmed(const domain::Event& e,
                                                const domain::Rsvp& rsvp) const {
  pb::RsvpConfirmed event;
  event.set_event_id(e.event_id);
  event.set_member_id(rsvp.member_id);
  *event.mutable_confirmed_at() = Ts(rsvp.updated_at);
  *event.mutable_start_time() = Ts(e.details.start);
  return hc::outbox::AppendStatement(topic_, e.event_id, event, {rsvp.member_id});
}

hc::postgres::Statement Recorder::RsvpWaitlisted(const domain::Event& e,
                                                 const domain::Rsvp& rsvp) const {
  pb::RsvpWaitlisted event;
  event.set_event_id(e.event_id);
  event.set_member_id(rsvp.member_id);
  event.set_waitlist_position(rsvp.waitlist_position);
  *event.mutable_waitlisted_at() = Ts(rsvp.updated_at);
  *event.mutable_start_time() = Ts(e.details.start);
  return hc::outbox::AppendStatement(topic_, e.event_id, event, {rsvp.member_id});
}

void Recorder::RsvpCancelled(hc::postgres::Tx& tx, const std::string& event_id,
                             const std::string& member_id, domain::RsvpStatus previous,
                             CancelReason reason, domain::Time at) const {
  pb::RsvpCancelled event;
  event.set_event_id(event_id);
  event.set_member_id(member_id);
  event.set_previous_status(static_cast<pb::RsvpStatus>(previous));
  event.set_reason(static_cast<pb::CancelReason>(reason));
  *event.mutable_cancelled_at() = Ts(at);
  hc::outbox::Append(tx, topic_, event_id, event, {member_id});
}

void Recorder::WaitlistPromoted(hc::postgres::Tx& tx, const domain::Event& e,
                                const std::string& member_id, domain::Time at) const {
  pb::WaitlistPromoted event;
  event.set_event_id(e.event_id);
  event.set_member_id(member_id);
  *event.mutable_promoted_at() = Ts(at);
  *event.mutable_start_time() = Ts(e.details.start);
  hc::outbox::Append(tx, topic_, e.event_id, event, {member_id});
}

void Recorder::AttendeeCheckedIn(hc::postgres::Tx& tx, const std::string& event_id,
                                 const std::string& member_id, bool checked_in,
                                 domain::Time at) const {
  pb::AttendeeCheckedIn event;
  event.set_event_id(event_id);
  event.set_member_id(member_id);
  event.set_checked_in(checked_in);
  *event.mutable_at() = Ts(at);
  hc::outbox::Append(tx, topic_, event_id, event, {member_id});
}

}  // namespace events::facts

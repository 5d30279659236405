#pragma once

#include <string>
#include <vector>

#include "libs/postgres/pool.h"
#include "services/events/src/domain/event.h"

namespace events::facts {

inline constexpr char kTopic[] = "alumni.events.v1";

enum class CancelReason { kMember = 1, kMemberDeleted = 2 };

// Member ids per EventCancelled fact: 1,000 ids are about 40 KB, far below the broker's 1 MB.
inline constexpr size_t kIdsPerFact = 1000;

// Records the service's events in the outbox inside the caller's transaction, keyed by event id.
// The caller holds the event row's lock, so the events of one key are numbered in commit order.
// Events carry ids and non-sensitive facts only: no names, no free text.
class Recorder {
 public:
  explicit Recorder(std::string topic = kTopic) : topic_(std::move(topic)) {}
  const std::string& topic() const { return topic_; }

  void EventPublished(hc::postgres::Tx& tx, const domain::Event& event) const;
  void EventUpdated(hc::postgres::Tx& tx, const domain::Event& event,
                    const std::vector<std::string>& changed_fields) const;
  // One fact per kIdsPerFact people affected (at least one), numbered page 1..page_count.
  void EventCancelled(hc::postgres::Tx& tx, const domain::Event& event,
                      const std::vector<std::string>& affected_member_ids, domain::Time at) const;
  // The RSVP's facts as outbox statements, for its pipelined transaction (EventStore::Rsvp).
  hc::postgres::Statement RsvpConfirmed(const domain::Event& event, const domain::Rsvp& rsvp) const;
  hc::postgres::Statement RsvpWaitlisted(const domain::Event& event,
                                         const domain::Rsvp& rsvp) const;
  void RsvpCancelled(hc::postgres::Tx& tx, const std::string& event_id,
                     const std::string& member_id, domain::RsvpStatus previous, CancelReason reason,
                     domain::Time at) const;
  void WaitlistPromoted(hc::postgres::Tx& tx, const domain::Event& event,
                        const std::string& member_id, domain::Time at) const;
  void AttendeeCheckedIn(hc::postgres::Tx& tx, const std::string& event_id,
                         const std::string& member_id, bool checked_in, domain::Time at) const;

 private:
  std::string topic_;
};

}  // namespace events::facts

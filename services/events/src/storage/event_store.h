#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/postgres/pool.h"
#include "services/events/src/domain/event.h"
#include "services/events/src/events/event_facts.h"

namespace events::storage {

// The outcome of an RSVP or its cancellation.
struct RsvpResult {
  domain::Rsvp rsvp;
  // The event after the change (counts included).
  domain::Event event;
  // false when the call changed nothing (a repeated RSVP or cancellation).
  bool changed = false;
  // Members moved from the waitlist to GOING by this change, first in line first.
  std::vector<std::string> promoted_member_ids;
};

// Events and RSVPs in PostgreSQL. Every change commits together with its events in the outbox.
class EventStore {
 public:
  EventStore(hc::postgres::Pool& pool, const facts::Recorder& recorder)
      : pool_(pool), recorder_(recorder) {}

  // Inserts the events (one, or the occurrences of a series sharing `series_id`) and records
  // EventPublished for each. Returns them in order.
  absl::StatusOr<std::vector<domain::Event>> Create(
      const std::vector<domain::EventDetails>& occurrences, const std::string& created_by,
      const std::string& series_id, domain::Time now);
  // NOT_FOUND when there is no such event.
  absl::StatusOr<domain::Event> Get(const std::string& event_id);

  // GOING, WAITLISTED (RsvpConfirmed / RsvpWaitlisted), or the member's active RSVP unchanged
  // when they already have one. FAILED_PRECONDITION per domain::PlaceRsvp.
  absl::StatusOr<RsvpResult> Rsvp(const std::string& event_id, const std::string& member_id,
                                  domain::Time now);
  // Cancels the member's active RSVP (RsvpCancelled) and, when it held a seat, promotes the
  // first in line (WaitlistPromoted). A repeated cancellation returns the cancelled RSVP
  // unchanged; NOT_FOUND when the member never RSVPed.
  absl::StatusOr<RsvpResult> CancelRsvp(const std::string& event_id,
                                        const std::string& member_id, domain::Time now);

 private:
  hc::postgres::Pool& pool_;
  const facts::Recorder& recorder_;
};

}  // namespace events::storage

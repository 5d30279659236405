#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/postgres/pool.h"
#include "services/events/src/domain/event.h"
#include "services/events/src/domain/recurrence.h"
#include "services/events/src/messaging/event_facts.h"

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

// The outcome of UpdateEvent or CancelEvent.
struct EventChangeResult {
  domain::Event event;
  // Names of the fields that changed (empty: nothing changed, nothing was recorded).
  std::vector<std::string> changed_fields;
  // Members moved from the waitlist to GOING because capacity was raised.
  std::vector<std::string> promoted_member_ids;
};

// Keyset position in a listing: the sort key of the last row returned.
struct Cursor {
  domain::Time start{};
  std::string id;
};

struct EventQuery {
  std::vector<domain::EventKind> kinds;  // empty: all
  std::optional<domain::Time> start_from;
  std::optional<domain::Time> start_before;
  bool include_unlisted = false;
  int page_size = 20;
  std::optional<Cursor> after;
  // Events that ended by now are not listed.
  domain::Time now{};
};

struct EventPage {
  std::vector<domain::Event> events;
  std::optional<Cursor> next;
};

struct MyRsvpQuery {
  std::string member_id;
  bool include_cancelled = false;
  bool include_past = false;
  int page_size = 20;
  std::optional<Cursor> after;  // id = the RSVP's row id
  domain::Time now{};
};

struct MyRsvpPage {
  std::vector<std::pair<domain::Rsvp, domain::Event>> rsvps;
  std::optional<Cursor> next;
};

struct AttendeeQuery {
  std::string event_id;
  bool include_cancelled = false;
  int page_size = 50;
  std::optional<Cursor> after;  // id = the row's sort key (see ListAttendees)
};

struct AttendeePage {
  std::vector<domain::Rsvp> attendees;
  std::optional<Cursor> next;
};

// Events and RSVPs in PostgreSQL. Every change commits together with its events in the outbox.
class EventStore {
 public:
  EventStore(hc::postgres::Pool& pool, const facts::Recorder& recorder)
      : pool_(pool), recorder_(recorder) {}

  // Inserts one event, or with `recurrence` a series and its occurrences (which name it), and
  // records EventPublished for each. Returns them in order.
  absl::StatusOr<std::vector<domain::Event>> Create(
      const std::vector<domain::EventDetails>& occurrences,
      const std::optional<domain::Recurrence>& recurrence, const std::string& created_by,
      domain::Time now);
  // NOT_FOUND when there is no such event.
  absl::StatusOr<domain::Event> Get(const std::string& event_id);

  // Applies `changes` (domain::ApplyChanges), bumps the sequence, records EventUpdated, and
  // promotes from the waitlist when capacity went up.
  absl::StatusOr<EventChangeResult> Update(const std::string& event_id,
                                           const domain::EventChanges& changes,
                                           const domain::TimeZoneCatalog& zones, domain::Time now);
  // Cancels the event (EventCancelled, naming everyone going or waitlisted); its RSVPs stay as
  // they were, readable. Cancelling a cancelled event changes nothing.
  absl::StatusOr<EventChangeResult> Cancel(const std::string& event_id, domain::Time now);
  // Cancels every scheduled occurrence of the series starting at or after `from` (and not yet
  // started), as Cancel does. NOT_FOUND when there is no such series.
  absl::StatusOr<std::vector<std::string>> CancelSeries(const std::string& series_id,
                                                        domain::Time from, domain::Time now);
  // Scheduled events that have not ended, soonest first.
  absl::StatusOr<EventPage> List(const EventQuery& query);
  // A member's RSVPs with their events, soonest event first.
  absl::StatusOr<MyRsvpPage> ListMyRsvps(const MyRsvpQuery& query);

  // Going first (in RSVP order), then the line in order, then cancelled RSVPs if asked for.
  // NOT_FOUND when there is no such event.
  absl::StatusOr<AttendeePage> ListAttendees(const AttendeeQuery& query);
  // Marks the member's GOING RSVP as checked in (AttendeeCheckedIn), or takes that back when
  // `undo`. Repeating either changes nothing. NOT_FOUND without an active RSVP.
  absl::StatusOr<RsvpResult> CheckIn(const std::string& event_id, const std::string& member_id,
                                     bool undo, domain::Time now);

  // Erases everything held on a member who left (MemberDeleted), inside the caller's
  // transaction: their RSVPs are deleted (RsvpCancelled, reason MEMBER_DELETED, for each
  // active one), freed seats go to the first in line (WaitlistPromoted), and events and series
  // they created no longer name them. The caller holds the member's erasure lock and has
  // recorded the tombstone (libs/identity), so no RSVP of theirs can commit after this reads.
  // Returns the events whose reads changed.
  std::vector<std::string> EraseMemberIn(hc::postgres::Tx& tx, const std::string& member_id,
                                         domain::Time now);

  // GOING, WAITLISTED (RsvpConfirmed / RsvpWaitlisted), or the member's active RSVP unchanged
  // when they already have one. FAILED_PRECONDITION per domain::PlaceRsvp.
  absl::StatusOr<RsvpResult> Rsvp(const std::string& event_id, const std::string& member_id,
                                  domain::Time now);
  // Cancels the member's active RSVP (RsvpCancelled) and, when it held a seat, promotes the
  // first in line (WaitlistPromoted). A repeated cancellation returns the cancelled RSVP
  // unchanged; NOT_FOUND when the member never RSVPed.
  absl::StatusOr<RsvpResult> CancelRsvp(const std::string& event_id, const std::string& member_id,
                                        domain::Time now);

 private:
  // Cancels a locked event; false when it already was.
  bool CancelLocked(hc::postgres::Tx& tx, domain::Event& event, domain::Time now);

  hc::postgres::Pool& pool_;
  const facts::Recorder& recorder_;
};

}  // namespace events::storage

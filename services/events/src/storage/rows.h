#pragma once

// SQL shared by the stores and the MemberDeleted handler: columns, row mapping, the event lock
// and waitlist promotion. Internal to storage/.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/postgres/pool.h"
#include "services/events/src/domain/event.h"
#include "services/events/src/messaging/event_facts.h"

namespace events::storage {

// Instants travel as milliseconds since the epoch.
inline int64_t Ms(domain::Time t) { return t.time_since_epoch().count(); }
inline domain::Time FromMs(int64_t ms) { return domain::Time(std::chrono::milliseconds(ms)); }
// SQL turning a bigint parameter of milliseconds into a timestamptz.
inline std::string MsToTs(const std::string& param) {
  return "to_timestamp(" + param + "::bigint / 1000.0)";
}

// SELECT list of an event (from `events e`); read with EventFromRow.
extern const char kEventColumns[];
// SELECT list of an RSVP (from `rsvps r`) with its place in line; read with RsvpFromRow.
extern const char kRsvpColumns[];
inline constexpr int kRsvpColumnCount = 8;
inline constexpr int kEventColumnCount = 21;

// An event as stored, with its next waitlist ticket.
struct EventRow {
  domain::Event event;
  int64_t next_waitlist_seq = 1;
};
using LockedEvent = EventRow;

struct RsvpRow {
  int64_t rsvp_id = 0;
  domain::Rsvp rsvp;
};

// From a libpqxx row or a pipelined transaction's (the same columns either way).
EventRow EventFromRow(const pqxx::row& row, int first = 0);
EventRow EventFromRow(const hc::postgres::PipelineRow& row, int first = 0);
RsvpRow RsvpFromRow(const pqxx::row& row, int first = 0);
RsvpRow RsvpFromRow(const hc::postgres::PipelineRow& row, int first = 0);

// SELECT ... FOR UPDATE of the event row: every change to an event's RSVPs or seat counts
// begins here (see event_store.cc). NOT_FOUND when there is no such event.
absl::StatusOr<LockedEvent> LockEvent(hc::postgres::Tx& tx, const std::string& event_id);
// LockEvent for a write on a member's behalf, in a pipelined transaction: queue the statement
// right after hc::identity::LockMemberSharedStatement (it also answers the tombstone check,
// one statement instead of two) and read its rows with ReadLockedEvent: FAILED_PRECONDITION
// for an erased member, NOT_FOUND when no event row came back (which may still be an erased
// member: ask hc::identity::IsErasedStatement then).
hc::postgres::Statement LockEventForMemberStatement(const std::string& event_id,
                                                    const std::string& member_id);
absl::StatusOr<LockedEvent> ReadLockedEvent(const hc::postgres::PipelineResult& rows);
// The member's going-or-waitlisted RSVP. Call after LockEvent, as its own statement.
std::optional<RsvpRow> ActiveRsvp(hc::postgres::Tx& tx, const std::string& event_id,
                                  const std::string& member_id);
hc::postgres::Statement ActiveRsvpStatement(const std::string& event_id,
                                            const std::string& member_id);
// The member's most recent RSVP of any status.
std::optional<RsvpRow> LatestRsvp(hc::postgres::Tx& tx, const std::string& event_id,
                                  const std::string& member_id);
// Moves the first in line to GOING while seats are free (domain::SeatsToPromote), records
// WaitlistPromoted for each in line order, and updates `event`'s counts in memory (the caller
// saves them). Requires the event's lock. Returns the promoted members, first in line first.
std::vector<std::string> PromoteWaitlisted(hc::postgres::Tx& tx, const facts::Recorder& recorder,
                                           domain::Event& event, domain::Time now);

}  // namespace events::storage

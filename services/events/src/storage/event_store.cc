// How the seat rules hold whatever the concurrency, at READ COMMITTED:
//
// Every transaction that changes an event's RSVPs or seat counts starts with
//   SELECT ... FROM events WHERE event_id = $1 FOR UPDATE
// so those transactions run one at a time per event. At READ COMMITTED each *statement* takes a
// fresh snapshot, and a transaction only gets the lock after the previous holder committed or
// rolled back; so every statement issued after the lock sees that holder's writes, and the
// locked row itself is re-read at its newest version. The counts we read, the decision
// domain::PlaceRsvp makes from them and the rows we write therefore form one serial history:
// no two RSVPs can take the last seat, and waitlist tickets (events.next_waitlist_seq) are
// handed out in lock order, which is the order of the line.
//
// This is why the member's existing RSVP is read by a statement of its own *after* the lock:
// joined into the locking SELECT, the rsvps side would come from the snapshot taken before the
// wait, and a duplicate RSVP committed meanwhile would go unseen.
//
// Backstops that hold even if a future path forgot the lock: the partial unique index
// rsvps_one_active (one going-or-waitlisted RSVP per member and event), rsvps_waitlist (one
// ticket per place in line) and the CHECK going_count <= capacity.
#include "services/events/src/storage/event_store.h"

#include <algorithm>

#include "libs/status/status.h"
#include "services/events/src/storage/rows.h"

namespace events::storage {
namespace {

using domain::Event;
using domain::RsvpStatus;

// Writes the event's seat counts and next ticket, as changed in memory under the lock.
void SaveCounts(hc::postgres::Tx& tx, const Event& e, int64_t next_waitlist_seq) {
  tx.exec_params(
      "UPDATE events SET going_count = $2, waitlist_count = $3, next_waitlist_seq = $4 "
      "WHERE event_id = $1",
      e.event_id, e.going_count, e.waitlist_count, next_waitlist_seq);
}

}  // namespace

absl::StatusOr<std::vector<Event>> EventStore::Create(
    const std::vector<domain::EventDetails>& occurrences, const std::string& created_by,
    const std::string& series_id, domain::Time now) {
  std::vector<Event> created;
  absl::Status status = pool_.InTransaction([&](hc::postgres::Tx& tx) -> absl::Status {
    created.clear();
    for (const auto& d : occurrences) {
      auto row = tx.exec_params1(
          std::string("INSERT INTO events (series_id, title, description, kind, starts_at, "
                      "ends_at, time_zone, venue, online_url, capacity, waitlist_enabled, "
                      "visibility, created_by, created_at, updated_at) "
                      "VALUES (NULLIF($1, '')::uuid, $2, $3, $4, ") +
              MsToTs("$5") + ", " + MsToTs("$6") +
              ", $7, $8, $9, $10, $11, $12, $13, " + MsToTs("$14") + ", " + MsToTs("$14") +
              ") RETURNING " + kEventColumns,
          series_id, d.title, d.description, static_cast<int>(d.kind), Ms(d.start), Ms(d.end),
          d.time_zone, d.venue, d.online_url, d.capacity, d.waitlist_enabled,
          static_cast<int>(d.visibility), created_by, Ms(now));
      created.push_back(EventFromRow(row).event);
      recorder_.EventPublished(tx, created.back());
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return created;
}

absl::StatusOr<Event> EventStore::Get(const std::string& event_id) {
  std::optional<Event> found;
  absl::Status status = pool_.InTransaction([&](hc::postgres::Tx& tx) {
    auto rows = tx.exec_params(
        std::string("SELECT ") + kEventColumns + " FROM events WHERE event_id = $1", event_id);
    if (!rows.empty()) found = EventFromRow(rows[0]).event;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!found) return absl::NotFoundError("no such event");
  return *found;
}

absl::StatusOr<RsvpResult> EventStore::Rsvp(const std::string& event_id,
                                            const std::string& member_id, domain::Time now) {
  RsvpResult result;
  absl::Status status = pool_.InTransaction([&](hc::postgres::Tx& tx) -> absl::Status {
    result = RsvpResult{};
    HC_ASSIGN_OR_RETURN(LockedEvent locked, LockEvent(tx, event_id));
    result.event = locked.event;
    if (auto active = ActiveRsvp(tx, event_id, member_id)) {
      result.rsvp = active->rsvp;
      return absl::OkStatus();
    }
    HC_ASSIGN_OR_RETURN(domain::Placement placement, domain::PlaceRsvp(locked.event, now));
    Event& e = result.event;
    domain::Rsvp& r = result.rsvp;
    r = {.event_id = event_id, .member_id = member_id, .created_at = now, .updated_at = now};
    if (placement == domain::Placement::kGoing) {
      r.status = RsvpStatus::kGoing;
      tx.exec_params("INSERT INTO rsvps (event_id, member_id, status, created_at, updated_at) "
                     "VALUES ($1, $2, 1, " + MsToTs("$3") + ", " + MsToTs("$3") + ")",
                     event_id, member_id, Ms(now));
      ++e.going_count;
    } else {
      r.status = RsvpStatus::kWaitlisted;
      tx.exec_params(
          "INSERT INTO rsvps (event_id, member_id, status, waitlist_seq, created_at, "
          "updated_at) VALUES ($1, $2, 2, $3, " + MsToTs("$4") + ", " + MsToTs("$4") + ")",
          event_id, member_id, locked.next_waitlist_seq, Ms(now));
      ++locked.next_waitlist_seq;
      // The newest ticket is the last in line.
      r.waitlist_position = ++e.waitlist_count;
    }
    SaveCounts(tx, e, locked.next_waitlist_seq);
    if (r.status == RsvpStatus::kGoing) {
      recorder_.RsvpConfirmed(tx, e, r);
    } else {
      recorder_.RsvpWaitlisted(tx, e, r);
    }
    result.changed = true;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<RsvpResult> EventStore::CancelRsvp(const std::string& event_id,
                                                  const std::string& member_id,
                                                  domain::Time now) {
  RsvpResult result;
  absl::Status status = pool_.InTransaction([&](hc::postgres::Tx& tx) -> absl::Status {
    result = RsvpResult{};
    HC_ASSIGN_OR_RETURN(LockedEvent locked, LockEvent(tx, event_id));
    result.event = locked.event;
    auto active = ActiveRsvp(tx, event_id, member_id);
    if (!active) {
      auto last = LatestRsvp(tx, event_id, member_id);
      if (!last) return absl::NotFoundError("no RSVP of yours for this event");
      result.rsvp = last->rsvp;
      return absl::OkStatus();
    }
    HC_RETURN_IF_ERROR(domain::CheckCancelRsvp(locked.event, now));
    const RsvpStatus previous = active->rsvp.status;
    tx.exec_params("UPDATE rsvps SET status = 3, updated_at = " + MsToTs("$2") +
                       " WHERE rsvp_id = $1",
                   active->rsvp_id, Ms(now));
    Event& e = result.event;
    if (previous == RsvpStatus::kGoing) {
      --e.going_count;
    } else {
      --e.waitlist_count;
    }
    recorder_.RsvpCancelled(tx, event_id, member_id, previous, facts::CancelReason::kMember, now);
    result.promoted_member_ids = PromoteWaitlisted(tx, recorder_, e, now);
    SaveCounts(tx, e, locked.next_waitlist_seq);
    result.rsvp = active->rsvp;
    result.rsvp.status = RsvpStatus::kCancelled;
    result.rsvp.waitlist_position = 0;
    result.rsvp.updated_at = now;
    result.changed = true;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

}  // namespace events::storage

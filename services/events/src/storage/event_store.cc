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

#include "libs/identity/identity.h"
#include "libs/outbox/outbox.h"
#include "libs/status/status.h"
#include "services/events/src/storage/rows.h"

namespace events::storage {
namespace {

using domain::Event;
using domain::RsvpStatus;

// Writes the event's seat counts and next ticket, as changed in memory under the lock.
void SaveCounts(hc::postgres::Tx& tx, const Event& e, int64_t next_waitlist_seq) {
  hc::postgres::ExecPrepared(
      tx,
      "UPDATE events SET going_count = $2, waitlist_count = $3, next_waitlist_seq = $4 "
      "WHERE event_id = $1",
      e.event_id, e.going_count, e.waitlist_count, next_waitlist_seq);
}

// A page of listings stays well inside the 1 MiB message limit whatever the events hold: a
// maximal event (4,000 four-byte characters of description and the rest) is about 20 KiB, so
// 100 of them would not fit; a page ends early, with a next page token, past this many bytes.
constexpr size_t kPageBytes = 512 * 1024;

// The bytes an event takes in a response, near enough: its texts and a bound for the rest.
size_t ApproxBytes(const Event& e) {
  return e.details.title.size() + e.details.description.size() + e.details.venue.size() +
         e.details.online_url.size() + e.details.time_zone.size() + 256;
}

}  // namespace

absl::StatusOr<std::vector<Event>> EventStore::Create(
    const std::vector<domain::EventDetails>& occurrences,
    const std::optional<domain::Recurrence>& recurrence, const std::string& created_by,
    domain::Time now) {
  std::vector<Event> created;
  absl::Status status = pool_.InTransaction([&](hc::postgres::Tx& tx) -> absl::Status {
    created.clear();
    // The creator is named in the rows: an erasure of the creator must see them.
    HC_RETURN_IF_ERROR(hc::identity::LockMemberForWrite(tx, created_by));
    std::string series_id;
    if (recurrence) {
      series_id =
          tx.exec_params1(
                "INSERT INTO series (frequency, occurrences, created_by, "
                "created_at) VALUES ($1, $2, $3, " +
                    MsToTs("$4") + ") RETURNING series_id::text",
                static_cast<int>(recurrence->frequency), recurrence->count, created_by, Ms(now))[0]
              .as<std::string>();
    }
    for (const auto& d : occurrences) {
      auto row = tx.exec_params1(
          std::string("INSERT INTO events AS e (series_id, title, description, kind, starts_at, "
                      "ends_at, time_zone, venue, online_url, capacity, waitlist_enabled, "
                      "visibility, created_by, created_at, updated_at) "
                      "VALUES (NULLIF($1, '')::uuid, $2, $3, $4, ") +
              MsToTs("$5") + ", " + MsToTs("$6") + ", $7, $8, $9, $10, $11, $12, $13, " +
              MsToTs("$14") + ", " + MsToTs("$14") + ") RETURNING " + kEventColumns,
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
        std::string("SELECT ") + kEventColumns + " FROM events e WHERE e.event_id = $1", event_id);
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
  // Two round trips (libs/postgres/pipeline.h): the locks and reads go out in one batch, the
  // writes with the COMMIT in another. Queued together, the statements still run one after
  // the other, each with a snapshot taken when it starts, so the order this file's header
  // argues from holds: the event's statement runs after the member's lock is granted (and
  // sees a tombstone committed before it), the RSVP read after the event's lock.
  absl::Status status = pool_.InPipeline([&](hc::postgres::PipelineTx& tx) -> absl::Status {
    result = RsvpResult{};
    // Member before event, always: an erasure holds the member's lock while it locks events.
    // The event's locking statement checks the member's tombstone too (libs/identity).
    tx.Queue(hc::identity::LockMemberSharedStatement(member_id));
    const size_t event = tx.Queue(LockEventForMemberStatement(event_id, member_id));
    const size_t active = tx.Queue(ActiveRsvpStatement(event_id, member_id));
    HC_RETURN_IF_ERROR(tx.Flush());
    absl::StatusOr<LockedEvent> read = ReadLockedEvent(tx.Result(event));
    if (absl::IsNotFound(read.status())) {
      // No event row to carry the answer: ask on its own, so an erased member still hears it.
      const size_t erased = tx.Queue(hc::identity::IsErasedStatement(member_id));
      HC_RETURN_IF_ERROR(tx.Flush());
      if (!tx.Result(erased).empty()) return hc::identity::ErasedError();
    }
    HC_ASSIGN_OR_RETURN(LockedEvent locked, std::move(read));
    result.event = locked.event;
    if (!tx.Result(active).empty()) {
      result.rsvp = RsvpFromRow(tx.Result(active)[0]).rsvp;
      return absl::OkStatus();
    }
    HC_ASSIGN_OR_RETURN(domain::Placement placement, domain::PlaceRsvp(locked.event, now));
    Event& e = result.event;
    domain::Rsvp& r = result.rsvp;
    r = {.event_id = event_id, .member_id = member_id, .created_at = now, .updated_at = now};
    // The new RSVP and the event's counts go in one statement: both were decided above under
    // the event's lock, and neither reads what the other writes. It and the fact go out with
    // the COMMIT.
    if (placement == domain::Placement::kGoing) {
      r.status = RsvpStatus::kGoing;
      ++e.going_count;
      tx.Queue(hc::postgres::MakeStatement(
          "WITH added AS (INSERT INTO rsvps (event_id, member_id, status, created_at, "
          "updated_at) VALUES ($1, $2, 1, " +
              MsToTs("$3") + ", " + MsToTs("$3") +
              ")) UPDATE events SET going_count = $4, waitlist_count = $5, "
              "next_waitlist_seq = $6 WHERE event_id = $1",
          event_id, member_id, Ms(now), e.going_count, e.waitlist_count, locked.next_waitlist_seq));
      tx.Queue(recorder_.RsvpConfirmed(e, r));
    } else {
      r.status = RsvpStatus::kWaitlisted;
      const int64_t ticket = locked.next_waitlist_seq++;
      // The newest ticket is the last in line.
      r.waitlist_position = ++e.waitlist_count;
      tx.Queue(hc::postgres::MakeStatement(
          "WITH added AS (INSERT INTO rsvps (event_id, member_id, status, waitlist_seq, "
          "created_at, updated_at) VALUES ($1, $2, 2, $3, " +
              MsToTs("$4") + ", " + MsToTs("$4") +
              ")) UPDATE events SET going_count = $5, waitlist_count = $6, "
              "next_waitlist_seq = $7 WHERE event_id = $1",
          event_id, member_id, ticket, Ms(now), e.going_count, e.waitlist_count,
          locked.next_waitlist_seq));
      tx.Queue(recorder_.RsvpWaitlisted(e, r));
    }
    result.changed = true;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<RsvpResult> EventStore::CancelRsvp(const std::string& event_id,
                                                  const std::string& member_id, domain::Time now) {
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
    tx.exec_params(
        "UPDATE rsvps SET status = 3, updated_at = " + MsToTs("$2") + " WHERE rsvp_id = $1",
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

absl::StatusOr<EventChangeResult> EventStore::Update(const std::string& event_id,
                                                     const domain::EventChanges& changes,
                                                     const domain::TimeZoneCatalog& zones,
                                                     domain::Time now) {
  EventChangeResult result;
  absl::Status status = pool_.InTransaction([&](hc::postgres::Tx& tx) -> absl::Status {
    result = EventChangeResult{};
    HC_ASSIGN_OR_RETURN(LockedEvent locked, LockEvent(tx, event_id));
    result.event = locked.event;
    Event& e = result.event;
    HC_ASSIGN_OR_RETURN(result.changed_fields, domain::ApplyChanges(e, changes, zones, now));
    if (result.changed_fields.empty()) return absl::OkStatus();
    const domain::EventDetails& d = e.details;
    ++e.sequence;
    e.updated_at = now;
    tx.exec_params("UPDATE events SET title = $2, description = $3, kind = $4, starts_at = " +
                       MsToTs("$5") + ", ends_at = " + MsToTs("$6") +
                       ", time_zone = $7, venue = $8, online_url = $9, capacity = $10, "
                       "waitlist_enabled = $11, visibility = $12, sequence = $13, "
                       "updated_at = " +
                       MsToTs("$14") + " WHERE event_id = $1",
                   event_id, d.title, d.description, static_cast<int>(d.kind), Ms(d.start),
                   Ms(d.end), d.time_zone, d.venue, d.online_url, d.capacity, d.waitlist_enabled,
                   static_cast<int>(d.visibility), e.sequence, Ms(now));
    recorder_.EventUpdated(tx, e, result.changed_fields);
    result.promoted_member_ids = PromoteWaitlisted(tx, recorder_, e, now);
    if (!result.promoted_member_ids.empty()) SaveCounts(tx, e, locked.next_waitlist_seq);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

bool EventStore::CancelLocked(hc::postgres::Tx& tx, Event& e, domain::Time now) {
  if (e.status == domain::EventStatus::kCancelled) return false;
  std::vector<std::string> affected;
  for (const auto& row : tx.exec_params("SELECT member_id::text FROM rsvps WHERE event_id = $1 "
                                        "AND status IN (1, 2) ORDER BY rsvp_id",
                                        e.event_id)) {
    affected.push_back(row[0].as<std::string>());
  }
  e.status = domain::EventStatus::kCancelled;
  ++e.sequence;
  e.updated_at = now;
  tx.exec_params("UPDATE events SET status = 2, sequence = $2, updated_at = " + MsToTs("$3") +
                     ", cancelled_at = " + MsToTs("$3") + " WHERE event_id = $1",
                 e.event_id, e.sequence, Ms(now));
  recorder_.EventCancelled(tx, e, affected, now);
  return true;
}

absl::StatusOr<EventChangeResult> EventStore::Cancel(const std::string& event_id,
                                                     domain::Time now) {
  EventChangeResult result;
  absl::Status status = pool_.InTransaction([&](hc::postgres::Tx& tx) -> absl::Status {
    result = EventChangeResult{};
    HC_ASSIGN_OR_RETURN(LockedEvent locked, LockEvent(tx, event_id));
    result.event = locked.event;
    if (CancelLocked(tx, result.event, now)) result.changed_fields = {"status"};
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<std::vector<std::string>> EventStore::CancelSeries(const std::string& series_id,
                                                                  domain::Time from,
                                                                  domain::Time now) {
  std::vector<std::string> cancelled;
  absl::Status status = pool_.InTransaction([&](hc::postgres::Tx& tx) -> absl::Status {
    cancelled.clear();
    if (tx.exec_params("SELECT 1 FROM series WHERE series_id = $1", series_id).empty()) {
      return absl::NotFoundError("no such series");
    }
    // Locked in event id order, like every path that locks more than one event.
    auto rows = tx.exec_params(std::string("SELECT ") + kEventColumns +
                                   " FROM events e WHERE e.series_id = $1 AND e.status = 1"
                                   " AND e.starts_at >= " +
                                   MsToTs("$2") + " AND e.starts_at > " + MsToTs("$3") +
                                   " ORDER BY e.event_id FOR UPDATE",
                               series_id, Ms(from), Ms(now));
    std::vector<Event> events;
    for (const auto& row : rows) events.push_back(EventFromRow(row).event);
    std::sort(events.begin(), events.end(),
              [](const Event& a, const Event& b) { return a.details.start < b.details.start; });
    for (Event& e : events) {
      if (CancelLocked(tx, e, now)) cancelled.push_back(e.event_id);
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return cancelled;
}

absl::StatusOr<EventPage> EventStore::List(const EventQuery& q) {
  EventPage page;
  std::string kinds = "{";
  for (size_t i = 0; i < q.kinds.size(); ++i) {
    if (i) kinds += ",";
    kinds += std::to_string(static_cast<int>(q.kinds[i]));
  }
  kinds += "}";
  // Bounds PostgreSQL can hold (its timestamps end in 294276 AD and start in 4713 BC): without
  // start_from the listing starts at the epoch, and `ends_at > now` keeps it to events that
  // have not ended, i.e. "from now", in progress included.
  constexpr int64_t kNoLowerBound = 0;
  constexpr int64_t kNoUpperBound = 253402300799000;  // 9999-12-31
  absl::Status status = pool_.InTransaction([&](hc::postgres::Tx& tx) {
    page = EventPage{};
    auto rows =
        tx.exec_params(std::string("SELECT ") + kEventColumns +
                           " FROM events e WHERE status = 1 AND ends_at > " + MsToTs("$1") +
                           " AND (cardinality($2::smallint[]) = 0 OR kind = ANY($2::smallint[]))"
                           " AND starts_at >= " +
                           MsToTs("$3") + " AND starts_at < " + MsToTs("$4") +
                           " AND ($5 OR visibility <> 3)"
                           " AND (NOT $6 OR (starts_at, event_id) > (" +
                           MsToTs("$7") +
                           ", $8::uuid))"
                           " ORDER BY starts_at, event_id LIMIT $9",
                       Ms(q.now), kinds, q.start_from ? Ms(*q.start_from) : kNoLowerBound,
                       q.start_before ? Ms(*q.start_before) : kNoUpperBound, q.include_unlisted,
                       q.after.has_value(), q.after ? Ms(q.after->start) : 0,
                       q.after ? q.after->id : std::string("00000000-0000-0000-0000-000000000000"),
                       q.page_size + 1);
    size_t bytes = 0;
    for (const auto& row : rows) {
      Event e = EventFromRow(row).event;
      bytes += ApproxBytes(e);
      if (static_cast<int>(page.events.size()) == q.page_size ||
          (!page.events.empty() && bytes > kPageBytes)) {
        const Event& last = page.events.back();
        page.next = Cursor{.start = last.details.start, .id = last.event_id};
        break;
      }
      page.events.push_back(std::move(e));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return page;
}

absl::StatusOr<MyRsvpPage> EventStore::ListMyRsvps(const MyRsvpQuery& q) {
  MyRsvpPage page;
  absl::Status status = pool_.InTransaction([&](hc::postgres::Tx& tx) {
    page = MyRsvpPage{};
    auto rows = tx.exec_params(
        std::string("SELECT ") + kRsvpColumns + ", " + kEventColumns +
            " FROM rsvps r JOIN events e ON e.event_id = r.event_id WHERE r.member_id = $1"
            " AND ($2 OR r.status IN (1, 2)) AND ($3 OR e.ends_at > " +
            MsToTs("$4") +
            ")"
            " AND (NOT $5 OR (e.starts_at, r.rsvp_id) > (" +
            MsToTs("$6") +
            ", $7::bigint))"
            " ORDER BY e.starts_at, r.rsvp_id LIMIT $8",
        q.member_id, q.include_cancelled, q.include_past, Ms(q.now), q.after.has_value(),
        q.after ? Ms(q.after->start) : 0, q.after ? q.after->id : std::string("0"),
        q.page_size + 1);
    int64_t last_rsvp_id = 0;
    size_t bytes = 0;
    for (const auto& row : rows) {
      Event e = EventFromRow(row, kRsvpColumnCount).event;
      bytes += ApproxBytes(e);
      if (static_cast<int>(page.rsvps.size()) == q.page_size ||
          (!page.rsvps.empty() && bytes > kPageBytes)) {
        page.next = Cursor{.start = page.rsvps.back().second.details.start,
                           .id = std::to_string(last_rsvp_id)};
        break;
      }
      RsvpRow r = RsvpFromRow(row);
      last_rsvp_id = r.rsvp_id;
      page.rsvps.emplace_back(std::move(r.rsvp), std::move(e));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return page;
}

absl::StatusOr<AttendeePage> EventStore::ListAttendees(const AttendeeQuery& q) {
  AttendeePage page;
  // One number orders the whole list: the status first, then RSVP order for the going and
  // cancelled, ticket order for the line.
  static constexpr char kSortKey[] =
      "(r.status::bigint << 40) + CASE WHEN r.status = 2 THEN r.waitlist_seq ELSE r.rsvp_id END";
  absl::Status status = pool_.InTransaction([&](hc::postgres::Tx& tx) -> absl::Status {
    page = AttendeePage{};
    if (tx.exec_params("SELECT 1 FROM events WHERE event_id = $1", q.event_id).empty()) {
      return absl::NotFoundError("no such event");
    }
    auto rows = tx.exec_params(std::string("SELECT ") + kRsvpColumns + ", " + kSortKey +
                                   " FROM rsvps r WHERE r.event_id = $1"
                                   " AND ($2 OR r.status IN (1, 2)) AND " +
                                   kSortKey + " > $3::bigint ORDER BY " + kSortKey + " LIMIT $4",
                               q.event_id, q.include_cancelled,
                               q.after ? q.after->id : std::string("0"), q.page_size + 1);
    std::string last_key;
    for (const auto& row : rows) {
      if (static_cast<int>(page.attendees.size()) == q.page_size) {
        page.next = Cursor{.start = {}, .id = last_key};
        break;
      }
      page.attendees.push_back(RsvpFromRow(row).rsvp);
      last_key = row[kRsvpColumnCount].as<std::string>();
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return page;
}

absl::StatusOr<RsvpResult> EventStore::CheckIn(const std::string& event_id,
                                               const std::string& member_id, bool undo,
                                               domain::Time now) {
  RsvpResult result;
  absl::Status status = pool_.InTransaction([&](hc::postgres::Tx& tx) -> absl::Status {
    result = RsvpResult{};
    HC_ASSIGN_OR_RETURN(LockedEvent locked, LockEvent(tx, event_id));
    result.event = locked.event;
    auto active = ActiveRsvp(tx, event_id, member_id);
    if (!active) return absl::NotFoundError("member_id: has no RSVP for this event");
    result.rsvp = active->rsvp;
    HC_RETURN_IF_ERROR(domain::CheckCheckIn(locked.event, active->rsvp));
    if (active->rsvp.checked_in_at.has_value() != undo) return absl::OkStatus();
    if (undo) {
      result.rsvp.checked_in_at.reset();
    } else {
      result.rsvp.checked_in_at = now;
    }
    result.rsvp.updated_at = now;
    tx.exec_params("UPDATE rsvps SET checked_in_at = CASE WHEN $2 THEN NULL ELSE " + MsToTs("$3") +
                       " END, updated_at = " + MsToTs("$3") + " WHERE rsvp_id = $1",
                   active->rsvp_id, undo, Ms(now));
    recorder_.AttendeeCheckedIn(tx, event_id, member_id, !undo, now);
    result.changed = true;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

std::vector<std::string> EventStore::EraseMemberIn(hc::postgres::Tx& tx,
                                                   const std::string& member_id, domain::Time now) {
  std::vector<std::string> touched;
  // Every event this erasure changes (those with the member's RSVPs and those they created) is
  // locked here, in event id order, before anything else: writers that lock several events
  // (CancelSeries) lock them in id order too, so nothing can deadlock with an erasure.
  tx.exec_params(
      "SELECT 1 FROM events WHERE event_id IN (SELECT event_id FROM rsvps WHERE member_id = "
      "$1::uuid AND status IN (1, 2)) OR created_by = $1::uuid::text ORDER BY event_id FOR UPDATE",
      member_id);
  auto events = tx.exec_params(
      "SELECT DISTINCT event_id::text FROM rsvps WHERE member_id = $1 AND status IN (1, 2) "
      "ORDER BY 1",
      member_id);
  for (const auto& row : events) {
    const std::string event_id = row[0].as<std::string>();
    absl::StatusOr<LockedEvent> locked = LockEvent(tx, event_id);
    if (!locked.ok()) continue;  // rsvps reference events: can't happen
    auto active = ActiveRsvp(tx, event_id, member_id);
    if (!active) continue;
    Event& e = locked->event;
    if (active->rsvp.status == RsvpStatus::kGoing) {
      --e.going_count;
    } else {
      --e.waitlist_count;
    }
    recorder_.RsvpCancelled(tx, event_id, member_id, active->rsvp.status,
                            facts::CancelReason::kMemberDeleted, now);
    // A cancelled event keeps its line as it was (nobody is going anyway), and so does one
    // that has started: a seat freed then is no invitation.
    if (e.status == domain::EventStatus::kScheduled && e.details.start > now) {
      PromoteWaitlisted(tx, recorder_, e, now);
    }
    SaveCounts(tx, e, locked->next_waitlist_seq);
    touched.push_back(event_id);
  }
  tx.exec_params("DELETE FROM rsvps WHERE member_id = $1", member_id);
  for (const auto& row :
       tx.exec_params("UPDATE events SET created_by = 'deleted-member' WHERE created_by = $1 "
                      "RETURNING event_id::text",
                      member_id)) {
    touched.push_back(row[0].as<std::string>());
  }
  tx.exec_params("UPDATE series SET created_by = 'deleted-member' WHERE created_by = $1",
                 member_id);
  // Last, so the RsvpCancelled facts above are covered too: they still go out, then go.
  hc::outbox::ForgetSubject(tx, member_id);
  return touched;
}

}  // namespace events::storage

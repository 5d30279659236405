#include "services/events/src/storage/rows.h"

#include <algorithm>

#include "libs/identity/identity.h"
#include "libs/ids/ids.h"

namespace events::storage {

using domain::Event;

// Qualified by the alias `e`: queries read events as `events e`.
const char kEventColumns[] =
    "e.event_id::text, COALESCE(e.series_id::text, ''), e.title, e.description, e.kind, "
    "(extract(epoch FROM e.starts_at) * 1000)::bigint, "
    "(extract(epoch FROM e.ends_at) * 1000)::bigint, e.time_zone, e.venue, e.online_url, "
    "e.capacity, e.waitlist_enabled, e.visibility, e.status, e.going_count, e.waitlist_count, "
    "e.sequence, e.created_by, (extract(epoch FROM e.created_at) * 1000)::bigint, "
    "(extract(epoch FROM e.updated_at) * 1000)::bigint, e.next_waitlist_seq";

// The place in line is the number of waitlisted tickets up to and including this one.
const char kRsvpColumns[] =
    "r.rsvp_id, r.event_id::text, r.member_id::text, r.status, "
    "CASE WHEN r.status = 2 THEN (SELECT count(*) FROM rsvps w WHERE w.event_id = r.event_id "
    "AND w.status = 2 AND w.waitlist_seq <= r.waitlist_seq) ELSE 0 END, "
    "(extract(epoch FROM r.checked_in_at) * 1000)::bigint, "
    "(extract(epoch FROM r.created_at) * 1000)::bigint, "
    "(extract(epoch FROM r.updated_at) * 1000)::bigint";

namespace {

template <typename Row>
EventRow EventFrom(const Row& row, int first) {
  auto at = [&](int i) { return row[first + i]; };
  EventRow out;
  Event& e = out.event;
  e.event_id = at(0).template as<std::string>();
  e.series_id = at(1).template as<std::string>();
  e.details.title = at(2).template as<std::string>();
  e.details.description = at(3).template as<std::string>();
  e.details.kind = static_cast<domain::EventKind>(at(4).template as<int>());
  e.details.start = FromMs(at(5).template as<int64_t>());
  e.details.end = FromMs(at(6).template as<int64_t>());
  e.details.time_zone = at(7).template as<std::string>();
  e.details.venue = at(8).template as<std::string>();
  e.details.online_url = at(9).template as<std::string>();
  e.details.capacity = at(10).template as<int>();
  e.details.waitlist_enabled = at(11).template as<bool>();
  e.details.visibility = static_cast<domain::Visibility>(at(12).template as<int>());
  e.status = static_cast<domain::EventStatus>(at(13).template as<int>());
  e.going_count = at(14).template as<int>();
  e.waitlist_count = at(15).template as<int>();
  e.sequence = at(16).template as<int>();
  e.created_by = at(17).template as<std::string>();
  e.created_at = FromMs(at(18).template as<int64_t>());
  e.updated_at = FromMs(at(19).template as<int64_t>());
  out.next_waitlist_seq = at(20).template as<int64_t>();
  return out;
}

template <typename Row>
RsvpRow RsvpFrom(const Row& row, int first) {
  auto at = [&](int i) { return row[first + i]; };
  RsvpRow out;
  out.rsvp_id = at(0).template as<int64_t>();
  domain::Rsvp& r = out.rsvp;
  r.event_id = at(1).template as<std::string>();
  r.member_id = at(2).template as<std::string>();
  r.status = static_cast<domain::RsvpStatus>(at(3).template as<int>());
  r.waitlist_position = at(4).template as<int>();
  if (!at(5).is_null()) r.checked_in_at = FromMs(at(5).template as<int64_t>());
  r.created_at = FromMs(at(6).template as<int64_t>());
  r.updated_at = FromMs(at(7).template as<int64_t>());
  return out;
}

}  // namespace

EventRow EventFromRow(const pqxx::row& row, int first) { return EventFrom(row, first); }
EventRow EventFromRow(const hc::postgres::PipelineRow& row, int first) {
  return EventFrom(row, first);
}
RsvpRow RsvpFromRow(const pqxx::row& row, int first) { return RsvpFrom(row, first); }
RsvpRow RsvpFromRow(const hc::postgres::PipelineRow& row, int first) {
  return RsvpFrom(row, first);
}

absl::StatusOr<LockedEvent> LockEvent(hc::postgres::Tx& tx, const std::string& event_id) {
  auto rows = hc::postgres::ExecPrepared(
      tx,
      std::string("SELECT ") + kEventColumns + " FROM events e WHERE e.event_id = $1 FOR UPDATE",
      event_id);
  if (rows.empty()) return absl::NotFoundError("no such event");
  return EventFromRow(rows[0]);
}

namespace {

// Built once: an RSVP sends both on every call.
const std::string& LockEventForMemberSql() {
  static const std::string sql = std::string("SELECT ") + kEventColumns + ", " +
                                 hc::identity::ErasedSql(2) +
                                 " FROM events e WHERE e.event_id = $1 FOR UPDATE";
  return sql;
}

const std::string& ActiveRsvpSql() {
  static const std::string sql =
      std::string("SELECT ") + kRsvpColumns +
      " FROM rsvps r WHERE r.event_id = $1 AND r.member_id = $2 AND r.status IN (1, 2)";
  return sql;
}

}  // namespace

hc::postgres::Statement LockEventForMemberStatement(const std::string& event_id,
                                                    const std::string& member_id) {
  return hc::postgres::MakeStatement(LockEventForMemberSql(), event_id,
                                     hc::ids::Canonical(member_id));
}

absl::StatusOr<LockedEvent> ReadLockedEvent(const hc::postgres::PipelineResult& rows) {
  if (rows.empty()) return absl::NotFoundError("no such event");
  if (rows[0][kEventColumnCount].as<bool>()) return hc::identity::ErasedError();
  return EventFromRow(rows[0]);
}

hc::postgres::Statement ActiveRsvpStatement(const std::string& event_id,
                                            const std::string& member_id) {
  return hc::postgres::MakeStatement(ActiveRsvpSql(), event_id, member_id);
}

std::optional<RsvpRow> ActiveRsvp(hc::postgres::Tx& tx, const std::string& event_id,
                                  const std::string& member_id) {
  auto rows = hc::postgres::ExecPrepared(tx, ActiveRsvpSql(), event_id, member_id);
  if (rows.empty()) return std::nullopt;
  return RsvpFromRow(rows[0]);
}

std::optional<RsvpRow> LatestRsvp(hc::postgres::Tx& tx, const std::string& event_id,
                                  const std::string& member_id) {
  auto rows =
      hc::postgres::ExecPrepared(tx,
                                 std::string("SELECT ") + kRsvpColumns +
                                     " FROM rsvps r WHERE r.event_id = $1 AND r.member_id = $2 "
                                     "ORDER BY r.rsvp_id DESC LIMIT 1",
                                 event_id, member_id);
  if (rows.empty()) return std::nullopt;
  return RsvpFromRow(rows[0]);
}

std::vector<std::string> PromoteWaitlisted(hc::postgres::Tx& tx, const facts::Recorder& recorder,
                                           Event& event, domain::Time now) {
  const int n =
      domain::SeatsToPromote(event.details.capacity, event.going_count, event.waitlist_count);
  if (n == 0) return {};
  auto rows = hc::postgres::ExecPrepared(
      tx,
      "WITH first_in_line AS (SELECT rsvp_id FROM rsvps WHERE event_id = $1 AND status = 2 "
      "ORDER BY waitlist_seq LIMIT $2) "
      "UPDATE rsvps r SET status = 1, updated_at = " +
          MsToTs("$3") +
          " FROM first_in_line f WHERE r.rsvp_id = f.rsvp_id "
          "RETURNING r.waitlist_seq, r.member_id::text",
      event.event_id, n, Ms(now));
  std::vector<std::pair<int64_t, std::string>> promoted;
  for (const auto& row : rows) {
    promoted.emplace_back(row[0].as<int64_t>(), row[1].as<std::string>());
  }
  std::sort(promoted.begin(), promoted.end());  // RETURNING has no order; the line does
  std::vector<std::string> members;
  for (auto& [seq, member_id] : promoted) {
    recorder.WaitlistPromoted(tx, event, member_id, now);
    members.push_back(std::move(member_id));
  }
  event.going_count += static_cast<int>(members.size());
  event.waitlist_count -= static_cast<int>(members.size());
  return members;
}

}  // namespace events::storage

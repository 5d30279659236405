// The hot queries of the four services and the seed that makes their plans meaningful.
//
// Where a store exports its statements (membership's directory search, RSVP's reads, SignUp's
// statements) or SQL pieces (events' kEventColumns, kRsvpColumns, MsToTs) they are used
// here. Elsewhere the stores build their statements inline from file-local pieces; the
// WHERE, ORDER BY and LIMIT below are copied from them verbatim (what the planner decides on),
// the SELECT lists are shortened where they do not change the plan. A store change to a hot
// statement must change it here too: see tests/explain/README.md.
#include "tests/explain/hot_queries.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "libs/outbox/outbox.h"
#include "services/events/src/storage/rows.h"
#include "services/membership/src/storage/member_store.h"
#include "services/volunteering/src/storage/role_store.h"

namespace hc::explain {
namespace {

using events::storage::kEventColumns;
using events::storage::kRsvpColumns;
using events::storage::MsToTs;

// The seeded community: this many members, events, roles, shifts; RSVPs, sign-ups, inbox
// items and deliveries a few times as many.
constexpr int kSeedMembers = 50000;

// The seed's ids: row i has the uuid whose last 12 hex digits are i (SQL side: U(i) below).
std::string Id(int i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "'00000000-0000-0000-0000-%012x'", i);
  return buf;
}
// An untyped literal, as libpqxx sends a parameter: PostgreSQL gives it the type the statement
// infers (uuid or text).
std::string IdText(int i) { return Id(i); }
std::string IdArray(int first, int count) {
  std::string out = "ARRAY[";
  for (int i = 0; i < count; ++i) out += (i ? "," : "") + Id(first + i) + "::uuid";
  return out + "]";
}

const std::string kNowMs = "(extract(epoch FROM now()) * 1000)::bigint";
const std::string kZeroId = "'00000000-0000-0000-0000-000000000000'";
// The 5,000-person event, the full shift, and a member with a typical history.
constexpr int kBigEvent = 25001;
constexpr int kFullShift = 25001;
constexpr int kMember = 4242;

std::string Epoch(const std::string& column) {
  return "(extract(epoch FROM " + column + ") * 1000)::bigint";
}

std::vector<HotQuery> Membership() {
  const std::string cols = "m.member_id::text, m.display_name, m.sobriety_sealed, m.version";
  // The store's own statement (exported), so this entry cannot drift.
  const std::string search = membership::storage::DirectorySearchSql(/*by_name=*/true);
  const std::string everyone = membership::storage::DirectorySearchSql(/*by_name=*/false);
  return {
      {"membership",
       "GetMember",
       "SELECT " + cols + " FROM members m WHERE member_id = $1 AND status = 1",
       {Id(kMember)}},
      {"membership",
       "RegisterMember (email taken?)",
       "SELECT 1 FROM members WHERE email_fingerprint = $1",
       {"decode(md5('email4242'), 'hex')"}},
      {"membership",
       "Consents",
       "SELECT channel, granted, " + Epoch("changed_at") +
           " FROM member_consents WHERE member_id = $1 ORDER BY channel",
       {Id(kMember)}},
      {"membership",
       "SearchDirectory (everyone, first page)",
       everyone,
       {"'%'", "''", "''", "''", "51"}},
      {"membership",
       "SearchDirectory (name prefix)",
       search,
       {"'member 42%'", "''", "''", "''", "51"},
       /*max_rows_removed=*/0},
      {"membership",
       "SearchDirectory (interest, next page)",
       everyone,
       {"'%'", "'hiking'", "'member 20000'", Id(20000), "51"}},
      {"membership",
       "SearchDirectory (name prefix, interest, next page)",
       search,
       {"'member 2%'", "'hiking'", "'member 2000'", Id(2000), "51"}},
      {"membership",
       "SearchDirectory (first-name prefix)",
       search,
       {"'first42%'", "''", "''", "''", "51"},
       /*max_rows_removed=*/0},
      {"membership",
       "AttendeeNames",
       "SELECT member_id::text, display_name, hide_name_in_lists FROM members "
       "WHERE member_id = ANY($1::uuid[]) AND status = 1",
       {IdArray(100, 100)}},
      {"membership",
       "Eligibility (recent checks)",
       "SELECT DISTINCT min_sober_days FROM access_audit WHERE member_id = $1 "
       "AND accessed_by = $2 AND what = 'eligibility' AND min_sober_days IS NOT NULL "
       "AND accessed_at > now() - interval '24 hours'",
       {Id(kMember), "'volunteering'"}},
      {"membership",
       "AccessLog",
       "SELECT id, accessed_by, purpose, what, " + Epoch("accessed_at") +
           " FROM access_audit "
           "WHERE member_id = $1 AND ($2 = 0 OR id < $2) AND what NOT LIKE 'refused %' "
           "ORDER BY id DESC LIMIT $3",
       {Id(kMember), "0", "51"}},
      {"membership",
       "MilestoneJob (candidates)",
       "SELECT member_id::text, sobriety_sealed, time_zone, "
       "(extract(epoch FROM coalesce(celebrating_since, now())) * 1000)::bigint "
       "FROM members WHERE status = 1 AND celebrate_milestones "
       "AND sobriety_sealed IS NOT NULL",
       {}},
      // libs/outbox, the same in every service.
      {"membership", "Outbox relay claim", outbox::ClaimSql(), {"500", "0"}},
      {"membership", "Outbox backlog gauge", outbox::GaugesSql(), {}},
      {"membership",
       "Outbox prune",
       "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox "
       "WHERE published_at < now() - make_interval(secs => $1) ORDER BY published_at LIMIT $2)",
       {"604800", "1000"}},
      {"membership",
       "Outbox erasure",
       "UPDATE outbox SET forget = true WHERE subjects @> ARRAY[lower($1)]",
       {IdText(kMember)}},
  };
}

std::vector<HotQuery> Events() {
  const std::string list_events =
      std::string("SELECT ") + kEventColumns + " FROM events e WHERE status = 1 AND ends_at > " +
      MsToTs("$1") + " AND (cardinality($2::smallint[]) = 0 OR kind = ANY($2::smallint[]))" +
      " AND starts_at >= " + MsToTs("$3") + " AND starts_at < " + MsToTs("$4") +
      " AND ($5 OR visibility <> 3)" + " AND (NOT $6 OR (starts_at, event_id) > (" + MsToTs("$7") +
      ", $8::uuid))" + " ORDER BY starts_at, event_id LIMIT $9";
  const std::string sort_key =
      "(r.status::bigint << 40) + CASE WHEN r.status = 2 THEN r.waitlist_seq ELSE r.rsvp_id END";
  return {
      {"events",
       "GetEvent",
       std::string("SELECT ") + kEventColumns + " FROM events e WHERE e.event_id = $1",
       {Id(kBigEvent)}},
      // RSVP's reads as the store sends them (exported, so these cannot drift).
      {"events",
       "LockEventForMember (RSVP)",
       events::storage::LockEventForMemberStatement("", "").sql,
       {Id(kBigEvent), IdText(kMember)}},
      {"events",
       "ActiveRsvp (RSVP)",
       events::storage::ActiveRsvpStatement("", "").sql,
       {Id(kBigEvent), Id(kMember)}},
      {"events",
       "ListEvents (from now)",
       list_events,
       {kNowMs, "'{}'", "0", "253402300799000", "false", "false", "0", kZeroId, "51"}},
      {"events",
       "ListEvents (kind, next page)",
       list_events,
       {kNowMs, "'{2}'", "0", "253402300799000", "false", "true", kNowMs + " + 86400000", Id(30000),
        "51"}},
      {"events",
       "ListMyRsvps",
       std::string("SELECT ") + kRsvpColumns + ", " + kEventColumns +
           " FROM rsvps r JOIN events e ON e.event_id = r.event_id WHERE r.member_id = $1"
           " AND ($2 OR r.status IN (1, 2)) AND ($3 OR e.ends_at > " +
           MsToTs("$4") + ")" + " AND (NOT $5 OR (e.starts_at, r.rsvp_id) > (" + MsToTs("$6") +
           ", $7::bigint))" + " ORDER BY e.starts_at, r.rsvp_id LIMIT $8",
       {Id(kMember), "false", "false", kNowMs, "false", "0", "'0'", "51"}},
      {"events",
       "ListAttendees (event exists)",
       "SELECT 1 FROM events WHERE event_id = $1",
       {Id(kBigEvent)}},
      {"events",
       "ListAttendees",
       std::string("SELECT ") + kRsvpColumns + ", " + sort_key +
           " FROM rsvps r WHERE r.event_id = $1 AND ($2 OR r.status IN (1, 2)) AND " + sort_key +
           " > $3::bigint ORDER BY " + sort_key + " LIMIT $4",
       {Id(kBigEvent), "false", "'0'", "101"}},
      {"events",
       "CancelEvent (attendees)",
       "SELECT member_id::text FROM rsvps WHERE event_id = $1 AND status IN (1, 2) ORDER BY "
       "member_id",
       {Id(kBigEvent)}},
      {"events",
       "EraseMember (lock events)",
       "SELECT 1 FROM events WHERE event_id IN (SELECT event_id FROM rsvps WHERE member_id = "
       "$1::uuid AND status IN (1, 2)) OR created_by = $1::uuid::text ORDER BY event_id FOR UPDATE",
       {IdText(kMember)}},
      {"events",
       "EraseMember (created events)",
       "UPDATE events SET created_by = 'deleted-member' WHERE created_by = $1",
       {IdText(kMember)}},
  };
}

std::vector<HotQuery> Volunteering() {
  const volunteering::storage::SignUpSql& signup = volunteering::storage::SignUpStatements();
  const std::string role_cols = "r.role_id::text, r.title, r.status, " + Epoch("r.created_at");
  const std::string shift_cols = "s.shift_id::text, s.role_id::text, " + Epoch("s.starts_at");
  const std::string listed_shift = "s.status = 1 AND s.ends_at > " + MsToTs("$1") +
                                   " AND ($2::bigint IS NULL OR s.starts_at >= " + MsToTs("$2") +
                                   ") AND ($3::bigint IS NULL OR s.starts_at < " + MsToTs("$3") +
                                   ")";
  const std::string list_roles =
      "SELECT " + role_cols +
      " FROM roles r WHERE r.status = 1 AND ($4 = '' OR r.tags @> ARRAY[$4]) AND "
      "(NOT $5 OR (r.created_at, r.role_id) < (" +
      MsToTs("$6") +
      ", $7::uuid)) AND (($2::bigint IS NULL AND $3::bigint IS NULL) OR EXISTS (SELECT 1 "
      "FROM shifts s WHERE s.role_id = r.role_id AND " +
      listed_shift + ")) ORDER BY r.created_at DESC, r.role_id DESC LIMIT $8";
  return {
      {"volunteering",
       "GetRole",
       "SELECT " + role_cols + " FROM roles r WHERE r.role_id = $1",
       {Id(kMember)}},
      {"volunteering",
       "GetRole (shifts)",
       "SELECT " + shift_cols + " FROM shifts s WHERE s.role_id = $1 ORDER BY s.ends_at <= " +
           MsToTs("$2") + ", CASE WHEN s.ends_at > " + MsToTs("$2") +
           " THEN s.starts_at END, s.ends_at DESC, s.shift_id LIMIT 200",
       {Id(kMember), kNowMs}},
      {"volunteering",
       "ListRoles (open, first page)",
       list_roles,
       {kNowMs, "NULL", "NULL", "''", "false", "0", kZeroId, "51"}},
      {"volunteering",
       "ListRoles (tag, date range)",
       list_roles,
       {kNowMs, kNowMs, kNowMs + " + 7 * 86400000", "'hiking'", "false", "0", kZeroId, "51"}},
      {"volunteering",
       "ListRoles (page's shifts)",
       "SELECT " + shift_cols +
           " FROM (SELECT s.*, row_number() OVER (PARTITION BY s.role_id ORDER BY "
           "s.starts_at, s.shift_id) AS n FROM shifts s WHERE s.role_id = ANY($4::uuid[]) AND " +
           listed_shift + ") s WHERE s.n <= $5 ORDER BY s.role_id, s.starts_at, s.shift_id",
       {kNowMs, "NULL", "NULL", IdArray(1, 50), "3"}},
      // SignUp's statements as the store sends them (exported, so these cannot drift).
      {"volunteering", "RoleOfShift (SignUp)", signup.role_of_shift, {Id(kFullShift)}},
      {"volunteering",
       "Tombstone, role and member-and-role lock (SignUp)",
       signup.check_and_lock,
       {Id(kFullShift), IdText(kMember), "1"}},
      {"volunteering", "LockRole (SignUp)", signup.lock_role, {Id(kFullShift)}},
      {"volunteering", "LockShift (SignUp, Withdraw)", signup.lock_shift, {Id(kFullShift)}},
      {"volunteering",
       "Latest sign-up and shifts held in the role (SignUp)",
       signup.latest,
       {Id(kFullShift), Id(kMember), kNowMs}},
      {"volunteering",
       "Insert with the counts (SignUp)",
       signup.insert,
       {Id(kFullShift), Id(kFullShift), Id(kMember), "1", "0", kNowMs, "1", "0", "1", "0"}},
      {"volunteering",
       "FindSignup (Withdraw, Approve)",
       "SELECT g.signup_id, g.status, " + Epoch("g.created_at") + ", " + Epoch("g.updated_at") +
           ", CASE WHEN g.status = 2 THEN (SELECT count(*) FROM signups w WHERE w.shift_id = "
           "g.shift_id AND w.status = 2 AND w.waitlist_seq <= g.waitlist_seq) ELSE 0 END "
           "FROM signups g WHERE g.shift_id = $1 AND g.member_id = $2 ORDER BY g.signup_id DESC "
           "LIMIT 1",
       {Id(kFullShift), Id(kMember)}},
      {"volunteering",
       "ListMySignups",
       "SELECT " + shift_cols + ", r.title, g.signup_id, g.status, " + Epoch("g.created_at") +
           ", CASE WHEN g.status = 2 THEN (SELECT count(*) FROM signups w WHERE w.shift_id = "
           "g.shift_id AND w.status = 2 AND w.waitlist_seq <= g.waitlist_seq) ELSE 0 END "
           "FROM signups g JOIN shifts s ON s.shift_id = g.shift_id JOIN roles r ON r.role_id "
           "= g.role_id WHERE g.member_id = $1 AND ($2 OR g.status IN (1, 2, 4)) AND (NOT $3 OR "
           "(s.starts_at, g.signup_id) > (" +
           MsToTs("$4") + ", $5::bigint)) AND ($7 OR s.ends_at > " + MsToTs("$8") +
           ") ORDER BY s.starts_at, g.signup_id LIMIT $6",
       {Id(kMember), "false", "false", "0", "0", "51", "false", kNowMs}},
      {"volunteering",
       "ListVolunteers",
       "SELECT v.grp, v.k, v.member_id, v.status, v.pos FROM (SELECT "
       "CASE g.status WHEN 1 THEN 1 WHEN 2 THEN 2 ELSE 3 END AS grp, CASE WHEN g.status = 2 "
       "THEN g.waitlist_seq ELSE g.signup_id END AS k, g.member_id::text AS member_id, "
       "g.status, CASE WHEN g.status = 2 THEN row_number() OVER (PARTITION BY g.status "
       "ORDER BY g.waitlist_seq) ELSE 0 END AS pos FROM signups g WHERE g.shift_id = $1 "
       "AND g.status IN (1, 2, 4)) v WHERE (v.grp, v.k) > ($2, $3::bigint) "
       "ORDER BY v.grp, v.k LIMIT $4",
       {Id(kFullShift), "0", "0", "101"}},
      {"volunteering",
       "Roles of an event",
       "SELECT role_id FROM roles WHERE event_id = $1 ORDER BY role_id FOR SHARE",
       {Id(2)}},
      {"volunteering",
       "EraseMember (signed-up shifts)",
       "SELECT DISTINCT shift_id::text FROM signups WHERE member_id = $1 AND status IN (1, 2, 4) "
       "ORDER BY 1",
       {Id(kMember)}},
      {"volunteering",
       "EraseMember (created roles)",
       "UPDATE roles SET created_by = 'deleted-member' WHERE role_id IN (SELECT role_id FROM "
       "roles WHERE created_by = $1 ORDER BY role_id FOR UPDATE) RETURNING role_id::text",
       {IdText(kMember)}},
  };
}

std::vector<HotQuery> Notifications() {
  const std::string item_cols = "item_id::text, member_id, kind, " + Epoch("created_at");
  const std::string digest_due = "status = 'digested' AND due_at <= " + MsToTs("$1") +
                                 " AND (lease_until IS NULL OR lease_until <= " + MsToTs("$1") +
                                 ") AND channel = 'email'";
  return {
      {"notifications",
       "ListInbox (first page)",
       "SELECT " + item_cols +
           " FROM inbox_items WHERE member_id = $1 ORDER BY created_at DESC, item_id DESC LIMIT $2",
       {IdText(kMember), "50"}},
      {"notifications",
       "ListInbox (unread, next page)",
       "SELECT " + item_cols +
           " FROM inbox_items WHERE member_id = $1 AND read_at IS NULL AND (created_at, item_id) "
           "< (" +
           MsToTs("$2") + ", $3::uuid) ORDER BY created_at DESC, item_id DESC LIMIT $4",
       {IdText(kMember), kNowMs, kZeroId, "50"}},
      {"notifications",
       "UnreadCount",
       "SELECT count(*) FROM inbox_items WHERE member_id = $1 AND read_at IS NULL",
       {IdText(kMember)}},
      {"notifications",
       "WatchInbox (new items)",
       "SELECT " + item_cols +
           " FROM inbox_items WHERE member_id = $1 AND created_at >= " + MsToTs("$2") +
           " AND NOT (item_id = ANY(string_to_array($3, ',')::uuid[])) "
           "ORDER BY created_at, item_id LIMIT $4",
       {IdText(kMember), kNowMs + " - 60000", "''", "50"}},
      {"notifications",
       "Preferences",
       "SELECT time_zone, role_suggestions FROM preferences WHERE member_id = $1",
       {IdText(kMember)}},
      {"notifications",
       "Delivery claim (poller)",
       "UPDATE deliveries SET status = 'sending', lease_until = " + MsToTs("$3") +
           ", updated_at = " + MsToTs("$2") +
           " WHERE delivery_id IN (SELECT delivery_id FROM deliveries WHERE channel = $1 AND ("
           "(status IN ('queued', 'held') AND due_at <= " +
           MsToTs("$2") + ") OR (status = 'sending' AND lease_until <= " + MsToTs("$2") +
           ")) ORDER BY due_at, created_at LIMIT $4 FOR UPDATE SKIP LOCKED) "
           "RETURNING delivery_id::text",
       {"'email'", kNowMs, kNowMs + " + 60000", "50"}},
      {"notifications",
       "Digest claim (poller, members)",
       "SELECT DISTINCT member_id FROM (SELECT member_id FROM deliveries WHERE " + digest_due +
           " ORDER BY due_at LIMIT 16) m",
       {kNowMs}},
      {"notifications",
       "Digest claim (poller, a member's)",
       "UPDATE deliveries SET lease_until = " + MsToTs("$3") + ", updated_at = " + MsToTs("$1") +
           " WHERE delivery_id IN (SELECT delivery_id FROM deliveries WHERE member_id = $2 AND " +
           digest_due +
           " ORDER BY created_at LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING "
           "delivery_id::text",
       {kNowMs, IdText(kMember), kNowMs + " + 60000", "50"}},
      {"notifications",
       "SentSince (rate limit)",
       "SELECT count(*) FROM deliveries WHERE member_id = $1 AND channel = $2 AND status = "
       "'sent' AND sent_at > " +
           MsToTs("$3"),
       {IdText(kMember), "'email'", kNowMs + " - 86400000"}},
      {"notifications",
       "Reminders due (poller)",
       "SELECT subject_kind, subject_id::text, member_id, kind FROM reminders WHERE status = "
       "'pending' AND due_at <= " +
           MsToTs("$1") + " ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED",
       {kNowMs, "100"}},
      {"notifications",
       "Reminders due (gauge)",
       "SELECT count(*) FROM reminders WHERE status = 'pending' AND due_at <= " + MsToTs("$1"),
       {kNowMs}},
      {"notifications",
       "Reminders of an attendee",
       "SELECT kind, status = 'sent' FROM reminders WHERE subject_kind = $1 AND subject_id = "
       "$2::uuid AND member_id = $3",
       {"'event'", Id(kBigEvent), IdText(kMember)}},
      {"notifications",
       "Attendees of a subject",
       "SELECT member_id FROM attendance WHERE subject_kind = $1 AND subject_id = $2::uuid AND "
       "status = 'going' ORDER BY member_id",
       {"'event'", Id(kBigEvent)}},
      {"notifications",
       "Role fan-out (interested members)",
       "SELECT DISTINCT i.member_id FROM member_interests i "
       "JOIN preferences p ON p.member_id = i.member_id AND p.role_suggestions "
       "WHERE i.tag = ANY($1::text[]) ORDER BY i.member_id",
       {"'{yoga}'"}},
      {"notifications",
       "Consents",
       "SELECT channel, granted FROM consents WHERE member_id = $1",
       {IdText(kMember)}},
      {"notifications",
       "EraseMember (deliveries naming them)",
       "UPDATE deliveries SET other_member_id = NULL WHERE other_member_id = $1",
       {IdText(kMember)}},
  };
}

// U(i): the seed's uuid of row i (Id(i) on the C++ side). N: kSeedMembers.
std::string Expand(std::string sql) {
  return absl::StrReplaceAll(sql,
                             {{"U(", "pg_temp.hc_seed_id("}, {"$N", std::to_string(kSeedMembers)}});
}

const char kSeedFunction[] = R"sql(
CREATE FUNCTION pg_temp.hc_seed_id(i bigint) RETURNS uuid LANGUAGE sql IMMUTABLE
  AS $$ SELECT lpad(to_hex(i), 32, '0')::uuid $$;
-- Membership's catalogue of interest tags (migration 0007): each about 5 % of the community.
CREATE FUNCTION pg_temp.hc_seed_tags() RETURNS text[] LANGUAGE sql IMMUTABLE
  AS $$ SELECT ARRAY['art', 'cooking', 'crafts', 'faith', 'film', 'fitness', 'games',
                     'gardening', 'hiking', 'meditation', 'music', 'outdoors', 'parenting',
                     'peer-support', 'reading', 'running', 'sports', 'volunteering', 'writing',
                     'yoga'] $$;
)sql";

const char kMembershipSeed[] = R"sql(
INSERT INTO members (member_id, first_name, last_name, display_name, email_fingerprint,
                     interests, time_zone, directory_visibility, visible_fields,
                     celebrate_milestones, sobriety_sealed, celebrating_since)
SELECT U(i), 'First' || i, 'Last' || i, 'Member ' || i, decode(md5('email' || i), 'hex'),
       ARRAY[(pg_temp.hc_seed_tags())[1 + i % 20]], 'UTC',
       CASE WHEN i % 3 = 0 THEN 1 ELSE 2 END, '{1,2}', i % 20 = 0,
       CASE WHEN i % 20 = 0 THEN decode(md5('s' || i), 'hex') END,
       CASE WHEN i % 20 = 0 THEN now() - interval '30 days' END
FROM generate_series(1, $N) i;
INSERT INTO member_consents (member_id, channel, granted)
SELECT U(i), c, true FROM generate_series(1, $N) i, generate_series(1, 2) c;
INSERT INTO access_audit (member_id, accessed_by, purpose, what, accessed_at, min_sober_days)
SELECT U(1 + i % $N), 'volunteering', 'p', CASE WHEN i % 2 = 0 THEN 'eligibility' ELSE 'profile' END,
       now() - (i % 1000) * interval '1 hour', 30
FROM generate_series(1, 2 * $N) i;
INSERT INTO member_milestones (member_id, milestone) SELECT U(i), '30d' FROM generate_series(1, $N) i;
INSERT INTO outbox (topic, msg_key, ce_type, payload, published_at, subjects)
SELECT 'alumni.membership.v1', 'k' || i % 5000, 't', '\x00', CASE WHEN i <= $N - 100 THEN now() END,
       ARRAY[lower(U(i)::text)]
FROM generate_series(1, $N) i;
)sql";

const char kEventsSeed[] = R"sql(
INSERT INTO events (event_id, title, kind, starts_at, ends_at, time_zone, capacity,
                    waitlist_enabled, visibility, created_by, created_at, updated_at)
SELECT U(i), 'Event ' || i, 1 + i % 3, now() + (i - $N / 2) * interval '1 hour',
       now() + (i - $N / 2) * interval '1 hour' + interval '2 hours', 'UTC', 10000, true,
       CASE WHEN i % 10 = 0 THEN 3 ELSE 1 END, U(1 + (i * 13) % $N)::text, now(), now()
FROM generate_series(1, $N) i;
INSERT INTO rsvps (event_id, member_id, status, created_at, updated_at)
SELECT U(25001), U(i), 1, now(), now() FROM generate_series(1, 5000) i;
INSERT INTO rsvps (event_id, member_id, status, created_at, updated_at)
SELECT U(1 + i % $N), U(1 + (i * 7) % $N), CASE WHEN i % 10 = 0 THEN 3 ELSE 1 END, now(), now()
FROM generate_series(1, 2 * $N) i ON CONFLICT DO NOTHING;
)sql";

const char kVolunteeringSeed[] = R"sql(
INSERT INTO roles (role_id, title, tags, max_shifts_per_person, status, created_by, created_at,
                   updated_at, event_id)
SELECT U(i), 'Role ' || i, ARRAY[(pg_temp.hc_seed_tags())[1 + i % 20]], 5,
       CASE WHEN i % 5 = 0 THEN 2 ELSE 1 END, U(1 + (i * 13) % $N)::text,
       now() - i * interval '1 minute', now(), CASE WHEN i % 2 = 0 THEN U(i) END
FROM generate_series(1, $N) i;
INSERT INTO shifts (shift_id, role_id, starts_at, ends_at, time_zone, slots, created_at, updated_at)
SELECT U(i), U(1 + i % $N), now() + (i - $N / 2) * interval '1 hour',
       now() + (i - $N / 2) * interval '1 hour' + interval '2 hours', 'UTC', 500, now(), now()
FROM generate_series(1, $N) i;
INSERT INTO signups (shift_id, role_id, member_id, status, created_at, updated_at)
SELECT U(25001), U(25002), U(i), 1, now(), now() FROM generate_series(1, 500) i;
INSERT INTO signups (shift_id, role_id, member_id, status, created_at, updated_at)
SELECT U(1 + i % $N), U(1 + (1 + i % $N) % $N), U(1 + (i * 7) % $N),
       CASE WHEN i % 10 = 0 THEN 3 ELSE 1 END, now(), now()
FROM generate_series(1, 2 * $N) i ON CONFLICT DO NOTHING;
INSERT INTO event_starts (event_id, starts_at, sequence, updated_at)
SELECT U(i), now(), 0, now() FROM generate_series(1, $N) i;
)sql";

const char kNotificationsSeed[] = R"sql(
INSERT INTO preferences (member_id, time_zone, enabled, digest, quiet_start_minute,
                         quiet_end_minute, role_suggestions, updated_at)
SELECT U(i)::text, 'UTC', '{}', '{}', 0, 0, i % 10 = 0, now() FROM generate_series(1, $N) i;
INSERT INTO consents (member_id, channel, granted, changed_at)
SELECT U(i)::text, 'email', true, now() FROM generate_series(1, $N) i;
INSERT INTO inbox_items (item_id, member_id, dedupe_key, category, kind, created_at, read_at)
SELECT U(i), U(1 + i % $N)::text, 'k' || i, 'events', 'rsvp_confirmed',
       now() - i * interval '1 minute', CASE WHEN i % 3 = 0 THEN now() END
FROM generate_series(1, 2 * $N) i;
INSERT INTO deliveries (delivery_id, member_id, channel, category, kind, dedupe_key, status,
                        due_at, created_at, updated_at, sent_at, other_member_id)
SELECT U(i), U(1 + i % $N)::text, CASE WHEN i % 2 = 0 THEN 'email' ELSE 'sms' END, 'events',
       'rsvp_confirmed', 'd' || i,
       CASE WHEN i % 100 = 0 THEN 'queued' WHEN i % 100 = 1 THEN 'digested' ELSE 'sent' END,
       now() + (i % 100 - 50) * interval '1 minute', now(), now(),
       CASE WHEN i % 100 > 1 THEN now() - (i % 1000) * interval '1 hour' END,
       CASE WHEN i % 50 = 0 THEN U(1 + (i * 3) % $N)::text END
FROM generate_series(1, 2 * $N) i;
INSERT INTO attendance (subject_kind, subject_id, member_id, status, start_time)
SELECT 'event', U(25001), U(i)::text, 'going', now() + interval '1 day'
FROM generate_series(1, 5000) i;
INSERT INTO attendance (subject_kind, subject_id, member_id, status, start_time)
SELECT 'event', U(1 + i % $N), U(1 + (i * 7) % $N)::text, 'going', now() + interval '1 day'
FROM generate_series(1, $N) i ON CONFLICT DO NOTHING;
INSERT INTO reminders (subject_kind, subject_id, member_id, kind, start_time, due_at, status)
SELECT 'event', U(1 + i % $N), U(1 + (i * 7) % $N)::text, 'day_before', now() + interval '1 day',
       now() + (i % 1000 - 10) * interval '1 minute',
       CASE WHEN i % 50 = 0 THEN 'pending' ELSE 'sent' END
FROM generate_series(1, $N) i ON CONFLICT DO NOTHING;
INSERT INTO member_interests (member_id, tag)
SELECT U(i)::text, (pg_temp.hc_seed_tags())[1 + i % 20]
FROM generate_series(1, $N) i;
)sql";

}  // namespace

const std::vector<HotQuery>& HotQueries() {
  static const std::vector<HotQuery> kAll = [] {
    std::vector<HotQuery> all;
    for (auto part : {Membership(), Events(), Volunteering(), Notifications()}) {
      all.insert(all.end(), part.begin(), part.end());
    }
    return all;
  }();
  return kAll;
}

std::string SeedSql(const std::string& service) {
  std::string body;
  if (service == "membership") body = kMembershipSeed;
  if (service == "events") body = kEventsSeed;
  if (service == "volunteering") body = kVolunteeringSeed;
  if (service == "notifications") body = kNotificationsSeed;
  return kSeedFunction + Expand(body);
}

}  // namespace hc::explain

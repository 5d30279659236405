#include "services/membership/src/storage/member_store.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "services/membership/src/events/member_events.h"

namespace membership::storage {
namespace {

using domain::Member;

constexpr char kColumns[] =
    "member_id::text, first_name, last_name, display_name, email, phone, program, "
    "COALESCE(to_char(sobriety_date, 'YYYY-MM-DD'), ''), array_to_json(interests)::text, "
    "time_zone, array_to_json(roles)::text, status, "
    "(extract(epoch FROM created_at) * 1000)::bigint, "
    "(extract(epoch FROM updated_at) * 1000)::bigint, version";

std::string DateText(const std::optional<domain::Date>& d) {
  if (!d) return "";
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", d->year, d->month, d->day);
  return buf;
}

// A PostgreSQL array literal of text values, quoted and escaped.
std::string TextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

Member FromRow(const pqxx::row& row) {
  Member m;
  m.member_id = row[0].as<std::string>();
  m.first_name = row[1].as<std::string>();
  m.last_name = row[2].as<std::string>();
  m.display_name = row[3].as<std::string>();
  m.email = row[4].as<std::string>();
  m.phone = row[5].as<std::string>();
  m.program = static_cast<domain::Program>(row[6].as<int>());
  const std::string date = row[7].as<std::string>();
  if (!date.empty()) {
    domain::Date d;
    std::sscanf(date.c_str(), "%d-%d-%d", &d.year, &d.month, &d.day);
    m.sobriety_date = d;
  }
  m.interests = nlohmann::json::parse(row[8].as<std::string>()).get<std::vector<std::string>>();
  m.time_zone = row[9].as<std::string>();
  for (int role : nlohmann::json::parse(row[10].as<std::string>()).get<std::vector<int>>()) {
    m.roles.push_back(static_cast<domain::Role>(role));
  }
  m.status = static_cast<domain::MemberStatus>(row[11].as<int>());
  m.created_at_ms = row[12].as<int64_t>();
  m.updated_at_ms = row[13].as<int64_t>();
  m.version = row[14].as<int64_t>();
  return m;
}

}  // namespace

absl::StatusOr<Member> MemberStore::Register(const domain::NewMember& n) {
  Member created;
  absl::Status status = pool_.InTransaction([&](hc::postgres::Tx& tx) -> absl::Status {
    const std::string email = domain::NormalizeEmail(n.email);
    // Checked first so the common case gets a precise error; the unique index still decides.
    if (!tx.exec_params("SELECT 1 FROM members WHERE email = $1", email).empty()) {
      return absl::AlreadyExistsError("email: a member with this email already exists");
    }
    auto row = tx.exec_params1(
        std::string("INSERT INTO members (first_name, last_name, display_name, email, phone, "
                    "program, sobriety_date, interests, time_zone) "
                    "VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7, '')::date, $8::text[], $9) "
                    "RETURNING ") + kColumns,
        n.first_name, n.last_name, domain::DefaultDisplayName(n.first_name, n.last_name), email,
        n.phone, static_cast<int>(n.program), DateText(n.sobriety_date), TextArray(n.interests),
        n.time_zone);
    created = FromRow(row);
    events::AppendMemberRegistered(tx, created);
    return absl::OkStatus();
  });
  if (status.code() == absl::StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError("email: a member with this email already exists");
  }
  if (!status.ok()) return status;
  return created;
}

absl::StatusOr<Member> MemberStore::Get(const std::string& member_id) {
  std::optional<Member> found;
  absl::Status status = pool_.InTransaction([&](hc::postgres::Tx& tx) {
    auto rows = tx.exec_params(
        std::string("SELECT ") + kColumns + " FROM members WHERE member_id = $1 AND status = 1",
        member_id);
    if (!rows.empty()) found = FromRow(rows[0]);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!found) return absl::NotFoundError("no such member");
  return *found;
}

absl::StatusOr<Member> MemberStore::UpdateProfile(const std::string& member_id,
                                                  const domain::ProfileChanges& changes) {
  Member updated;
  absl::Status status = pool_.InTransaction([&](hc::postgres::Tx& tx) -> absl::Status {
    auto rows = tx.exec_params(std::string("SELECT ") + kColumns +
                                   " FROM members WHERE member_id = $1 AND status = 1 FOR UPDATE",
                               member_id);
    if (rows.empty()) return absl::NotFoundError("no such member");
    updated = FromRow(rows[0]);
    std::vector<std::string> changed = domain::ApplyChanges(updated, changes);
    if (changed.empty()) return absl::OkStatus();
    auto row = tx.exec_params1(
        std::string("UPDATE members SET first_name = $2, last_name = $3, display_name = $4, "
                    "phone = $5, program = $6, sobriety_date = NULLIF($7, '')::date, "
                    "interests = $8::text[], time_zone = $9, updated_at = now(), "
                    "version = version + 1 WHERE member_id = $1 RETURNING ") + kColumns,
        member_id, updated.first_name, updated.last_name, updated.display_name, updated.phone,
        static_cast<int>(updated.program), DateText(updated.sobriety_date),
        TextArray(updated.interests), updated.time_zone);
    updated = FromRow(row);
    events::AppendMemberProfileUpdated(tx, updated, changed);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return updated;
}

}  // namespace membership::storage

#include "services/edge/src/session/store.h"

#include "libs/ids/ids.h"
#include "nlohmann/json.hpp"
#include "services/edge/src/session/secrets.h"

const std::vector<hc::postgres::Migration>& edge_session_migrations();

namespace edge::session {
namespace {

using hc::postgres::Tx;

pqxx::binarystring Binary(const std::string& bytes) {
  return pqxx::binarystring(bytes.data(), bytes.size());
}

std::string TextArray(const std::vector<std::string>& values) {
  // Role names are fixed lower-case words; quote anyway so the literal is always well formed.
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::chrono::system_clock::time_point FromMillis(int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

constexpr char kSessionColumns[] =
    "id::text, member_id::text, array_to_json(roles)::text, csrf_token, "
    "(extract(epoch FROM expires_at) * 1000)::bigint";

Session FromRow(const pqxx::row& row) {
  Session s;
  s.id = row[0].as<std::string>();
  s.member_id = row[1].as<std::string>();
  s.roles = nlohmann::json::parse(row[2].as<std::string>()).get<std::vector<std::string>>();
  s.csrf_token = row[3].as<std::string>();
  s.expires_at = FromMillis(row[4].as<int64_t>());
  return s;
}

}  // namespace

absl::Status SessionStore::CreateLink(const std::string& secret_hash, const std::string& member_id,
                                      std::chrono::seconds ttl) {
  return pool_.InTransaction([&](Tx& tx) {
    tx.exec_params(
        "INSERT INTO sign_in_links (secret_hash, member_id, expires_at) "
        "VALUES ($1, $2::uuid, now() + make_interval(secs => $3))",
        Binary(secret_hash), member_id, static_cast<double>(ttl.count()));
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<std::string>> SessionStore::ConsumeLink(
    const std::string& secret_hash) {
  std::optional<std::string> member;
  absl::Status status = pool_.InTransaction([&](Tx& tx) {
    member.reset();
    // The whole of single use: a second UPDATE (replay, or a concurrent one that waited on
    // this row's lock) re-checks `used_at IS NULL` and matches nothing.
    pqxx::result rows = tx.exec_params(
        "UPDATE sign_in_links SET used_at = now() "
        "WHERE secret_hash = $1 AND used_at IS NULL AND expires_at > now() "
        "RETURNING member_id::text",
        Binary(secret_hash));
    if (!rows.empty()) member = rows[0][0].as<std::string>();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return member;
}

absl::StatusOr<Session> SessionStore::CreateSession(const std::string& secret_hash,
                                                    const std::string& member_id,
                                                    const std::vector<std::string>& roles,
                                                    std::chrono::seconds ttl) {
  Session session;
  const std::string id = hc::ids::NewUuid();
  const std::string csrf = NewSecret();
  absl::Status status = pool_.InTransaction([&](Tx& tx) {
    pqxx::result rows = tx.exec_params(
        std::string("INSERT INTO sessions (id, secret_hash, member_id, roles, csrf_token, "
                    "expires_at) VALUES ($1::uuid, $2, $3::uuid, $4::text[], $5, "
                    "now() + make_interval(secs => $6)) RETURNING ") +
            kSessionColumns,
        id, Binary(secret_hash), member_id, TextArray(roles), csrf,
        static_cast<double>(ttl.count()));
    session = FromRow(rows[0]);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return session;
}

absl::StatusOr<std::optional<Session>> SessionStore::FindSession(const std::string& secret_hash) {
  std::optional<Session> found;
  absl::Status status = pool_.InTransaction([&](Tx& tx) {
    found.reset();
    pqxx::result rows = tx.exec_params(
        std::string("SELECT ") + kSessionColumns +
            " FROM sessions WHERE secret_hash = $1 AND revoked_at IS NULL AND expires_at > now()",
        Binary(secret_hash));
    if (!rows.empty()) found = FromRow(rows[0]);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return found;
}

absl::Status SessionStore::UpdateRoles(const std::string& session_id,
                                       const std::vector<std::string>& roles) {
  return pool_.InTransaction([&](Tx& tx) {
    tx.exec_params("UPDATE sessions SET roles = $2::text[] WHERE id = $1::uuid", session_id,
                   TextArray(roles));
    return absl::OkStatus();
  });
}

absl::Status SessionStore::Revoke(const std::string& session_id) {
  return pool_.InTransaction([&](Tx& tx) {
    tx.exec_params(
        "UPDATE sessions SET revoked_at = now() WHERE id = $1::uuid AND revoked_at IS NULL",
        session_id);
    return absl::OkStatus();
  });
}

absl::Status SessionStore::DeleteMemberSessions(const std::string& member_id) {
  return pool_.InTransaction([&](Tx& tx) {
    // sessions_member indexes live sessions by member: the revoked ones left are few.
    tx.exec_params("DELETE FROM sessions WHERE member_id = $1::uuid", member_id);
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> SessionStore::Purge(std::chrono::seconds grace) {
  int64_t deleted = 0;
  absl::Status status = pool_.InTransaction([&](Tx& tx) {
    const double secs = static_cast<double>(grace.count());
    pqxx::result links = tx.exec_params(
        "DELETE FROM sign_in_links WHERE expires_at <= now() OR used_at IS NOT NULL");
    pqxx::result sessions = tx.exec_params(
        "DELETE FROM sessions WHERE expires_at < now() - make_interval(secs => $1) "
        "OR revoked_at < now() - make_interval(secs => $1)",
        secs);
    deleted = links.affected_rows() + sessions.affected_rows();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return deleted;
}

const std::vector<hc::postgres::Migration>& Migrations() { return edge_session_migrations(); }

}  // namespace edge::session

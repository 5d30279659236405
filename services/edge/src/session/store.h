#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/postgres/migrations.h"
#include "libs/postgres/pool.h"
#include "services/edge/src/session/session.h"

// The edge's database (`edge`): sign-in links and sessions, each keyed by the SHA-256 of its
// secret (the secret itself is never stored).
namespace edge::session {

class SessionStore {
 public:
  explicit SessionStore(hc::postgres::Pool& pool) : pool_(pool) {}

  absl::Status CreateLink(const std::string& secret_hash, const std::string& member_id,
                          std::chrono::seconds ttl);
  // Consumes the link: the member it was for, or nullopt when it is unknown, expired or was
  // used already. Single use holds under concurrency: one conditional UPDATE marks it used, so
  // of any number of simultaneous calls exactly one gets the member.
  absl::StatusOr<std::optional<std::string>> ConsumeLink(const std::string& secret_hash);

  // A new session for `member_id`, with a fresh CSRF token.
  absl::StatusOr<Session> CreateSession(const std::string& secret_hash,
                                        const std::string& member_id,
                                        const std::vector<std::string>& roles,
                                        std::chrono::seconds ttl);
  // The live session (not revoked, not expired) with this secret hash, or nullopt.
  absl::StatusOr<std::optional<Session>> FindSession(const std::string& secret_hash);
  // Records the roles membership gave when a token was last minted.
  absl::Status UpdateRoles(const std::string& session_id, const std::vector<std::string>& roles);
  absl::Status Revoke(const std::string& session_id);
  // Deletes every session of `member_id` (the member is gone: erased or no longer active).
  absl::Status DeleteMemberSessions(const std::string& member_id);
  // Deletes what no request can use any more: links that expired or were used, sessions that
  // expired or were revoked more than `grace` ago (kept that long for investigating a
  // sign-in). Returns the number of rows deleted.
  absl::StatusOr<int64_t> Purge(std::chrono::seconds grace);

 private:
  hc::postgres::Pool& pool_;
};

// The migrations of the `edge` database (services/edge/migrations), for hc::postgres::Migrate.
const std::vector<hc::postgres::Migration>& Migrations();

}  // namespace edge::session

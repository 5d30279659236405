#include "libs/postgres/migrations.h"

#include <spdlog/spdlog.h>

#include <pqxx/pqxx>

#include "libs/postgres/pool.h"

namespace hc::postgres {
namespace {
// Any constant works: each service owns its own database.
constexpr long long kMigrationLockKey = 0x48434d4947;  // "HCMIG"
}  // namespace

absl::Status Migrate(const std::string& url, const std::vector<Migration>& migrations) {
  try {
    pqxx::connection conn(url);
    {
      pqxx::nontransaction session(conn);
      session.exec("SELECT pg_advisory_lock(" + std::to_string(kMigrationLockKey) + ")");
      session.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          " id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
    }
    for (const auto& migration : migrations) {
      pqxx::work tx(conn);
      auto done = tx.exec_params("SELECT 1 FROM schema_migrations WHERE id = $1", migration.id);
      if (!done.empty()) continue;
      tx.exec(migration.sql);
      tx.exec_params("INSERT INTO schema_migrations (id) VALUES ($1)", migration.id);
      tx.commit();
      spdlog::info("applied migration {}", migration.id);
    }
    pqxx::nontransaction unlock(conn);
    unlock.exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLockKey) + ")");
    return absl::OkStatus();
  } catch (const pqxx::sql_error& e) {
    // A migration's own SQL failing is a programming error: say which and why.
    return absl::FailedPreconditionError(std::string("migration failed: ") + e.what());
  } catch (const std::exception& e) {
    return FromException(e);
  }
}

}  // namespace hc::postgres

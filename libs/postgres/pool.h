#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "libs/postgres/pipeline.h"

namespace hc::postgres {

using Tx = pqxx::transaction_base;

// kAutocommit sends no BEGIN and no COMMIT: for a function that runs one statement (its own
// transaction), two round trips fewer than a transaction around it.
enum class Isolation { kReadCommitted, kRepeatableRead, kSerializable, kAutocommit };

struct PoolOptions {
  std::string url;
  size_t size = 8;
  // Pipelined connections (InPipeline), apart from `size`; 0: as many as `size`. They open
  // on first use only, so a service that never pipelines opens none.
  size_t pipeline_size = 0;
  std::chrono::milliseconds acquire_timeout{2000};
  std::chrono::milliseconds statement_timeout{5000};
  int max_attempts = 5;  // for serialization failures and deadlocks
};

// A bounded set of connections and the one place pqxx exceptions become absl::Status.
class Pool {
 public:
  explicit Pool(PoolOptions options);
  ~Pool();

  // Runs `fn` in a transaction and commits when it returns OK; any error rolls back.
  // Serialization failures and deadlocks are retried with backoff (fn must be safe to re-run;
  // an ABORTED fn returns itself is not retried, see IsConflict);
  // a lost connection is replaced and the call retried once when nothing can have committed.
  // Errors: UNAVAILABLE (database unreachable, pool exhausted, commit outcome unknown),
  // ABORTED (still conflicting after retries), ALREADY_EXISTS (unique violation),
  // or what fn returned.
  absl::Status InTransaction(const std::function<absl::Status(Tx&)>& fn,
                             Isolation isolation = Isolation::kReadCommitted);

  // Runs `fn` in a READ COMMITTED transaction on a pipelined connection (pipeline.h): the
  // statements it queues go out in batches, and those still queued when it returns OK go with
  // the COMMIT. Retries and errors as InTransaction; a connection lost while the COMMIT's batch
  // was out is UNAVAILABLE (outcome unknown), never retried.
  absl::Status InPipeline(const std::function<absl::Status(PipelineTx&)>& fn);

  // A fresh connection outside the pool, for long-lived sessions (LISTEN, advisory locks).
  std::unique_ptr<pqxx::connection> Connect() const;

  const std::string& url() const { return options_.url; }

 private:
  struct Lease;
  std::unique_ptr<pqxx::connection> Acquire(absl::Status& error);
  void Release(std::unique_ptr<pqxx::connection> conn);
  std::unique_ptr<PipelineConnection> AcquirePipelined(absl::Status& error);
  void ReleasePipelined(std::unique_ptr<PipelineConnection> conn);

  PoolOptions options_;
  std::string conninfo_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  size_t open_ = 0;  // connections handed out or idle
  std::condition_variable pipelined_cv_;
  std::vector<std::unique_ptr<PipelineConnection>> idle_pipelined_;
  size_t pipelined_open_ = 0;
};

// Maps a pqxx/libpq exception to a status; never includes values from the query.
absl::Status FromException(const std::exception& e);
// Whether `status` is a database conflict (a serialization failure or a deadlock, ABORTED),
// which InTransaction and InPipeline retry. An ABORTED the body returns itself is not one: it
// is returned at once, since running the body again with the same inputs would decide the same.
bool IsConflict(const absl::Status& status);

// The name a statement is prepared under: "hc_" and a hash of its text, so the same text gets
// the same name on every connection and callers need no registry of names.
std::string PreparedName(const std::string& sql);

// exec_params for hot statements: `sql` runs as a prepared statement of tx's connection,
// prepared on its first use there (libpqxx re-prepares after a reconnect). That saves the
// server parsing and planning it on every call. For statements whose text is fixed (no values
// spliced in): each distinct text stays prepared for the connection's life.
template <typename... Args>
pqxx::result ExecPrepared(Tx& tx, const std::string& sql, Args&&... args) {
  const std::string name = PreparedName(sql);
  tx.conn().prepare(name, sql);  // only registers it; nothing when already registered
  return tx.exec_prepared(name, std::forward<Args>(args)...);
}

}  // namespace hc::postgres

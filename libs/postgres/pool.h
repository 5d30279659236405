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

namespace hc::postgres {

using Tx = pqxx::transaction_base;

enum class Isolation { kReadCommitted, kRepeatableRead, kSerializable };

struct PoolOptions {
  std::string url;
  size_t size = 8;
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
  // Serialization failures and deadlocks are retried with backoff (fn must be safe to re-run);
  // a lost connection is replaced and the call retried once when nothing can have committed.
  // Errors: UNAVAILABLE (database unreachable, pool exhausted, commit outcome unknown),
  // ABORTED (still conflicting after retries), ALREADY_EXISTS (unique violation),
  // or what fn returned.
  absl::Status InTransaction(const std::function<absl::Status(Tx&)>& fn,
                             Isolation isolation = Isolation::kReadCommitted);

  // A fresh connection outside the pool, for long-lived sessions (LISTEN, advisory locks).
  std::unique_ptr<pqxx::connection> Connect() const;

  const std::string& url() const { return options_.url; }

 private:
  struct Lease;
  std::unique_ptr<pqxx::connection> Acquire(absl::Status& error);
  void Release(std::unique_ptr<pqxx::connection> conn);

  PoolOptions options_;
  std::string conninfo_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  size_t open_ = 0;  // connections handed out or idle
};

// Maps a pqxx/libpq exception to a status; never includes values from the query.
absl::Status FromException(const std::exception& e);

}  // namespace hc::postgres

#pragma once

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

struct redisContext;

namespace hc::redis {

struct CacheOptions {
  std::string address = "127.0.0.1:6379";  // host:port
  std::chrono::milliseconds connect_timeout{100};
  std::chrono::milliseconds command_timeout{50};
  // Idle connections kept for reuse. Keep it at least the number of threads that use the
  // cache at once (a service's workers): a smaller pool would open and close a connection per
  // command whenever more callers than connections are busy.
  size_t pool_size = 64;
  // After a Redis error, skip Redis this long instead of adding a timeout to every request.
  std::chrono::milliseconds retry_after{1000};
  // Each TTL is spread by up to this fraction either way, so entries set together don't all
  // expire together.
  double ttl_jitter = 0.1;
};

// Cache-aside over Redis that fails open: any Redis error is counted and the read is served by
// the loader (the system of record). Keys must never contain personal data (ids only).
class Cache {
 public:
  Cache(CacheOptions options, prometheus::Registry& registry, const std::string& name);
  ~Cache();
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  // The cached value of `key`, or `load()` (stored for `ttl` when it succeeds).
  absl::StatusOr<std::string> GetOrLoad(const std::string& key, std::chrono::seconds ttl,
                                        const std::function<absl::StatusOr<std::string>()>& load);
  // Drops `key`. When Redis is unreachable the key is remembered and dropped as soon as Redis
  // answers again, before anything is read from it.
  void Invalidate(const std::string& key);

 private:
  struct Reply;
  // Runs one command; nullopt on any Redis error (and the connection is discarded).
  // `always` tries Redis even inside the back-off after an error (invalidations must not be
  // skipped on a guess that Redis is still away).
  std::optional<Reply> Command(const std::vector<std::string>& args, bool always = false);
  redisContext* Borrow(bool always);
  void Return(redisContext* ctx, bool healthy);
  bool FlushPendingInvalidations(bool always);

  CacheOptions options_;
  std::string host_;
  int port_ = 0;
  std::mutex mu_;
  std::vector<redisContext*> idle_;
  std::chrono::steady_clock::time_point down_until_{};
  std::deque<std::string> pending_invalidations_;
  // Bumped by every Invalidate: a load that saw it move stores nothing, so a read that raced
  // a write can't put the old value back after the write dropped it.
  std::atomic<uint64_t> invalidations_{0};
  prometheus::Counter& hits_;
  prometheus::Counter& misses_;
  prometheus::Counter& errors_;
};

}  // namespace hc::redis

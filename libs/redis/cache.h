#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/redis/connection.h"
#include "libs/redis/near_cache.h"

namespace hc::redis {

struct CacheOptions {
  // Address, AUTH, TLS and timeouts (see connection.h).
  ConnectionOptions connection;
  // Idle connections kept for reuse. Keep it at least the number of threads that use the
  // cache at once (a service's workers): a smaller pool would open and close a connection per
  // command whenever more callers than connections are busy.
  size_t pool_size = 64;
  // After a Redis error, skip Redis this long instead of adding a timeout to every request;
  // also how often invalidations that could not reach Redis are retried.
  std::chrono::milliseconds retry_after{1000};
  // Each TTL is spread by up to this fraction either way, so entries set together don't all
  // expire together.
  double ttl_jitter = 0.1;
  // How long a key's version outlives its last invalidation or store. It must exceed the
  // longest load (a request's deadline); an entry that outlives its version is only reloaded.
  // See cache.cc.
  std::chrono::milliseconds version_ttl{std::chrono::hours(24)};
  // The near-cache (see cache.cc): values Redis answered, kept in this process and dropped
  // when Redis reports their key changed. It holds keys under `local_prefixes` only (none,
  // the default, turns it off), up to `local_bytes` (0 turns it off).
  size_t local_bytes = 4 << 20;
  std::vector<std::string> local_prefixes;
  // Tests only: runs between a read's MGET and its fill of the near-cache.
  std::function<void(const std::string& key)> after_read_for_test;
};

// Cache-aside over Redis that fails open: any Redis error is counted and the read is served by
// the loader (the system of record). Keys must never contain personal data (ids only), and
// ids in keys must be canonical (hc::ids::Canonical), or two spellings name two entries.
//
// Correct across replicas (processes) sharing one Redis: once Invalidate(key) has returned
// after a committed write, no replica serves or stores a value loaded before that write
// (the argument is at the top of cache.cc).
class Cache {
 public:
  Cache(CacheOptions options, prometheus::Registry& registry, const std::string& name);
  ~Cache();
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  // The cached value of `key`, or `load()` (stored for `ttl` when it succeeds). A cached value
  // that `valid` refuses (a payload that no longer parses) is dropped and loaded again.
  absl::StatusOr<std::string> GetOrLoad(
      const std::string& key, std::chrono::seconds ttl,
      const std::function<absl::StatusOr<std::string>()>& load,
      const std::function<bool(const std::string&)>& valid = nullptr);
  // The value of `key` when the near-cache holds a current one; otherwise nullopt, and the
  // caller asks GetOrLoad (which reads Redis, counts the lookup, loads, stores and fills the
  // near-cache). No I/O at all beyond one ioctl, so it may run where blocking is not allowed.
  // `valid` runs on the value as on a Redis hit (callers parse their answer in it); a value
  // it refuses is dropped from the near-cache and nullopt returned. Nothing while
  // invalidations are pending.
  std::optional<std::string> GetIfCached(
      const std::string& key, const std::function<bool(const std::string&)>& valid = nullptr);
  // GetIfCached for a caller that only reads the value: `use` runs on the kept value itself
  // (no copy) and its answer is the hit's, as `valid`'s is: true for a hit it took, false
  // (the entry dropped) for one it refused. False, without running `use`, when nothing
  // current is kept. For fast steps that parse or copy a hit into their answer.
  bool UseIfCached(const std::string& key, const std::function<bool(const std::string&)>& use);
  // Drops `key` in every replica; call it after the write commits. When Redis can't be
  // reached the key is remembered and a background thread drops it as soon as Redis answers;
  // until then this process neither reads from nor stores to Redis.
  void Invalidate(const std::string& key);
  // Invalidate for each key, in one Redis round trip (one script run); what could not reach
  // Redis is remembered key by key, as above.
  void Invalidate(const std::vector<std::string>& keys);

  // Whether the near-cache is on and may serve now (its tracking connection is subscribed).
  bool local_ready() const { return near_ != nullptr && near_->healthy(); }
  // For tests: the near-cache's tracking connection's progress (0 when it is off).
  uint64_t local_messages_applied() const { return near_ ? near_->messages_applied() : 0; }
  uint64_t local_subscriptions() const { return near_ ? near_->subscriptions() : 0; }
  uint64_t local_heartbeats() const { return near_ ? near_->heartbeats() : 0; }

  // Invalidations waiting for Redis to come back (distinct keys).
  size_t pending_invalidations() const { return pending_count_.load(); }

 private:
  // Runs one command; nullopt on any Redis error (and the connection is discarded).
  // `always` tries Redis even inside the back-off after an error (invalidations must not be
  // skipped on a guess that Redis is still away).
  std::optional<Reply> Command(const std::vector<std::string>& args, bool always = false);
  // Bumps each key's version and deletes its value, in one step; false when Redis failed.
  bool InvalidateInRedis(const std::vector<std::string>& keys);
  void Remember(const std::string& key);
  // Replays remembered invalidations until one fails or none are left.
  void ReplayPending();
  void ReplayLoop();

  CacheOptions options_;
  Pool pool_;

  // Keys whose invalidation has not reached Redis yet, each with the number of the last
  // failed attempt: a replay that started before a newer failure must not forget it.
  std::mutex pending_mu_;
  std::condition_variable pending_cv_;
  std::unordered_map<std::string, uint64_t> pending_;
  uint64_t pending_serial_ = 0;
  bool stopping_ = false;
  std::atomic<size_t> pending_count_{0};
  // Redis has run kInvalidate since it last failed here: EVALSHA can name it (see cache.cc).
  std::atomic<bool> script_loaded_{false};

  prometheus::Counter& hits_;
  prometheus::Counter& misses_;
  prometheus::Counter& errors_;
  prometheus::Counter& corrupt_;
  prometheus::Gauge& pending_gauge_;
  prometheus::Counter& local_hits_;
  std::unique_ptr<NearCache> near_;  // null when off
  std::thread replayer_;             // last: it starts once everything above exists
};

}  // namespace hc::redis

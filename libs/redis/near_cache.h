#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "libs/redis/connection.h"

namespace hc::redis {

// Values Redis answered, kept in this process and dropped when Redis says their key changed:
// one connection asks Redis to track `prefixes` (CLIENT TRACKING ... BCAST, invalidations
// redirected to itself and read as pub/sub messages) and a thread erases each named key.
// Usable only while that connection is subscribed and every byte it received is applied; the
// coherence argument is at the top of cache.cc. Thread-safe.
class NearCache {
 public:
  struct Options {
    ConnectionOptions connection;
    size_t max_bytes = 0;
    // Keys under these prefixes are kept (with their versions, "cache-version:<prefix>").
    std::vector<std::string> prefixes;
    // Between reconnection attempts.
    std::chrono::milliseconds retry_after{1000};
    // A connection that dies without a FIN or RST (a partition, a Redis that hangs) looks
    // idle: the reader sends PING once nothing has arrived for `heartbeat_interval`, and
    // treats the connection as lost (flushed, bypassed, made again) once nothing has arrived
    // for `heartbeat_deadline`. That bounds how long a change can go unseen to the deadline
    // (plus the wire), instead of the entries' TTL.
    std::chrono::milliseconds heartbeat_interval{1000};
    std::chrono::milliseconds heartbeat_deadline{2000};
  };
  NearCache(Options options, prometheus::Counter& hits, prometheus::Gauge& bytes,
            prometheus::Gauge& entries);
  ~NearCache();
  NearCache(const NearCache&) = delete;
  NearCache& operator=(const NearCache&) = delete;

  // Whether `key` may be kept here at all (under a tracked prefix).
  bool Covers(const std::string& key) const;
  // The value, when an unexpired one is kept and nothing Redis sent is unapplied; null
  // otherwise. Shared, not copied: a hit costs no copy of the value under the lock.
  std::shared_ptr<const std::string> Get(const std::string& key);
  // Marks `key` as being filled: call before the read from Redis whose answer goes to Fill,
  // and pass Fill the mark this returns. 0 when there is nothing to fill: the near-cache is
  // not usable now, or it already keeps an entry for `key`.
  uint64_t BeginFill(const std::string& key);
  // Keeps `value` for `ttl` if `mark` is still the key's mark: no invalidation touched `key`
  // since BeginFill. (A mark put in after an invalidation erased this one is not it: the read
  // behind this fill may predate that invalidation.)
  void Fill(const std::string& key, uint64_t mark, std::string value,
            std::chrono::milliseconds ttl);
  // Drops `mark` if it is still the key's mark, for a fill that will not happen (an entry
  // someone else filled, or a later mark, stays).
  void CancelFill(const std::string& key, uint64_t mark);
  // Drops `key` (an entry or a fill in progress).
  void Erase(const std::string& key);

  bool healthy() const { return healthy_.load(); }
  // Invalidation messages applied so far, and how many times the connection was (re)made
  // subscribed: for tests to wait on.
  uint64_t messages_applied() const { return messages_.load(); }
  uint64_t subscriptions() const { return subscriptions_.load(); }
  // PINGs Redis answered on that connection so far.
  uint64_t heartbeats() const { return heartbeats_.load(); }

 private:
  struct Slot {
    bool filling = true;
    uint64_t mark = 0;  // while filling: the BeginFill that put the mark in
    std::shared_ptr<const std::string> value;
    std::chrono::steady_clock::time_point expires;
    std::list<std::string>::iterator order;  // in lru_, for entries (not fills)
  };
  // Whether everything Redis sent has been applied (no unread bytes, no message mid-apply).
  bool Quiet() const;
  void EraseLocked(const std::string& key);
  void FlushLocked();
  void SetGaugesLocked();
  void Run();
  // One subscribed session: returns when the connection fails or the cache stops.
  void Session(const Connector& connector);
  void Apply(const Reply& message);

  Options options_;
  prometheus::Counter& hits_;
  prometheus::Gauge& bytes_gauge_;
  prometheus::Gauge& entries_gauge_;

  uint64_t last_mark_ = 0;  // under mu_
  std::atomic<bool> healthy_{false};
  std::atomic<bool> busy_{false};  // the reader took bytes from the socket it has not applied
  std::atomic<int> fd_{-1};
  std::atomic<uint64_t> messages_{0};
  std::atomic<uint64_t> subscriptions_{0};
  std::atomic<uint64_t> heartbeats_{0};

  std::mutex mu_;  // guards the members below
  std::unordered_map<std::string, Slot> slots_;
  std::list<std::string> lru_;  // entries, most recently used first
  size_t bytes_ = 0;
  size_t entries_ = 0;

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread reader_;  // last
};

}  // namespace hc::redis

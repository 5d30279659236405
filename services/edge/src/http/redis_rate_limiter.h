#pragma once

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "libs/redis/connection.h"
#include "services/edge/src/http/rate_limiter.h"

namespace edge::http {

struct RedisRateLimiterOptions {
  // Address, AUTH, TLS and timeouts: libs/redis's connection layer, as the caches use.
  hc::redis::ConnectionOptions connection;
  // Idle connections kept (at least the HTTP workers that may count at once).
  size_t pool_size = 64;
  // After a Redis error, count in this process for this long instead of adding a timeout to
  // every request.
  std::chrono::milliseconds retry_after{1000};
  std::function<std::chrono::system_clock::time_point()> clock = std::chrono::system_clock::now;
};

// Fixed windows in Redis: `hc:edge:rl:<bucket>:<key>:<window start, unix seconds>`, shared by
// every replica. All of a request's buckets are counted by one Lua script (INCR each in order,
// EXPIRE a key when it is made, stop at the first over its limit), sent as EVALSHA (EVAL when
// Redis answers NOSCRIPT, after a restart): one round trip per request. The buckets' keys may
// hash to different slots, so this needs a single Redis (or primary), not Redis Cluster. When
// Redis can't be reached it counts per process instead (each replica then allows up to
// `limit`), so an outage of Redis loosens the limits but never refuses everyone.
class RedisRateLimiter : public RateLimiter {
 public:
  RedisRateLimiter(RedisRateLimiterOptions options, prometheus::Registry& registry);
  ~RedisRateLimiter() override;
  RedisRateLimiter(const RedisRateLimiter&) = delete;
  RedisRateLimiter& operator=(const RedisRateLimiter&) = delete;

  std::optional<size_t> FirstRefused(std::span<const Limit> limits) override;

 private:
  // The script's answer (0 when all allow, else the 1-based index of the refusing limit), or
  // nullopt on any Redis failure.
  std::optional<long long> CountInRedis(std::span<const Limit> limits,
                                        const std::vector<std::string>& redis_keys);
  std::optional<size_t> CountLocally(std::span<const Limit> limits,
                                     const std::vector<std::string>& redis_keys);

  RedisRateLimiterOptions options_;
  std::string script_sha_;  // SHA-1 of the script, hex: EVALSHA's name for it
  hc::redis::Pool pool_;
  std::mutex mu_;  // guards local_
  // The fallback's counts, for the current windows only (dropped when they grow).
  std::unordered_map<std::string, long long> local_;
  prometheus::Counter& refused_;
  prometheus::Counter& fallbacks_;
};

}  // namespace edge::http

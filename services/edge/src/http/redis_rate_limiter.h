#pragma once

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <chrono>
#include <functional>
#include <mutex>
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

// Fixed windows in Redis: one INCR (and an EXPIRE so the key goes with its window) on
// `hc:edge:rl:<bucket>:<key>:<window start, unix seconds>`, shared by every replica. When Redis
// can't be reached it counts per process instead (each replica then allows up to `limit`), so
// an outage of Redis loosens the limits but never refuses everyone.
class RedisRateLimiter : public RateLimiter {
 public:
  RedisRateLimiter(RedisRateLimiterOptions options, prometheus::Registry& registry);
  ~RedisRateLimiter() override;
  RedisRateLimiter(const RedisRateLimiter&) = delete;
  RedisRateLimiter& operator=(const RedisRateLimiter&) = delete;

  bool Allow(std::string_view bucket, std::string_view key, int limit,
             std::chrono::seconds window) override;

 private:
  // The window's count after this hit, from Redis; -1 on any Redis error.
  long long CountInRedis(const std::string& redis_key, std::chrono::seconds window);
  long long CountLocally(const std::string& redis_key);

  RedisRateLimiterOptions options_;
  hc::redis::Pool pool_;
  std::mutex mu_;  // guards local_
  // The fallback's counts, for the current windows only (dropped when they grow).
  std::unordered_map<std::string, long long> local_;
  prometheus::Counter& refused_;
  prometheus::Counter& fallbacks_;
};

}  // namespace edge::http

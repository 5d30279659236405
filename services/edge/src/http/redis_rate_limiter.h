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

#include "services/edge/src/http/rate_limiter.h"

struct redisContext;

namespace edge::http {

struct RedisRateLimiterOptions {
  std::string address = "127.0.0.1:6379";
  std::chrono::milliseconds connect_timeout{100};
  std::chrono::milliseconds command_timeout{50};
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
  redisContext* Borrow();
  void Return(redisContext* ctx, bool healthy);

  RedisRateLimiterOptions options_;
  std::string host_;
  int port_ = 0;
  std::mutex mu_;  // guards idle_, down_until_, local_, local_window_
  std::vector<redisContext*> idle_;
  std::chrono::steady_clock::time_point down_until_{};
  // The fallback's counts, for the current windows only (dropped when they grow).
  std::unordered_map<std::string, long long> local_;
  prometheus::Counter& refused_;
  prometheus::Counter& fallbacks_;
};

}  // namespace edge::http

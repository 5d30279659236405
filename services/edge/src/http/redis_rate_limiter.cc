#include "services/edge/src/http/redis_rate_limiter.h"

#include <prometheus/family.h>

namespace edge::http {
namespace {

// The fallback forgets everything past this many keys: the windows are short, and a flood of
// distinct keys must not grow the process without bound.
constexpr size_t kMaxLocalKeys = 100000;

}  // namespace

RedisRateLimiter::RedisRateLimiter(RedisRateLimiterOptions options, prometheus::Registry& registry)
    : options_(std::move(options)),
      pool_(options_.connection, options_.pool_size, options_.retry_after),
      refused_(prometheus::BuildCounter()
                   .Name("edge_rate_limited_total")
                   .Help("Requests refused by a rate limit")
                   .Register(registry)
                   .Add({})),
      fallbacks_(prometheus::BuildCounter()
                     .Name("edge_rate_limit_fallback_total")
                     .Help("Rate-limit checks counted in-process because Redis failed")
                     .Register(registry)
                     .Add({})) {}

RedisRateLimiter::~RedisRateLimiter() = default;

long long RedisRateLimiter::CountInRedis(const std::string& redis_key,
                                         std::chrono::seconds window) {
  // Both commands in one round trip. EXPIRE on every hit is harmless: the key names its
  // window, so it can only live one window past its last hit.
  auto replies =
      pool_.Run({{"INCR", redis_key}, {"EXPIRE", redis_key, std::to_string(window.count() + 1)}});
  if (!replies || replies->front().type != hc::redis::Reply::Type::kInteger) return -1;
  return replies->front().integer;
}

long long RedisRateLimiter::CountLocally(const std::string& redis_key) {
  std::lock_guard lock(mu_);
  // The key names its window: an old window's entries are never hit again, only dropped here.
  if (local_.size() >= kMaxLocalKeys) local_.clear();
  return ++local_[redis_key];
}

bool RedisRateLimiter::Allow(std::string_view bucket, std::string_view key, int limit,
                             std::chrono::seconds window) {
  const long long now =
      std::chrono::duration_cast<std::chrono::seconds>(options_.clock().time_since_epoch()).count();
  const long long window_start = now - now % window.count();
  std::string redis_key = "hc:edge:rl:";
  redis_key.append(bucket).append(":").append(key).append(":").append(std::to_string(window_start));
  long long count = CountInRedis(redis_key, window);
  if (count < 0) {
    fallbacks_.Increment();
    count = CountLocally(redis_key);
  }
  if (count > limit) {
    refused_.Increment();
    return false;
  }
  return true;
}

}  // namespace edge::http

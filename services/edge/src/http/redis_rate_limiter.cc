#include "services/edge/src/http/redis_rate_limiter.h"

#include <hiredis/hiredis.h>
#include <prometheus/family.h>

namespace edge::http {
namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  return {static_cast<time_t>(ms.count() / 1000),
          static_cast<suseconds_t>(ms.count() % 1000) * 1000};
}

// The fallback forgets everything past this many keys: the windows are short, and a flood of
// distinct keys must not grow the process without bound.
constexpr size_t kMaxLocalKeys = 100000;

}  // namespace

RedisRateLimiter::RedisRateLimiter(RedisRateLimiterOptions options, prometheus::Registry& registry)
    : options_(std::move(options)),
      refused_(prometheus::BuildCounter()
                   .Name("edge_rate_limited_total")
                   .Help("Requests refused by a rate limit")
                   .Register(registry)
                   .Add({})),
      fallbacks_(prometheus::BuildCounter()
                     .Name("edge_rate_limit_fallback_total")
                     .Help("Rate-limit checks counted in-process because Redis failed")
                     .Register(registry)
                     .Add({})) {
  const size_t colon = options_.address.rfind(':');
  host_ = options_.address.substr(0, colon);
  port_ = colon == std::string::npos ? 6379 : std::stoi(options_.address.substr(colon + 1));
}

RedisRateLimiter::~RedisRateLimiter() {
  for (redisContext* ctx : idle_) redisFree(ctx);
}

redisContext* RedisRateLimiter::Borrow() {
  {
    std::lock_guard lock(mu_);
    if (std::chrono::steady_clock::now() < down_until_) return nullptr;
    if (!idle_.empty()) {
      redisContext* ctx = idle_.back();
      idle_.pop_back();
      return ctx;
    }
  }
  redisContext* ctx =
      redisConnectWithTimeout(host_.c_str(), port_, ToTimeval(options_.connect_timeout));
  if (ctx == nullptr || ctx->err != 0) {
    if (ctx) redisFree(ctx);
    Return(nullptr, false);
    return nullptr;
  }
  redisSetTimeout(ctx, ToTimeval(options_.command_timeout));
  return ctx;
}

void RedisRateLimiter::Return(redisContext* ctx, bool healthy) {
  std::lock_guard lock(mu_);
  if (!healthy) {
    down_until_ = std::chrono::steady_clock::now() + options_.retry_after;
    if (ctx) redisFree(ctx);
    return;
  }
  if (idle_.size() < options_.pool_size) {
    idle_.push_back(ctx);
  } else {
    redisFree(ctx);
  }
}

long long RedisRateLimiter::CountInRedis(const std::string& redis_key,
                                         std::chrono::seconds window) {
  redisContext* ctx = Borrow();
  if (ctx == nullptr) return -1;
  // Both commands in one round trip. EXPIRE on every hit is harmless: the key names its
  // window, so it can only live one window past its last hit.
  const std::string ttl = std::to_string(window.count() + 1);
  redisAppendCommand(ctx, "INCR %b", redis_key.data(), redis_key.size());
  redisAppendCommand(ctx, "EXPIRE %b %s", redis_key.data(), redis_key.size(), ttl.c_str());
  long long count = -1;
  bool healthy = true;
  for (int i = 0; i < 2; ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx, &raw) != REDIS_OK || raw == nullptr) {
      healthy = false;
      break;
    }
    auto* reply = static_cast<redisReply*>(raw);
    if (i == 0) {
      if (reply->type == REDIS_REPLY_INTEGER) count = reply->integer;
    }
    if (reply->type == REDIS_REPLY_ERROR) healthy = false;
    freeReplyObject(reply);
  }
  Return(ctx, healthy);
  return healthy ? count : -1;
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

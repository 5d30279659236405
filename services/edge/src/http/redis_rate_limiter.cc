#include "services/edge/src/http/redis_rate_limiter.h"

#include <prometheus/family.h>

namespace edge::http {
namespace {

// The fallback forgets everything past this many keys: the windows are short, and a flood of
// distinct keys must not grow the process without bound.
constexpr size_t kMaxLocalKeys = 100000;

// KEYS: the buckets' window keys, in order. ARGV: for each key, its limit then its TTL.
// Returns 0 when every bucket allows the hit, else the 1-based index of the first that does
// not; buckets after it are left uncounted. The script runs atomically, so EXPIRE only when
// INCR made the key: no key is left without its TTL.
constexpr char kScript[] = R"lua(for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('EXPIRE', key, ARGV[2 * i]) end
  if count > tonumber(ARGV[2 * i - 1]) then return i end
end
return 0
)lua";

}  // namespace

RedisRateLimiter::RedisRateLimiter(RedisRateLimiterOptions options, prometheus::Registry& registry)
    : options_(std::move(options)),
      script_sha_(hc::redis::ScriptSha(kScript)),
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

std::optional<long long> RedisRateLimiter::CountInRedis(
    std::span<const Limit> limits, const std::vector<std::string>& redis_keys) {
  std::vector<std::string> command = {"EVALSHA", script_sha_, std::to_string(limits.size())};
  command.insert(command.end(), redis_keys.begin(), redis_keys.end());
  for (const Limit& limit : limits) {
    command.push_back(std::to_string(limit.limit));
    // A window and a second: the key names its window, so it can't outlive it by more.
    command.push_back(std::to_string(limit.window.count() + 1));
  }
  auto replies = pool_.RunKeepingErrors({command});
  if (replies && replies->front().type == hc::redis::Reply::Type::kError &&
      replies->front().str.starts_with("NOSCRIPT")) {
    // Redis restarted (or flushed its scripts): EVAL sends the text and caches it again, so
    // only this one request pays for it.
    command[0] = "EVAL";
    command[1] = kScript;
    replies = pool_.RunKeepingErrors({command});
  }
  if (!replies || replies->front().type != hc::redis::Reply::Type::kInteger) return std::nullopt;
  return replies->front().integer;
}

std::optional<size_t> RedisRateLimiter::CountLocally(std::span<const Limit> limits,
                                                     const std::vector<std::string>& redis_keys) {
  std::lock_guard lock(mu_);
  // The key names its window: an old window's entries are never hit again, only dropped here.
  if (local_.size() + limits.size() > kMaxLocalKeys) local_.clear();
  for (size_t i = 0; i < limits.size(); ++i) {
    if (++local_[redis_keys[i]] > limits[i].limit) return i;
  }
  return std::nullopt;
}

std::optional<size_t> RedisRateLimiter::FirstRefused(std::span<const Limit> limits) {
  if (limits.empty()) return std::nullopt;
  const long long now =
      std::chrono::duration_cast<std::chrono::seconds>(options_.clock().time_since_epoch()).count();
  std::vector<std::string> redis_keys;
  redis_keys.reserve(limits.size());
  for (const Limit& limit : limits) {
    const long long window_start = now - now % limit.window.count();
    std::string& key = redis_keys.emplace_back("hc:edge:rl:");
    key.append(limit.bucket).append(":").append(limit.key).append(":");
    key.append(std::to_string(window_start));
  }
  std::optional<size_t> refused;
  if (std::optional<long long> answer = CountInRedis(limits, redis_keys)) {
    if (*answer > 0 && static_cast<size_t>(*answer) <= limits.size()) refused = *answer - 1;
  } else {
    fallbacks_.Increment();
    refused = CountLocally(limits, redis_keys);
  }
  if (refused) refused_.Increment();
  return refused;
}

}  // namespace edge::http

#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

// Fixed-window rate limits shared by every edge replica (Redis in production).
namespace edge::http {

// One bucket a request counts against. `key` goes into a Redis key: never pass an address, a
// cookie or any other personal data or secret, pass a keyed hash of it (AddressKey).
struct Limit {
  std::string_view bucket;  // "ip", "session", "signin-address", ...
  std::string_view key;
  int limit = 0;  // hits allowed per window
  std::chrono::seconds window{60};
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;

  // Counts one hit in each of `limits`, in order, and stops at the first one over its limit:
  // that one's index, or nullopt when every limit allows the request. A request's limits are
  // counted together (one round trip to the shared store, however many buckets), and a bucket
  // after the refusing one is not counted, as if the request had been refused before it. When
  // the shared store is down the limiter falls back to a per-process count rather than
  // refusing everyone.
  virtual std::optional<size_t> FirstRefused(std::span<const Limit> limits) = 0;

  // One bucket: whether it is still within `limit` hits per `window`.
  bool Allow(std::string_view bucket, std::string_view key, int limit,
             std::chrono::seconds window) {
    const Limit one{.bucket = bucket, .key = key, .limit = limit, .window = window};
    return !FirstRefused(std::span<const Limit>(&one, 1)).has_value();
  }
};

}  // namespace edge::http

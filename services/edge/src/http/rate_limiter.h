#pragma once

#include <chrono>
#include <string_view>

// Fixed-window rate limits shared by every edge replica (Redis in production).
namespace edge::http {

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;

  // Counts one hit for `key` in `bucket` ("ip", "session", "signin-address", ...) and says
  // whether it is still within `limit` hits per `window`. `key` goes into a Redis key: never
  // pass an address or any other personal data, pass a keyed hash of it. When the shared store
  // is down the limiter falls back to a per-process count rather than refusing everyone.
  virtual bool Allow(std::string_view bucket, std::string_view key, int limit,
                     std::chrono::seconds window) = 0;
};

}  // namespace edge::http

// What the bench clients (monday_client, scale_client, write_load) share: the ids the bench
// scripts seed members with, tokens for those members minted before any clock starts, and the
// arithmetic of their latencies.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/auth/auth.h"

namespace hc::bench {

// Member i as the bench scripts seed it: the uuid whose last 12 hex digits are i.
inline std::string SeededMemberId(int64_t i) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "00000000-0000-0000-0000-%012llx", static_cast<long long>(i));
  return buf;
}

// Mints HS256 tokens for seeded members with the key the services under test verify.
class TokenMinter {
 public:
  // nullopt when the key file cannot be read.
  static std::optional<TokenMinter> FromKeyFile(const std::string& path, std::string issuer,
                                                std::vector<std::string> roles) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::stringstream key;
    key << in.rdbuf();
    return TokenMinter(key.str(), std::move(issuer), std::move(roles));
  }

  absl::StatusOr<std::string> For(int64_t member) const {
    return hc::auth::Mint({.algorithm = "HS256",
                           .key = key_,
                           .issuer = issuer_,
                           .subject = SeededMemberId(member),
                           .roles = roles_});
  }

 private:
  TokenMinter(std::string key, std::string issuer, std::vector<std::string> roles)
      : key_(std::move(key)), issuer_(std::move(issuer)), roles_(std::move(roles)) {}

  std::string key_;
  std::string issuer_;
  std::vector<std::string> roles_;
};

// A duration in milliseconds.
inline double Ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// The q-quantile of sorted values (nearest rank), NaN for none.
inline double Quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return std::nan("");
  return sorted[std::min(sorted.size() - 1,
                         static_cast<size_t>(q * static_cast<double>(sorted.size())))];
}

}  // namespace hc::bench

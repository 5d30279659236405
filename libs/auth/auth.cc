#include "libs/auth/auth.h"

#include <jwt.h>

#include <cerrno>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>

namespace hc::auth {
namespace {

struct JwtFree {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

absl::StatusOr<jwt_alg_t> ParseAlgorithm(std::string_view name) {
  if (name == "HS256") return JWT_ALG_HS256;
  if (name == "RS256") return JWT_ALG_RS256;
  return absl::InvalidArgumentError("JWT algorithm must be HS256 or RS256, not " +
                                    std::string(name));
}

absl::Status Unauthenticated(std::string_view why) {
  return absl::UnauthenticatedError("invalid token: " + std::string(why));
}

}  // namespace

absl::StatusOr<Verifier> Verifier::Create(VerifierOptions options) {
  auto alg = ParseAlgorithm(options.algorithm);
  if (!alg.ok()) return alg.status();
  if (options.key.empty()) return absl::InvalidArgumentError("JWT key is empty");
  if (*alg == JWT_ALG_HS256 && options.key.size() < 32) {
    return absl::InvalidArgumentError("HS256 secret must be at least 32 bytes");
  }
  if (options.issuer.empty()) return absl::InvalidArgumentError("JWT issuer is empty");
  return Verifier(std::move(options));
}

absl::StatusOr<Principal> Verifier::VerifyBearer(std::string_view header) const {
  constexpr std::string_view kPrefix = "Bearer ";
  if (header.size() <= kPrefix.size() || header.substr(0, kPrefix.size()) != kPrefix) {
    return absl::UnauthenticatedError("authorization must be \"Bearer <token>\"");
  }
  return Verify(header.substr(kPrefix.size()));
}

absl::StatusOr<Principal> Verifier::Verify(std::string_view token) const {
  if (token.size() > 8192) return Unauthenticated("too long");
  const long now = Now();
  std::string key(token);
  {
    std::lock_guard lock(cache_->mu);
    auto it = cache_->entries.find(key);
    if (it != cache_->entries.end()) {
      if (it->second.expires_at > now) return it->second.principal;
      cache_->entries.erase(it);
      return Unauthenticated("expired");
    }
  }
  auto verified = VerifyUncached(token);
  if (!verified.ok()) return verified.status();
  std::lock_guard lock(cache_->mu);
  if (cache_->entries.size() >= kCacheCapacity) cache_->entries.clear();
  cache_->entries.emplace(std::move(key), *verified);
  return verified->principal;
}

long Verifier::Now() const {
  return static_cast<long>(std::chrono::system_clock::to_time_t(
      options_.clock ? options_.clock() : std::chrono::system_clock::now()));
}

absl::StatusOr<Verifier::Verified> Verifier::VerifyUncached(std::string_view token) const {
  const jwt_alg_t pinned = *ParseAlgorithm(options_.algorithm);
  jwt_t* raw = nullptr;
  const std::string token_str(token);
  // libjwt checks the signature with the algorithm the token names, and skips the check for
  // "none"; so the algorithm is compared with the pinned one right after, before anything is
  // trusted (this also stops HS256 tokens "signed" with an RS256 public key).
  int rc = jwt_decode(&raw, token_str.c_str(),
                      reinterpret_cast<const unsigned char*>(options_.key.data()),
                      static_cast<int>(options_.key.size()));
  JwtPtr jwt(raw);
  if (rc != 0 || !jwt) return Unauthenticated("signature or format");
  if (jwt_get_alg(jwt.get()) != pinned) return Unauthenticated("algorithm not accepted");

  const char* iss = jwt_get_grant(jwt.get(), "iss");
  if (iss == nullptr || options_.issuer != iss) return Unauthenticated("issuer");
  errno = 0;
  long exp = jwt_get_grant_int(jwt.get(), "exp");
  if (errno != 0 || exp <= 0) return Unauthenticated("no expiry");
  if (exp <= Now()) return Unauthenticated("expired");
  const char* sub = jwt_get_grant(jwt.get(), "sub");
  if (sub == nullptr || *sub == '\0') return Unauthenticated("no subject");

  Verified verified{.principal = {.subject = sub, .roles = {}}, .expires_at = exp};
  Principal& principal = verified.principal;
  if (char* roles_json = jwt_get_grants_json(jwt.get(), "roles")) {
    auto roles = nlohmann::json::parse(roles_json, nullptr, /*allow_exceptions=*/false);
    free(roles_json);
    if (!roles.is_array()) return Unauthenticated("roles must be an array");
    for (const auto& role : roles) {
      if (!role.is_string()) return Unauthenticated("roles must be strings");
      principal.roles.insert(role.get<std::string>());
    }
  }
  return verified;
}

absl::StatusOr<std::string> Mint(const MintOptions& options) {
  auto alg = ParseAlgorithm(options.algorithm);
  if (!alg.ok()) return alg.status();
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) return absl::InternalError("jwt_new failed");
  JwtPtr jwt(raw);
  const long now = static_cast<long>(std::time(nullptr));
  nlohmann::json roles = options.roles;
  const std::string roles_grant = nlohmann::json{{"roles", roles}}.dump();
  if (jwt_add_grant(jwt.get(), "iss", options.issuer.c_str()) != 0 ||
      jwt_add_grant(jwt.get(), "sub", options.subject.c_str()) != 0 ||
      jwt_add_grant_int(jwt.get(), "iat", now) != 0 ||
      jwt_add_grant_int(jwt.get(), "exp", now + options.ttl.count()) != 0 ||
      jwt_add_grants_json(jwt.get(), roles_grant.c_str()) != 0) {
    return absl::InvalidArgumentError("could not set token claims");
  }
  if (jwt_set_alg(jwt.get(), *alg, reinterpret_cast<const unsigned char*>(options.key.data()),
                  static_cast<int>(options.key.size())) != 0) {
    return absl::InvalidArgumentError("could not use the signing key");
  }
  char* encoded = jwt_encode_str(jwt.get());
  if (encoded == nullptr) return absl::InvalidArgumentError("could not sign the token");
  std::string token(encoded);
  free(encoded);
  return token;
}

}  // namespace hc::auth

#include "libs/auth/auth.h"

#include <jwt.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "libs/ids/ids.h"

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

// Reads a NumericDate claim; nullopt when absent or not a positive integer.
std::optional<long> IntClaim(jwt_t* jwt, const char* name) {
  errno = 0;
  long value = jwt_get_grant_int(jwt, name);
  if (errno != 0 || value <= 0) return std::nullopt;
  return value;
}

bool AudienceMatches(jwt_t* jwt, const std::string& audience) {
  if (const char* aud = jwt_get_grant(jwt, "aud")) return audience == aud;
  char* json = jwt_get_grants_json(jwt, "aud");
  if (json == nullptr) return false;
  auto parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  free(json);
  if (!parsed.is_array()) return false;
  for (const auto& a : parsed) {
    if (a.is_string() && a.get<std::string>() == audience) return true;
  }
  return false;
}

}  // namespace

absl::Status RequireService(const Principal& caller, std::span<const std::string_view> allowed) {
  if (!caller.IsService()) return absl::PermissionDeniedError("for services only");
  for (std::string_view name : allowed) {
    if (caller.subject == name) return absl::OkStatus();
  }
  return absl::PermissionDeniedError("service \"" + caller.subject + "\" may not call this");
}

void Revocations::Revoke(const std::string& subject, long through) {
  std::unique_lock lock(mu_);
  long& current = through_[ids::Canonical(subject)];
  current = std::max(current, through);
}

bool Revocations::IsRevoked(std::string_view subject, long issued_at) const {
  std::shared_lock lock(mu_);
  if (through_.empty()) return false;
  // A member id in either case is the same member (ids::Canonical).
  auto it = through_.find(ids::Canonical(subject));
  return it != through_.end() && issued_at <= it->second;
}

void Revocations::ForgetBefore(long before) {
  std::unique_lock lock(mu_);
  std::erase_if(through_, [before](const auto& entry) { return entry.second < before; });
}

size_t Revocations::size() const {
  std::shared_lock lock(mu_);
  return through_.size();
}

absl::StatusOr<Verifier> Verifier::Create(VerifierOptions options) {
  auto alg = ParseAlgorithm(options.algorithm);
  if (!alg.ok()) return alg.status();
  if (options.key.empty()) return absl::InvalidArgumentError("JWT key is empty");
  if (*alg == JWT_ALG_HS256 && options.key.size() < 32) {
    return absl::InvalidArgumentError("HS256 secret must be at least 32 bytes");
  }
  if (options.issuer.empty()) return absl::InvalidArgumentError("JWT issuer is empty");
  if (options.audience.empty()) return absl::InvalidArgumentError("JWT audience is empty");
  if (options.max_lifetime <= std::chrono::seconds(0)) {
    return absl::InvalidArgumentError("JWT maximum lifetime must be positive");
  }
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
      if (it->second.expires_at > now) return Checked(it->second.principal);
      cache_->entries.erase(it);
      return Unauthenticated("expired");
    }
  }
  auto verified = VerifyUncached(token);
  if (!verified.ok()) return verified.status();
  {
    std::lock_guard lock(cache_->mu);
    if (cache_->entries.size() >= kCacheCapacity) cache_->entries.clear();
    cache_->entries.emplace(std::move(key), *verified);
  }
  return Checked(verified->principal);
}

// Revocation is checked on every call, after the cache: a remembered token is refused the
// moment its subject is revoked.
absl::StatusOr<Principal> Verifier::Checked(const Principal& principal) const {
  if (revocations_->IsRevoked(principal.subject, principal.issued_at)) {
    return Unauthenticated("revoked");
  }
  return principal;
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
  if (!AudienceMatches(jwt.get(), options_.audience)) return Unauthenticated("audience");
  const long now = Now();
  const long leeway = static_cast<long>(options_.leeway.count());
  std::optional<long> exp = IntClaim(jwt.get(), "exp");
  if (!exp) return Unauthenticated("no expiry");
  if (*exp <= now) return Unauthenticated("expired");
  std::optional<long> iat = IntClaim(jwt.get(), "iat");
  if (!iat) return Unauthenticated("no issue time");
  if (*iat > now + leeway) return Unauthenticated("issued in the future");
  if (*exp - *iat > static_cast<long>(options_.max_lifetime.count())) {
    return Unauthenticated("lifetime longer than allowed");
  }
  errno = 0;
  const long nbf = jwt_get_grant_int(jwt.get(), "nbf");  // optional: ENOENT when absent
  if (errno != ENOENT) {
    if (errno != 0 || nbf <= 0) return Unauthenticated("nbf must be a time");
    if (nbf > now + leeway) return Unauthenticated("not valid yet");
  }
  const char* sub = jwt_get_grant(jwt.get(), "sub");
  if (sub == nullptr || *sub == '\0') return Unauthenticated("no subject");

  Verified verified{
      .principal = {.subject = sub, .roles = {}, .issued_at = *iat, .expires_at = *exp},
      .expires_at = *exp};
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
  if (principal.IsService() && ids::IsUuid(principal.subject)) {
    return Unauthenticated("a service identity cannot be a member id");
  }
  return verified;
}

absl::StatusOr<std::string> Mint(const MintOptions& options) {
  auto alg = ParseAlgorithm(options.algorithm);
  if (!alg.ok()) return alg.status();
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) return absl::InternalError("jwt_new failed");
  JwtPtr jwt(raw);
  const long now = options.issued_at == std::chrono::system_clock::time_point{}
                       ? static_cast<long>(std::time(nullptr))
                       : static_cast<long>(std::chrono::system_clock::to_time_t(options.issued_at));
  nlohmann::json roles = options.roles;
  const std::string roles_grant = nlohmann::json{{"roles", roles}}.dump();
  if (jwt_add_grant(jwt.get(), "iss", options.issuer.c_str()) != 0 ||
      jwt_add_grant(jwt.get(), "aud", options.audience.c_str()) != 0 ||
      jwt_add_grant(jwt.get(), "sub", options.subject.c_str()) != 0 ||
      jwt_add_grant_int(jwt.get(), "iat", now) != 0 ||
      jwt_add_grant_int(jwt.get(), "nbf", now) != 0 ||
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

#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace hc::auth {

// Role names as they appear in the token's `roles` claim.
inline constexpr std::string_view kRoleAlumnus = "alumnus";
inline constexpr std::string_view kRolePeerMentor = "peer_mentor";
inline constexpr std::string_view kRoleCoordinator = "coordinator";
inline constexpr std::string_view kRoleAdmin = "admin";
// A service identity (another Homecoming service), for internal RPCs.
inline constexpr std::string_view kRoleService = "service";

// Who is calling: `subject` is the member id, or for a service identity the service's name
// ("events"), which is never a member id (a token with the service role and a UUID subject is
// refused).
struct Principal {
  std::string subject;
  std::set<std::string, std::less<>> roles;
  // The token's `iat`, in seconds since the epoch (revocations compare against it).
  long issued_at = 0;
  // The token's `exp`, in seconds since the epoch: a call that outlives one request (a stream)
  // ends when it passes.
  long expires_at = 0;

  bool HasRole(std::string_view role) const { return roles.contains(role); }
  bool IsStaff() const { return HasRole(kRoleCoordinator) || HasRole(kRoleAdmin); }
  bool IsService() const { return HasRole(kRoleService); }
};

// PERMISSION_DENIED unless `caller` is a service identity named in `allowed`: each internal
// RPC lists the services that may call it.
absl::Status RequireService(const Principal& caller, std::span<const std::string_view> allowed);
inline absl::Status RequireService(const Principal& caller,
                                   std::initializer_list<std::string_view> allowed) {
  return RequireService(caller, std::span<const std::string_view>(allowed.begin(), allowed.size()));
}

// Subjects whose tokens issued up to a time are refused: a member erased or stripped of a role
// must not keep acting on a token minted before. Thread-safe; read on every call.
class Revocations {
 public:
  // Tokens of `subject` with `iat` <= `through` (seconds since the epoch) are refused. A token
  // minted in the same second as the change is refused too: the edge mints a fresh one.
  void Revoke(const std::string& subject, long through);
  bool IsRevoked(std::string_view subject, long issued_at) const;
  // Forgets revocations older than `before`: every token issued before then has expired.
  void ForgetBefore(long before);
  size_t size() const;

 private:
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, long> through_;
};

struct VerifierOptions {
  // Pinned: a token signed with any other algorithm ("none" included) is refused.
  std::string algorithm = "HS256";  // "HS256" (local runs) or "RS256" (production)
  // The HMAC secret (HS256) or the PEM public key (RS256).
  std::string key;
  std::string issuer;
  // Pinned like the issuer: the token's `aud` (a string, or an array holding it) must name it.
  std::string audience = "homecoming";
  // Longest accepted lifetime (`exp - iat`); tokens are short-lived by design.
  std::chrono::seconds max_lifetime{3600};
  // Clock skew tolerated for `iat` and `nbf` in the future.
  std::chrono::seconds leeway{60};
  // Tests pass a clock; services use the system's.
  std::function<std::chrono::system_clock::time_point()> clock = std::chrono::system_clock::now;
};

class Verifier {
 public:
  static absl::StatusOr<Verifier> Create(VerifierOptions options);

  // Checks signature, algorithm, issuer, audience, lifetime (iat, nbf, exp), subject and
  // revocation of a compact JWT. UNAUTHENTICATED with a reason on any failure.
  absl::StatusOr<Principal> Verify(std::string_view token) const;
  // The same for an `authorization` header value: "Bearer <token>".
  absl::StatusOr<Principal> VerifyBearer(std::string_view header) const;

  // Shared by every copy of this verifier: revoking here refuses at once, remembered tokens
  // included.
  Revocations& revocations() const { return *revocations_; }
  const VerifierOptions& options() const { return options_; }

 private:
  struct Verified {
    Principal principal;
    long expires_at = 0;
  };
  // Tokens already verified, until they expire: a client reuses one token for many calls,
  // and checking its signature every time would cost more than most RPCs. Bounded; cleared
  // whole when full.
  struct Cache {
    std::mutex mu;
    std::unordered_map<std::string, Verified> entries;
  };
  static constexpr size_t kCacheCapacity = 10000;

  explicit Verifier(VerifierOptions options)
      : options_(std::move(options)),
        cache_(std::make_shared<Cache>()),
        revocations_(std::make_shared<Revocations>()) {}
  absl::StatusOr<Principal> Checked(const Principal& principal) const;
  absl::StatusOr<Verified> VerifyUncached(std::string_view token) const;
  long Now() const;

  VerifierOptions options_;
  std::shared_ptr<Cache> cache_;
  std::shared_ptr<Revocations> revocations_;
};

struct MintOptions {
  std::string algorithm = "HS256";
  // The HMAC secret (HS256) or the PEM private key (RS256).
  std::string key;
  std::string issuer;
  std::string audience = "homecoming";
  std::string subject;
  std::vector<std::string> roles;
  std::chrono::seconds ttl{3600};
  // `iat` and `nbf`; the epoch means now.
  std::chrono::system_clock::time_point issued_at{};
};

// Signs a token for local runs and tests.
absl::StatusOr<std::string> Mint(const MintOptions& options);

}  // namespace hc::auth

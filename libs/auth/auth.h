#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"

namespace hc::auth {

// Role names as they appear in the token's `roles` claim.
inline constexpr std::string_view kRoleAlumnus = "alumnus";
inline constexpr std::string_view kRolePeerMentor = "peer_mentor";
inline constexpr std::string_view kRoleCoordinator = "coordinator";
inline constexpr std::string_view kRoleAdmin = "admin";
// A service identity (another Homecoming service), for internal RPCs.
inline constexpr std::string_view kRoleService = "service";

// Who is calling: `subject` is the member id (or the service's name for a service identity).
struct Principal {
  std::string subject;
  std::set<std::string, std::less<>> roles;

  bool HasRole(std::string_view role) const { return roles.contains(role); }
  bool IsStaff() const { return HasRole(kRoleCoordinator) || HasRole(kRoleAdmin); }
};

struct VerifierOptions {
  // Pinned: a token signed with any other algorithm ("none" included) is refused.
  std::string algorithm = "HS256";  // "HS256" (local runs) or "RS256" (production)
  // The HMAC secret (HS256) or the PEM public key (RS256).
  std::string key;
  std::string issuer;
  // Tests pass a clock; services use the system's.
  std::function<std::chrono::system_clock::time_point()> clock = std::chrono::system_clock::now;
};

class Verifier {
 public:
  static absl::StatusOr<Verifier> Create(VerifierOptions options);

  // Checks signature, algorithm, issuer, expiry and subject of a compact JWT.
  // UNAUTHENTICATED with a reason on any failure.
  absl::StatusOr<Principal> Verify(std::string_view token) const;
  // The same for an `authorization` header value: "Bearer <token>".
  absl::StatusOr<Principal> VerifyBearer(std::string_view header) const;

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
      : options_(std::move(options)), cache_(std::make_shared<Cache>()) {}
  absl::StatusOr<Verified> VerifyUncached(std::string_view token) const;
  long Now() const;

  VerifierOptions options_;
  std::shared_ptr<Cache> cache_;
};

struct MintOptions {
  std::string algorithm = "HS256";
  // The HMAC secret (HS256) or the PEM private key (RS256).
  std::string key;
  std::string issuer;
  std::string subject;
  std::vector<std::string> roles;
  std::chrono::seconds ttl{3600};
};

// Signs a token for local runs and tests.
absl::StatusOr<std::string> Mint(const MintOptions& options);

}  // namespace hc::auth

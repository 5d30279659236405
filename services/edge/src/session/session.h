#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

// What the edge's gateway needs to know about a browser's session. The sign-in side
// (emailed links, the dev sign-in page, the session store, token minting) implements it; the
// gateway only asks.
namespace edge::session {

// The cookie that carries the session secret: HttpOnly, SameSite=Lax, Path=/, and with TLS
// Secure and the __Host- prefix. Its value is a random secret; the store keeps only its hash.
inline constexpr std::string_view kCookieName = "hc_session";
inline constexpr std::string_view kSecureCookieName = "__Host-hc_session";
// The header in which the web app returns the session's CSRF token on every state change.
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";

struct Session {
  // The store's id for the session (never the cookie's secret): for logs and revocation.
  std::string id;
  std::string member_id;
  // Token role names ("alumnus", "coordinator", ...), as membership last said.
  std::vector<std::string> roles;
  std::string csrf_token;
  std::chrono::system_clock::time_point expires_at;
};

class SessionAuthority {
 public:
  virtual ~SessionAuthority() = default;

  // The live session that the cookie value names. UNAUTHENTICATED when there is none or it
  // expired or was revoked; UNAVAILABLE when the session store can't be reached.
  virtual absl::StatusOr<Session> Find(std::string_view cookie_value) = 0;

  // A short-lived access token (a JWT the services verify) for calls made on the session's
  // behalf: reused until close to expiry, then minted again with the member's current roles.
  // UNAUTHENTICATED (and the session revoked) when the member no longer exists.
  virtual absl::StatusOr<std::string> AccessToken(const Session& session) = 0;

  // A backend refused the session's token (UNAUTHENTICATED: a role was revoked since it was
  // minted, say): the next AccessToken mints a fresh one, with current roles and an `iat` after
  // the refusal's second (services refuse tokens issued at or before a revocation's second).
  virtual void ForgetToken(const Session& session) = 0;
};

}  // namespace edge::session

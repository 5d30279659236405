#pragma once

#include <chrono>
#include <string>
#include <string_view>

// The small, pure pieces of sign-in: secrets, their hashes, cookies (the same-origin rule is
// services/edge/src/http/origin.h, shared with the gateway).
namespace edge::session {

// 32 random bytes (libsodium), base64url without padding: 43 characters. Sign-in link tokens,
// session cookies and CSRF tokens are all such secrets.
std::string NewSecret();
// SHA-256 of a secret, 32 raw bytes: what the database keeps instead of the secret.
std::string HashSecret(std::string_view secret);
// Whether `value` has the shape NewSecret gives (cheap refusal before any database work).
bool LooksLikeSecret(std::string_view value);

// The Set-Cookie value carrying a session secret: HttpOnly, SameSite=Lax, Path=/; with
// `secure` (the edge is reached over TLS) the __Host- name and Secure.
std::string SessionCookie(std::string_view secret, std::chrono::seconds max_age, bool secure);
// The Set-Cookie value that removes the session cookie.
std::string ClearedSessionCookie(bool secure);
// The session cookie's value in a Cookie request header (the secure name when `secure`), or
// empty.
std::string SessionCookieValue(std::string_view cookie_header, bool secure);

// A plausible email address (one @, no spaces or controls, <= 254 bytes); membership decides
// whether it is anyone's.
bool LooksLikeEmail(std::string_view email);

// Escapes text for HTML element content and attribute values.
std::string HtmlEscape(std::string_view text);

}  // namespace edge::session

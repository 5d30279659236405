#include "services/edge/src/session/secrets.h"

#include <sodium.h>

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace edge::session {
namespace {

constexpr size_t kSecretBytes = 32;

void InitSodium() {
  // sodium_init is idempotent and thread-safe; it picks the random source once.
  [[maybe_unused]] static const int initialised = sodium_init();
}

}  // namespace

std::string NewSecret() {
  InitSodium();
  std::array<unsigned char, kSecretBytes> bytes;
  randombytes_buf(bytes.data(), bytes.size());
  std::string out(sodium_base64_ENCODED_LEN(kSecretBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

std::string HashSecret(std::string_view secret) {
  InitSodium();
  std::string out(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()),
                     reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  return out;
}

bool LooksLikeSecret(std::string_view value) {
  if (value.size() != 43) return false;
  for (char c : value) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

std::string SessionCookie(std::string_view secret, std::chrono::seconds max_age, bool secure) {
  return absl::StrCat(secure ? "__Host-hc_session=" : "hc_session=", std::string(secret),
                      "; Max-Age=", max_age.count(), "; Path=/; HttpOnly; SameSite=Lax",
                      secure ? "; Secure" : "");
}

std::string ClearedSessionCookie(bool secure) {
  return absl::StrCat(secure ? "__Host-hc_session=" : "hc_session=",
                      "; Max-Age=0; Path=/; HttpOnly; SameSite=Lax", secure ? "; Secure" : "");
}

std::string SessionCookieValue(std::string_view cookie_header, bool secure) {
  const std::string_view name = secure ? "__Host-hc_session" : "hc_session";
  const std::string header(cookie_header);
  for (absl::string_view piece : absl::StrSplit(header, ';')) {
    piece = absl::StripAsciiWhitespace(piece);
    const std::string_view part(piece.data(), piece.size());
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos || part.substr(0, eq) != name) continue;
    return std::string(part.substr(eq + 1));
  }
  return "";
}

bool LooksLikeEmail(std::string_view email) {
  if (email.empty() || email.size() > 254) return false;
  const size_t at = email.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == email.size() ||
      email.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  for (unsigned char c : email) {
    if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == ',' || c == ';') return false;
  }
  return email.find('.', at) != std::string_view::npos;
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace edge::session

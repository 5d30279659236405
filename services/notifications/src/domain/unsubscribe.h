#pragma once

#include <array>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "services/notifications/src/domain/preferences.h"

// Signed one-click unsubscribe links (RFC 8058): the link names a member and a category and
// carries an HMAC-SHA256 of both, so it works without signing in and cannot be forged for
// another member or category. Links do not expire: an old email's link must keep working.
namespace notifications::domain {

struct UnsubscribeRequest {
  std::string member_id;
  Category category = Category::kEvents;
};

class UnsubscribeKey {
 public:
  // 64 hex characters (32 random bytes), e.g. from `openssl rand -hex 32`; surrounding
  // whitespace is ignored. INVALID_ARGUMENT otherwise.
  static absl::StatusOr<UnsubscribeKey> FromHex(std::string_view hex);
  // A fresh random key (tests).
  static UnsubscribeKey Generate();

  // base64url (no padding) of "<category>:<member_id>", ".", base64url of its MAC.
  std::string Sign(const UnsubscribeRequest& request) const;
  // INVALID_ARGUMENT for anything malformed, tampered with or signed under another key. The
  // MAC is compared in constant time.
  absl::StatusOr<UnsubscribeRequest> Verify(std::string_view token) const;

 private:
  UnsubscribeKey() = default;
  std::array<unsigned char, 32> key_{};
};

// `{public_base_url}/unsubscribe?t=<token>` (the token is URL-safe as it is).
std::string UnsubscribeUrl(std::string_view public_base_url, std::string_view token);

}  // namespace notifications::domain

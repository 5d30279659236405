#include "services/notifications/src/domain/unsubscribe.h"

#include <sodium.h>

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace notifications::domain {
namespace {

static_assert(crypto_auth_hmacsha256_KEYBYTES == 32);

bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

std::string Base64Url(const unsigned char* data, size_t size) {
  const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(size, variant), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size, variant);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::optional<std::string> FromBase64Url(std::string_view text) {
  std::string out(text.size(), '\0');
  size_t size = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &size, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(size);
  return out;
}

absl::Status Refused() { return absl::InvalidArgumentError("invalid unsubscribe token"); }

}  // namespace

absl::StatusOr<UnsubscribeKey> UnsubscribeKey::FromHex(std::string_view hex) {
  if (!SodiumReady()) return absl::InternalError("libsodium failed to initialise");
  const absl::string_view trimmed =
      absl::StripAsciiWhitespace(absl::string_view(hex.data(), hex.size()));
  hex = std::string_view(trimmed.data(), trimmed.size());
  UnsubscribeKey key;
  size_t size = 0;
  const char* end = nullptr;
  if (hex.size() != 2 * key.key_.size() ||
      sodium_hex2bin(key.key_.data(), key.key_.size(), hex.data(), hex.size(), nullptr, &size,
                     &end) != 0 ||
      size != key.key_.size()) {
    return absl::InvalidArgumentError("the unsubscribe key must be 64 hex characters");
  }
  return key;
}

UnsubscribeKey UnsubscribeKey::Generate() {
  SodiumReady();
  UnsubscribeKey key;
  crypto_auth_hmacsha256_keygen(key.key_.data());
  return key;
}

std::string UnsubscribeKey::Sign(const UnsubscribeRequest& request) const {
  const std::string payload =
      absl::StrCat(std::string(CategoryName(request.category)), ":", request.member_id);
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256(mac.data(), reinterpret_cast<const unsigned char*>(payload.data()),
                         payload.size(), key_.data());
  return absl::StrCat(
      Base64Url(reinterpret_cast<const unsigned char*>(payload.data()), payload.size()), ".",
      Base64Url(mac.data(), mac.size()));
}

absl::StatusOr<UnsubscribeRequest> UnsubscribeKey::Verify(std::string_view token) const {
  const size_t dot = token.find('.');
  if (dot == std::string_view::npos || token.size() > 512) return Refused();
  const std::optional<std::string> payload = FromBase64Url(token.substr(0, dot));
  const std::optional<std::string> mac = FromBase64Url(token.substr(dot + 1));
  if (!payload || !mac || mac->size() != crypto_auth_hmacsha256_BYTES) return Refused();
  if (crypto_auth_hmacsha256_verify(reinterpret_cast<const unsigned char*>(mac->data()),
                                    reinterpret_cast<const unsigned char*>(payload->data()),
                                    payload->size(), key_.data()) != 0) {
    return Refused();
  }
  // Only a payload this service signed gets here; still parse it strictly.
  const size_t colon = payload->find(':');
  if (colon == std::string::npos) return Refused();
  const std::optional<Category> category = CategoryFromName(payload->substr(0, colon));
  if (!category || colon + 1 == payload->size()) return Refused();
  return UnsubscribeRequest{.member_id = payload->substr(colon + 1), .category = *category};
}

std::string UnsubscribeUrl(std::string_view public_base_url, std::string_view token) {
  std::string base(public_base_url);
  if (!base.empty() && base.back() == '/') base.pop_back();
  return absl::StrCat(base, "/unsubscribe?t=", std::string(token));
}

}  // namespace notifications::domain

#pragma once

#include <array>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace hc::crypto {

// Protects personal data at rest with libsodium. Two sub-keys are derived from one master key:
// one seals fields (XChaCha20-Poly1305, a random nonce per value, the row and column bound in
// as associated data so a sealed value can't be moved to another row), one makes keyed
// fingerprints (BLAKE2b) for equality look-ups such as "is this email taken" without storing
// the plain value.
class DataKeys {
 public:
  // `master_hex`: 64 hex characters (32 random bytes), e.g. from `openssl rand -hex 32`.
  static absl::StatusOr<DataKeys> FromHex(std::string_view master_hex);

  // nonce || ciphertext || tag.
  std::string Seal(std::string_view plaintext, std::string_view associated_data) const;
  // DATA_LOSS when the value was tampered with, sealed under another key or for another row.
  absl::StatusOr<std::string> Open(std::string_view sealed, std::string_view associated_data) const;
  // 32 bytes, the same for the same value and key.
  std::string Fingerprint(std::string_view value) const;

 private:
  DataKeys() = default;
  std::array<unsigned char, 32> seal_key_{};
  std::array<unsigned char, 32> fingerprint_key_{};
};

}  // namespace hc::crypto

#include "libs/crypto/crypto.h"

#include <sodium.h>

#include <cstdio>
#include <stdexcept>

namespace hc::crypto {
namespace {

constexpr char kContext[crypto_kdf_CONTEXTBYTES + 1] = "hcdata01";
constexpr uint64_t kSealKeyId = 1;
constexpr uint64_t kFingerprintKeyId = 2;

void EnsureSodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) throw std::runtime_error("libsodium failed to initialise");
}

}  // namespace

absl::StatusOr<DataKeys> DataKeys::FromHex(std::string_view master_hex) {
  EnsureSodium();
  while (!master_hex.empty() && (master_hex.back() == '\n' || master_hex.back() == ' ')) {
    master_hex.remove_suffix(1);
  }
  unsigned char master[crypto_kdf_KEYBYTES];
  size_t len = 0;
  if (master_hex.size() != 2 * sizeof(master) ||
      sodium_hex2bin(master, sizeof(master), master_hex.data(), master_hex.size(), nullptr, &len,
                     nullptr) != 0 ||
      len != sizeof(master)) {
    return absl::InvalidArgumentError("data key must be 64 hex characters (32 bytes)");
  }
  DataKeys keys;
  crypto_kdf_derive_from_key(keys.seal_key_.data(), keys.seal_key_.size(), kSealKeyId, kContext,
                             master);
  crypto_kdf_derive_from_key(keys.fingerprint_key_.data(), keys.fingerprint_key_.size(),
                             kFingerprintKeyId, kContext, master);
  sodium_memzero(master, sizeof(master));
  return keys;
}

std::string DataKeys::Seal(std::string_view plaintext, std::string_view ad) const {
  std::string out(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + plaintext.size() +
                      crypto_aead_xchacha20poly1305_ietf_ABYTES,
                  '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &written,
      reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr, nonce,
      seal_key_.data());
  return out;
}

absl::StatusOr<std::string> DataKeys::Open(std::string_view sealed, std::string_view ad) const {
  constexpr size_t kOverhead =
      crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES;
  if (sealed.size() < kOverhead) return absl::DataLossError("sealed value too short");
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  std::string out(sealed.size() - kOverhead, '\0');
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out.data()), &written, nullptr,
          nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
          sealed.size() - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
          reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nonce,
          seal_key_.data()) != 0) {
    return absl::DataLossError("sealed value does not open with this key");
  }
  out.resize(written);
  return out;
}

std::string DataKeys::Fingerprint(std::string_view value) const {
  std::string out(32, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(value.data()), value.size(),
                     fingerprint_key_.data(), fingerprint_key_.size());
  return out;
}

}  // namespace hc::crypto

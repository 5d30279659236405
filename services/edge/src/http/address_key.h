#pragma once

#include <sodium.h>

#include <string>
#include <string_view>

namespace edge::http {

// A keyed hash (BLAKE2b, 16 bytes, hex) of a client address, an email address or a session
// cookie: what rate-limit keys (Redis) carry instead of the value itself. `key` is
// HC_EDGE_RATE_KEY, the same on every replica so they count together; without it the hash cannot be
// reversed by trying every IPv4 address. The one function for the gateway's and sign-in's limits.
inline std::string AddressKey(std::string_view key, std::string_view value) {
  [[maybe_unused]] static const int initialised = sodium_init();
  unsigned char derived[crypto_generichash_KEYBYTES];
  crypto_generichash(derived, sizeof derived, reinterpret_cast<const unsigned char*>(key.data()),
                     key.size(), nullptr, 0);
  unsigned char out[16];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(value.data()),
                     value.size(), derived, sizeof derived);
  char hex[sizeof out * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, out, sizeof out);
  return hex;
}

}  // namespace edge::http

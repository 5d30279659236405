#pragma once

#include <chrono>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "tools/hc-service-tokens/kube_client.h"
#include "tools/hc-service-tokens/settings.h"

namespace hc::service_tokens {

// A token for `service` exactly as the services' verifier (libs/auth Verifier, configured by
// libs/config ReadServiceSettings) accepts a service identity and libs/grpc's clients would
// mint one themselves with HS256: `sub` = the service's name, roles ["service"], the issuer
// and audience of `settings`, `iat`/`nbf` = `now`, `exp` = now + ttl.
absl::StatusOr<std::string> MintServiceToken(const Settings& settings, const std::string& key,
                                             const std::string& service,
                                             std::chrono::system_clock::time_point now);

// Mints a token for every service of `settings` and writes it to key `token` of its Secret.
// Goes on past a failure, so one broken Secret does not leave the others to expire. Says on
// `log` which Secrets were renewed (until when) and which were not (why); never a token.
// Returns how many were NOT renewed.
int RenewAll(const Settings& settings, const std::string& key, SecretWriter& writer,
             std::ostream& log, std::chrono::system_clock::time_point now);

}  // namespace hc::service_tokens

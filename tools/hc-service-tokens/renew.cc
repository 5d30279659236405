#include "tools/hc-service-tokens/renew.h"

#include "absl/time/time.h"
#include "libs/auth/auth.h"

namespace hc::service_tokens {

absl::StatusOr<std::string> MintServiceToken(const Settings& settings, const std::string& key,
                                             const std::string& service,
                                             std::chrono::system_clock::time_point now) {
  return auth::Mint({.algorithm = settings.algorithm,
                     .key = key,
                     .issuer = settings.issuer,
                     .audience = settings.audience,
                     .subject = service,
                     .roles = {std::string(auth::kRoleService)},
                     .ttl = settings.ttl,
                     .issued_at = now});
}

int RenewAll(const Settings& settings, const std::string& key, SecretWriter& writer,
             std::ostream& log, std::chrono::system_clock::time_point now) {
  int failed = 0;
  const std::string expires = absl::FormatTime(
      absl::RFC3339_sec, absl::FromChrono(now + settings.ttl), absl::UTCTimeZone());
  for (const std::string& service : settings.services) {
    const std::string secret = SecretName(service);
    auto token = MintServiceToken(settings, key, service, now);
    absl::Status written = token.ok() ? writer.Write(secret, "token", *token) : token.status();
    if (written.ok()) {
      log << "hc-service-tokens: renewed Secret " << secret << " (sub " << service << ", expires "
          << expires << ")\n";
    } else {
      ++failed;
      log << "hc-service-tokens: NOT renewed: Secret " << secret << ": " << written.message()
          << "\n";
    }
  }
  return failed;
}

}  // namespace hc::service_tokens

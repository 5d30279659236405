#pragma once

#include <chrono>
#include <functional>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "tools/hc-service-tokens/settings.h"

namespace hc::service_tokens {

// Where renewed tokens go. The Kubernetes API in production; a fake in tests of the renewal.
class SecretWriter {
 public:
  virtual ~SecretWriter() = default;
  // Sets key `key` of Secret `name` to `value`, keeping its other keys.
  virtual absl::Status Write(const std::string& name, const std::string& key,
                             const std::string& value) = 0;
};

// Writes Secrets through the Kubernetes API: one JSON merge patch
// (PATCH /api/v1/namespaces/<ns>/secrets/<name>), so the ServiceAccount needs only `patch` on
// the named Secrets, and no read-modify-write race with anyone else writing other keys.
//
// Retries, waiting first_backoff and doubling, when the API cannot be reached or answers 429
// or 5xx; any other answer is final. Never writes the value, the bearer token or a response
// body to `log` (a successful PATCH answers with the whole Secret).
class KubeClient : public SecretWriter {
 public:
  using Sleep = std::function<void(std::chrono::milliseconds)>;

  // `sleep` waits between attempts (tests record the waits instead).
  KubeClient(KubeOptions options, std::ostream& log, Sleep sleep = {});

  // NOT_FOUND when the Secret does not exist (it is never created here: see README.md),
  // PERMISSION_DENIED on 401/403, UNAVAILABLE after the last retry, FAILED_PRECONDITION for a
  // missing bearer token or CA, or any other refusal. Each message names the Secret.
  absl::Status Write(const std::string& name, const std::string& key,
                     const std::string& value) override;

 private:
  struct Reply {
    long http_status = 0;  // 0: no answer (curl_error says why)
    std::string curl_error;
    bool retryable_transport = false;
    std::string body;
  };
  Reply Patch(const std::string& path, const std::string& bearer, const std::string& body) const;

  KubeOptions options_;
  std::ostream& log_;
  Sleep sleep_;
};

}  // namespace hc::service_tokens

#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "libs/auth/auth.h"
#include "libs/metrics/metrics.h"

namespace hc::grpc_client {

// How this service reaches another one.
struct ChannelOptions {
  std::string address;
  // TLS: the CA bundle that signed the other service's certificate. Empty: plaintext, which
  // is allowed only to a loopback address.
  std::string tls_ca_pem;
  // mTLS: this service's certificate and key, presented to the other service.
  std::string tls_cert_pem;
  std::string tls_key_pem;
  // Names the certificate must carry when it differs from the address's host.
  std::string tls_server_name;
  // Plaintext to another host, only behind a service mesh whose sidecars provide mTLS
  // (HC_ALLOW_PLAINTEXT_NON_LOOPBACK, the same switch as the server side's).
  bool allow_plaintext_non_loopback = false;
};

// A channel to another service: TLS (and mTLS) when configured; INVALID_ARGUMENT for plaintext
// off loopback or half a client certificate. Calls are balanced round robin over every address
// the name resolves to (`dns:///<headless service>:<port>` gives one per pod).
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const ChannelOptions& options);

// Runs `call` (a blocking stub call of `method` on `service`) and, when `metrics` is given,
// records its outcome and latency there.
grpc::Status Observed(metrics::GrpcClientMetrics* metrics, std::string_view service,
                      std::string_view method, const std::function<grpc::Status()>& call);

// This service's own identity for internal RPCs, always fresh: a token re-read from
// `token_file` (production: an issuer outside the service rotates it) whenever the one held is
// within `refresh_before` of expiry or older than `reread_every`, or, without a file, minted
// with the service's HS256 key for `ttl` (local runs and tests).
class ServiceToken {
 public:
  struct Options {
    std::string service;  // the subject: "events", "volunteering", ...
    std::string token_file;
    auth::VerifierOptions jwt;
    std::chrono::seconds ttl{600};
    std::chrono::seconds refresh_before{120};
    std::chrono::seconds reread_every{60};
    std::function<std::chrono::system_clock::time_point()> clock = std::chrono::system_clock::now;
  };
  explicit ServiceToken(Options options) : options_(std::move(options)) {}

  // FAILED_PRECONDITION when there is neither a readable file nor an HS256 key.
  absl::StatusOr<std::string> Get();

 private:
  Options options_;
  std::mutex mu_;
  std::string token_;
  std::chrono::system_clock::time_point fresh_until_{};
};

}  // namespace hc::grpc_client

#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/config/config.h"

namespace hc::service_tokens {

// Where a pod finds its ServiceAccount's token, the cluster CA and its namespace.
inline constexpr char kServiceAccountDir[] = "/var/run/secrets/kubernetes.io/serviceaccount";

// How to reach the Kubernetes API.
struct KubeOptions {
  // HC_KUBE_API_URL, else https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT (what
  // Kubernetes sets in every pod).
  std::string api_url;
  // HC_KUBE_NAMESPACE, else the ServiceAccount's namespace file.
  std::string namespace_name;
  // HC_KUBE_TOKEN_FILE: the bearer token, re-read on every request (the kubelet rotates it).
  std::string token_file = std::string(kServiceAccountDir) + "/token";
  // HC_KUBE_CA_FILE: the CA the API server's certificate must chain to.
  std::string ca_file = std::string(kServiceAccountDir) + "/ca.crt";
  // HC_KUBE_ATTEMPTS: tries per Secret when the API is unreachable or answers 429/5xx.
  int attempts = 5;
  // The wait before the second try, doubled before each later one.
  std::chrono::milliseconds first_backoff{500};
  // HC_KUBE_TIMEOUT_SECONDS: one request, connecting included.
  std::chrono::seconds timeout{10};
};

struct Settings {
  // HC_JWT_SIGNING_KEY_FILE (required): the issuer's private key, the edge's own setting.
  std::string signing_key_file;
  // HC_JWT_ALG: RS256 in production (HS256 with the shared secret works for a local cluster).
  std::string algorithm = "RS256";
  // HC_JWT_ISSUER (required): must equal the services' HC_JWT_ISSUER.
  std::string issuer;
  // HC_JWT_AUDIENCE: must equal the services' HC_JWT_AUDIENCE.
  std::string audience = "homecoming";
  // HC_SERVICE_TOKEN_SERVICES (required): comma-separated service names; each gets a token
  // with `sub` = the name in Secret `<name>-service-token`.
  std::vector<std::string> services;
  // HC_SERVICE_TOKEN_TTL_SECONDS: at most the services' HC_JWT_MAX_LIFETIME_SECONDS (they
  // refuse longer-lived tokens), and well above the schedule's period.
  std::chrono::seconds ttl{3600};
  KubeOptions kube;
  // KUBERNETES_SERVICE_HOST / _PORT, as Kubernetes sets them in every pod.
  std::string kubernetes_service_host;
  std::string kubernetes_service_port;
};

// Reads every variable before checking any, so `--list-settings` sees them all.
// INVALID_ARGUMENT naming each bad or missing variable. Reads no file.
absl::StatusOr<Settings> ReadSettings(config::Env& env);

// Fills in what the pod provides when not set explicitly: the API's URL from
// KUBERNETES_SERVICE_HOST/PORT and the namespace from the ServiceAccount's file.
// FAILED_PRECONDITION when neither way gives one (not in a pod, no HC_KUBE_* either).
absl::Status ResolveInCluster(Settings& settings);

// The contents of `path`, or nullopt when it can't be read. (libs/config has one too, in the
// services' settings library, which would bring gRPC and Redis into this small tool.)
std::optional<std::string> ReadFileContent(const std::string& path);

// The Secret holding `service`'s token.
inline std::string SecretName(const std::string& service) { return service + "-service-token"; }

}  // namespace hc::service_tokens

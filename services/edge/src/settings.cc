#include "services/edge/src/settings.h"

#include "absl/strings/str_cat.h"
#include "libs/config/service_settings.h"

namespace edge {
namespace {

bool IsLoopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address.rfind("localhost:", 0) == 0 ||
         address.rfind("[::1]:", 0) == 0;
}

}  // namespace

absl::StatusOr<Settings> Settings::FromEnv(hc::config::Env& env) {
  Settings s;
  s.http_address = env.Address("HC_EDGE_HTTP_ADDR", s.http_address);
  s.metrics_address = env.Address("HC_METRICS_ADDR", s.metrics_address);
  const std::string profile = env.String("HC_EDGE_PROFILE", "production");
  const std::string public_url = env.String("HC_EDGE_PUBLIC_URL", "");
  const std::string jwt_algorithm = env.String("HC_JWT_ALG", "HS256");
  s.tls_cert_file = env.String("HC_TLS_CERT_FILE", "");
  s.tls_key_file = env.String("HC_TLS_KEY_FILE", "");
  const std::string tls_ca = env.String("HC_TLS_CA_FILE", "");
  const bool plaintext_ok = env.Bool("HC_ALLOW_PLAINTEXT_NON_LOOPBACK", false);
  // deploy/compose.yaml: the edge listens on its container's own network, which podman publishes
  // on the host's loopback only (podman-compose 1.0.3 cannot give a container the host network).
  const bool local_in_container = env.Bool("HC_EDGE_LOCAL_CONTAINER_NETWORK", false);
  s.web_dir = env.String("HC_EDGE_WEB_DIR", s.web_dir);
  s.membership.address = env.Address("HC_MEMBERSHIP_ADDR", s.membership.address);
  s.events.address = env.Address("HC_EVENTS_ADDR", s.events.address);
  s.volunteering.address = env.Address("HC_VOLUNTEERING_ADDR", s.volunteering.address);
  s.notifications.address = env.Address("HC_NOTIFICATIONS_ADDR", s.notifications.address);
  s.redis_address = env.Address("HC_REDIS_ADDR", s.redis_address);
  s.max_body_bytes = static_cast<size_t>(
      env.Int("HC_EDGE_MAX_BODY_BYTES", static_cast<int64_t>(s.max_body_bytes), 1024, 16 << 20));
  s.threads = static_cast<int>(env.Int("HC_EDGE_THREADS", s.threads, 2, 4096));
  s.max_streams = static_cast<int>(env.Int("HC_EDGE_MAX_STREAMS", s.max_streams, 0, 4096));
  s.max_streams_per_member = static_cast<int>(
      env.Int("HC_EDGE_MAX_STREAMS_PER_MEMBER", s.max_streams_per_member, 1, 4096));
  s.keep_alive_requests =
      static_cast<int>(env.Int("HC_EDGE_KEEP_ALIVE_REQUESTS", s.keep_alive_requests, 1, 1000000));
  s.ip_rate_per_minute = static_cast<int>(
      env.Int("HC_EDGE_RATE_PER_IP_PER_MINUTE", s.ip_rate_per_minute, 1, 10000000));
  s.session_rate_per_minute = static_cast<int>(
      env.Int("HC_EDGE_RATE_PER_SESSION_PER_MINUTE", s.session_rate_per_minute, 1, 10000000));
  const std::string rate_key = env.String("HC_EDGE_RATE_KEY", "");
  s.default_timeout = std::chrono::milliseconds(
      env.Int("HC_EDGE_DEFAULT_TIMEOUT_MS", s.default_timeout.count(), 1, 600000));
  s.max_timeout = std::chrono::milliseconds(
      env.Int("HC_EDGE_MAX_TIMEOUT_MS", s.max_timeout.count(), 1, 600000));
  s.stream_heartbeat = std::chrono::milliseconds(
      env.Int("HC_EDGE_STREAM_HEARTBEAT_MS", s.stream_heartbeat.count(), 10, 600000));
  s.log_level = env.String("HC_LOG_LEVEL", s.log_level);
  if (absl::Status checked = env.Check(); !checked.ok()) return checked;

  if (profile == "local") {
    s.profile = Profile::kLocal;
  } else if (profile == "production") {
    s.profile = Profile::kProduction;
  } else {
    return absl::InvalidArgumentError("HC_EDGE_PROFILE=" + profile +
                                      " must be local or production");
  }
  if (s.profile == Profile::kLocal && !IsLoopback(s.http_address) && !local_in_container) {
    // The local profile serves /metrics and the dev sign-in page: never to a network.
    return absl::InvalidArgumentError("HC_EDGE_HTTP_ADDR=" + s.http_address +
                                      " is not loopback: HC_EDGE_PROFILE=local listens on "
                                      "loopback only (in a container published on the host's "
                                      "loopback: HC_EDGE_LOCAL_CONTAINER_NETWORK=true)");
  }
  if (s.profile == Profile::kProduction && jwt_algorithm != "RS256") {
    // With HS256 every service holding the verification secret could mint members' tokens.
    return absl::InvalidArgumentError("HC_JWT_ALG=" + jwt_algorithm +
                                      ": HC_EDGE_PROFILE=production needs RS256");
  }
  if (s.profile == Profile::kProduction) {
    if (!public_url.starts_with("https://")) {
      return absl::InvalidArgumentError(
          "HC_EDGE_PUBLIC_URL=" + public_url +
          " must be an https URL with HC_EDGE_PROFILE=production (browsers reach the edge over "
          "TLS, here or at a proxy)");
    }
    s.public_url = public_url;
  } else {
    s.public_url = public_url.empty() ? "http://" + s.http_address : public_url;
  }
  if (s.tls_cert_file.empty() != s.tls_key_file.empty()) {
    return absl::InvalidArgumentError("HC_TLS_CERT_FILE and HC_TLS_KEY_FILE go together");
  }
  for (const auto& [variable, path] :
       {std::pair<const char*, const std::string&>{"HC_TLS_CERT_FILE", s.tls_cert_file},
        {"HC_TLS_KEY_FILE", s.tls_key_file}}) {
    if (!path.empty() && !hc::config::ReadFile(path)) {
      return absl::InvalidArgumentError(absl::StrCat(variable, "=", path, " cannot be read"));
    }
  }
  if (s.profile == Profile::kProduction && !IsLoopback(s.http_address) && !s.tls()) {
    // Session cookies over plaintext to another host would be readable on the wire.
    return absl::InvalidArgumentError(
        "HC_EDGE_HTTP_ADDR=" + s.http_address +
        " is not loopback: the production profile needs HC_TLS_CERT_FILE and HC_TLS_KEY_FILE "
        "(or listen on loopback behind a TLS-terminating proxy)");
  }
  if (s.profile == Profile::kProduction && rate_key.empty()) {
    return absl::InvalidArgumentError(
        "HC_EDGE_RATE_KEY is required with HC_EDGE_PROFILE=production");
  }
  if (!rate_key.empty()) s.rate_key = rate_key;
  if (s.default_timeout > s.max_timeout) {
    return absl::InvalidArgumentError(
        "HC_EDGE_DEFAULT_TIMEOUT_MS must not exceed HC_EDGE_MAX_TIMEOUT_MS");
  }
  if (s.max_streams >= s.threads) {
    return absl::InvalidArgumentError(
        "HC_EDGE_MAX_STREAMS must be below HC_EDGE_THREADS: each stream holds a worker");
  }
  std::string ca_pem;
  if (!tls_ca.empty()) {
    auto content = hc::config::ReadFile(tls_ca);
    if (!content) return absl::InvalidArgumentError("HC_TLS_CA_FILE=" + tls_ca + " cannot be read");
    ca_pem = *content;
  }
  std::string cert_pem;
  std::string key_pem;
  if (!ca_pem.empty() && s.tls()) {
    // The same certificate serves browsers and, as a client, mTLS to the services.
    cert_pem = *hc::config::ReadFile(s.tls_cert_file);
    key_pem = *hc::config::ReadFile(s.tls_key_file);
  }
  for (auto* backend : {&s.membership, &s.events, &s.volunteering, &s.notifications}) {
    backend->tls_ca_pem = ca_pem;
    backend->tls_cert_pem = cert_pem;
    backend->tls_key_pem = key_pem;
    backend->allow_plaintext_non_loopback = plaintext_ok;
  }
  auto redis = hc::config::ReadRedisSettings(env, s.redis_address);
  if (!redis.ok()) return redis.status();
  s.redis = *std::move(redis);
  return s;
}

}  // namespace edge

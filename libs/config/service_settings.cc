#include "libs/config/service_settings.h"

#include <fstream>
#include <sstream>
#include <tuple>

namespace hc::config {
namespace {

bool IsLoopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address.rfind("localhost:", 0) == 0 ||
         address.rfind("[::1]:", 0) == 0;
}

// Fills in the protocol and checks the files: with ssl all three must be readable (librdkafka
// would otherwise fail only when it first connects, far from the cause). With plaintext the
// files are ignored, not refused: the local stack's stack.env names its test certificates for
// every process that loads it, and plaintext stays that stack's default.
absl::Status CheckKafkaSecurity(const std::string& protocol, kafka::Security& security) {
  const std::tuple<const char*, const std::string&> files[] = {
      {"HC_KAFKA_SSL_CA_FILE", security.ca_file},
      {"HC_KAFKA_SSL_CERT_FILE", security.cert_file},
      {"HC_KAFKA_SSL_KEY_FILE", security.key_file}};
  if (protocol == "plaintext") {
    security = kafka::Security{};
    return absl::OkStatus();
  }
  if (protocol != "ssl") {
    return absl::InvalidArgumentError("HC_KAFKA_SECURITY_PROTOCOL=" + protocol +
                                      " is not one of plaintext, ssl (SASL is not supported)");
  }
  security.protocol = kafka::Security::Protocol::kSsl;
  for (const auto& [variable, path] : files) {
    if (path.empty()) {
      return absl::InvalidArgumentError(std::string(variable) +
                                        " is required when HC_KAFKA_SECURITY_PROTOCOL=ssl");
    }
    if (!ReadFile(path)) {
      return absl::InvalidArgumentError(std::string(variable) + "=" + path + " cannot be read");
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

absl::StatusOr<redis::ConnectionOptions> ReadRedisSettings(Env& env, const std::string& address) {
  redis::ConnectionOptions c;
  c.address = address;
  c.username = env.String("HC_REDIS_USERNAME", "");
  const std::string password_file = env.String("HC_REDIS_PASSWORD_FILE", "");
  c.tls = env.Bool("HC_REDIS_TLS", false);
  c.tls_ca_file = env.String("HC_REDIS_TLS_CA_FILE", "");
  c.tls_cert_file = env.String("HC_REDIS_TLS_CERT_FILE", "");
  c.tls_key_file = env.String("HC_REDIS_TLS_KEY_FILE", "");
  c.tls_server_name = env.String("HC_REDIS_TLS_SERVER_NAME", "");
  if (absl::Status checked = env.Check(); !checked.ok()) return checked;

  if (!c.username.empty() && password_file.empty()) {
    return absl::InvalidArgumentError("HC_REDIS_USERNAME needs HC_REDIS_PASSWORD_FILE");
  }
  if (!password_file.empty()) {
    auto content = ReadFile(password_file);
    if (!content) {
      return absl::InvalidArgumentError("HC_REDIS_PASSWORD_FILE=" + password_file +
                                        " cannot be read");
    }
    // Files written by `echo` or a Secret editor end in a newline that is not the password.
    while (!content->empty() && (content->back() == '\n' || content->back() == '\r')) {
      content->pop_back();
    }
    if (content->empty()) {
      return absl::InvalidArgumentError("HC_REDIS_PASSWORD_FILE=" + password_file + " is empty");
    }
    c.password = *std::move(content);
  }
  if (!c.tls) {
    for (const auto& [variable, value] :
         {std::pair<const char*, const std::string&>{"HC_REDIS_TLS_CA_FILE", c.tls_ca_file},
          {"HC_REDIS_TLS_CERT_FILE", c.tls_cert_file},
          {"HC_REDIS_TLS_KEY_FILE", c.tls_key_file},
          {"HC_REDIS_TLS_SERVER_NAME", c.tls_server_name}}) {
      // Almost certainly a forgotten HC_REDIS_TLS=true: refuse rather than talk plaintext.
      if (!value.empty()) {
        return absl::InvalidArgumentError(std::string(variable) +
                                          " is set but HC_REDIS_TLS is not true");
      }
    }
    return c;
  }
  if (c.tls_ca_file.empty()) {
    return absl::InvalidArgumentError("HC_REDIS_TLS_CA_FILE is required with HC_REDIS_TLS=true");
  }
  if (c.tls_cert_file.empty() != c.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "HC_REDIS_TLS_CERT_FILE and HC_REDIS_TLS_KEY_FILE go together");
  }
  for (const auto& [variable, path] :
       {std::pair<const char*, const std::string&>{"HC_REDIS_TLS_CA_FILE", c.tls_ca_file},
        {"HC_REDIS_TLS_CERT_FILE", c.tls_cert_file},
        {"HC_REDIS_TLS_KEY_FILE", c.tls_key_file}}) {
    if (!path.empty() && !ReadFile(path)) {
      return absl::InvalidArgumentError(std::string(variable) + "=" + path + " cannot be read");
    }
  }
  if (auto connector = redis::Connector::Create(c); !connector.ok()) {
    return absl::InvalidArgumentError(
        "HC_REDIS_ADDR/HC_REDIS_TLS_CA_FILE/HC_REDIS_TLS_CERT_FILE/HC_REDIS_TLS_KEY_FILE: " +
        std::string(connector.status().message()));
  }
  return c;
}

absl::StatusOr<ServiceSettings> ReadServiceSettings(Env& env, ServiceSettings s) {
  s.server.address = env.Address("HC_GRPC_ADDR", s.server.address);
  s.server.max_message_bytes =
      static_cast<int>(env.Int("HC_MAX_MESSAGE_BYTES", s.server.max_message_bytes, 1024, 16 << 20));
  s.server.drain =
      std::chrono::milliseconds(env.Int("HC_SHUTDOWN_DRAIN_MS", s.server.drain.count(), 0, 60000));
  s.server.grace =
      std::chrono::milliseconds(env.Int("HC_SHUTDOWN_GRACE_MS", s.server.grace.count(), 0, 300000));
  s.metrics_address = env.Address("HC_METRICS_ADDR", s.metrics_address);
  s.database_url = env.Required("HC_DATABASE_URL");
  s.db_pool_size = static_cast<int>(env.Int("HC_DB_POOL_SIZE", s.db_pool_size, 1, 500));
  s.redis_address = env.Address("HC_REDIS_ADDR", s.redis_address);
  s.cache_ttl =
      std::chrono::seconds(env.Int("HC_CACHE_TTL_SECONDS", s.cache_ttl.count(), 1, 86400));
  s.cache_local_bytes = static_cast<size_t>(env.Int(
      "HC_CACHE_LOCAL_BYTES", static_cast<int64_t>(s.cache_local_bytes), 0, int64_t{1} << 32));
  s.kafka_brokers = env.Required("HC_KAFKA_BROKERS");
  const std::string kafka_protocol = env.String("HC_KAFKA_SECURITY_PROTOCOL", "plaintext");
  s.kafka_security.ca_file = env.String("HC_KAFKA_SSL_CA_FILE", "");
  s.kafka_security.cert_file = env.String("HC_KAFKA_SSL_CERT_FILE", "");
  s.kafka_security.key_file = env.String("HC_KAFKA_SSL_KEY_FILE", "");
  s.outbox_retention = std::chrono::hours(
      env.Int("HC_OUTBOX_RETENTION_HOURS", s.outbox_retention.count(), 1, 24 * 3650));
  s.jwt.algorithm = env.String("HC_JWT_ALG", "HS256");
  s.jwt.issuer = env.String("HC_JWT_ISSUER", "homecoming-local");
  s.jwt.audience = env.String("HC_JWT_AUDIENCE", s.jwt.audience);
  s.jwt.max_lifetime = std::chrono::seconds(
      env.Int("HC_JWT_MAX_LIFETIME_SECONDS", s.jwt.max_lifetime.count(), 60, 86400));
  const std::string jwt_key_file = env.Required("HC_JWT_KEY_FILE");
  s.workers = static_cast<int>(env.Int("HC_WORKERS", s.workers, 1, 1024));
  s.work_queue = static_cast<int>(env.Int("HC_WORK_QUEUE", s.work_queue, 1, 100000));
  s.log_level = env.String("HC_LOG_LEVEL", s.log_level);
  const std::string tls_cert = env.String("HC_TLS_CERT_FILE", "");
  const std::string tls_key = env.String("HC_TLS_KEY_FILE", "");
  const std::string tls_client_ca = env.String("HC_TLS_CLIENT_CA_FILE", "");
  const std::string tls_ca = env.String("HC_TLS_CA_FILE", "");
  s.service_token_file = env.String("HC_SERVICE_TOKEN_FILE", s.service_token_file);
  const bool plaintext_ok = env.Bool("HC_ALLOW_PLAINTEXT_NON_LOOPBACK", false);
  if (absl::Status checked = env.Check(); !checked.ok()) return checked;
  s.client.allow_plaintext_non_loopback = plaintext_ok;

  auto read = [](const char* variable, const std::string& path, std::string& out) -> absl::Status {
    if (path.empty()) return absl::OkStatus();
    auto content = ReadFile(path);
    if (!content) {
      return absl::InvalidArgumentError(std::string(variable) + "=" + path + " cannot be read");
    }
    out = *content;
    return absl::OkStatus();
  };
  for (auto [variable, path, out] :
       {std::tuple<const char*, const std::string&, std::string&>{"HC_JWT_KEY_FILE", jwt_key_file,
                                                                  s.jwt.key},
        {"HC_TLS_CERT_FILE", tls_cert, s.server.tls_cert_pem},
        {"HC_TLS_KEY_FILE", tls_key, s.server.tls_key_pem},
        {"HC_TLS_CLIENT_CA_FILE", tls_client_ca, s.server.tls_client_ca_pem},
        {"HC_TLS_CA_FILE", tls_ca, s.client.tls_ca_pem}}) {
    if (absl::Status status = read(variable, path, out); !status.ok()) return status;
  }
  if (tls_cert.empty() != tls_key.empty()) {
    return absl::InvalidArgumentError("HC_TLS_CERT_FILE and HC_TLS_KEY_FILE go together");
  }
  if (!tls_ca.empty()) {
    // The same certificate serves this service's server side and, as a client, mTLS.
    s.client.tls_cert_pem = s.server.tls_cert_pem;
    s.client.tls_key_pem = s.server.tls_key_pem;
  }
  if (absl::Status kafka = CheckKafkaSecurity(kafka_protocol, s.kafka_security); !kafka.ok()) {
    return kafka;
  }
  if (!s.service_token_file.empty() && !ReadFile(s.service_token_file)) {
    return absl::InvalidArgumentError("HC_SERVICE_TOKEN_FILE=" + s.service_token_file +
                                      " cannot be read");
  }
  if (!tls_client_ca.empty() && tls_cert.empty()) {
    return absl::InvalidArgumentError("HC_TLS_CLIENT_CA_FILE (mTLS) needs HC_TLS_CERT_FILE");
  }
  if (!IsLoopback(s.server.address) && tls_cert.empty() && !plaintext_ok) {
    return absl::InvalidArgumentError(
        "HC_GRPC_ADDR=" + s.server.address +
        " is not loopback: set HC_TLS_CERT_FILE and HC_TLS_KEY_FILE, or "
        "HC_ALLOW_PLAINTEXT_NON_LOOPBACK=true only behind a mesh that provides mTLS");
  }
  if (auto verifier = auth::Verifier::Create(s.jwt); !verifier.ok()) {
    return absl::InvalidArgumentError("HC_JWT_*: " + std::string(verifier.status().message()));
  }
  auto redis = ReadRedisSettings(env, s.redis_address);
  if (!redis.ok()) return redis.status();
  s.redis = *std::move(redis);
  return s;
}

}  // namespace hc::config

#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "libs/auth/auth.h"
#include "libs/config/config.h"
#include "libs/grpc/client.h"
#include "libs/grpc/server.h"
#include "libs/kafka/security.h"
#include "libs/redis/connection.h"

namespace hc::config {

// The settings every Homecoming service has, from HC_* environment variables. Each service
// passes its own defaults (ports) and reads its own extra variables before calling
// ReadServiceSettings, which checks them all at once.
struct ServiceSettings {
  grpc_server::ServerOptions server;  // HC_GRPC_ADDR, HC_TLS_*, HC_SHUTDOWN_*, HC_MAX_MESSAGE_BYTES
  std::string metrics_address;        // HC_METRICS_ADDR
  std::string database_url;           // HC_DATABASE_URL (required)
  int db_pool_size = 16;              // HC_DB_POOL_SIZE
  std::string redis_address = "127.0.0.1:6379";  // HC_REDIS_ADDR
  // HC_REDIS_USERNAME, HC_REDIS_PASSWORD_FILE, HC_REDIS_TLS*: see ReadRedisSettings. Its
  // address is redis_address (redis_connection() puts them together).
  redis::ConnectionOptions redis;
  std::chrono::seconds cache_ttl{60};  // HC_CACHE_TTL_SECONDS
  size_t cache_local_bytes = 4 << 20;  // HC_CACHE_LOCAL_BYTES (0: no in-process near-cache)
  std::string kafka_brokers;           // HC_KAFKA_BROKERS (required)
  // HC_KAFKA_SECURITY_PROTOCOL (plaintext|ssl), HC_KAFKA_SSL_CA_FILE, HC_KAFKA_SSL_CERT_FILE,
  // HC_KAFKA_SSL_KEY_FILE: every Kafka client of the service uses them.
  kafka::Security kafka_security;
  std::chrono::hours outbox_retention{24 * 7};  // HC_OUTBOX_RETENTION_HOURS
  // HC_JWT_ALG, HC_JWT_ISSUER, HC_JWT_AUDIENCE, HC_JWT_MAX_LIFETIME_SECONDS,
  // HC_JWT_KEY_FILE (required)
  auth::VerifierOptions jwt;
  // Calls to other services: TLS when HC_TLS_CA_FILE names the CA that signed their
  // certificates, presenting HC_TLS_CERT_FILE/HC_TLS_KEY_FILE (mTLS) when set. The address is
  // filled in per service.
  grpc_client::ChannelOptions client;
  // This service's identity for internal RPCs: HC_SERVICE_TOKEN_FILE (re-read as it rotates),
  // or, with HS256 and no file, tokens minted with the HC_JWT_KEY_FILE secret.
  std::string service_token_file;
  int workers = 16;                // HC_WORKERS
  int work_queue = 512;            // HC_WORK_QUEUE
  std::string log_level = "info";  // HC_LOG_LEVEL

  redis::ConnectionOptions redis_connection() const {
    redis::ConnectionOptions c = redis;
    c.address = redis_address;
    return c;
  }
};

// Reads the common settings over `defaults`, then checks everything read from `env` so far
// (the service's own variables included) and reads the key and certificate files.
// INVALID_ARGUMENT naming each bad variable.
absl::StatusOr<ServiceSettings> ReadServiceSettings(Env& env, ServiceSettings defaults);

// How to reach the Redis at `address` (HC_REDIS_ADDR, read by the caller): AUTH with
// HC_REDIS_PASSWORD_FILE (its content, trailing newlines stripped; as HC_REDIS_USERNAME when
// set), TLS when HC_REDIS_TLS=true with HC_REDIS_TLS_CA_FILE (required),
// HC_REDIS_TLS_CERT_FILE/HC_REDIS_TLS_KEY_FILE (a client certificate, together) and
// HC_REDIS_TLS_SERVER_NAME (default: the host of the address). Reads the password and loads
// the TLS files once, so a bad one fails at startup. INVALID_ARGUMENT naming the variable.
// Shared by the services (ReadServiceSettings) and the edge.
absl::StatusOr<redis::ConnectionOptions> ReadRedisSettings(Env& env, const std::string& address);

// The contents of `path`, or nullopt when it can't be read.
std::optional<std::string> ReadFile(const std::string& path);

}  // namespace hc::config

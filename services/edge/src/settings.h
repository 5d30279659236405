#pragma once

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "libs/config/config.h"
#include "libs/grpc/client.h"
#include "libs/redis/connection.h"

namespace edge {

enum class Profile { kLocal, kProduction };

// Every setting of the edge's gateway, from HC_* environment variables; see
// services/edge/README.md. The sign-in side reads its own (ReadSignInSettings).
struct Settings {
  std::string http_address = "127.0.0.1:17080";     // HC_EDGE_HTTP_ADDR
  std::string metrics_address = "127.0.0.1:17180";  // HC_METRICS_ADDR
  // HC_EDGE_PROFILE: local | production. Production unless told otherwise: a forgotten
  // variable must not expose /metrics, the dev sign-in page or a fixed rate key.
  Profile profile = Profile::kProduction;
  // HTTPS when both are set (HC_TLS_CERT_FILE, HC_TLS_KEY_FILE): paths, as httplib's
  // SSLServer reads them itself.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string web_dir = "web/dist";  // HC_EDGE_WEB_DIR
  // The origin browsers use (HC_EDGE_PUBLIC_URL): emailed links, the same-origin checks and,
  // with https, Secure cookies. Required (https) in production; locally
  // http://<HC_EDGE_HTTP_ADDR>.
  std::string public_url;
  // The backends (HC_*_ADDR), with client TLS from HC_TLS_CA_FILE (and mTLS with the same
  // certificate as the server side) as every service reaches another.
  hc::grpc_client::ChannelOptions membership{.address = "127.0.0.1:17001"};
  hc::grpc_client::ChannelOptions events{.address = "127.0.0.1:17002"};
  hc::grpc_client::ChannelOptions volunteering{.address = "127.0.0.1:17003"};
  hc::grpc_client::ChannelOptions notifications{.address = "127.0.0.1:17004"};
  std::string redis_address = "127.0.0.1:6379";  // HC_REDIS_ADDR
  // HC_REDIS_USERNAME, HC_REDIS_PASSWORD_FILE, HC_REDIS_TLS* (libs/config's ReadRedisSettings);
  // its address is redis_address.
  hc::redis::ConnectionOptions redis;
  size_t max_body_bytes = 64 * 1024;  // HC_EDGE_MAX_BODY_BYTES
  // The HTTP worker pool (HC_EDGE_THREADS). Each open inbox stream holds one worker, so the
  // stream cap (HC_EDGE_MAX_STREAMS) must leave most of them for unary calls.
  int threads = 64;
  int max_streams = 32;
  int max_streams_per_member = 3;  // HC_EDGE_MAX_STREAMS_PER_MEMBER: beyond it, 429
  // Requests per keep-alive connection before the edge closes it (httplib's default is 5,
  // which makes a busy browser reconnect all the time).
  int keep_alive_requests = 1000;     // HC_EDGE_KEEP_ALIVE_REQUESTS
  int ip_rate_per_minute = 600;       // HC_EDGE_RATE_PER_IP_PER_MINUTE
  int session_rate_per_minute = 300;  // HC_EDGE_RATE_PER_SESSION_PER_MINUTE
  // The key of the hash that turns a client address into a rate-limit key (no address is
  // ever stored): the same on every replica (HC_EDGE_RATE_KEY; required in production).
  std::string rate_key = "homecoming-local-rate-key";
  std::chrono::milliseconds default_timeout{10000};  // HC_EDGE_DEFAULT_TIMEOUT_MS
  std::chrono::milliseconds max_timeout{30000};      // HC_EDGE_MAX_TIMEOUT_MS
  // How often an idle inbox stream sends a comment line (proxies drop silent connections).
  std::chrono::milliseconds stream_heartbeat{15000};  // HC_EDGE_STREAM_HEARTBEAT_MS
  std::string log_level = "info";                     // HC_LOG_LEVEL

  bool tls() const { return !tls_cert_file.empty(); }
  hc::redis::ConnectionOptions redis_connection() const {
    hc::redis::ConnectionOptions c = redis;
    c.address = redis_address;
    return c;
  }
  // Whether browsers reach the edge over HTTPS: TLS here, or a TLS-terminating proxy in front
  // (an https public URL). The one decision behind the cookie's name (`__Host-hc_session`) and
  // its Secure flag, for sign-in (which sets it) and the gateway (which reads it) alike.
  bool secure_cookies() const { return tls() || public_url.starts_with("https://"); }

  // INVALID_ARGUMENT naming each bad variable.
  static absl::StatusOr<Settings> FromEnv(hc::config::Env& env);
};

}  // namespace edge

#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/auth/auth.h"
#include "libs/config/config.h"

namespace membership {

// Every setting of the service; see services/membership/README.md.
struct Settings {
  std::string grpc_address = "127.0.0.1:17001";
  std::string metrics_address = "127.0.0.1:17101";
  std::string database_url;
  std::string redis_address;
  std::string kafka_brokers;
  hc::auth::VerifierOptions jwt;
  // 64 hex characters: the master key sealing personal data at rest.
  std::string data_key_hex;
  // How often the milestone job runs; it looks back a week, so missed days are caught up.
  std::chrono::seconds milestone_interval{3600};
  int workers = 16;
  int work_queue = 512;
  int db_pool_size = 16;
  int max_message_bytes = 64 * 1024;
  std::chrono::seconds cache_ttl{60};
  std::chrono::milliseconds shutdown_drain{0};
  std::chrono::milliseconds shutdown_grace{10000};
  std::string log_level = "info";

  // Reads HC_* environment variables; INVALID_ARGUMENT naming each bad one.
  static absl::StatusOr<Settings> FromEnv(hc::config::Env& env);
};

// The whole service wired together: migrations, gRPC server, cache, outbox relay, metrics.
class App {
 public:
  explicit App(Settings settings);
  ~App();

  // Applies migrations, then starts the relay, the metrics endpoint and the gRPC server.
  absl::Status Start();
  // Graceful: health NOT_SERVING, drain, in-flight calls finish, then the relay stops.
  void Shutdown();
  int grpc_port() const;
  int metrics_port() const;

 private:
  struct Parts;
  void RunMilestones();
  Settings settings_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace membership

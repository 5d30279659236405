#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/auth/auth.h"
#include "libs/config/config.h"
#include "libs/config/service_settings.h"

namespace membership {

// Every setting of the service; see services/membership/README.md.
struct Settings {
  // What every service has (gRPC, TLS, metrics, database, Redis, Kafka, JWT, workers).
  hc::config::ServiceSettings service = Defaults();
  // 64 hex characters: the master key sealing personal data at rest.
  std::string data_key_hex;
  // How often the milestone job runs; a run announces whatever is due since the member opted
  // in, so missed runs are caught up however long they were missed.
  std::chrono::seconds milestone_interval{3600};

  // Membership's ports and limits.
  static hc::config::ServiceSettings Defaults();

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

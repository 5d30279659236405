#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/auth/auth.h"
#include "libs/config/config.h"

namespace events {

// Every setting of the service; see services/events/README.md.
struct Settings {
  std::string grpc_address = "127.0.0.1:17002";
  std::string metrics_address = "127.0.0.1:17102";
  std::string database_url;
  std::string redis_address;
  std::string kafka_brokers;
  // Where this service publishes (tests use a topic of their own).
  std::string events_topic = "alumni.events.v1";
  // Where MemberDeleted comes from, and the consumer group reading it.
  std::string membership_topic = "alumni.membership.v1";
  std::string consumer_group = "events";
  hc::auth::VerifierOptions jwt;
  int workers = 16;
  int work_queue = 512;
  int db_pool_size = 16;
  // Requests are small; the bound is for the largest answer, a calendar export.
  int max_message_bytes = 1024 * 1024;
  // Seat counts change with every RSVP: entries are dropped on each change, and the TTL bounds
  // how long a read that raced a change can serve the old count.
  std::chrono::seconds cache_ttl{30};
  std::chrono::milliseconds shutdown_drain{0};
  std::chrono::milliseconds shutdown_grace{10000};
  std::string log_level = "info";

  // Reads HC_* environment variables; INVALID_ARGUMENT naming each bad one.
  static absl::StatusOr<Settings> FromEnv(hc::config::Env& env);
};

// The whole service wired together: migrations, gRPC server, cache, outbox relay, the
// MemberDeleted consumer, metrics.
class App {
 public:
  explicit App(Settings settings);
  ~App();

  // Applies migrations, then starts the relay, the consumer, the metrics endpoint and the gRPC
  // server.
  absl::Status Start();
  // Graceful: health NOT_SERVING, drain, in-flight calls finish, then the consumer and the relay
  // stop.
  void Shutdown();
  int grpc_port() const;
  int metrics_port() const;

 private:
  struct Parts;
  Settings settings_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace events

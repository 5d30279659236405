#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/auth/auth.h"
#include "libs/config/config.h"
#include "libs/config/service_settings.h"

namespace events {

// Every setting of the service; see services/events/README.md.
struct Settings {
  // What every service has (gRPC, TLS, metrics, database, Redis, Kafka, JWT, workers).
  hc::config::ServiceSettings service = Defaults();
  // Where this service publishes (tests use a topic of their own).
  std::string events_topic = "alumni.events.v1";
  // Where MemberDeleted comes from, and the consumer group reading it.
  std::string membership_topic = "alumni.membership.v1";
  std::string consumer_group = "events";
  // Membership's gRPC address, for attendee names (TLS and the service token as in
  // `service.client` and `service.service_token_file`).
  std::string membership_address = "127.0.0.1:17001";

  // Events' ports and limits: requests are small, the largest answer is a calendar export
  // (1 MiB); seat counts change with every RSVP, so cached reads live 30 s (entries are
  // dropped on each change; the TTL bounds a read that raced one).
  static hc::config::ServiceSettings Defaults();

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

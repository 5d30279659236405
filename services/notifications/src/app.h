#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/config/config.h"
#include "libs/config/service_settings.h"
#include "services/notifications/src/channels/channel_settings.h"

namespace notifications {

// Every setting of the service; see services/notifications/README.md.
struct Settings {
  // What every service has (gRPC, TLS, metrics, database, Redis, Kafka, JWT, workers).
  hc::config::ServiceSettings service = Defaults();
  // Where MemberDeleted and MemberRoleRevoked come from, and the consumer group reading it.
  std::string membership_topic = "alumni.membership.v1";
  std::string consumer_group = "notifications";
  // Where the events service's facts come from (RSVPs become inbox items), and the consumer
  // group reading them.
  std::string events_topic = "alumni.events.v1";
  std::string events_consumer_group = "notifications.events";
  // Where volunteering's facts come from (sign-ups and shifts become inbox items), and the
  // consumer group reading them.
  std::string volunteering_topic = "alumni.volunteering.v1";
  std::string volunteering_consumer_group = "notifications.volunteering";
  // The email and SMS channels and the unsubscribe endpoint.
  channels::ChannelSettings channels;

  static hc::config::ServiceSettings Defaults();
  // Reads HC_* environment variables; INVALID_ARGUMENT naming each bad one.
  static absl::StatusOr<Settings> FromEnv(hc::config::Env& env);
};

// The whole service wired together: migrations, gRPC server, outbox relay, the membership,
// events and volunteering consumers, metrics.
class App {
 public:
  explicit App(Settings settings);
  ~App();

  absl::Status Start();
  // Graceful: the consumers stop, then health NOT_SERVING, drain, in-flight calls finish.
  void Shutdown();
  int grpc_port() const;
  int metrics_port() const;
  // The unsubscribe endpoint's port.
  int http_port() const;

 private:
  struct Parts;
  Settings settings_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace notifications

#pragma once

#include <chrono>
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
  // 64 hex characters from HC_DATA_KEY_FILE (as membership's): seals the ListInbox pages
  // cached in Redis.
  std::string data_key_hex;
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
  // A second consumer group on membership_topic: consent, interests, welcome and milestones.
  std::string membership_facts_consumer_group = "notifications.members";
  // StreamInbox: open streams allowed per member and in the process.
  int streams_per_member = 5;
  int max_streams = 1000;
  // How often due reminders are looked for (HC_REMINDER_POLL_INTERVAL, a duration such as
  // "1s" or "250ms"), and how many one transaction takes (HC_REMINDER_BATCH).
  std::chrono::milliseconds reminder_poll_interval{1000};
  int reminder_batch = 100;
  // The email and SMS channels and the unsubscribe endpoint.
  channels::ChannelSettings channels;
  // Membership's GetContact (the address at send time), and where the details filled into
  // messages come from (GetEvent, GetRole), each asked with notifications' own identity.
  std::string membership_address = "127.0.0.1:17001";
  std::string events_address = "127.0.0.1:17002";
  std::string volunteering_address = "127.0.0.1:17003";
  std::chrono::milliseconds call_deadline{2000};
  // The email and SMS dispatchers: how often an idle one looks for due work, how many
  // deliveries one pass claims, the per-member cap of email and SMS a day, how many tries a
  // delivery gets.
  std::chrono::milliseconds dispatch_poll_interval{250};
  int dispatch_batch = 16;
  int daily_cap = 12;
  int delivery_max_attempts = 8;

  static hc::config::ServiceSettings Defaults();
  // Reads HC_* environment variables; INVALID_ARGUMENT naming each bad one.
  static absl::StatusOr<Settings> FromEnv(hc::config::Env& env);
};

// The whole service wired together: migrations, gRPC server, cache, outbox relay, the
// membership, events and volunteering consumers, metrics.
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

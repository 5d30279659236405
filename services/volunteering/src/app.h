#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/config/config.h"
#include "libs/config/service_settings.h"

namespace volunteering {

// Every setting of the service; see services/volunteering/README.md.
struct Settings {
  // What every service has (gRPC, TLS, metrics, database, Redis, Kafka, JWT, workers).
  hc::config::ServiceSettings service = Defaults();
  // Where this service publishes (tests use a topic of their own).
  std::string volunteering_topic = "alumni.volunteering.v1";
  // Where MemberDeleted and MemberRoleRevoked come from, and the consumer group reading it.
  std::string membership_topic = "alumni.membership.v1";
  std::string consumer_group = "volunteering";
  // Where the events service's facts come from (linked shifts follow their event), and the
  // consumer group reading them.
  std::string events_topic = "alumni.events.v1";
  std::string events_consumer_group = "volunteering.events";
  // Membership's gRPC address, for eligibility (TLS and the service token as in
  // `service.client` and `service.service_token_file`).
  std::string membership_address = "127.0.0.1:17001";
  std::chrono::milliseconds membership_deadline{2000};
  // How long membership's interest-tag catalogue is remembered (0: asked for every check).
  std::chrono::seconds interest_tags_ttl{60};
  // Withdrawals close this long before a shift starts.
  std::chrono::minutes withdraw_cutoff{24 * 60};
  // 64 hex characters from HC_DATA_KEY_FILE (as membership's): seals mentors' introductions,
  // self-described gender and check-in notes.
  std::string data_key_hex;
  // How long a chosen mentor has to answer (HC_MENTOR_RESPONSE_HOURS).
  std::chrono::hours mentor_response_window{72};
  // How often expired choices and due check-ins are looked for (HC_MENTORSHIP_POLL_SECONDS),
  // and how long an active match may stay quiet before MentorCheckInDue
  // (HC_MENTOR_CHECK_IN_DAYS).
  std::chrono::seconds mentorship_poll_interval{60};
  int mentor_check_in_days = 30;

  static hc::config::ServiceSettings Defaults();
  // Reads HC_* environment variables; INVALID_ARGUMENT naming each bad one.
  static absl::StatusOr<Settings> FromEnv(hc::config::Env& env);
};

// The whole service wired together: migrations, gRPC server, cache, outbox relay, the
// membership and events consumers, metrics.
class App {
 public:
  explicit App(Settings settings);
  ~App();

  absl::Status Start();
  // Graceful: the consumers stop, then health NOT_SERVING, drain, in-flight calls finish.
  void Shutdown();
  int grpc_port() const;
  int metrics_port() const;

 private:
  struct Parts;
  Settings settings_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace volunteering

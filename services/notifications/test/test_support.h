#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "alumni/notifications/v1/notifications_service.grpc.pb.h"
#include "libs/auth/auth.h"
#include "libs/ids/ids.h"
#include "libs/kafka/kafka.h"
#include "libs/testing/testing.h"
#include "services/notifications/src/app.h"

namespace notifications::test_support {

// Where a test's App reads facts from: per-test topics on the test stack's Kafka.
struct Topics {
  std::string events;
  std::string membership;
  std::string volunteering;
};

// Topics of this test alone, named after the real ones with `suffix` (unique per call), and
// created on the test stack's Kafka with 3 partitions each (plus `more`, for a test's own).
inline Topics UniqueTopics(const std::string& suffix) {
  return {.events = hc::testing::UniqueName("alumni.events.v1." + suffix),
          .membership = hc::testing::UniqueName("alumni.membership.v1." + suffix),
          .volunteering = hc::testing::UniqueName("alumni.volunteering.v1." + suffix)};
}
inline absl::Status CreateTopics(const Topics& topics, const std::vector<std::string>& more = {}) {
  std::vector<std::string> all = {topics.events, topics.membership, topics.volunteering};
  all.insert(all.end(), more.begin(), more.end());
  return hc::kafka::EnsureTopics(hc::testing::KafkaBrokers(), all, 3, std::chrono::seconds(30));
}

// A member's bearer token as the edge mints it (HS256, issuer "hc-test", role alumnus).
inline std::string MemberToken(const std::string& jwt_key, const std::string& subject,
                               std::chrono::seconds ttl = std::chrono::seconds(3600)) {
  return *hc::auth::Mint({.algorithm = "HS256",
                          .key = jwt_key,
                          .issuer = "hc-test",
                          .subject = subject,
                          .roles = {"alumnus"},
                          .ttl = ttl});
}
// A call of `subject` with that token, under a 30 s deadline.
inline std::unique_ptr<grpc::ClientContext> MemberCall(const std::string& jwt_key,
                                                       const std::string& subject) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  ctx->AddMetadata("authorization", "Bearer " + MemberToken(jwt_key, subject));
  return ctx;
}

// Produces `fact` to `topic` as its service publishes it (CloudEvents headers, a fresh ce_id).
inline absl::Status Produce(const std::string& topic, const std::string& key,
                            const google::protobuf::Message& fact) {
  return hc::testing::ProduceFact(hc::testing::KafkaBrokers(), topic, key,
                                  fact.GetDescriptor()->full_name(), fact.SerializeAsString(),
                                  hc::ids::NewUuid());
}

// Sum of the series of metric `name` on `app`'s /metrics whose labels contain every one of
// `labels` (no labels: every series of it); 0 when there is none.
inline double MetricSum(const App& app, const std::string& name,
                        const std::vector<std::string>& labels = {}) {
  std::istringstream lines(hc::testing::HttpGet(app.metrics_port(), "/metrics"));
  double sum = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name + "{", 0) != 0 && line.rfind(name + " ", 0) != 0) continue;
    bool all = true;
    for (const auto& l : labels) all = all && line.find(l) != std::string::npos;
    if (all) sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

// One running replica of the service and a client of it.
struct Replica {
  std::unique_ptr<App> app;
  std::unique_ptr<alumni::notifications::v1::NotificationsService::Stub> stub;

  // Starts an App with `settings` and connects the client.
  absl::Status Start(const Settings& settings) {
    app = std::make_unique<App>(settings);
    if (absl::Status started = app->Start(); !started.ok()) return started;
    stub = alumni::notifications::v1::NotificationsService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(app->grpc_port()), grpc::InsecureChannelCredentials()));
    return absl::OkStatus();
  }
  void Shutdown() {
    if (app) app->Shutdown();
  }
};

// Settings for an App under test: loopback ports chosen by the kernel, the test stack's Redis
// and Kafka, `db_url`, the test's JWT key, its own topics and consumer groups (named after
// `name`, unique per call, so no two tests share a group). Membership, events, volunteering and
// the SMTP server point at a port nothing listens on: a test that sends real messages says
// where to.
inline Settings AppSettings(const std::string& db_url, const std::string& jwt_key,
                            const Topics& topics, const std::string& name, int workers = 4,
                            int db_pool_size = 4) {
  Settings s;
  s.service.server.address = "127.0.0.1:0";
  s.service.metrics_address = "127.0.0.1:0";
  s.service.database_url = db_url;
  s.service.redis_address = hc::testing::RedisAddress();
  s.service.kafka_brokers = hc::testing::KafkaBrokers();
  s.service.jwt = {.algorithm = "HS256", .key = jwt_key, .issuer = "hc-test"};
  s.data_key_hex = std::string(64, 'f');
  s.service.workers = workers;
  s.service.db_pool_size = db_pool_size;
  s.events_topic = topics.events;
  s.membership_topic = topics.membership;
  s.volunteering_topic = topics.volunteering;
  s.consumer_group = hc::testing::UniqueName(name);
  s.events_consumer_group = hc::testing::UniqueName(name + "-events");
  s.volunteering_consumer_group = hc::testing::UniqueName(name + "-volunteering");
  s.membership_facts_consumer_group = hc::testing::UniqueName(name + "-members");
  s.membership_address = "127.0.0.1:1";
  s.events_address = "127.0.0.1:1";
  s.volunteering_address = "127.0.0.1:1";
  s.channels.smtp.url = "smtp://127.0.0.1:1";
  return s;
}

}  // namespace notifications::test_support

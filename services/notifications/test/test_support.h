#pragma once

#include <string>

#include "libs/testing/testing.h"
#include "services/notifications/src/app.h"

namespace notifications::test_support {

// Where a test's App reads facts from: per-test topics on the test stack's Kafka.
struct Topics {
  std::string events;
  std::string membership;
  std::string volunteering;
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

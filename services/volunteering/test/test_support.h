#pragma once

// What the volunteering integration tests share: tokens signed with the tests' key, call
// contexts, timestamps, and the settings every in-process service starts from.
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "libs/auth/auth.h"
#include "libs/config/service_settings.h"
#include "libs/testing/testing.h"

namespace volunteering::test_support {

using Clock = std::chrono::system_clock;

inline const std::string kSecret = "volunteering-integration-secret-0123456789ab";

inline std::string Token(const std::string& subject, std::vector<std::string> roles = {"alumnus"}) {
  return *hc::auth::Mint({.algorithm = "HS256",
                          .key = kSecret,
                          .issuer = "hc-test",
                          .subject = subject,
                          .roles = std::move(roles)});
}

inline std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(Clock::now() + std::chrono::seconds(30));
  ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

inline google::protobuf::Timestamp At(Clock::time_point t) {
  return google::protobuf::util::TimeUtil::MillisecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

inline Clock::time_point FromTs(const google::protobuf::Timestamp& t) {
  return Clock::time_point(
      std::chrono::milliseconds(google::protobuf::util::TimeUtil::TimestampToMilliseconds(t)));
}

// Loopback ports chosen by the kernel, the test stack's Kafka, the tests' JWT key.
inline hc::config::ServiceSettings Common(const std::string& db_url, const std::string& redis,
                                          int workers = 4) {
  hc::config::ServiceSettings s;
  s.server.address = "127.0.0.1:0";
  s.metrics_address = "127.0.0.1:0";
  s.database_url = db_url;
  s.redis_address = redis;
  s.kafka_brokers = hc::testing::KafkaBrokers();
  s.jwt = {.algorithm = "HS256", .key = kSecret, .issuer = "hc-test"};
  s.workers = workers;
  s.db_pool_size = workers;
  return s;
}

}  // namespace volunteering::test_support

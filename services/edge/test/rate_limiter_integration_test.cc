// The edge's rate limiter through libs/redis's connection layer against a private
// redis-server with TLS and an ACL user, as production runs it.
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <sstream>

#include "libs/redis/connection.h"
#include "libs/testing/testing.h"
#include "services/edge/src/http/redis_rate_limiter.h"

namespace edge::http {
namespace {

constexpr char kUser[] = "hc-edge";
constexpr char kPassword[] = "edge-limiter-password";

TEST(RedisRateLimiterTls, CountsInRedisOverTlsWithAuth) {
  hc::testing::TestCertificates certs;
  hc::testing::RedisServer redis({.tls_cert_file = certs.path("server.pem"),
                                  .tls_key_file = certs.path("server.key"),
                                  .tls_ca_file = certs.path("ca.pem"),
                                  .username = kUser,
                                  .password = kPassword});
  redis.Start();
  const hc::redis::ConnectionOptions connection{.address = redis.address(),
                                                .username = kUser,
                                                .password = kPassword,
                                                .tls = true,
                                                .tls_ca_file = certs.path("ca.pem"),
                                                .connect_timeout = std::chrono::seconds(2),
                                                .command_timeout = std::chrono::seconds(2)};
  // A fixed clock keeps every hit in one window.
  const auto fixed = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  prometheus::Registry registry;
  RedisRateLimiter first({.connection = connection, .clock = [fixed] { return fixed; }}, registry);
  prometheus::Registry other_registry;
  RedisRateLimiter second({.connection = connection, .clock = [fixed] { return fixed; }},
                          other_registry);
  // Two replicas share the count only through Redis: 3 + 2 hits against a limit of 4.
  EXPECT_TRUE(first.Allow("ip", "a", 4, std::chrono::seconds(60)));
  EXPECT_TRUE(first.Allow("ip", "a", 4, std::chrono::seconds(60)));
  EXPECT_TRUE(second.Allow("ip", "a", 4, std::chrono::seconds(60)));
  EXPECT_TRUE(second.Allow("ip", "a", 4, std::chrono::seconds(60)));
  EXPECT_FALSE(first.Allow("ip", "a", 4, std::chrono::seconds(60)));

  auto connector = hc::redis::Connector::Create(connection);
  ASSERT_TRUE(connector.ok()) << connector.status();
  auto direct = (*connector)->Connect();
  ASSERT_TRUE(direct.ok()) << direct.status();
  auto replies = (*direct)->Pipeline(
      {{"GET", "hc:edge:rl:ip:a:1800000000"}, {"TTL", "hc:edge:rl:ip:a:1800000000"}});
  ASSERT_TRUE(replies.ok()) << replies.status();
  EXPECT_EQ((*replies)[0].str, "5");
  EXPECT_GT((*replies)[1].integer, 0);  // it goes with its window
}

TEST(RedisRateLimiterTls, AWrongPasswordCountsLocallyInstead) {
  hc::testing::TestCertificates certs;
  hc::testing::RedisServer redis({.tls_cert_file = certs.path("server.pem"),
                                  .tls_key_file = certs.path("server.key"),
                                  .tls_ca_file = certs.path("ca.pem"),
                                  .username = kUser,
                                  .password = kPassword});
  redis.Start();
  prometheus::Registry registry;
  RedisRateLimiter limiter({.connection = {.address = redis.address(),
                                           .username = kUser,
                                           .password = "wrong",
                                           .tls = true,
                                           .tls_ca_file = certs.path("ca.pem"),
                                           .connect_timeout = std::chrono::seconds(2),
                                           .command_timeout = std::chrono::seconds(2)}},
                           registry);
  // Redis refuses us, so each replica limits on its own: loose, never everyone refused.
  EXPECT_TRUE(limiter.Allow("ip", "b", 2, std::chrono::seconds(60)));
  EXPECT_TRUE(limiter.Allow("ip", "b", 2, std::chrono::seconds(60)));
  EXPECT_FALSE(limiter.Allow("ip", "b", 2, std::chrono::seconds(60)));
  std::ostringstream metrics;
  prometheus::TextSerializer().Serialize(metrics, registry.Collect());
  EXPECT_NE(metrics.str().find("edge_rate_limit_fallback_total 3"), std::string::npos)
      << metrics.str();
}

}  // namespace
}  // namespace edge::http

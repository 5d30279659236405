// The edge's rate limiter through libs/redis's connection layer against a private
// redis-server with TLS and an ACL user, as production runs it.
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <map>
#include <memory>
#include <sstream>
#include <string>

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

// Commands Redis has run since it started, by name ("evalsha", "incr", ...), from INFO
// commandstats: what tells round trips apart without MONITOR.
std::map<std::string, long long> CommandCalls(hc::redis::Connection& redis) {
  auto info = redis.Command({"INFO", "commandstats"});
  EXPECT_TRUE(info.ok()) << info.status();
  std::map<std::string, long long> calls;
  if (!info.ok()) return calls;
  std::istringstream lines(info->str);
  for (std::string line; std::getline(lines, line);) {
    const size_t colon = line.find(':');
    const size_t at = line.find("calls=");
    if (!line.starts_with("cmdstat_") || colon == std::string::npos || at == std::string::npos) {
      continue;
    }
    calls[line.substr(8, colon - 8)] = std::stoll(line.substr(at + 6));
  }
  return calls;
}

// Calls of every command but INFO made between two CommandCalls.
std::map<std::string, long long> Delta(const std::map<std::string, long long>& before,
                                       const std::map<std::string, long long>& after) {
  std::map<std::string, long long> delta;
  for (const auto& [name, count] : after) {
    const auto it = before.find(name);
    const long long more = count - (it == before.end() ? 0 : it->second);
    if (more > 0 && name != "info") delta[name] = more;
  }
  return delta;
}

class RedisRateLimiterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_.Start();
    auto connector = hc::redis::Connector::Create({.address = redis_.address()});
    ASSERT_TRUE(connector.ok()) << connector.status();
    auto direct = (*connector)->Connect();
    ASSERT_TRUE(direct.ok()) << direct.status();
    direct_ = *std::move(direct);
  }
  std::string Get(const std::string& key) {
    auto reply = direct_->Command({"GET", key});
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? reply->str : "";
  }
  std::string Metrics() {
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, registry_.Collect());
    return out.str();
  }

  // A fixed clock keeps every hit in one window.
  static constexpr std::chrono::seconds kNow{1'800'000'000};
  hc::testing::RedisServer redis_;
  std::unique_ptr<hc::redis::Connection> direct_;
  prometheus::Registry registry_;
  RedisRateLimiter limiter_{{.connection = {.address = redis_.address()},
                             .clock = [] { return std::chrono::system_clock::time_point(kNow); }},
                            registry_};
};

TEST_F(RedisRateLimiterTest, EveryLimitOfARequestCostsOneRoundTrip) {
  const Limit limits[] = {{.bucket = "ip", .key = "a", .limit = 100},
                          {.bucket = "session", .key = "s", .limit = 100}};
  // The first call after a start may need EVAL (NOSCRIPT); the steady state is what counts.
  ASSERT_FALSE(limiter_.FirstRefused(limits).has_value());
  const auto before = CommandCalls(*direct_);
  ASSERT_FALSE(limiter_.FirstRefused(limits).has_value());
  const auto after = CommandCalls(*direct_);
  // One command from the client, so one round trip, for both buckets (commandstats also counts
  // the commands a script runs: its INCR of each bucket; the keys exist, so no EXPIRE).
  EXPECT_EQ(Delta(before, after), (std::map<std::string, long long>{{"evalsha", 1}, {"incr", 2}}));
  EXPECT_EQ(Get("hc:edge:rl:ip:a:1800000000"), "2");
  EXPECT_EQ(Get("hc:edge:rl:session:s:1800000000"), "2");
  for (const char* key : {"hc:edge:rl:ip:a:1800000000", "hc:edge:rl:session:s:1800000000"}) {
    auto ttl = direct_->Command({"TTL", key});
    ASSERT_TRUE(ttl.ok()) << ttl.status();
    EXPECT_GT(ttl->integer, 0) << key;  // it goes with its window
    EXPECT_LE(ttl->integer, 61) << key;
  }
}

TEST_F(RedisRateLimiterTest, EachBucketRefusesOnItsOwn) {
  const Limit from_a[] = {{.bucket = "ip", .key = "a", .limit = 2},
                          {.bucket = "session", .key = "s", .limit = 3}};
  EXPECT_EQ(limiter_.FirstRefused(from_a), std::nullopt);
  EXPECT_EQ(limiter_.FirstRefused(from_a), std::nullopt);
  EXPECT_EQ(limiter_.FirstRefused(from_a), 0u);  // the address's bucket is full
  // Refused before the session's bucket: that one was not counted.
  EXPECT_EQ(Get("hc:edge:rl:session:s:1800000000"), "2");
  // The same session from another address: its own bucket refuses, the address's doesn't.
  const Limit from_b[] = {{.bucket = "ip", .key = "b", .limit = 2},
                          {.bucket = "session", .key = "s", .limit = 3}};
  EXPECT_EQ(limiter_.FirstRefused(from_b), std::nullopt);
  EXPECT_EQ(limiter_.FirstRefused(from_b), 1u);
  EXPECT_EQ(Get("hc:edge:rl:ip:b:1800000000"), "2");
  EXPECT_NE(Metrics().find("edge_rate_limited_total 2"), std::string::npos) << Metrics();
  EXPECT_NE(Metrics().find("edge_rate_limit_fallback_total 0"), std::string::npos) << Metrics();
}

TEST_F(RedisRateLimiterTest, AfterRedisForgetsTheScriptItIsSentAgain) {
  const Limit one[] = {{.bucket = "ip", .key = "c", .limit = 10}};
  ASSERT_FALSE(limiter_.FirstRefused(one).has_value());
  ASSERT_TRUE(direct_->Command({"SCRIPT", "FLUSH"}).ok());
  const auto before = CommandCalls(*direct_);
  ASSERT_FALSE(limiter_.FirstRefused(one).has_value());
  ASSERT_FALSE(limiter_.FirstRefused(one).has_value());
  const auto after = CommandCalls(*direct_);
  // NOSCRIPT is answered with EVAL at once, and the next request is back to EVALSHA: counted
  // in Redis all along, never the per-process fallback.
  const auto delta = Delta(before, after);
  EXPECT_EQ(delta.count("eval"), 1u) << testing::PrintToString(delta);
  EXPECT_EQ(Get("hc:edge:rl:ip:c:1800000000"), "3");
  EXPECT_NE(Metrics().find("edge_rate_limit_fallback_total 0"), std::string::npos) << Metrics();
}

TEST_F(RedisRateLimiterTest, WhenRedisIsDownEveryBucketCountsInTheProcess) {
  const Limit limits[] = {{.bucket = "ip", .key = "d", .limit = 3},
                          {.bucket = "session", .key = "t", .limit = 1}};
  direct_.reset();
  redis_.Stop();
  EXPECT_EQ(limiter_.FirstRefused(limits), std::nullopt);
  EXPECT_EQ(limiter_.FirstRefused(limits), 1u);  // the session's bucket, as with Redis
  EXPECT_EQ(limiter_.FirstRefused(limits), 1u);
  EXPECT_EQ(limiter_.FirstRefused(limits), 0u);  // then the address's: 4 hits against 3
  EXPECT_NE(Metrics().find("edge_rate_limit_fallback_total 4"), std::string::npos) << Metrics();
}

}  // namespace
}  // namespace edge::http

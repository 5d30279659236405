// The connection layer against a real redis-server 7 with TLS and ACL users: what production
// runs (see README.md).
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <sstream>

#include "libs/redis/cache.h"
#include "libs/redis/connection.h"
#include "libs/testing/testing.h"

namespace hc::redis {
namespace {

constexpr char kUser[] = "hc-cache";
constexpr char kPassword[] = "right-horse-battery";

// Generous timeouts: a TLS handshake on a busy shared test machine is not what is measured.
constexpr std::chrono::milliseconds kTimeout{2000};

class RedisTlsTest : public ::testing::Test {
 protected:
  RedisTlsTest()
      : redis_({.tls_cert_file = certs_.path("server.pem"),
                .tls_key_file = certs_.path("server.key"),
                .tls_ca_file = certs_.path("ca.pem"),
                .username = kUser,
                .password = kPassword}) {}
  void SetUp() override { redis_.Start(); }

  // What a service configured with HC_REDIS_TLS=true, the CA, the ACL user and its password
  // uses.
  ConnectionOptions Good() const {
    return {.address = redis_.address(),
            .username = kUser,
            .password = kPassword,
            .tls = true,
            .tls_ca_file = certs_.path("ca.pem"),
            .connect_timeout = kTimeout,
            .command_timeout = kTimeout};
  }

  absl::StatusOr<std::unique_ptr<Connection>> Connect(const ConnectionOptions& options) {
    auto connector = Connector::Create(options);
    if (!connector.ok()) return connector.status();
    return (*connector)->Connect();
  }

  std::unique_ptr<Cache> NewCache(const ConnectionOptions& options) {
    return std::make_unique<Cache>(
        CacheOptions{.connection = options, .retry_after = std::chrono::milliseconds(1)}, registry_,
        "tls");
  }

  absl::StatusOr<std::string> Read(Cache& cache, const std::string& key) {
    return cache.GetOrLoad(key, std::chrono::seconds(60), [&]() -> absl::StatusOr<std::string> {
      ++loads_;
      return "loaded";
    });
  }

  std::string Scrape() {
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, registry_.Collect());
    return out.str();
  }

  testing::TestCertificates certs_;
  testing::RedisServer redis_;
  prometheus::Registry registry_;
  int loads_ = 0;
};

TEST_F(RedisTlsTest, CacheGetAndSetWorkOverTlsWithAuth) {
  auto cache = NewCache(Good());
  EXPECT_EQ(*Read(*cache, "member:1"), "loaded");
  EXPECT_EQ(*Read(*cache, "member:1"), "loaded");
  EXPECT_EQ(loads_, 1);
  EXPECT_NE(Scrape().find("result=\"hit\"} 1"), std::string::npos) << Scrape();
  // The entry really is in this Redis, read back over a connection of its own.
  auto connection = Connect(Good());
  ASSERT_TRUE(connection.ok()) << connection.status();
  auto stored = (*connection)->Command({"GET", "member:1"});
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->type, Reply::Type::kString);
  EXPECT_TRUE(stored->str.ends_with(":loaded")) << stored->str;
}

TEST_F(RedisTlsTest, AWrongPasswordIsRefusedAndTheCacheFallsBackToTheLoader) {
  ConnectionOptions wrong = Good();
  wrong.password = "wrong-password";
  auto connection = Connect(wrong);
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(connection.status().message().find("WRONGPASS"), std::string::npos)
      << connection.status();
  EXPECT_EQ(connection.status().message().find("wrong-password"), std::string::npos);

  auto cache = NewCache(wrong);
  for (int i = 0; i < 3; ++i) {
    auto value = Read(*cache, "member:2");
    ASSERT_TRUE(value.ok()) << value.status();
    EXPECT_EQ(*value, "loaded");
  }
  EXPECT_EQ(loads_, 3);
  EXPECT_NE(Scrape().find("result=\"error\"} 3"), std::string::npos) << Scrape();
}

TEST_F(RedisTlsTest, NoPasswordGetsNoData) {
  ConnectionOptions anonymous = Good();
  anonymous.username.clear();
  anonymous.password.clear();
  auto connection = Connect(anonymous);
  ASSERT_TRUE(connection.ok()) << connection.status();  // TLS alone is not enough
  auto reply = (*connection)->Command({"GET", "member:1"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->type, Reply::Type::kError);
  EXPECT_NE(reply->str.find("NOAUTH"), std::string::npos) << reply->str;
}

TEST_F(RedisTlsTest, AServerCertificateForAnotherNameIsRefused) {
  ConnectionOptions elsewhere = Good();
  elsewhere.tls_server_name = "redis.elsewhere.example";  // the certificate names localhost
  auto connection = Connect(elsewhere);
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(connection.status().message().find("hostname mismatch"), std::string::npos)
      << connection.status();

  // The name it does carry passes, so the refusal above is about the name alone.
  ConnectionOptions localhost = Good();
  localhost.tls_server_name = "localhost";
  auto good = Connect(localhost);
  EXPECT_TRUE(good.ok()) << good.status();

  auto cache = NewCache(elsewhere);
  EXPECT_EQ(*Read(*cache, "member:3"), "loaded");
  EXPECT_EQ(*Read(*cache, "member:3"), "loaded");
  EXPECT_EQ(loads_, 2);
}

TEST_F(RedisTlsTest, AServerFromAnotherCaIsRefused) {
  testing::TestCertificates other;
  ConnectionOptions untrusting = Good();
  untrusting.tls_ca_file = other.path("ca.pem");
  auto connection = Connect(untrusting);
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(connection.status().message().find("certificate"), std::string::npos)
      << connection.status();
}

TEST_F(RedisTlsTest, APlaintextClientAgainstTheTlsPortFailsCleanly) {
  ConnectionOptions plain = Good();
  plain.tls = false;
  plain.command_timeout = std::chrono::milliseconds(300);
  auto connection = Connect(plain);
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.status().code(), absl::StatusCode::kUnavailable) << connection.status();

  auto cache = NewCache(plain);
  EXPECT_EQ(*Read(*cache, "member:4"), "loaded");
  EXPECT_NE(Scrape().find("result=\"error\"} 1"), std::string::npos) << Scrape();
}

TEST_F(RedisTlsTest, APipelineOverTlsReturnsEveryReplyInOrder) {
  auto connection = Connect(Good());
  ASSERT_TRUE(connection.ok()) << connection.status();
  // Large enough to span many TLS records both ways.
  const std::string big(300 * 1024, 'x');
  std::vector<std::vector<std::string>> commands;
  for (int i = 0; i < 50; ++i) commands.push_back({"SET", "p:" + std::to_string(i), big});
  commands.push_back({"INCR", "p:0"});  // not an integer: an error reply, not a failure
  for (int i = 0; i < 50; ++i) commands.push_back({"STRLEN", "p:" + std::to_string(i)});
  commands.push_back({"GET", "p:missing"});
  commands.push_back({"GET", "p:49"});
  auto replies = (*connection)->Pipeline(commands);
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), commands.size());
  for (int i = 0; i < 50; ++i) EXPECT_EQ((*replies)[i].type, Reply::Type::kStatus);
  EXPECT_EQ((*replies)[50].type, Reply::Type::kError);
  for (int i = 51; i < 101; ++i) {
    EXPECT_EQ((*replies)[i].type, Reply::Type::kInteger);
    EXPECT_EQ((*replies)[i].integer, static_cast<long long>(big.size()));
  }
  EXPECT_EQ((*replies)[101].type, Reply::Type::kNil);
  EXPECT_EQ((*replies)[102].str, big);
  // The connection is still good after an error reply.
  auto again = (*connection)->Command({"EXISTS", "p:1", "p:2", "p:missing"});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->integer, 2);
}

// The near-cache's heartbeat: a PING written on a subscribed connection comes back as a push
// among the messages, read by Receive like any other.
TEST_F(RedisTlsTest, APingSentOnASubscribedConnectionIsAnsweredThroughReceive) {
  auto connection = Connect(Good());
  ASSERT_TRUE(connection.ok()) << connection.status();
  auto subscribed = (*connection)->Command({"SUBSCRIBE", "some-channel"});
  ASSERT_TRUE(subscribed.ok()) << subscribed.status();
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  ASSERT_TRUE((*connection)->Send({"PING"}, deadline).ok());
  auto pong = (*connection)->Receive(deadline);
  ASSERT_TRUE(pong.ok()) << pong.status();
  ASSERT_EQ(pong->type, Reply::Type::kArray);
  ASSERT_EQ(pong->elements.size(), 2u);
  EXPECT_EQ(pong->elements[0].str, "pong");
}

// A read that failed part-way leaves the stream at an unknown place: the connection closes
// its socket and refuses every later use instead of reading someone else's reply.
TEST_F(RedisTlsTest, AFailedReceiveBreaksTheConnectionForGood) {
  auto connection = Connect(Good());
  ASSERT_TRUE(connection.ok()) << connection.status();
  ASSERT_TRUE((*connection)->Command({"SUBSCRIBE", "some-channel"}).ok());
  ASSERT_GE((*connection)->fd(), 0);
  redis_.Stop();
  auto message = (*connection)->Receive(std::chrono::steady_clock::now() + kTimeout);
  EXPECT_FALSE(message.ok());
  EXPECT_EQ((*connection)->fd(), -1);
  EXPECT_EQ((*connection)->Command({"PING"}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*connection)->Send({"PING"}, std::chrono::steady_clock::now() + kTimeout).code(),
            absl::StatusCode::kFailedPrecondition);
}

// The heartbeat goes through the TLS write path (which may also read records): answered
// there too, with no reconnection.
TEST_F(RedisTlsTest, TheNearCacheHeartbeatIsAnsweredOverTls) {
  auto cache = std::make_unique<Cache>(CacheOptions{.connection = Good(),
                                                    .retry_after = std::chrono::milliseconds(100),
                                                    .local_prefixes = {"member:"}},
                                       registry_, "tls");
  ASSERT_TRUE(testing::WaitFor([&] { return cache->local_ready(); }, std::chrono::seconds(10)));
  const uint64_t subscriptions = cache->local_subscriptions();
  EXPECT_TRUE(
      testing::WaitFor([&] { return cache->local_heartbeats() >= 2; }, std::chrono::seconds(10)));
  EXPECT_EQ(cache->local_subscriptions(), subscriptions);
  EXPECT_TRUE(cache->local_ready());
}

TEST(RedisTlsClientCertificateTest, AServerThatRequiresClientCertificatesGetsOne) {
  testing::TestCertificates certs;
  testing::RedisServer redis({.tls_cert_file = certs.path("server.pem"),
                              .tls_key_file = certs.path("server.key"),
                              .tls_ca_file = certs.path("ca.pem"),
                              .tls_client_certificates_required = true,
                              .username = {},
                              .password = kPassword});
  redis.Start();
  ConnectionOptions options{.address = redis.address(),
                            .password = kPassword,
                            .tls = true,
                            .tls_ca_file = certs.path("ca.pem"),
                            .connect_timeout = kTimeout,
                            .command_timeout = kTimeout};
  // Without a certificate TLS 1.3's handshake completes and the server then drops us, so the
  // refusal shows at AUTH, the first round trip.
  auto connector = Connector::Create(options);
  ASSERT_TRUE(connector.ok()) << connector.status();
  auto refused = (*connector)->Connect();
  EXPECT_FALSE(refused.ok());

  options.tls_cert_file = certs.path("client.pem");
  options.tls_key_file = certs.path("client.key");
  connector = Connector::Create(options);
  ASSERT_TRUE(connector.ok()) << connector.status();
  auto connection = (*connector)->Connect();
  ASSERT_TRUE(connection.ok()) << connection.status();
  auto pong = (*connection)->Command({"PING"});
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_EQ(pong->str, "PONG");
}

TEST(RedisAuthTest, APlaintextServerWithRequirepassTakesThePassword) {
  testing::RedisServer redis({.password = kPassword});
  redis.Start();
  Pool pool({.address = redis.address(),
             .password = kPassword,
             .connect_timeout = kTimeout,
             .command_timeout = kTimeout},
            4, std::chrono::milliseconds(1));
  auto replies = pool.Run({{"SET", "k", "v"}, {"GET", "k"}});
  ASSERT_TRUE(replies.has_value()) << pool.last_error();
  EXPECT_EQ((*replies)[1].str, "v");

  Pool wrong({.address = redis.address(),
              .password = "nope",
              .connect_timeout = kTimeout,
              .command_timeout = kTimeout},
             4, std::chrono::milliseconds(1));
  EXPECT_FALSE(wrong.Run({{"GET", "k"}}).has_value());
  EXPECT_NE(wrong.last_error().find("UNAUTHENTICATED"), std::string::npos) << wrong.last_error();
}

TEST(RedisConnectorTest, BadTlsFilesAreRefusedUpFront) {
  auto connector = Connector::Create(
      {.address = "127.0.0.1:1", .tls = true, .tls_ca_file = "/nonexistent/ca.pem"});
  EXPECT_EQ(connector.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(Connector::Create({.address = "no-port"}).ok());
}

}  // namespace
}  // namespace hc::redis

#include "libs/config/service_settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>

namespace hc::config {
namespace {

using ::testing::HasSubstr;

class ServiceSettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_file_ = "/tmp/hc-settings-test-" + std::to_string(getpid()) + ".key";
    std::ofstream(key_file_) << "0123456789abcdef0123456789abcdef-secret";
    vars_ = {{"HC_DATABASE_URL", "postgresql://x/db"},
             {"HC_KAFKA_BROKERS", "127.0.0.1:9092"},
             {"HC_JWT_KEY_FILE", key_file_}};
  }
  void TearDown() override { std::remove(key_file_.c_str()); }

  absl::StatusOr<ServiceSettings> Read() {
    Env env([this](const std::string& name) -> std::optional<std::string> {
      auto it = vars_.find(name);
      if (it == vars_.end()) return std::nullopt;
      return it->second;
    });
    ServiceSettings defaults;
    defaults.server.address = "127.0.0.1:17001";
    defaults.metrics_address = "127.0.0.1:17101";
    return ReadServiceSettings(env, defaults);
  }

  std::string key_file_;
  std::map<std::string, std::string> vars_;
};

TEST_F(ServiceSettingsTest, ReadsDefaultsAndTheKeyFile) {
  auto s = Read();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->server.address, "127.0.0.1:17001");
  EXPECT_EQ(s->jwt.key, "0123456789abcdef0123456789abcdef-secret");
  EXPECT_EQ(s->jwt.algorithm, "HS256");
  EXPECT_TRUE(s->server.tls_cert_pem.empty());
}

TEST_F(ServiceSettingsTest, OutboxRetentionDefaultsToAWeekAndIsBounded) {
  auto s = Read();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->outbox_retention, std::chrono::hours(168));
  vars_["HC_OUTBOX_RETENTION_HOURS"] = "24";
  s = Read();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->outbox_retention, std::chrono::hours(24));
  vars_["HC_OUTBOX_RETENTION_HOURS"] = "0";
  EXPECT_THAT(std::string(Read().status().message()), HasSubstr("HC_OUTBOX_RETENTION_HOURS"));
}

TEST_F(ServiceSettingsTest, NamesEveryMissingRequiredVariable) {
  vars_.clear();
  absl::Status s = Read().status();
  EXPECT_THAT(std::string(s.message()), HasSubstr("HC_DATABASE_URL"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("HC_KAFKA_BROKERS"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("HC_JWT_KEY_FILE"));
}

TEST_F(ServiceSettingsTest, PlaintextOffLoopbackIsRefusedUnlessTlsOrTheMeshSaysSo) {
  vars_["HC_GRPC_ADDR"] = "0.0.0.0:17001";
  EXPECT_THAT(std::string(Read().status().message()), HasSubstr("HC_TLS_CERT_FILE"));
  vars_["HC_ALLOW_PLAINTEXT_NON_LOOPBACK"] = "true";
  EXPECT_TRUE(Read().ok());
  vars_.erase("HC_ALLOW_PLAINTEXT_NON_LOOPBACK");
  vars_["HC_TLS_CERT_FILE"] = key_file_;  // any readable file stands in for a certificate
  EXPECT_THAT(std::string(Read().status().message()), HasSubstr("go together"));
  vars_["HC_TLS_KEY_FILE"] = key_file_;
  EXPECT_TRUE(Read().ok());
}

TEST_F(ServiceSettingsTest, AnUnreadableFileIsNamed) {
  vars_["HC_JWT_KEY_FILE"] = "/nonexistent/key";
  EXPECT_THAT(std::string(Read().status().message()),
              HasSubstr("HC_JWT_KEY_FILE=/nonexistent/key cannot be read"));
}

TEST_F(ServiceSettingsTest, KafkaIsPlaintextByDefault) {
  auto s = Read();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->kafka_security.protocol, kafka::Security::Protocol::kPlaintext);
  EXPECT_TRUE(s->kafka_security.ca_file.empty());
}

TEST_F(ServiceSettingsTest, KafkaSslTakesTheThreeFiles) {
  vars_["HC_KAFKA_SECURITY_PROTOCOL"] = "ssl";
  // The key file stands in for the PEM files: only readability is checked here.
  vars_["HC_KAFKA_SSL_CA_FILE"] = key_file_;
  vars_["HC_KAFKA_SSL_CERT_FILE"] = key_file_;
  vars_["HC_KAFKA_SSL_KEY_FILE"] = key_file_;
  auto s = Read();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->kafka_security.protocol, kafka::Security::Protocol::kSsl);
  EXPECT_EQ(s->kafka_security.ca_file, key_file_);
  EXPECT_EQ(s->kafka_security.cert_file, key_file_);
  EXPECT_EQ(s->kafka_security.key_file, key_file_);
}

TEST_F(ServiceSettingsTest, KafkaSslWithoutAFileNamesTheMissingVariable) {
  for (const char* missing :
       {"HC_KAFKA_SSL_CA_FILE", "HC_KAFKA_SSL_CERT_FILE", "HC_KAFKA_SSL_KEY_FILE"}) {
    vars_["HC_KAFKA_SECURITY_PROTOCOL"] = "ssl";
    vars_["HC_KAFKA_SSL_CA_FILE"] = key_file_;
    vars_["HC_KAFKA_SSL_CERT_FILE"] = key_file_;
    vars_["HC_KAFKA_SSL_KEY_FILE"] = key_file_;
    vars_.erase(missing);
    auto s = Read();
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << missing;
    EXPECT_THAT(std::string(s.status().message()), HasSubstr(missing));
  }
}

TEST_F(ServiceSettingsTest, KafkaSslWithAnUnreadableFileNamesIt) {
  vars_["HC_KAFKA_SECURITY_PROTOCOL"] = "ssl";
  vars_["HC_KAFKA_SSL_CA_FILE"] = key_file_;
  vars_["HC_KAFKA_SSL_CERT_FILE"] = "/nonexistent/client.pem";
  vars_["HC_KAFKA_SSL_KEY_FILE"] = key_file_;
  auto s = Read();
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.status().message()),
              HasSubstr("HC_KAFKA_SSL_CERT_FILE=/nonexistent/client.pem"));
}

TEST_F(ServiceSettingsTest, KafkaFilesWithPlaintextAreIgnored) {
  // stack.env names the stack's test certificates for every process; plaintext stays plaintext.
  vars_["HC_KAFKA_SSL_CA_FILE"] = key_file_;
  vars_["HC_KAFKA_SSL_CERT_FILE"] = "/nonexistent/client.pem";
  auto s = Read();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->kafka_security.protocol, kafka::Security::Protocol::kPlaintext);
  EXPECT_TRUE(s->kafka_security.ca_file.empty());
  EXPECT_TRUE(s->kafka_security.cert_file.empty());
}

TEST_F(ServiceSettingsTest, KafkaUnknownProtocolIsRejected) {
  for (const char* protocol : {"sasl_ssl", "SSL", "tls"}) {
    vars_["HC_KAFKA_SECURITY_PROTOCOL"] = protocol;
    auto s = Read();
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << protocol;
    EXPECT_THAT(std::string(s.status().message()), HasSubstr("HC_KAFKA_SECURITY_PROTOCOL"));
  }
}

TEST_F(ServiceSettingsTest, RedisIsPlainAndUnauthenticatedByDefault) {
  auto s = Read();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->redis.password.empty());
  EXPECT_FALSE(s->redis.tls);
  vars_["HC_REDIS_ADDR"] = "10.0.0.7:6380";
  s = Read();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->redis_connection().address, "10.0.0.7:6380");
}

TEST_F(ServiceSettingsTest, RedisPasswordFileLosesItsTrailingNewline) {
  const std::string password_file = key_file_ + ".redis";
  std::ofstream(password_file) << "s3cret-pass\n";
  vars_["HC_REDIS_PASSWORD_FILE"] = password_file;
  vars_["HC_REDIS_USERNAME"] = "edge";
  auto s = Read();
  std::remove(password_file.c_str());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->redis.password, "s3cret-pass");
  EXPECT_EQ(s->redis_connection().username, "edge");
}

TEST_F(ServiceSettingsTest, RedisUsernameWithoutPasswordIsRefused) {
  vars_["HC_REDIS_USERNAME"] = "edge";
  EXPECT_THAT(std::string(Read().status().message()),
              HasSubstr("HC_REDIS_USERNAME needs HC_REDIS_PASSWORD_FILE"));
}

TEST_F(ServiceSettingsTest, RedisBadPasswordFilesAreNamed) {
  vars_["HC_REDIS_PASSWORD_FILE"] = "/nonexistent/redis-password";
  EXPECT_THAT(std::string(Read().status().message()),
              HasSubstr("HC_REDIS_PASSWORD_FILE=/nonexistent/redis-password cannot be read"));
  const std::string empty_file = key_file_ + ".empty";
  std::ofstream(empty_file) << "\n";
  vars_["HC_REDIS_PASSWORD_FILE"] = empty_file;
  const std::string message(Read().status().message());
  std::remove(empty_file.c_str());
  EXPECT_THAT(message, HasSubstr("HC_REDIS_PASSWORD_FILE=" + empty_file + " is empty"));
}

TEST_F(ServiceSettingsTest, RedisTlsNeedsItsCaFile) {
  vars_["HC_REDIS_TLS"] = "true";
  EXPECT_THAT(std::string(Read().status().message()),
              HasSubstr("HC_REDIS_TLS_CA_FILE is required with HC_REDIS_TLS=true"));
  vars_["HC_REDIS_TLS"] = "maybe";
  EXPECT_THAT(std::string(Read().status().message()), HasSubstr("HC_REDIS_TLS"));
}

TEST_F(ServiceSettingsTest, RedisTlsFilesWithoutTlsAreRefused) {
  vars_["HC_REDIS_TLS_CA_FILE"] = key_file_;
  EXPECT_THAT(std::string(Read().status().message()),
              HasSubstr("HC_REDIS_TLS_CA_FILE is set but HC_REDIS_TLS is not true"));
  vars_.erase("HC_REDIS_TLS_CA_FILE");
  vars_["HC_REDIS_TLS_SERVER_NAME"] = "redis.internal";
  EXPECT_THAT(std::string(Read().status().message()),
              HasSubstr("HC_REDIS_TLS_SERVER_NAME is set but HC_REDIS_TLS is not true"));
}

TEST_F(ServiceSettingsTest, RedisTlsClientCertificateAndKeyGoTogether) {
  vars_["HC_REDIS_TLS"] = "true";
  vars_["HC_REDIS_TLS_CA_FILE"] = key_file_;
  vars_["HC_REDIS_TLS_CERT_FILE"] = key_file_;
  EXPECT_THAT(std::string(Read().status().message()),
              HasSubstr("HC_REDIS_TLS_CERT_FILE and HC_REDIS_TLS_KEY_FILE go together"));
}

TEST_F(ServiceSettingsTest, RedisTlsFilesAreCheckedAtStartup) {
  vars_["HC_REDIS_TLS"] = "true";
  vars_["HC_REDIS_TLS_CA_FILE"] = "/nonexistent/ca.pem";
  EXPECT_THAT(std::string(Read().status().message()),
              HasSubstr("HC_REDIS_TLS_CA_FILE=/nonexistent/ca.pem cannot be read"));
  vars_["HC_REDIS_TLS_CA_FILE"] = key_file_;  // readable, but no certificate in it
  EXPECT_THAT(std::string(Read().status().message()), HasSubstr("HC_REDIS_TLS_CA_FILE"));
}

}  // namespace
}  // namespace hc::config

#include "tools/hc-dlq/kafka_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

namespace hc::dlq {
namespace {

using ::testing::HasSubstr;

Env EnvOf(std::map<std::string, std::string> values) {
  return [values](const std::string& name) {
    auto it = values.find(name);
    return it == values.end() ? std::string() : it->second;
  };
}

std::string Get(RdKafka::Conf& conf, const std::string& name) {
  std::string value;
  EXPECT_EQ(conf.get(name, value), RdKafka::Conf::CONF_OK) << name;
  return value;
}

TEST(ApplyKafkaSecurity, PlaintextWhenNothingIsSet) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  ASSERT_TRUE(ApplyKafkaSecurity(*conf, EnvOf({})).ok());
  EXPECT_EQ(Get(*conf, "security.protocol"), "plaintext");
}

TEST(ApplyKafkaSecurity, SslSetsTheCaAndTheClientCertificate) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  ASSERT_TRUE(ApplyKafkaSecurity(*conf, EnvOf({{"HC_KAFKA_SECURITY_PROTOCOL", "SSL"},
                                               {"HC_KAFKA_SSL_CA_FILE", "/s/ca.pem"},
                                               {"HC_KAFKA_SSL_CERT_FILE", "/s/client.pem"},
                                               {"HC_KAFKA_SSL_KEY_FILE", "/s/client.key"}}))
                  .ok());
  EXPECT_EQ(Get(*conf, "security.protocol"), "ssl");
  EXPECT_EQ(Get(*conf, "ssl.ca.location"), "/s/ca.pem");
  EXPECT_EQ(Get(*conf, "ssl.certificate.location"), "/s/client.pem");
  EXPECT_EQ(Get(*conf, "ssl.key.location"), "/s/client.key");
}

TEST(ApplyKafkaSecurity, SslWithoutItsFilesOrAnUnknownProtocolIsAnError) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  auto missing = ApplyKafkaSecurity(
      *conf, EnvOf({{"HC_KAFKA_SECURITY_PROTOCOL", "ssl"}, {"HC_KAFKA_SSL_CA_FILE", "/s/ca.pem"}}));
  EXPECT_THAT(std::string(missing.message()), HasSubstr("HC_KAFKA_SSL_CERT_FILE is required"));
  auto unknown = ApplyKafkaSecurity(*conf, EnvOf({{"HC_KAFKA_SECURITY_PROTOCOL", "sasl_ssl"}}));
  EXPECT_THAT(std::string(unknown.message()), HasSubstr("plaintext or ssl"));
}

}  // namespace
}  // namespace hc::dlq

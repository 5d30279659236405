// Kafka over mTLS against the stack's SSL listener (scripts/stack.sh: a listener with
// ssl.client.auth=required and a CA of its own): the settings a managed Kafka needs reach the
// admin client, the producer and a consumer group, and a client that lacks them is refused.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "libs/kafka/consumer.h"
#include "libs/kafka/kafka.h"
#include "libs/testing/testing.h"

namespace hc::kafka {
namespace {

// Asks for the cluster's metadata with `conf`: NO_ERROR only when the broker answered.
RdKafka::ErrorCode MetadataWith(RdKafka::Conf& conf) {
  std::string error;
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(&conf, error));
  if (!producer) return RdKafka::ERR__INVALID_ARG;
  RdKafka::Metadata* metadata = nullptr;
  RdKafka::ErrorCode code = producer->metadata(true, nullptr, &metadata, 5000);
  delete metadata;
  return code;
}

class KafkaSslTest : public ::testing::Test {
 protected:
  testing::TestDatabase db_;
  postgres::Pool pool_{{.url = db_.url()}};
  prometheus::Registry registry_;
  std::string brokers_ = testing::KafkaSslBrokers();
  Security security_ = testing::KafkaSslSecurity();
};

TEST_F(KafkaSslTest, ProduceAndConsumeInAGroupOverMutualTls) {
  const std::string topic = testing::UniqueName("ssl-test");
  const std::string service = testing::UniqueName("svc");
  // Admin (CreateTopics) over mTLS.
  ASSERT_TRUE(EnsureTopics(brokers_, {topic, "alumni.dlq." + service}, 1, std::chrono::seconds(30),
                           security_)
                  .ok());
  ASSERT_TRUE(postgres::Migrate(db_.url(), {Consumer::InboxMigration(),
                                            {"0001_seen", "CREATE TABLE seen (value text)"}})
                  .ok());
  std::atomic<int> handled{0};
  Consumer consumer(
      {.brokers = brokers_,
       .group_id = testing::UniqueName("g"),
       .topics = {topic},
       .service = service,
       .after_commit = [&](const Message&) { ++handled; },
       .security = security_},
      pool_,
      [](postgres::Tx& tx, const Message& m) {
        tx.exec_params("INSERT INTO seen (value) VALUES ($1)", m.value);
        return absl::OkStatus();
      },
      registry_);
  ASSERT_TRUE(consumer.Start().ok());

  auto producer = NewIdempotentProducer(brokers_, nullptr, "ssl-test",
                                        std::chrono::milliseconds(20000), security_);
  ASSERT_TRUE(producer.ok()) << producer.status();
  const std::string value = "over-mtls";
  RdKafka::Headers* headers = NewHeaders({{kCeId, testing::UniqueName("id")}});
  ASSERT_EQ((*producer)->produce(topic, RdKafka::Topic::PARTITION_UA,
                                 RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(value.data()),
                                 value.size(), "k", 1, 0, headers, nullptr),
            RdKafka::ERR_NO_ERROR);
  ASSERT_EQ((*producer)->flush(20000), RdKafka::ERR_NO_ERROR);
  ASSERT_EQ((*producer)->outq_len(), 0);

  ASSERT_TRUE(testing::WaitFor([&] { return handled >= 1; }, std::chrono::seconds(30)));
  int rows = -1;
  ASSERT_TRUE(
      pool_
          .InTransaction([&](postgres::Tx& tx) {
            rows =
                tx.exec_params1("SELECT count(*) FROM seen WHERE value = $1", value)[0].as<int>();
            return absl::OkStatus();
          })
          .ok());
  EXPECT_EQ(rows, 1);
  consumer.Stop();
}

TEST_F(KafkaSslTest, AClientWithoutACertificateIsRefused) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  ASSERT_EQ(conf->set("bootstrap.servers", brokers_, error), RdKafka::Conf::CONF_OK);
  ASSERT_EQ(conf->set("security.protocol", "ssl", error), RdKafka::Conf::CONF_OK);
  ASSERT_EQ(conf->set("ssl.ca.location", security_.ca_file, error), RdKafka::Conf::CONF_OK);
  // It trusts the broker, but the broker does not trust it (ssl.client.auth=required).
  EXPECT_NE(MetadataWith(*conf), RdKafka::ERR_NO_ERROR);

  // The same client with its certificate is let in, so the refusal above is the certificate's.
  ASSERT_TRUE(ApplySecurity(*conf, security_).ok());
  EXPECT_EQ(MetadataWith(*conf), RdKafka::ERR_NO_ERROR);
}

TEST_F(KafkaSslTest, PlaintextSettingsAgainstTheSslPortFailCleanly) {
  absl::Status status = EnsureTopics(brokers_, {testing::UniqueName("never")}, 1,
                                     std::chrono::seconds(3), Security{});
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;

  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  ASSERT_EQ(conf->set("bootstrap.servers", brokers_, error), RdKafka::Conf::CONF_OK);
  ASSERT_TRUE(ApplySecurity(*conf, Security{}).ok());
  EXPECT_NE(MetadataWith(*conf), RdKafka::ERR_NO_ERROR);
}

TEST_F(KafkaSslTest, ApplySecurityRejectsAMissingCertificateFile) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  Security broken = security_;
  broken.cert_file = "/nonexistent/client.pem";
  std::string error;
  ASSERT_EQ(conf->set("bootstrap.servers", brokers_, error), RdKafka::Conf::CONF_OK);
  ASSERT_TRUE(ApplySecurity(*conf, broken).ok());  // librdkafka reads the files on create
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), error));
  EXPECT_EQ(producer, nullptr);
  EXPECT_NE(error.find("certificate"), std::string::npos) << error;
}

}  // namespace
}  // namespace hc::kafka

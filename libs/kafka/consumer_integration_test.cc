#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "libs/kafka/consumer.h"
#include "libs/testing/testing.h"

namespace hc::kafka {
namespace {

// Produces records by hand (no outbox) so the test controls ce_id, including duplicates.
class Producer {
 public:
  explicit Producer(const std::string& brokers)
      : producer_(*NewIdempotentProducer(brokers, nullptr, "consumer-test")) {}
  void Send(const std::string& topic, const std::string& key, const std::string& value,
            const std::string& ce_id) {
    std::map<std::string, std::string> headers;
    if (!ce_id.empty()) headers[kCeId] = ce_id;
    ASSERT_EQ(
        producer_->produce(topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                           const_cast<char*>(value.data()), value.size(), key.data(), key.size(), 0,
                           NewHeaders(headers), nullptr),
        RdKafka::ERR_NO_ERROR);
    ASSERT_EQ(producer_->flush(10000), RdKafka::ERR_NO_ERROR);
  }

 private:
  std::unique_ptr<RdKafka::Producer> producer_;
};

class ConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(postgres::Migrate(db_.url(),
                                  {Consumer::InboxMigration(),
                                   {"0001_effects", "CREATE TABLE effects (value text NOT NULL)"}})
                    .ok());
    topic_ = testing::UniqueName("consumer-test");
    service_ = testing::UniqueName("svc");
    ASSERT_TRUE(
        EnsureTopics(brokers_, {topic_, "alumni.dlq." + service_}, 1, std::chrono::seconds(30))
            .ok());
  }

  std::unique_ptr<Consumer> NewConsumer(const std::string& group,
                                        std::function<void(const Message&)> after_commit = {},
                                        const std::string& inbox_scope = "") {
    auto consumer = std::make_unique<Consumer>(
        ConsumerOptions{.brokers = brokers_,
                        .group_id = group,
                        .topics = {topic_},
                        .service = service_,
                        .max_attempts = 3,
                        .retry_backoff = std::chrono::milliseconds(10),
                        .after_commit = std::move(after_commit),
                        .inbox_scope = inbox_scope},
        pool_,
        [](postgres::Tx& tx, const Message& m) -> absl::Status {
          if (m.value == "poison") return absl::InvalidArgumentError("cannot handle poison");
          tx.exec_params("INSERT INTO effects (value) VALUES ($1)", m.value);
          return absl::OkStatus();
        },
        registry_);
    EXPECT_TRUE(consumer->Start().ok());
    return consumer;
  }

  int Effects(const std::string& value) {
    int n = -1;
    EXPECT_TRUE(pool_
                    .InTransaction([&](postgres::Tx& tx) {
                      n = tx.exec_params1("SELECT count(*) FROM effects WHERE value = $1", value)[0]
                              .as<int>();
                      return absl::OkStatus();
                    })
                    .ok());
    return n;
  }

  testing::TestDatabase db_;
  postgres::Pool pool_{{.url = db_.url()}};
  prometheus::Registry registry_;
  std::string brokers_ = testing::KafkaBrokers();
  std::string topic_;
  std::string service_;
};

TEST_F(ConsumerTest, AnAfterCommitStepThatThrowsDoesNotStopTheConsumer) {
  std::atomic<int> after{0};
  auto consumer = NewConsumer(testing::UniqueName("g"), [&](const Message& m) {
    ++after;
    if (m.value == "a") throw std::runtime_error("boom");
  });
  Producer producer(brokers_);
  producer.Send(topic_, "k", "a", testing::UniqueName("id"));
  producer.Send(topic_, "k", "b", testing::UniqueName("id"));
  ASSERT_TRUE(testing::WaitFor([&] { return after == 2; }, std::chrono::seconds(30)));
  EXPECT_EQ(Effects("a"), 1);
  EXPECT_EQ(Effects("b"), 1);
}

TEST_F(ConsumerTest, ARedeliveredMessageHasNoSecondEffect) {
  Producer producer(brokers_);
  producer.Send(topic_, "k", "a", "id-a");
  producer.Send(topic_, "k", "a", "id-a");  // the same fact again, as after a relay restart
  producer.Send(topic_, "k", "b", "id-b");
  auto consumer = NewConsumer(testing::UniqueName("g"));
  ASSERT_TRUE(testing::WaitFor([&] { return Effects("b") == 1; }, std::chrono::seconds(30)));
  EXPECT_EQ(Effects("a"), 1);
}

TEST_F(ConsumerTest, AScopedSecondConsumerOfTheTopicHandlesWhatTheFirstAlreadyRecorded) {
  Producer producer(brokers_);
  producer.Send(topic_, "k", "a", "id-a");
  auto first = NewConsumer(testing::UniqueName("g"));
  ASSERT_TRUE(testing::WaitFor([&] { return Effects("a") == 1; }, std::chrono::seconds(30)));
  // Its own group, same database: without a scope the first consumer's inbox row would drop it.
  auto second = NewConsumer(testing::UniqueName("g"), {}, "second");
  ASSERT_TRUE(testing::WaitFor([&] { return Effects("a") == 2; }, std::chrono::seconds(30)));
  // Each still drops its own redeliveries.
  producer.Send(topic_, "k", "a", "id-a");
  producer.Send(topic_, "k", "b", "id-b");
  ASSERT_TRUE(testing::WaitFor([&] { return Effects("b") == 2; }, std::chrono::seconds(30)));
  EXPECT_EQ(Effects("a"), 2);
}

TEST_F(ConsumerTest, ARestartedGroupResumesAfterTheLastCommittedMessage) {
  Producer producer(brokers_);
  const std::string group = testing::UniqueName("g");
  producer.Send(topic_, "k", "first", "id-1");
  {
    auto consumer = NewConsumer(group);
    ASSERT_TRUE(testing::WaitFor([&] { return Effects("first") == 1; }, std::chrono::seconds(30)));
    consumer->Stop();
  }
  producer.Send(topic_, "k", "second", "id-2");
  // Wipe the inbox: only committed offsets can now keep "first" from applying twice.
  ASSERT_TRUE(pool_
                  .InTransaction([](postgres::Tx& tx) {
                    tx.exec("DELETE FROM inbox");
                    return absl::OkStatus();
                  })
                  .ok());
  auto consumer = NewConsumer(group);
  ASSERT_TRUE(testing::WaitFor([&] { return Effects("second") == 1; }, std::chrono::seconds(30)));
  EXPECT_EQ(Effects("first"), 1);
}

TEST_F(ConsumerTest, APoisonMessageGoesToTheDlqWithItsOriginAndThePartitionMovesOn) {
  Producer producer(brokers_);
  producer.Send(topic_, "k", "poison", "id-p");
  producer.Send(topic_, "k", "no-id", "");
  producer.Send(topic_, "k", "after", "id-after");
  auto consumer = NewConsumer(testing::UniqueName("g"));
  ASSERT_TRUE(testing::WaitFor([&] { return Effects("after") == 1; }, std::chrono::seconds(30)));
  auto dead = testing::ReadTopic(brokers_, "alumni.dlq." + service_, 2, std::chrono::seconds(30));
  ASSERT_EQ(dead.size(), 2u);
  EXPECT_EQ(dead[0].value, "poison");
  EXPECT_EQ(dead[0].Header("dlq_topic"), topic_);
  EXPECT_EQ(dead[0].Header("dlq_partition"), "0");
  EXPECT_EQ(dead[0].Header("dlq_offset"), "0");
  EXPECT_EQ(dead[0].Header("dlq_error"), "cannot handle poison");
  EXPECT_EQ(dead[0].Header("ce_id"), "id-p");
  EXPECT_EQ(dead[1].value, "no-id");
  EXPECT_EQ(dead[1].Header("dlq_offset"), "1");
  EXPECT_EQ(Effects("poison"), 0);
}

// hc_consumer_dead_letters_total of this group and origin topic, or -1 while there is none.
double DeadLetters(prometheus::Registry& registry, const std::string& group,
                   const std::string& topic) {
  for (const auto& family : registry.Collect()) {
    if (family.name != "hc_consumer_dead_letters_total") continue;
    for (const auto& metric : family.metric) {
      int matched = 0;
      for (const auto& label : metric.label) {
        if ((label.name == "group" && label.value == group) ||
            (label.name == "topic" && label.value == topic)) {
          ++matched;
        }
      }
      if (matched == 2) return metric.counter.value;
    }
  }
  return -1;
}

TEST_F(ConsumerTest, DeadLettersAreCountedPerGroupAndOriginTopic) {
  Producer producer(brokers_);
  producer.Send(topic_, "k", "poison", "id-p");
  producer.Send(topic_, "k", "after", "id-after");
  const std::string group = testing::UniqueName("g");
  EXPECT_EQ(DeadLetters(registry_, group, topic_), -1);
  auto consumer = NewConsumer(group);
  ASSERT_TRUE(testing::WaitFor([&] { return Effects("after") == 1; }, std::chrono::seconds(30)));
  EXPECT_EQ(DeadLetters(registry_, group, topic_), 1);
}

TEST_F(ConsumerTest, AfterCommitRunsOncePerHandledMessageOnceItsEffectIsCommitted) {
  Producer producer(brokers_);
  producer.Send(topic_, "k", "a", "id-a");
  producer.Send(topic_, "k", "a", "id-a");       // a duplicate: no second call
  producer.Send(topic_, "k", "poison", "id-p");  // dead-lettered: no call
  producer.Send(topic_, "k", "b", "id-b");
  std::mutex mu;
  std::vector<std::string> calls;
  std::vector<int> committed_effects;
  Consumer consumer(
      ConsumerOptions{.brokers = brokers_,
                      .group_id = testing::UniqueName("g"),
                      .topics = {topic_},
                      .service = service_,
                      .max_attempts = 1,
                      .retry_backoff = std::chrono::milliseconds(10),
                      .after_commit =
                          [&](const Message& m) {
                            int effects = Effects(m.value);  // read on another connection
                            std::lock_guard lock(mu);
                            calls.push_back(m.value);
                            committed_effects.push_back(effects);
                          }},
      pool_,
      [](postgres::Tx& tx, const Message& m) -> absl::Status {
        if (m.value == "poison") return absl::InvalidArgumentError("cannot handle poison");
        tx.exec_params("INSERT INTO effects (value) VALUES ($1)", m.value);
        return absl::OkStatus();
      },
      registry_);
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_TRUE(testing::WaitFor([&] { return Effects("b") == 1; }, std::chrono::seconds(30)));
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        std::lock_guard lock(mu);
        return calls.size() >= 2;
      },
      std::chrono::seconds(10)));
  consumer.Stop();
  std::lock_guard lock(mu);
  EXPECT_EQ(calls, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(committed_effects, (std::vector<int>{1, 1}));
}

// hc_consumer_lag of this group's partition, or -1 while it reports none.
double Lag(prometheus::Registry& registry, const std::string& group) {
  for (const auto& family : registry.Collect()) {
    if (family.name != "hc_consumer_lag") continue;
    for (const auto& metric : family.metric) {
      for (const auto& label : metric.label) {
        if (label.name == "group" && label.value == group) return metric.gauge.value;
      }
    }
  }
  return -1;
}

TEST_F(ConsumerTest, LagIsReportedPerPartitionAndFallsToZero) {
  Producer producer(brokers_);
  for (int i = 0; i < 12; ++i) producer.Send(topic_, "k", "v", testing::UniqueName("id"));
  const std::string group = testing::UniqueName("g");
  std::atomic<int> handled{0};
  Consumer consumer(
      ConsumerOptions{
          .brokers = brokers_, .group_id = group, .topics = {topic_}, .service = service_},
      pool_,
      [&](postgres::Tx&, const Message&) -> absl::Status {
        // Slow enough that a report (every 2 s) lands while most are still waiting.
        std::this_thread::sleep_for(std::chrono::milliseconds(400));
        ++handled;
        return absl::OkStatus();
      },
      registry_);
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_TRUE(testing::WaitFor([&] { return Lag(registry_, group) > 0; }, std::chrono::seconds(30)))
      << "no lag reported while messages waited";
  ASSERT_TRUE(testing::WaitFor([&] { return handled == 12; }, std::chrono::seconds(60)));
  EXPECT_TRUE(
      testing::WaitFor([&] { return Lag(registry_, group) == 0; }, std::chrono::seconds(10)))
      << Lag(registry_, group);
  consumer.Stop();
}

}  // namespace
}  // namespace hc::kafka

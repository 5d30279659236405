// hc-dlq against the test stack's Kafka: dead letters made by libs/kafka's real consumer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <sstream>

#include "libs/kafka/consumer.h"
#include "libs/testing/testing.h"
#include "tools/hc-dlq/commands.h"

namespace hc::dlq {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Result {
  int status = -1;
  std::string out;
  std::string err;
};

class HcDlqTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(postgres::Migrate(db_.url(),
                                  {kafka::Consumer::InboxMigration(),
                                   {"0001_effects", "CREATE TABLE effects (ce_id text NOT NULL)"}})
                    .ok());
    service_ = testing::UniqueName("dlqsvc");
    origin_ = testing::UniqueName("dlq-origin");
    dlq_ = "alumni.dlq." + service_;
    ASSERT_TRUE(kafka::EnsureTopics(brokers_, {origin_, dlq_}, 1, std::chrono::seconds(30)).ok());
    consumer_ = std::make_unique<kafka::Consumer>(
        kafka::ConsumerOptions{.brokers = brokers_,
                               .group_id = testing::UniqueName("dlq-test-group"),
                               .topics = {origin_},
                               .service = service_,
                               .max_attempts = 2,
                               .retry_backoff = std::chrono::milliseconds(10)},
        pool_,
        [this](postgres::Tx& tx, const kafka::Message& m) -> absl::Status {
          if (failing_) return absl::InvalidArgumentError("handler rejects it\nat line two");
          tx.exec_params("INSERT INTO effects (ce_id) VALUES ($1)", m.Header(kafka::kCeId));
          return absl::OkStatus();
        },
        registry_);
    ASSERT_TRUE(consumer_->Start().ok());
  }

  // Produces a fact the failing handler dead-letters; returns once it is in the DLQ.
  void DeadLetterOne(const std::string& ce_id, size_t dead_letters_after) {
    ASSERT_TRUE(
        testing::ProduceFact(brokers_, origin_, "key-" + ce_id, kType, kPayload, ce_id).ok());
    ASSERT_EQ(
        testing::ReadTopic(brokers_, dlq_, dead_letters_after, std::chrono::seconds(30)).size(),
        dead_letters_after);
  }

  Result Dlq(std::vector<std::string> argv) {
    argv.insert(argv.begin() + 1, {"--service", service_, "--brokers", brokers_});
    std::ostringstream out, err;
    // No HC_KAFKA_* in this environment: plaintext, brokers from the flag.
    int status = dlq::Run(argv, out, err, [](const std::string&) { return std::string(); });
    return {status, out.str(), err.str()};
  }

  int Effects(const std::string& ce_id) {
    int n = -1;
    EXPECT_TRUE(pool_
                    .InTransaction([&](postgres::Tx& tx) {
                      n = tx.exec_params1("SELECT count(*) FROM effects WHERE ce_id = $1", ce_id)[0]
                              .as<int>();
                      return absl::OkStatus();
                    })
                    .ok());
    return n;
  }

  // The origin topic's records: ReadTopic lingers after `expected` arrived, so one more shows.
  std::vector<kafka::Message> Origin(size_t expected) {
    return testing::ReadTopic(brokers_, origin_, expected, std::chrono::seconds(30));
  }

  static constexpr char kType[] = "alumni.test.v1.Happened";
  static constexpr char kPayload[] = R"({"marker":"payload-body-7f3a"})";
  testing::TestDatabase db_;
  postgres::Pool pool_{{.url = db_.url()}};
  prometheus::Registry registry_;
  std::string brokers_ = testing::KafkaBrokers();
  std::string service_;
  std::string origin_;
  std::string dlq_;
  std::atomic<bool> failing_{true};
  std::unique_ptr<kafka::Consumer> consumer_;
};

TEST_F(HcDlqTest, ListAndInspectShowTheOriginAndErrorButNoPayloadUnlessAsked) {
  DeadLetterOne("id-list-1", 1);

  Result list = Dlq({"list"});
  ASSERT_EQ(list.status, kOk) << list.err;
  EXPECT_THAT(list.out, HasSubstr("0:0 "));
  EXPECT_THAT(list.out,
              HasSubstr(" held origin=" + origin_ + ":0@0 type=" + kType + " id=id-list-1 "));
  EXPECT_THAT(list.out, HasSubstr("error=handler rejects it ...\n"));
  EXPECT_THAT(list.out, Not(HasSubstr("payload-body-7f3a")));

  Result json = Dlq({"list", "--json"});
  ASSERT_EQ(json.status, kOk) << json.err;
  auto line = nlohmann::json::parse(json.out);
  EXPECT_EQ(line["origin_topic"], origin_);
  EXPECT_EQ(line["id"], "id-list-1");
  EXPECT_EQ(line["replayed"], false);

  Result inspect = Dlq({"inspect", "--offset", "0:0"});
  ASSERT_EQ(inspect.status, kOk) << inspect.err;
  EXPECT_THAT(inspect.out, HasSubstr("  ce_id: id-list-1\n"));
  EXPECT_THAT(inspect.out, HasSubstr("  dlq_topic: " + origin_ + "\n"));
  EXPECT_THAT(inspect.out, HasSubstr("error:\n  handler rejects it\n  at line two\n"));
  EXPECT_THAT(inspect.out, Not(HasSubstr("payload-body-7f3a")));

  Result payload = Dlq({"inspect", "--offset", "0:0", "--payload"});
  ASSERT_EQ(payload.status, kOk) << payload.err;
  EXPECT_THAT(payload.out, HasSubstr(kPayload));

  Result missing = Dlq({"inspect", "--offset", "0:5"});
  EXPECT_EQ(missing.status, kFailure);
  EXPECT_THAT(missing.err, HasSubstr("no dead letter at 0:5"));
}

TEST_F(HcDlqTest, ReplayPutsTheMessageBackOnceAndTheConsumerThenHandlesIt) {
  DeadLetterOne("id-replay-1", 1);
  failing_ = false;  // the fix is deployed

  Result dry = Dlq({"replay", "--all", "--dry-run"});
  ASSERT_EQ(dry.status, kOk) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("would replay 0:0 -> " + origin_));
  EXPECT_EQ(Origin(1).size(), 1u) << "a dry run produced something";
  EXPECT_THAT(Dlq({"list"}).out, HasSubstr(" held "));

  Result replay = Dlq({"replay", "--all"});
  ASSERT_EQ(replay.status, kOk) << replay.err;
  EXPECT_THAT(replay.out,
              HasSubstr("replayed 0:0 -> " + origin_ + " (type " + kType + ", id id-replay-1)"));
  ASSERT_TRUE(
      testing::WaitFor([&] { return Effects("id-replay-1") == 1; }, std::chrono::seconds(30)));

  Result again = Dlq({"replay", "--all"});
  ASSERT_EQ(again.status, kOk) << again.err;
  EXPECT_THAT(again.out, HasSubstr("nothing to replay"));
  Result one = Dlq({"replay", "--offset", "0:0"});
  ASSERT_EQ(one.status, kOk) << one.err;
  EXPECT_THAT(one.out, HasSubstr("already replayed"));

  auto origin = Origin(2);
  ASSERT_EQ(origin.size(), 2u) << "the original and exactly one replay";
  const kafka::Message& replayed = origin[1];
  EXPECT_EQ(replayed.key, "key-id-replay-1");
  EXPECT_EQ(replayed.value, kPayload);
  EXPECT_EQ(replayed.Header(kafka::kCeId), "id-replay-1");
  EXPECT_EQ(replayed.Header(kafka::kCeType), kType);
  EXPECT_EQ(replayed.Header("hc_dlq_replay_of"), dlq_ + ":0:0");
  for (const auto& [name, value] : replayed.headers) {
    EXPECT_THAT(name, Not(HasSubstr("dlq_topic")));
    EXPECT_NE(name, "dlq_error");
  }
  EXPECT_THAT(Dlq({"list"}).out, HasSubstr(" replayed origin="));
  EXPECT_EQ(Effects("id-replay-1"), 1);
}

TEST_F(HcDlqTest, ReplayOfOneOffsetRefusesToSkipAnOlderDeadLetter) {
  DeadLetterOne("id-order-1", 1);
  DeadLetterOne("id-order-2", 2);
  Result skip = Dlq({"replay", "--offset", "0:1"});
  EXPECT_EQ(skip.status, kFailure);
  EXPECT_THAT(skip.err, HasSubstr("older dead letter 0:0 is not replayed yet"));
  EXPECT_EQ(Origin(2).size(), 2u);

  Result first = Dlq({"replay", "--offset", "0:0"});
  ASSERT_EQ(first.status, kOk) << first.err;
  Result second = Dlq({"replay", "--offset", "0:1"});
  ASSERT_EQ(second.status, kOk) << second.err;
  EXPECT_EQ(Origin(4).size(), 4u);
}

TEST_F(HcDlqTest, PurgeRemovesReplayedDeadLettersOnceAndRefusesUnreplayedOnesWithoutForce) {
  DeadLetterOne("id-purge-1", 1);
  failing_ = false;
  ASSERT_EQ(Dlq({"replay", "--all"}).status, kOk);
  // The replayed fact must be handled before the handler fails again, or it is dead-lettered
  // a second time.
  ASSERT_TRUE(
      testing::WaitFor([&] { return Effects("id-purge-1") == 1; }, std::chrono::seconds(30)));
  failing_ = true;
  DeadLetterOne("id-purge-2", 2);  // held, not replayed

  Result refused = Dlq({"purge", "--before", "0:2"});
  EXPECT_EQ(refused.status, kFailure);
  EXPECT_THAT(refused.err, HasSubstr("refusing to purge 0:1 to 0:1"));

  Result purge = Dlq({"purge", "--all-replayed"});
  ASSERT_EQ(purge.status, kOk) << purge.err;
  EXPECT_THAT(purge.out, HasSubstr("(1 records); partition 0 now starts at offset 1"));
  Result list = Dlq({"list"});
  ASSERT_EQ(list.status, kOk) << list.err;
  EXPECT_THAT(list.out, Not(HasSubstr("id-purge-1")));
  EXPECT_THAT(list.out, HasSubstr("0:1 "));

  Result again = Dlq({"purge", "--all-replayed"});
  ASSERT_EQ(again.status, kOk) << again.err;
  EXPECT_THAT(again.out, HasSubstr("nothing to purge in partition 0: it starts at offset 1"));
  Result purged = Dlq({"inspect", "--offset", "0:0"});
  EXPECT_EQ(purged.status, kFailure);
  EXPECT_THAT(purged.err, HasSubstr("purged"));

  Result forced = Dlq({"purge", "--before", "0:2", "--force"});
  ASSERT_EQ(forced.status, kOk) << forced.err;
  EXPECT_THAT(Dlq({"list"}).err, HasSubstr("no dead letters held"));
}

TEST_F(HcDlqTest, UsageErrorsExitTwoAndAMissingTopicExitsOne) {
  std::ostringstream out, err;
  auto no_env = [](const std::string&) { return std::string(); };
  EXPECT_EQ(dlq::Run({"replay", "--service", service_}, out, err, no_env), kUsage);
  EXPECT_THAT(err.str(), HasSubstr("usage: hc-dlq replay"));
  EXPECT_EQ(dlq::Run({"list", "--service", service_}, out, err, no_env), kUsage);  // no brokers
  EXPECT_EQ(dlq::Run({"list", "--help"}, out, err, no_env), kOk);
  EXPECT_EQ(dlq::Run({"list", "--service", "nosuch-" + service_, "--brokers", brokers_}, out, err,
                     no_env),
            kFailure);
  EXPECT_THAT(err.str(), HasSubstr("does not exist"));
}

}  // namespace
}  // namespace hc::dlq

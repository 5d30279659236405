#include <gtest/gtest.h>

#include <map>
#include <set>

#include "alumni/membership/v1/membership_events.pb.h"
#include "libs/kafka/kafka.h"
#include "libs/outbox/outbox.h"
#include "libs/testing/testing.h"

namespace hc::outbox {
namespace {

using alumni::membership::v1::MemberProfileUpdated;

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(postgres::Migrate(db_.url(), {Migration()}).ok());
    topic_ = testing::UniqueName("outbox-test");
  }

  void UseBroker(const std::string& brokers) {
    brokers_ = brokers;
    ASSERT_TRUE(kafka::EnsureTopics(brokers_, {topic_}, 3, std::chrono::seconds(30)).ok());
  }

  std::unique_ptr<Relay> NewRelay() {
    return std::make_unique<Relay>(RelayOptions{.brokers = brokers_, .service = "test"}, pool_,
                                   registry_);
  }

  // One committed event per call; `version` numbers the events of a key.
  std::string Emit(const std::string& key, int version) {
    std::string id;
    EXPECT_TRUE(pool_
                    .InTransaction([&](postgres::Tx& tx) {
                      MemberProfileUpdated event;
                      event.set_member_id(key);
                      event.set_version(version);
                      id = Append(tx, topic_, key, event);
                      return absl::OkStatus();
                    })
                    .ok());
    return id;
  }

  int Unpublished() {
    int n = -1;
    EXPECT_TRUE(
        pool_
            .InTransaction([&](postgres::Tx& tx) {
              n = tx.exec1("SELECT count(*) FROM outbox WHERE published_at IS NULL")[0].as<int>();
              return absl::OkStatus();
            })
            .ok());
    return n;
  }

  // Every key's versions arrive 1, 2, 3, ... and no ce_id arrives twice.
  static void ExpectOrderedAndUnique(const std::vector<kafka::Message>& messages) {
    std::set<std::string> ids;
    std::map<std::string, int64_t> last_version;
    for (const auto& m : messages) {
      EXPECT_TRUE(ids.insert(m.Header(kafka::kCeId)).second) << "duplicate " << m.Header("ce_id");
      MemberProfileUpdated event;
      ASSERT_TRUE(event.ParseFromString(m.value));
      EXPECT_EQ(event.member_id(), m.key);
      EXPECT_EQ(event.version(), last_version[m.key] + 1) << "key " << m.key;
      last_version[m.key] = event.version();
    }
  }

  testing::TestDatabase db_;
  postgres::Pool pool_{{.url = db_.url()}};
  prometheus::Registry registry_;
  std::string topic_;
  std::string brokers_;
};

TEST_F(OutboxTest, PublishesCommittedRowsWithCloudEventsHeaders) {
  UseBroker(testing::KafkaBrokers());
  auto relay = NewRelay();
  relay->Start();
  std::string id = Emit("member-1", 1);
  auto messages = testing::ReadTopic(brokers_, topic_, 1, std::chrono::seconds(30));
  ASSERT_EQ(messages.size(), 1u);
  const auto& m = messages[0];
  EXPECT_EQ(m.key, "member-1");
  EXPECT_EQ(m.Header("ce_id"), id);
  EXPECT_EQ(m.Header("ce_type"), "alumni.membership.v1.MemberProfileUpdated");
  EXPECT_EQ(m.Header("ce_source"), "/homecoming/test");
  EXPECT_EQ(m.Header("ce_specversion"), "1.0");
  EXPECT_EQ(m.Header("content-type"), "application/protobuf");
  EXPECT_EQ(m.Header("ce_time").size(), std::string("2026-01-01T00:00:00.000000Z").size());
  EXPECT_TRUE(testing::WaitFor([&] { return Unpublished() == 0; }, std::chrono::seconds(10)));
}

TEST_F(OutboxTest, RolledBackEventsAreNeverPublished) {
  UseBroker(testing::KafkaBrokers());
  auto relay = NewRelay();
  relay->Start();
  EXPECT_EQ(pool_
                .InTransaction([&](postgres::Tx& tx) {
                  MemberProfileUpdated ghost;
                  ghost.set_member_id("ghost");
                  Append(tx, topic_, "ghost", ghost);
                  return absl::FailedPreconditionError("rolled back");
                })
                .code(),
            absl::StatusCode::kFailedPrecondition);
  Emit("real", 1);
  auto messages = testing::ReadTopic(brokers_, topic_, 2, std::chrono::seconds(5));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].key, "real");
}

TEST_F(OutboxTest, OnlyOneRelayPublishesAndAStandbyTakesOver) {
  UseBroker(testing::KafkaBrokers());
  auto first = NewRelay();
  auto second = NewRelay();
  first->Start();
  ASSERT_TRUE(testing::WaitFor([&] { return first->is_leader(); }, std::chrono::seconds(10)));
  second->Start();
  for (int v = 1; v <= 20; ++v) Emit("k", v);
  EXPECT_TRUE(testing::WaitFor([&] { return Unpublished() == 0; }, std::chrono::seconds(20)));
  EXPECT_FALSE(second->is_leader());
  first->Stop();
  ASSERT_TRUE(testing::WaitFor([&] { return second->is_leader(); }, std::chrono::seconds(15)));
  for (int v = 21; v <= 40; ++v) Emit("k", v);
  auto messages = testing::ReadTopic(brokers_, topic_, 40, std::chrono::seconds(30));
  EXPECT_EQ(messages.size(), 40u);
  ExpectOrderedAndUnique(messages);
}

TEST_F(OutboxTest, TheRelayComesBackAfterTheDatabaseDropsItsSession) {
  UseBroker(testing::KafkaBrokers());
  auto relay = NewRelay();
  relay->Start();
  Emit("k", 1);
  ASSERT_TRUE(testing::WaitFor([&] { return Unpublished() == 0; }, std::chrono::seconds(20)));
  {
    // What a PostgreSQL restart or failover looks like to the relay: its session is cut.
    pqxx::connection admin(testing::PgUrlBase() + "/postgres");
    pqxx::nontransaction tx(admin);
    tx.exec_params(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = $1 AND pid <> pg_backend_pid()",
        db_.name());
  }
  Emit("k", 2);
  auto messages = testing::ReadTopic(brokers_, topic_, 2, std::chrono::seconds(30));
  EXPECT_EQ(messages.size(), 2u);
  ExpectOrderedAndUnique(messages);
  EXPECT_TRUE(relay->is_leader());
  // It publishes holding the lock again (a silently reopened session would not), so a
  // stand-by can't take over and publish the same rows.
  auto relay_locks = [&] {
    pqxx::connection conn(db_.url());
    pqxx::nontransaction tx(conn);
    return tx.exec1("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")[0]
        .as<int>();
  };
  EXPECT_TRUE(testing::WaitFor([&] { return relay_locks() == 1; }, std::chrono::seconds(10)));
}

// The foundation issue's test: broker stopped, 100 writes, broker restarted.
TEST_F(OutboxTest, BrokerDownDuringWritesLosesNothingAndDuplicatesNothing) {
  testing::KafkaBroker broker;
  broker.Start();
  UseBroker(broker.brokers());
  auto relay = NewRelay();
  relay->Start();
  Emit("warmup", 1);
  ASSERT_TRUE(testing::WaitFor([&] { return Unpublished() == 0; }, std::chrono::seconds(30)));

  broker.Stop();
  // 100 writes across 10 keys while the broker is away: every one commits.
  for (int v = 1; v <= 10; ++v) {
    for (int k = 0; k < 10; ++k) Emit("member-" + std::to_string(k), v);
  }
  EXPECT_EQ(Unpublished(), 100);
  broker.Start();

  EXPECT_TRUE(testing::WaitFor([&] { return Unpublished() == 0; }, std::chrono::seconds(60)));
  auto messages = testing::ReadTopic(brokers_, topic_, 101, std::chrono::seconds(60));
  EXPECT_EQ(messages.size(), 101u);
  ExpectOrderedAndUnique(messages);
}

}  // namespace
}  // namespace hc::outbox

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "alumni/membership/v1/membership_events.pb.h"
#include "libs/kafka/kafka.h"
#include "libs/outbox/outbox.h"
#include "libs/testing/testing.h"

namespace hc::outbox {
namespace {

using alumni::membership::v1::MemberProfileUpdated;

// A 3-partition topic whose broker-side message limit is `max_message_bytes`.
bool CreateTopicWithMaxMessageBytes(const std::string& brokers, const std::string& topic,
                                    int max_message_bytes) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), errstr, sizeof(errstr));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk) return false;
  rd_kafka_NewTopic_t* new_topic =
      rd_kafka_NewTopic_new(topic.c_str(), 3, 1, errstr, sizeof(errstr));
  rd_kafka_NewTopic_set_config(new_topic, "max.message.bytes",
                               std::to_string(max_message_bytes).c_str());
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &new_topic, 1, nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 30000);
  bool ok = false;
  if (event && !rd_kafka_event_error(event)) {
    size_t count = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
    ok = count == 1 && rd_kafka_topic_result_error(results[0]) == RD_KAFKA_RESP_ERR_NO_ERROR;
  }
  if (event) rd_kafka_event_destroy(event);
  rd_kafka_NewTopic_destroy(new_topic);
  rd_kafka_queue_destroy(queue);
  rd_kafka_destroy(rk);
  return ok;
}

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(postgres::Migrate(db_.url(), Migrations()).ok());
    topic_ = testing::UniqueName("outbox-test");
  }

  void UseBroker(const std::string& brokers) {
    brokers_ = brokers;
    ASSERT_TRUE(kafka::EnsureTopics(brokers_, {topic_}, 3, std::chrono::seconds(30)).ok());
  }

  std::unique_ptr<Relay> NewRelay(RelayOptions options = {},
                                  prometheus::Registry* registry = nullptr) {
    options.brokers = brokers_;
    options.service = "test";
    return std::make_unique<Relay>(std::move(options), pool_, registry ? *registry : registry_);
  }

  // The value of a gauge or counter without labels, as /metrics would show it.
  static double Metric(prometheus::Registry& registry, const std::string& name) {
    for (const auto& family : registry.Collect()) {
      if (family.name != name || family.metric.empty()) continue;
      return family.type == prometheus::MetricType::Counter ? family.metric[0].counter.value
                                                            : family.metric[0].gauge.value;
    }
    return -1;
  }

  // A one-off query through a fresh connection (not the pool the relay's tests watch).
  pqxx::result Query(const std::string& sql) {
    pqxx::connection conn(db_.url());
    pqxx::nontransaction tx(conn);
    return tx.exec(sql);
  }

  // One committed event per call; `version` numbers the events of a key.
  // Emits `key` at rising versions (after `version`) until the relay's claim floor passes
  // `seq`: each new row makes the relay claim again, and other tests' transactions on the
  // cluster can hold the floor back a while. False after 30 s.
  bool EmitUntilFloorPasses(Relay& relay, const std::string& key, long long seq, int& version) {
    return testing::WaitFor(
        [&] {
          if (relay.claim_floor() > seq) return true;
          Emit(key, ++version);
          return false;
        },
        std::chrono::seconds(30));
  }

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

TEST_F(OutboxTest, AnErasureLeavesNoRowNamingTheMemberEvenWhilePublishing) {
  UseBroker(testing::KafkaBrokers());
  const std::string erased = "0b7c1f2e-3d4a-4b5c-8d6e-7f8091a2b3c4";
  constexpr int kRows = 3000;
  auto emit = [&](int from, int to) {
    ASSERT_TRUE(
        pool_
            .InTransaction([&](postgres::Tx& tx) {
              for (int i = from; i < to; ++i) {
                MemberProfileUpdated event;
                const std::string key = (i % 3 == 0) ? erased : "other-" + std::to_string(i);
                event.set_member_id(key);
                event.set_version(i);
                // Every third row names the member, upper case in half of them.
                Append(tx, topic_, key, event,
                       {i % 6 == 0 ? std::string("0B7C1F2E-3D4A-4B5C-8D6E-7F8091A2B3C4") : key});
              }
              return absl::OkStatus();
            })
            .ok());
  };
  emit(0, kRows / 2);
  auto relay = NewRelay();
  relay->Start();
  ASSERT_TRUE(
      testing::WaitFor([&] { return Unpublished() < kRows / 2; }, std::chrono::seconds(60)));
  emit(kRows / 2, kRows);
  // The erasure while the relay is mid-backlog: some rows naming the member are published,
  // some in flight, some waiting.
  int deleted_now = -1;
  ASSERT_TRUE(pool_
                  .InTransaction([&](postgres::Tx& tx) {
                    deleted_now = ForgetSubject(tx, erased);
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_GT(deleted_now, 0);
  ASSERT_TRUE(testing::WaitFor([&] { return Unpublished() == 0; }, std::chrono::seconds(120)));
  relay->Stop();
  EXPECT_EQ(Query("SELECT count(*) FROM outbox WHERE subjects && ARRAY['" + erased + "']")[0][0]
                .as<int>(),
            0);
  EXPECT_EQ(Query("SELECT count(*) FROM outbox")[0][0].as<int>(), kRows - kRows / 3);
  // Every fact still reached Kafka: consumers need them, the erasure ones included.
  EXPECT_EQ(testing::ReadTopic(brokers_, topic_, kRows, std::chrono::seconds(60)).size(),
            static_cast<size_t>(kRows));
}

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

// The relay sleeps on LISTEN between rows, not for its poll interval: with the poll at ten
// minutes every row still goes out within seconds of its commit. Each row is committed only
// after the previous one is published, so the relay has gone back to waiting when it commits
// (without the wake-up the second row would wait the ten minutes).
TEST_F(OutboxTest, ACommittedRowWakesTheRelayWithoutWaitingForThePoll) {
  UseBroker(testing::KafkaBrokers());
  RelayOptions options;
  options.idle_poll = std::chrono::minutes(10);
  auto relay = NewRelay(options);
  relay->Start();
  ASSERT_TRUE(testing::WaitFor([&] { return relay->is_leader(); }, std::chrono::seconds(10)));
  for (int v = 1; v <= 20; ++v) {
    Emit("k", v);
    ASSERT_TRUE(testing::WaitFor([&] { return Unpublished() == 0; }, std::chrono::seconds(10)))
        << "row " << v << " was not published within 10 s of its commit";
  }
  auto messages = testing::ReadTopic(brokers_, topic_, 20, std::chrono::seconds(30));
  EXPECT_EQ(messages.size(), 20u);
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

// The outbox alerts read these gauges: they must keep rising while the relay waits for a broker
// that is away (before, they froze at their last value until the broker came back).
TEST_F(OutboxTest, GaugesKeepRisingWhileTheBrokerIsAway) {
  testing::KafkaBroker broker;
  broker.Start();
  UseBroker(broker.brokers());
  auto relay = NewRelay({.metrics_interval = std::chrono::milliseconds(200),
                         .delivery_timeout = std::chrono::seconds(10)});
  relay->Start();
  Emit("warmup", 1);
  ASSERT_TRUE(testing::WaitFor([&] { return Unpublished() == 0; }, std::chrono::seconds(30)));

  broker.Stop();
  for (int k = 0; k < 5; ++k) Emit("member-" + std::to_string(k), 1);
  // The alert's threshold: the oldest row waits more than 60 s, as seen by the leader.
  EXPECT_TRUE(testing::WaitFor(
      [&] { return Metric(registry_, "hc_outbox_oldest_unpublished_age_seconds") > 60; },
      std::chrono::seconds(90), std::chrono::milliseconds(200)));
  EXPECT_EQ(Metric(registry_, "hc_outbox_backlog"), 5);
  EXPECT_EQ(Metric(registry_, "hc_outbox_relay_leader"), 1);
  // message.timeout.ms is finite: the rows failed at least once and went again.
  EXPECT_GT(Metric(registry_, "hc_outbox_publish_errors_total"), 0);

  broker.Start();
  EXPECT_TRUE(testing::WaitFor([&] { return Unpublished() == 0; }, std::chrono::seconds(60)));
  EXPECT_TRUE(testing::WaitFor(
      [&] { return Metric(registry_, "hc_outbox_oldest_unpublished_age_seconds") == 0; },
      std::chrono::seconds(10)));
  auto messages = testing::ReadTopic(brokers_, topic_, 6, std::chrono::seconds(60));
  EXPECT_EQ(messages.size(), 6u);
  ExpectOrderedAndUnique(messages);
}

// A row larger than the producer's message.max.bytes can never be published.
TEST_F(OutboxTest, APoisonRowHoldsOnlyTheLaterRowsOfItsOwnKey) {
  UseBroker(testing::KafkaBrokers());
  {
    ASSERT_TRUE(pool_
                    .InTransaction([&](postgres::Tx& tx) {
                      MemberProfileUpdated poison;
                      poison.set_member_id("poison");
                      poison.set_version(1);
                      poison.add_changed_fields(std::string(1500 * 1000, 'x'));
                      Append(tx, topic_, "poison", poison);
                      return absl::OkStatus();
                    })
                    .ok());
  }
  Emit("poison", 2);
  Emit("a", 1);
  Emit("b", 1);
  Emit("a", 2);
  auto relay = NewRelay({.metrics_interval = std::chrono::milliseconds(100)});
  relay->Start();

  auto messages = testing::ReadTopic(brokers_, topic_, 3, std::chrono::seconds(30));
  ASSERT_EQ(messages.size(), 3u);
  for (const auto& m : messages) EXPECT_NE(m.key, "poison");
  ExpectOrderedAndUnique(messages);
  EXPECT_TRUE(testing::WaitFor([&] { return Metric(registry_, "hc_outbox_set_aside_rows") == 1; },
                               std::chrono::seconds(10)));
  EXPECT_EQ(Metric(registry_, "hc_outbox_set_aside_total"), 1);
  auto rows = Query(
      "SELECT attempts, last_error IS NOT NULL, set_aside_at IS NOT NULL, published_at IS NULL "
      "FROM outbox WHERE msg_key = 'poison' ORDER BY seq");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0].as<int>(), 1);
  EXPECT_TRUE(rows[0][1].as<bool>());
  EXPECT_TRUE(rows[0][2].as<bool>());
  EXPECT_TRUE(rows[0][3].as<bool>());
  // Its successor waits, untried: never published before the row ahead of it.
  EXPECT_EQ(rows[1][0].as<int>(), 0);
  EXPECT_FALSE(rows[1][2].as<bool>());
  EXPECT_TRUE(rows[1][3].as<bool>());
  EXPECT_EQ(Unpublished(), 2);

  // The operator gives the poison row up (README.md, "Outbox"): its key flows again.
  Query(
      "UPDATE outbox SET published_at = now() WHERE msg_key = 'poison' "
      "AND set_aside_at IS NOT NULL");
  EXPECT_TRUE(testing::WaitFor([&] { return Unpublished() == 0; }, std::chrono::seconds(20)));
  messages = testing::ReadTopic(brokers_, topic_, 4, std::chrono::seconds(30));
  ASSERT_EQ(messages.size(), 4u);
  int poison = 0;
  for (const auto& m : messages) {
    MemberProfileUpdated event;
    ASSERT_TRUE(event.ParseFromString(m.value));
    if (m.key != "poison") continue;
    ++poison;
    EXPECT_EQ(event.version(), 2);
  }
  EXPECT_EQ(poison, 1);
  EXPECT_TRUE(testing::WaitFor([&] { return Metric(registry_, "hc_outbox_set_aside_rows") == 0; },
                               std::chrono::seconds(10)));
}

// The leader's session is cut in the middle of a backlog; whichever relay leads next starts
// again from the oldest unpublished row. Rows the old leader had in flight may arrive twice, but
// a consumer that drops repeated ce_ids sees every key's versions rise one by one.
TEST_F(OutboxTest, VersionsOfEveryKeyRiseAcrossARelayFailOver) {
  UseBroker(testing::KafkaBrokers());
  constexpr int kKeys = 10;
  constexpr int kVersions = 1000;
  ASSERT_TRUE(pool_
                  .InTransaction([&](postgres::Tx& tx) {
                    for (int v = 1; v <= kVersions; ++v) {
                      for (int k = 0; k < kKeys; ++k) {
                        MemberProfileUpdated event;
                        event.set_member_id("member-" + std::to_string(k));
                        event.set_version(v);
                        Append(tx, topic_, event.member_id(), event);
                      }
                    }
                    return absl::OkStatus();
                  })
                  .ok());
  prometheus::Registry first_registry, second_registry;
  auto first = NewRelay({.batch_size = 100}, &first_registry);
  auto second = NewRelay({.batch_size = 100}, &second_registry);
  first->Start();
  ASSERT_TRUE(testing::WaitFor([&] { return first->is_leader(); }, std::chrono::seconds(10)));
  second->Start();
  const int total = kKeys * kVersions;
  ASSERT_TRUE(testing::WaitFor([&] { return Unpublished() <= total - 1000; },
                               std::chrono::seconds(60), std::chrono::milliseconds(5)));
  auto killed = Query(
      "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted");
  ASSERT_EQ(killed.size(), 1u);
  const int left = Unpublished();
  ASSERT_GT(left, 0) << "the backlog drained before the leader could be cut";

  EXPECT_TRUE(testing::WaitFor([&] { return Unpublished() == 0; }, std::chrono::seconds(120)));
  auto messages =
      testing::ReadTopic(brokers_, topic_, static_cast<size_t>(total), std::chrono::seconds(120));
  std::set<std::string> seen;
  std::map<std::string, int64_t> last_version;
  for (const auto& m : messages) {
    if (!seen.insert(m.Header(kafka::kCeId)).second) continue;  // a consumer's inbox drops it
    MemberProfileUpdated event;
    ASSERT_TRUE(event.ParseFromString(m.value));
    ASSERT_EQ(event.version(), last_version[m.key] + 1) << "key " << m.key;
    last_version[m.key] = event.version();
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(total));
  for (int k = 0; k < kKeys; ++k) EXPECT_EQ(last_version["member-" + std::to_string(k)], kVersions);
}

// Before, a standby opened a new PostgreSQL session for every try of the lock, ~5 a second.
TEST_F(OutboxTest, AStandbyRetriesTheLockOnOneConnection) {
  UseBroker(testing::KafkaBrokers());
  prometheus::Registry standby_registry;
  auto leader = NewRelay();
  auto standby = NewRelay({}, &standby_registry);
  leader->Start();
  ASSERT_TRUE(testing::WaitFor([&] { return leader->is_leader(); }, std::chrono::seconds(10)));
  standby->Start();
  pqxx::connection watcher(db_.url());
  auto backends = [&] {
    pqxx::nontransaction tx(watcher);
    return tx
        .exec1(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()")[0]
        .as<int>();
  };
  auto sessions = [&] {
    pqxx::nontransaction tx(watcher);
    return tx.exec1("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")[0]
        .as<long long>();
  };
  // Both relays are connected (the standby has tried the lock at least once).
  ASSERT_TRUE(testing::WaitFor([&] { return backends() == 2; }, std::chrono::seconds(10)));
  std::this_thread::sleep_for(std::chrono::seconds(1));  // sessions are counted up to 1 s late
  const long long before = sessions();
  // A measurement window, not a wait for something to happen: the rate over 5 s.
  std::this_thread::sleep_for(std::chrono::seconds(5));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const long long opened = sessions() - before;
  EXPECT_LE(opened, 1) << "sessions opened in 5 s while standing by";
  EXPECT_EQ(backends(), 2);
  EXPECT_FALSE(standby->is_leader());
  // And it still takes over.
  leader->Stop();
  EXPECT_TRUE(testing::WaitFor([&] { return standby->is_leader(); }, std::chrono::seconds(10)));
}

TEST_F(OutboxTest, RetentionPrunesOnlyPublishedRowsOlderThanIt) {
  UseBroker(testing::KafkaBrokers());
  for (int v = 1; v <= 6; ++v) Emit("k", v);
  // 1-3 published 8 days ago, 4 an hour ago; 5-6 written a month ago and not published yet.
  Query("UPDATE outbox SET published_at = now() - interval '8 days' WHERE seq <= 3");
  Query("UPDATE outbox SET published_at = now() - interval '1 hour' WHERE seq = 4");
  Query("UPDATE outbox SET created_at = now() - interval '30 days' WHERE seq >= 5");
  auto relay = NewRelay({.metrics_interval = std::chrono::milliseconds(100),
                         .retention = std::chrono::hours(24 * 7),
                         .prune_interval = std::chrono::milliseconds(100),
                         .prune_batch = 2});
  relay->Start();
  EXPECT_TRUE(testing::WaitFor([&] { return Unpublished() == 0; }, std::chrono::seconds(20)));
  EXPECT_TRUE(testing::WaitFor([&] { return Metric(registry_, "hc_outbox_rows") == 3; },
                               std::chrono::seconds(10)));
  EXPECT_EQ(Metric(registry_, "hc_outbox_pruned_total"), 3);
  auto rows = Query("SELECT seq FROM outbox ORDER BY seq");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][0].as<int>(), 4);
  EXPECT_EQ(rows[2][0].as<int>(), 6);
}

// The claim floor moves past published rows, and never past a row whose transaction is still
// open: a row that took its seq before fifty others, and commits after all of them are
// published, goes out on its commit's NOTIFY. The idle poll and the gauges' whole-table check
// (which would claim it again from a floor that had passed it) are ten minutes away, so only
// the floor itself can find it.
TEST_F(OutboxTest, ARowCommittedAfterLaterRowsArePublishedIsStillClaimed) {
  UseBroker(testing::KafkaBrokers());
  auto relay = NewRelay(
      {.idle_poll = std::chrono::minutes(10), .metrics_interval = std::chrono::minutes(10)});
  relay->Start();
  ASSERT_TRUE(testing::WaitFor([&] { return relay->is_leader(); }, std::chrono::seconds(10)));
  // The floor follows the published rows.
  Emit("before", 1);
  const long long first = Query("SELECT max(seq) FROM outbox")[0][0].as<long long>();
  int version = 1;
  ASSERT_TRUE(EmitUntilFloorPasses(*relay, "before", first, version))
      << "the claim floor stayed at " << relay->claim_floor();

  pqxx::connection late_conn(db_.url());
  pqxx::work late(late_conn);
  MemberProfileUpdated late_event;
  late_event.set_member_id("late");
  late_event.set_version(1);
  Append(late, topic_, "late", late_event);  // its transaction's first write
  const long long late_seq = late.exec1("SELECT currval('outbox_seq_seq')")[0].as<long long>();
  for (int v = 1; v <= 50; ++v) Emit("after", v);
  ASSERT_TRUE(testing::WaitFor([&] { return Unpublished() == 0; }, std::chrono::seconds(20)));
  // More claims while the late transaction stays open: the floor may not pass its row.
  for (int v = 51; v <= 60; ++v) {
    Emit("after", v);
    ASSERT_TRUE(testing::WaitFor([&] { return Unpublished() == 0; }, std::chrono::seconds(10)));
  }
  EXPECT_LE(relay->claim_floor(), late_seq);
  late.commit();
  EXPECT_TRUE(testing::WaitFor([&] { return Unpublished() == 0; }, std::chrono::seconds(20)))
      << "the late row was not claimed (floor " << relay->claim_floor() << ", row " << late_seq
      << ")";
  auto messages = testing::ReadTopic(brokers_, topic_, version + 61, std::chrono::seconds(30));
  ASSERT_EQ(messages.size(), static_cast<size_t>(version + 61));
  ExpectOrderedAndUnique(messages);
  // ...and once it is published, the floor moves past it.
  int after_version = 60;
  EXPECT_TRUE(EmitUntilFloorPasses(*relay, "after", late_seq, after_version));
}

// A hand edit can put a row of attempts 0 back below the floor (here: a published row marked
// unpublished again). The gauges' pass over the whole table finds it, and it goes again.
TEST_F(OutboxTest, ARowPutBackBelowTheFloorByHandIsClaimedAgain) {
  UseBroker(testing::KafkaBrokers());
  auto relay = NewRelay({.metrics_interval = std::chrono::milliseconds(200)});
  relay->Start();
  Emit("k", 1);
  const long long first = Query("SELECT max(seq) FROM outbox")[0][0].as<long long>();
  int version = 1;
  ASSERT_TRUE(EmitUntilFloorPasses(*relay, "k", first, version));
  ASSERT_TRUE(testing::WaitFor([&] { return Unpublished() == 0; }, std::chrono::seconds(20)));
  Query("UPDATE outbox SET published_at = NULL WHERE seq = " + std::to_string(first));
  EXPECT_TRUE(testing::WaitFor([&] { return Unpublished() == 0; }, std::chrono::seconds(20)));
  auto messages = testing::ReadTopic(brokers_, topic_, version + 1, std::chrono::seconds(30));
  ASSERT_EQ(messages.size(), static_cast<size_t>(version + 1));
  EXPECT_EQ(messages.back().Header(kafka::kCeId), messages.front().Header(kafka::kCeId));
}

// A row under the producer's limit but over the topic's max.message.bytes: the broker refuses
// it in a delivery report, not produce(). Its key's later rows are never marked published.
TEST_F(OutboxTest, ARowTheBrokerRefusesHoldsOnlyTheLaterRowsOfItsOwnKey) {
  brokers_ = testing::KafkaBrokers();
  ASSERT_TRUE(CreateTopicWithMaxMessageBytes(brokers_, topic_, 4096));
  {
    ASSERT_TRUE(pool_
                    .InTransaction([&](postgres::Tx& tx) {
                      MemberProfileUpdated big;
                      big.set_member_id("big");
                      big.set_version(1);
                      big.add_changed_fields(std::string(8000, 'x'));
                      Append(tx, topic_, "big", big);
                      return absl::OkStatus();
                    })
                    .ok());
  }
  Emit("big", 2);
  Emit("a", 1);
  Emit("b", 1);
  Emit("a", 2);
  auto relay = NewRelay({.metrics_interval = std::chrono::milliseconds(100), .max_attempts = 2});
  relay->Start();
  // Rows batched with the refused one may be refused with it once; they go again alone.
  EXPECT_TRUE(testing::WaitFor([&] { return Metric(registry_, "hc_outbox_set_aside_rows") == 1; },
                               std::chrono::seconds(30)));
  EXPECT_TRUE(testing::WaitFor([&] { return Unpublished() == 2; }, std::chrono::seconds(20)));
  EXPECT_EQ(Metric(registry_, "hc_outbox_set_aside_total"), 1);
  auto rows = Query(
      "SELECT attempts, set_aside_at IS NOT NULL, published_at IS NULL FROM outbox "
      "WHERE msg_key = 'big' ORDER BY seq");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0].as<int>(), 2);
  EXPECT_TRUE(rows[0][1].as<bool>());
  EXPECT_TRUE(rows[0][2].as<bool>());
  EXPECT_FALSE(rows[1][1].as<bool>());
  EXPECT_TRUE(rows[1][2].as<bool>()) << "a later row of the refused key was marked published";
  auto messages = testing::ReadTopic(brokers_, topic_, 3, std::chrono::seconds(30),
                                     [](const kafka::Message& m) { return m.key != "big"; });
  EXPECT_EQ(messages.size(), 3u);
}

// librdkafka's own fault injection: the idempotent producer fails fatally mid-backlog. The relay
// drops it and gives up the lock; the next leader (here the same relay, with a new producer)
// resumes from the oldest unpublished row.
TEST_F(OutboxTest, AFatalProducerErrorHandsOverAndKeepsEveryKeysOrder) {
  UseBroker(testing::KafkaBrokers());
  constexpr int kKeys = 5;
  constexpr int kVersions = 400;
  ASSERT_TRUE(pool_
                  .InTransaction([&](postgres::Tx& tx) {
                    for (int v = 1; v <= kVersions; ++v) {
                      for (int k = 0; k < kKeys; ++k) {
                        MemberProfileUpdated event;
                        event.set_member_id("member-" + std::to_string(k));
                        event.set_version(v);
                        Append(tx, topic_, event.member_id(), event);
                      }
                    }
                    return absl::OkStatus();
                  })
                  .ok());
  std::atomic<int> producers{0};
  auto relay =
      NewRelay({.batch_size = 100, .on_new_producer = [&](RdKafka::Producer& producer) {
                  if (producers++ > 0) return;
                  // The first producer fails after its first batch went out.
                  rd_kafka_t* rk = producer.c_ptr();
                  std::thread([rk] {
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));
                    rd_kafka_test_fatal_error(rk, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                                              "injected by the test");
                  }).detach();
                }});
  relay->Start();
  EXPECT_TRUE(testing::WaitFor([&] { return Unpublished() == 0; }, std::chrono::seconds(60)));
  EXPECT_EQ(Metric(registry_, "hc_outbox_producer_fatal_errors_total"), 1);
  EXPECT_GE(producers.load(), 2);
  const int total = kKeys * kVersions;
  auto messages =
      testing::ReadTopic(brokers_, topic_, static_cast<size_t>(total), std::chrono::seconds(60));
  std::set<std::string> seen;
  std::map<std::string, int64_t> last_version;
  for (const auto& m : messages) {
    if (!seen.insert(m.Header(kafka::kCeId)).second) continue;
    MemberProfileUpdated event;
    ASSERT_TRUE(event.ParseFromString(m.value));
    ASSERT_EQ(event.version(), last_version[m.key] + 1) << "key " << m.key;
    last_version[m.key] = event.version();
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(total));
}

}  // namespace
}  // namespace hc::outbox

// ListInbox as a cached read: two replicas of notifications (two Apps in this process) sharing
// one database and a private Redis, as a Deployment with two pods does. Items arrive as facts
// produced to real (per-test) Kafka topics; every change must be on the next read from either
// replica, Redis down must still answer from PostgreSQL, and Redis must never hold an item in
// clear.
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "alumni/events/v1/events_events.pb.h"
#include "alumni/membership/v1/membership_events.pb.h"
#include "alumni/notifications/v1/notifications_service.grpc.pb.h"
#include "libs/auth/auth.h"
#include "libs/ids/ids.h"
#include "libs/kafka/kafka.h"
#include "libs/redis/connection.h"
#include "libs/testing/testing.h"
#include "services/notifications/src/api/notifications_service.h"
#include "services/notifications/src/app.h"
#include "services/notifications/src/domain/inbox.h"
#include "services/notifications/test/test_support.h"

namespace notifications {
namespace {

namespace pb = alumni::notifications::v1;
namespace epb = alumni::events::v1;
namespace mpb = alumni::membership::v1;
using google::protobuf::util::TimeUtil;
using Clock = std::chrono::system_clock;

const std::string kSecret = "notifications-inbox-cache-secret-0123456789";
constexpr auto kDeadline = std::chrono::seconds(60);

std::unique_ptr<grpc::ClientContext> Ctx(const std::string& subject) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(Clock::now() + std::chrono::seconds(30));
  ctx->AddMetadata("authorization", "Bearer " + *hc::auth::Mint({.algorithm = "HS256",
                                                                 .key = kSecret,
                                                                 .issuer = "hc-test",
                                                                 .subject = subject,
                                                                 .roles = {"alumnus"}}));
  return ctx;
}

// One replica: its App and a client of it.
struct Replica {
  std::unique_ptr<App> app;
  std::unique_ptr<pb::NotificationsService::Stub> stub;
};

class InboxCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_.Start();
    // Replica B reads topics nobody writes to: every item is made by A's consumers, so what B
    // shows of them came through the shared cache's invalidations (or the database).
    ASSERT_TRUE(hc::kafka::EnsureTopics(
                    hc::testing::KafkaBrokers(),
                    {events_topic_, membership_topic_, volunteering_topic_, idle_topic_}, 3,
                    std::chrono::seconds(30))
                    .ok());
    a_ = Start({events_topic_, membership_topic_, volunteering_topic_}, "inbox-cache-a");
    b_ = Start({idle_topic_, idle_topic_, idle_topic_}, "inbox-cache-b");
  }

  void TearDown() override {
    for (Replica* r : {&a_, &b_}) {
      if (r->app) r->app->Shutdown();
    }
  }

  Replica Start(const test_support::Topics& topics, const std::string& name) {
    Settings s = test_support::AppSettings(db_.url(), kSecret, topics, name);
    s.service.redis_address = redis_.address();
    // Longer than any wait here: only an invalidation can make a change show.
    s.service.cache_ttl = std::chrono::seconds(3600);
    Replica r;
    r.app = std::make_unique<App>(s);
    absl::Status started = r.app->Start();
    EXPECT_TRUE(started.ok()) << started;
    r.stub = pb::NotificationsService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(r.app->grpc_port()), grpc::InsecureChannelCredentials()));
    return r;
  }

  void Produce(const std::string& topic, const std::string& key,
               const google::protobuf::Message& fact) {
    ASSERT_TRUE(hc::testing::ProduceFact(hc::testing::KafkaBrokers(), topic, key,
                                         fact.GetDescriptor()->full_name(),
                                         fact.SerializeAsString(), hc::ids::NewUuid())
                    .ok());
  }

  void RsvpConfirmed(const std::string& member_id) {
    epb::RsvpConfirmed fact;
    const std::string event_id = hc::ids::NewUuid();
    fact.set_event_id(event_id);
    fact.set_member_id(member_id);
    *fact.mutable_confirmed_at() = TimeUtil::GetCurrentTime();
    Produce(events_topic_, event_id, fact);
  }

  // Sum of a metric's series whose labels contain every one of `labels`, on replica A.
  double Metric(const std::string& name, const std::vector<std::string>& labels) {
    const std::string text = hc::testing::HttpGet(a_.app->metrics_port(), "/metrics");
    std::istringstream lines(text);
    double sum = 0;
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(name + "{", 0) != 0) continue;
      bool all = true;
      for (const auto& l : labels) all = all && line.find(l) != std::string::npos;
      if (all) sum += std::stod(line.substr(line.rfind(' ') + 1));
    }
    return sum;
  }
  double Cache(const std::string& result) {
    return Metric("hc_cache_requests_total",
                  {"cache=\"notifications\"", "result=\"" + result + "\""});
  }
  // In-app items A's consumers have committed (and, before counting, invalidated).
  double Sent() {
    return Metric("hc_notifications_deliveries_total", {"channel=\"in_app\"", "status=\"sent\""});
  }

  pb::ListInboxResponse Inbox(Replica& r, const std::string& member_id, bool unread_only = false) {
    pb::ListInboxRequest req;
    req.set_unread_only(unread_only);
    pb::ListInboxResponse resp;
    grpc::Status s = r.stub->ListInbox(Ctx(member_id).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  // Waits until A's consumers have committed `n` items in all, then reads the inbox from A.
  void WaitForSent(double n) {
    ASSERT_TRUE(hc::testing::WaitFor([&] { return Sent() >= n; }, kDeadline))
        << "the consumer did not store the item";
  }

  // Every value Redis holds (GET of every key).
  std::vector<std::pair<std::string, std::string>> RedisValues() {
    auto connector = hc::redis::Connector::Create({.address = redis_.address()});
    EXPECT_TRUE(connector.ok());
    auto conn = (*connector)->Connect();
    EXPECT_TRUE(conn.ok());
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& key : hc::testing::RedisKeys(redis_.address(), "*")) {
      auto got = (*conn)->Command({"GET", key});
      EXPECT_TRUE(got.ok());
      out.emplace_back(key, got.ok() ? got->str : "");
    }
    return out;
  }

  hc::testing::TestDatabase db_{"notifications"};
  hc::testing::RedisServer redis_;
  std::string events_topic_ = hc::testing::UniqueName("alumni.events.v1.inboxcache");
  std::string membership_topic_ = hc::testing::UniqueName("alumni.membership.v1.inboxcache");
  std::string volunteering_topic_ = hc::testing::UniqueName("alumni.volunteering.v1.inboxcache");
  std::string idle_topic_ = hc::testing::UniqueName("alumni.idle.inboxcache");
  Replica a_;
  Replica b_;
};

TEST_F(InboxCacheTest, ASecondReadIsAHitWithTheSameItems) {
  const std::string ana = hc::ids::NewUuid();
  RsvpConfirmed(ana);
  WaitForSent(1);
  const pb::ListInboxResponse first = Inbox(a_, ana);
  ASSERT_EQ(first.items_size(), 1);
  const double hits = Cache("hit");
  const double misses = Cache("miss");
  const pb::ListInboxResponse second = Inbox(a_, ana);
  // The generation and the page, both from Redis; nothing loaded.
  EXPECT_EQ(Cache("hit") - hits, 2);
  EXPECT_EQ(Cache("miss"), misses);
  EXPECT_EQ(second.SerializeAsString(), first.SerializeAsString());
}

TEST_F(InboxCacheTest, ANewItemIsOnTheNextReadFromEitherReplica) {
  const std::string ana = hc::ids::NewUuid();
  RsvpConfirmed(ana);
  WaitForSent(1);
  for (Replica* r : {&a_, &b_}) {
    ASSERT_EQ(Inbox(*r, ana).items_size(), 1);
    ASSERT_EQ(Inbox(*r, ana).items_size(), 1);  // cached by now
  }
  const double hits = Cache("hit");
  ASSERT_GT(hits, 0);

  RsvpConfirmed(ana);
  WaitForSent(2);
  EXPECT_EQ(Inbox(a_, ana).items_size(), 2);
  EXPECT_EQ(Inbox(b_, ana).items_size(), 2);
  EXPECT_EQ(Inbox(a_, ana, /*unread_only=*/true).items_size(), 2);
}

TEST_F(InboxCacheTest, MarkReadThroughOneReplicaIsOnTheNextReadOfTheOther) {
  const std::string ana = hc::ids::NewUuid();
  RsvpConfirmed(ana);
  RsvpConfirmed(ana);
  WaitForSent(2);
  pb::ListInboxResponse cached;
  for (int i = 0; i < 2; ++i) {
    cached = Inbox(a_, ana);
    ASSERT_EQ(Inbox(a_, ana, /*unread_only=*/true).items_size(), 2);
  }
  ASSERT_EQ(cached.items_size(), 2);
  ASSERT_FALSE(cached.items(0).has_read_at());

  pb::MarkReadRequest mark;
  mark.add_item_ids(cached.items(0).item_id());
  pb::MarkReadResponse marked;
  grpc::Status s = b_.stub->MarkRead(Ctx(ana).get(), mark, &marked);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(marked.unread_count(), 1);

  const pb::ListInboxResponse after = Inbox(a_, ana);
  ASSERT_EQ(after.items_size(), 2);
  EXPECT_TRUE(after.items(0).has_read_at());
  EXPECT_FALSE(after.items(1).has_read_at());
  const pb::ListInboxResponse unread = Inbox(a_, ana, /*unread_only=*/true);
  ASSERT_EQ(unread.items_size(), 1);
  EXPECT_EQ(unread.items(0).item_id(), cached.items(1).item_id());
}

TEST_F(InboxCacheTest, AnErasedMembersCachedPagesAreGoneFromEveryReplica) {
  const std::string ana = hc::ids::NewUuid();
  RsvpConfirmed(ana);
  WaitForSent(1);
  for (Replica* r : {&a_, &b_}) {
    ASSERT_EQ(Inbox(*r, ana).items_size(), 1);
    ASSERT_EQ(Inbox(*r, ana).items_size(), 1);
  }
  const std::string generation = api::NotificationsService::InboxGenerationKey(ana);
  ASSERT_EQ(hc::testing::RedisKeys(redis_.address(), generation).size(), 1u);

  mpb::MemberDeleted deleted;
  deleted.set_member_id(ana);
  // An hour ago, so the tokens this test mints now are not refused as issued before it: the
  // reads below would otherwise say nothing about the cache.
  *deleted.mutable_deleted_at() =
      TimeUtil::SecondsToTimestamp(TimeUtil::TimestampToSeconds(TimeUtil::GetCurrentTime()) - 3600);
  Produce(membership_topic_, ana, deleted);
  // The erasure's invalidation runs after its commit: the generation goes.
  ASSERT_TRUE(hc::testing::WaitFor(
      [&] { return hc::testing::RedisKeys(redis_.address(), generation).empty(); }, kDeadline));
  EXPECT_EQ(Inbox(a_, ana).items_size(), 0);
  EXPECT_EQ(Inbox(b_, ana).items_size(), 0);
}

TEST_F(InboxCacheTest, RedisDownServesFromPostgres) {
  const std::string ana = hc::ids::NewUuid();
  RsvpConfirmed(ana);
  WaitForSent(1);
  const pb::ListInboxResponse cached = Inbox(a_, ana);
  ASSERT_EQ(cached.items_size(), 1);

  redis_.Stop();
  const double errors = Cache("error");
  const pb::ListInboxResponse read = Inbox(a_, ana);
  EXPECT_EQ(read.SerializeAsString(), cached.SerializeAsString());
  EXPECT_GT(Cache("error"), errors);

  // Writes still land and show while Redis is away.
  pb::MarkReadRequest mark;
  mark.add_item_ids(cached.items(0).item_id());
  pb::MarkReadResponse marked;
  grpc::Status s = a_.stub->MarkRead(Ctx(ana).get(), mark, &marked);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Inbox(a_, ana, /*unread_only=*/true).items_size(), 0);
  RsvpConfirmed(ana);
  WaitForSent(2);
  EXPECT_EQ(Inbox(a_, ana).items_size(), 2);
  EXPECT_EQ(Inbox(b_, ana).items_size(), 2);
}

TEST_F(InboxCacheTest, RedisNeverHoldsAnItemInClear) {
  const std::string ana = hc::ids::NewUuid();
  RsvpConfirmed(ana);
  WaitForSent(1);
  const pb::ListInboxResponse read = Inbox(a_, ana);
  ASSERT_EQ(read.items_size(), 1);
  ASSERT_EQ(Inbox(b_, ana).items_size(), 1);
  const std::string text(domain::InboxText(domain::InboxKind::kRsvpConfirmed));
  ASSERT_EQ(read.items(0).text(), text);

  const auto values = RedisValues();
  int pages = 0;
  for (const auto& [key, value] : values) {
    EXPECT_EQ(key.find(text), std::string::npos) << key;
    EXPECT_EQ(value.find(text), std::string::npos) << key << " holds the item's text in clear";
    EXPECT_EQ(value.find(read.items(0).item_id()), std::string::npos) << key;
    if (key.rfind("notifications:inbox:v1:" + ana + ":", 0) == 0) ++pages;
  }
  EXPECT_EQ(pages, 1) << "the page was not cached, so this test would prove nothing";
}

// Cached pages are sealed, so the key is not optional: a deployment that doesn't pass it (or
// passes a bad one) fails to start, naming the variable.
TEST(InboxCacheSettings, TheDataKeyFileIsRequiredAndChecked) {
  const std::string dir = ::testing::TempDir();
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir + "/" + name) << text;
    return dir + "/" + name;
  };
  std::map<std::string, std::string> vars = {
      {"HC_DATABASE_URL", "postgresql://localhost/x"},
      {"HC_KAFKA_BROKERS", "127.0.0.1:9092"},
      {"HC_JWT_KEY_FILE", write("inbox-cache-jwt", kSecret)}};
  auto read = [&vars] {
    hc::config::Env env([&vars](const std::string& name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    });
    return Settings::FromEnv(env);
  };
  auto missing = read();
  EXPECT_TRUE(absl::IsInvalidArgument(missing.status()));
  EXPECT_NE(missing.status().message().find("HC_DATA_KEY_FILE"), std::string::npos);
  vars["HC_DATA_KEY_FILE"] = write("inbox-cache-bad-key", "not hex");
  auto bad = read();
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status()));
  EXPECT_NE(bad.status().message().find("HC_DATA_KEY_FILE"), std::string::npos);
  vars["HC_DATA_KEY_FILE"] = write("inbox-cache-key", std::string(64, 'b'));
  auto good = read();
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(good->data_key_hex, std::string(64, 'b'));
}

}  // namespace
}  // namespace notifications

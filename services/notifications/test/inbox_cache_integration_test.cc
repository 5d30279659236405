// ListInbox as a cached read: two replicas of notifications (two Apps in this process) sharing
// one database and a private Redis, as a Deployment with two pods does. Items arrive as facts
// produced to real (per-test) Kafka topics; every change must be on the next read from either
// replica, Redis down must still answer from PostgreSQL, and Redis must never hold an item in
// clear.
#include <gmock/gmock.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <pqxx/pqxx>
#include <thread>

#include "alumni/events/v1/events_events.pb.h"
#include "alumni/membership/v1/membership_events.pb.h"
#include "alumni/notifications/v1/notifications_service.grpc.pb.h"
#include "libs/ids/ids.h"
#include "libs/redis/connection.h"
#include "libs/testing/raw_grpc.h"
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
const std::string kListInbox = "/alumni.notifications.v1.NotificationsService/ListInbox";
constexpr auto kDeadline = std::chrono::seconds(60);

using test_support::Replica;

class InboxCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_.Start();
    // Replica B reads topics nobody writes to: every item is made by A's consumers, so what B
    // shows of them came through the shared cache's invalidations (or the database).
    ASSERT_TRUE(test_support::CreateTopics(topics_, {idle_topic_}).ok());
    a_ = Start(topics_, "inbox-cache-a");
    b_ = Start({idle_topic_, idle_topic_, idle_topic_}, "inbox-cache-b");
  }

  void TearDown() override {
    for (Replica* r : {&c_, &a_, &b_}) r->Shutdown();
  }

  Replica Start(const test_support::Topics& topics, const std::string& name, int workers = 4) {
    Settings s = test_support::AppSettings(db_.url(), kSecret, topics, name, workers);
    s.service.redis_address = redis_.address();
    // Longer than any wait here: only an invalidation can make a change show.
    s.service.cache_ttl = std::chrono::seconds(3600);
    Replica r;
    absl::Status started = r.Start(s);
    EXPECT_TRUE(started.ok()) << started;
    return r;
  }

  void RsvpConfirmed(const std::string& member_id) {
    epb::RsvpConfirmed fact;
    const std::string event_id = hc::ids::NewUuid();
    fact.set_event_id(event_id);
    fact.set_member_id(member_id);
    *fact.mutable_confirmed_at() = TimeUtil::GetCurrentTime();
    ASSERT_TRUE(test_support::Produce(topics_.events, event_id, fact).ok());
  }

  double Cache(const std::string& result, const Replica& r) {
    return test_support::MetricSum(*r.app, "hc_cache_requests_total",
                                   {"cache=\"notifications\"", "result=\"" + result + "\""});
  }
  // Lookups on replica A.
  double Cache(const std::string& result) { return Cache(result, a_); }
  // In-app items A's consumers have committed (and, before counting, invalidated).
  double Sent() {
    return test_support::MetricSum(*a_.app, "hc_notifications_deliveries_total",
                                   {"channel=\"in_app\"", "status=\"sent\""});
  }

  pb::ListInboxResponse Inbox(Replica& r, const std::string& member_id, bool unread_only = false) {
    pb::ListInboxRequest req;
    req.set_unread_only(unread_only);
    pb::ListInboxResponse resp;
    grpc::Status s =
        r.stub->ListInbox(test_support::MemberCall(kSecret, member_id).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  // `member_id` marks `item_id` read through replica B.
  pb::MarkReadResponse MarkReadThroughB(const std::string& member_id, const std::string& item_id) {
    pb::MarkReadRequest mark;
    mark.add_item_ids(item_id);
    pb::MarkReadResponse marked;
    grpc::Status s =
        b_.stub->MarkRead(test_support::MemberCall(kSecret, member_id).get(), mark, &marked);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return marked;
  }

  // Reads `member_id`'s inbox from `r` until both the generation and the page come from its
  // near-cache (a hit of the fast step), and returns that answer.
  pb::ListInboxResponse WarmNearCache(Replica& r, const std::string& member_id) {
    pb::ListInboxResponse resp;
    for (int i = 0; i < 20; ++i) {
      const double local = Cache("local_hit", r);
      resp = Inbox(r, member_id);
      if (Cache("local_hit", r) - local == 2) return resp;
    }
    ADD_FAILURE() << "the near-cache never served both the generation and the page";
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
  test_support::Topics topics_ = test_support::UniqueTopics("inboxcache");
  std::string idle_topic_ = hc::testing::UniqueName("alumni.idle.inboxcache");
  Replica a_;
  Replica b_;
  Replica c_;  // a third replica, for the tests that need one
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

  const pb::MarkReadResponse marked = MarkReadThroughB(ana, cached.items(0).item_id());
  EXPECT_EQ(marked.unread_count(), 1);

  const pb::ListInboxResponse after = Inbox(a_, ana);
  ASSERT_EQ(after.items_size(), 2);
  EXPECT_TRUE(after.items(0).has_read_at());
  EXPECT_FALSE(after.items(1).has_read_at());
  const pb::ListInboxResponse unread = Inbox(a_, ana, /*unread_only=*/true);
  ASSERT_EQ(unread.items_size(), 1);
  EXPECT_EQ(unread.items(0).item_id(), cached.items(1).item_id());
}

// The fast step answers from A's near-cache on gRPC's thread; the generation B's MarkRead
// drops reaches A as Redis's invalidation message, before B's answer: A's next read must not
// be the page it held.
TEST_F(InboxCacheTest, AFastStepHitSeesAMarkReadMadeThroughAnotherReplica) {
  const std::string ana = hc::ids::NewUuid();
  RsvpConfirmed(ana);
  RsvpConfirmed(ana);
  WaitForSent(2);
  const pb::ListInboxResponse cached = WarmNearCache(a_, ana);
  ASSERT_EQ(cached.items_size(), 2);
  ASSERT_FALSE(cached.items(0).has_read_at());

  MarkReadThroughB(ana, cached.items(0).item_id());

  const pb::ListInboxResponse after = Inbox(a_, ana);
  ASSERT_EQ(after.items_size(), 2);
  EXPECT_TRUE(after.items(0).has_read_at());
  EXPECT_FALSE(after.items(1).has_read_at());
  // And the new page is served by the fast step in its turn.
  EXPECT_EQ(WarmNearCache(a_, ana).SerializeAsString(), after.SerializeAsString());
}

// ListInbox is registered raw: a fast-step hit answers the opened page's bytes as they are,
// which must be exactly what the miss that loaded the page answered.
TEST_F(InboxCacheTest, AFastStepHitAnswersTheSameBytesAsTheMissThatLoadedIt) {
  const std::string ana = hc::ids::NewUuid();
  RsvpConfirmed(ana);
  RsvpConfirmed(ana);
  WaitForSent(2);
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(b_.app->grpc_port()),
                                     grpc::InsecureChannelCredentials());
  const std::string token = test_support::MemberToken(kSecret, ana);
  const std::string request = pb::ListInboxRequest().SerializeAsString();
  std::string missed;
  const double local_before = Cache("local_hit", b_);
  ASSERT_TRUE(hc::testing::RawUnaryCall(channel, kListInbox, request, token, &missed).ok());
  ASSERT_EQ(Cache("local_hit", b_), local_before) << "the first read was not a miss";
  std::string hit;
  const bool from_near_cache = hc::testing::WaitFor(
      [&] {
        const double local = Cache("local_hit", b_);
        EXPECT_TRUE(hc::testing::RawUnaryCall(channel, kListInbox, request, token, &hit).ok());
        return Cache("local_hit", b_) - local == 2;
      },
      kDeadline);
  ASSERT_TRUE(from_near_cache) << "no ListInbox call was answered from the near-cache";
  EXPECT_EQ(hit, missed);
  pb::ListInboxResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(hit));
  EXPECT_EQ(parsed.items_size(), 2);
}

TEST_F(InboxCacheTest, AMalformedListInboxRequestIsRefusedNamingTheFieldEvenWhenCached) {
  const std::string ana = hc::ids::NewUuid();
  RsvpConfirmed(ana);
  WaitForSent(1);
  ASSERT_EQ(WarmNearCache(a_, ana).items_size(), 1);
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(a_.app->grpc_port()),
                                     grpc::InsecureChannelCredentials());
  const std::string token = test_support::MemberToken(kSecret, ana);
  pb::ListInboxRequest huge;
  huge.set_page_size(100000);
  grpc::Status s =
      hc::testing::RawUnaryCall(channel, kListInbox, huge.SerializeAsString(), token, nullptr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::StartsWith("page_size:"));
  // Bytes that are no ListInboxRequest at all: field 1 says 127 bytes follow, none do.
  s = hc::testing::RawUnaryCall(channel, kListInbox, std::string("\x0a\x7f", 2), token, nullptr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::StartsWith("request:"));
  // The cached page is never answered to a caller without a valid token.
  s = hc::testing::RawUnaryCall(channel, kListInbox, pb::ListInboxRequest().SerializeAsString(), "",
                                nullptr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

// B's near-cache holds Ana's page; A's consumer stores a new item and drops the generation.
TEST_F(InboxCacheTest, AFastStepHitSeesANewItemMadeThroughAnotherReplica) {
  const std::string ana = hc::ids::NewUuid();
  RsvpConfirmed(ana);
  WaitForSent(1);
  ASSERT_EQ(WarmNearCache(b_, ana).items_size(), 1);

  RsvpConfirmed(ana);
  WaitForSent(2);
  EXPECT_EQ(Inbox(b_, ana).items_size(), 2);
  EXPECT_EQ(Inbox(b_, ana, /*unread_only=*/true).items_size(), 2);
}

// What makes the fast step worth having: a hit does not wait for a worker. Replica C has one,
// held by a MarkRead that waits on a row lock this test holds; a hit still answers at once.
TEST_F(InboxCacheTest, AFastStepHitAnswersWhileEveryWorkerIsBusy) {
  c_ = Start({idle_topic_, idle_topic_, idle_topic_}, "inbox-cache-c", /*workers=*/1);
  const std::string ana = hc::ids::NewUuid();
  RsvpConfirmed(ana);
  WaitForSent(1);
  const pb::ListInboxResponse cached = WarmNearCache(c_, ana);
  ASSERT_EQ(cached.items_size(), 1);

  pqxx::connection conn(db_.url());
  pqxx::work lock(conn);
  lock.exec("SELECT 1 FROM inbox_items WHERE item_id = '" + cached.items(0).item_id() +
            "' FOR UPDATE");
  grpc::Status mark_status;
  std::thread mark_read([&] {
    pb::MarkReadRequest mark;
    mark.add_item_ids(cached.items(0).item_id());
    pb::MarkReadResponse marked;
    mark_status = c_.stub->MarkRead(test_support::MemberCall(kSecret, ana).get(), mark, &marked);
  });
  const bool waiting = hc::testing::WaitFor(
      [&] {
        pqxx::connection watcher(db_.url());
        pqxx::nontransaction q(watcher);
        return q.exec(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'")[0][0]
                   .as<int>() > 0;
      },
      kDeadline);

  pb::ListInboxResponse hit;
  grpc::Status s;
  if (waiting) {
    grpc::ClientContext ctx;
    ctx.set_deadline(Clock::now() + std::chrono::seconds(5));
    ctx.AddMetadata("authorization", "Bearer " + test_support::MemberToken(kSecret, ana));
    s = c_.stub->ListInbox(&ctx, pb::ListInboxRequest(), &hit);
  }
  lock.abort();
  mark_read.join();
  ASSERT_TRUE(waiting) << "MarkRead never waited on the lock, so the worker was not held";
  ASSERT_TRUE(s.ok()) << "a hit waited for the busy worker: " << s.error_message();
  EXPECT_EQ(hit.SerializeAsString(), cached.SerializeAsString());
  ASSERT_TRUE(mark_status.ok()) << mark_status.error_message();
  EXPECT_TRUE(Inbox(c_, ana).items(0).has_read_at());
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
  ASSERT_TRUE(test_support::Produce(topics_.membership, ana, deleted).ok());
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
  grpc::Status s = a_.stub->MarkRead(test_support::MemberCall(kSecret, ana).get(), mark, &marked);
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

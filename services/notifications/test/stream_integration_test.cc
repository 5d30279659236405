// StreamInbox end to end: the real gRPC server (one App, or two on the same database as two
// replicas), PostgreSQL's LISTEN/NOTIFY and Kafka; items are made by facts produced to Kafka as
// the events service publishes them.
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <thread>
#include <vector>

#include "alumni/events/v1/events_events.pb.h"
#include "alumni/membership/v1/membership_events.pb.h"
#include "alumni/notifications/v1/notifications_service.grpc.pb.h"
#include "libs/auth/auth.h"
#include "libs/ids/ids.h"
#include "libs/kafka/kafka.h"
#include "libs/testing/testing.h"
#include "services/notifications/src/app.h"
#include "services/notifications/test/test_support.h"

namespace notifications {
namespace {

namespace pb = alumni::notifications::v1;
namespace epb = alumni::events::v1;
namespace mpb = alumni::membership::v1;
using google::protobuf::util::TimeUtil;
using Clock = std::chrono::system_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kSecret = "notifications-stream-test-secret-0123456789";

std::string Token(const std::string& subject, seconds ttl = seconds(3600)) {
  return test_support::MemberToken(kSecret, subject, ttl);
}

// A StreamInbox call read on a thread of its own, so the test waits on what arrived with a
// deadline instead of blocking in Read.
class StreamClient {
 public:
  StreamClient(pb::NotificationsService::Stub& stub, const std::string& token) {
    ctx_.AddMetadata("authorization", "Bearer " + token);
    reader_ = stub.StreamInbox(&ctx_, pb::StreamInboxRequest());
    thread_ = std::thread([this] {
      pb::StreamInboxResponse response;
      while (reader_->Read(&response)) {
        std::lock_guard lock(mu_);
        received_.push_back({response, Clock::now()});
        cv_.notify_all();
      }
      grpc::Status status = reader_->Finish();
      std::lock_guard lock(mu_);
      status_ = status;
      ended_ = true;
      ended_at_ = std::chrono::steady_clock::now();
      cv_.notify_all();
    });
  }
  ~StreamClient() {
    Cancel();
    thread_.join();
  }

  struct Received {
    pb::StreamInboxResponse response;
    Clock::time_point at;
  };

  // Waits until `n` responses arrived (or the stream ended); whether they did.
  bool WaitForResponses(size_t n, milliseconds timeout = seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return received_.size() >= n || ended_; }) &&
           received_.size() >= n;
  }
  // The call's status once it ended within `timeout`; nullopt if it did not.
  std::optional<grpc::Status> WaitForEnd(milliseconds timeout = seconds(10)) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return ended_; })) return std::nullopt;
    return status_;
  }
  // When the call ended (after WaitForEnd said it did).
  std::chrono::steady_clock::time_point ended_at() {
    std::lock_guard lock(mu_);
    return ended_at_;
  }
  std::vector<Received> received() {
    std::lock_guard lock(mu_);
    return received_;
  }
  void Cancel() { ctx_.TryCancel(); }

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<pb::StreamInboxResponse>> reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Received> received_;
  bool ended_ = false;
  std::chrono::steady_clock::time_point ended_at_;
  grpc::Status status_;
  std::thread thread_;
};

class StreamInboxTest : public ::testing::Test {
 protected:
  using Replica = test_support::Replica;

  void SetUp() override {
    ASSERT_TRUE(test_support::CreateTopics(topics_).ok());
    StartReplica(main_, topics_.events);
  }

  void TearDown() override {
    for (Replica* r : {&second_, &main_}) r->Shutdown();
  }

  // `events_topic` is where this replica reads RSVP facts from.
  void StartReplica(Replica& replica, const std::string& events_topic) {
    test_support::Topics topics = topics_;
    topics.events = events_topic;
    absl::Status started = replica.Start(
        test_support::AppSettings(db_.url(), kSecret, topics, "notifications-stream-test"));
    ASSERT_TRUE(started.ok()) << started;
  }

  void Produce(const std::string& topic, const std::string& key,
               const google::protobuf::Message& fact) {
    ASSERT_TRUE(test_support::Produce(topic, key, fact).ok());
  }

  void RsvpConfirmed(const std::string& member_id, const std::string& event_id) {
    epb::RsvpConfirmed fact;
    fact.set_event_id(event_id);
    fact.set_member_id(member_id);
    *fact.mutable_confirmed_at() = TimeUtil::GetCurrentTime();
    Produce(topics_.events, event_id, fact);
  }

  // The value of one series on `app`'s /metrics, -1 when absent.
  static double Metric(const App& app, const std::string& series) {
    const std::string text = hc::testing::HttpGet(app.metrics_port(), "/metrics");
    const size_t at = text.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + series.size() + 2));
  }
  double OpenStreams(const App& app) { return Metric(app, "hc_notifications_open_streams"); }

  // How long after its creation a streamed item reached the client.
  static milliseconds Latency(const StreamClient::Received& r) {
    const Clock::time_point created(
        milliseconds(TimeUtil::TimestampToMilliseconds(r.response.item().created_at())));
    return std::chrono::duration_cast<milliseconds>(r.at - created);
  }

  hc::testing::TestDatabase db_{"notifications"};
  test_support::Topics topics_ = test_support::UniqueTopics("streamtest");
  Replica main_;
  Replica second_;
};

TEST_F(StreamInboxTest, ANewItemReachesTheOpenStreamWithinASecondAndNobodyElses) {
  const std::string ana = hc::ids::NewUuid();
  const std::string ben = hc::ids::NewUuid();
  StreamClient ana_stream(*main_.stub, Token(ana));
  StreamClient ben_stream(*main_.stub, Token(ben));
  ASSERT_TRUE(ana_stream.WaitForResponses(1));
  ASSERT_TRUE(ben_stream.WaitForResponses(1));
  EXPECT_FALSE(ana_stream.received()[0].response.has_item());
  EXPECT_EQ(ana_stream.received()[0].response.unread_count(), 0);

  const std::string event_id = hc::ids::NewUuid();
  RsvpConfirmed(ana, event_id);
  ASSERT_TRUE(ana_stream.WaitForResponses(2, seconds(60)));
  const auto got = ana_stream.received()[1];
  EXPECT_EQ(got.response.item().kind(), pb::INBOX_ITEM_KIND_RSVP_CONFIRMED);
  EXPECT_EQ(got.response.item().event_id(), event_id);
  EXPECT_EQ(got.response.unread_count(), 1);
  EXPECT_LT(Latency(got), seconds(1));
  std::printf("stream latency (item created -> client): %lld ms\n",
              static_cast<long long>(Latency(got).count()));

  // Ben's next item comes after anything of Ana's could have: his stream shows his alone.
  RsvpConfirmed(ben, event_id);
  ASSERT_TRUE(ben_stream.WaitForResponses(2, seconds(60)));
  const auto bens = ben_stream.received();
  ASSERT_EQ(bens.size(), 2u);
  EXPECT_EQ(bens[1].response.unread_count(), 1);
  EXPECT_EQ(ana_stream.received().size(), 2u);
}

TEST_F(StreamInboxTest, TheStreamStartsWithTheUnreadCountAndSendsItemsInOrder) {
  const std::string ana = hc::ids::NewUuid();
  const std::string first_event = hc::ids::NewUuid();
  // The waiter is open before the first item can be stored, so it sees that item arrive.
  StreamClient waiter(*main_.stub, Token(ana));
  ASSERT_TRUE(waiter.WaitForResponses(1));
  RsvpConfirmed(ana, first_event);
  // The first item is stored before the stream below opens; it is counted, not sent.
  ASSERT_TRUE(waiter.WaitForResponses(2, seconds(60)));
  StreamClient stream(*main_.stub, Token(ana));
  ASSERT_TRUE(stream.WaitForResponses(1));
  EXPECT_FALSE(stream.received()[0].response.has_item());
  EXPECT_EQ(stream.received()[0].response.unread_count(), 1);

  // Facts of one event are handled in order (one key).
  std::vector<std::string> events;
  for (int i = 0; i < 3; ++i) {
    events.push_back(hc::ids::NewUuid());
  }
  for (const auto& e : events) RsvpConfirmed(ana, e);
  ASSERT_TRUE(stream.WaitForResponses(4, seconds(60)));
  const auto got = stream.received();
  ASSERT_EQ(got.size(), 4u);
  std::set<std::string> seen;
  for (size_t i = 1; i < got.size(); ++i) {
    seen.insert(got[i].response.item().event_id());
    EXPECT_EQ(got[i].response.unread_count(), static_cast<int>(i) + 1);
    if (i > 1) {
      EXPECT_LE(TimeUtil::TimestampToMilliseconds(got[i - 1].response.item().created_at()),
                TimeUtil::TimestampToMilliseconds(got[i].response.item().created_at()));
    }
  }
  EXPECT_EQ(seen, std::set<std::string>(events.begin(), events.end()));
}

TEST_F(StreamInboxTest, AnItemStoredByOneReplicaReachesAStreamOpenOnTheOther) {
  // The second replica reads RSVPs from a topic nobody writes to: only the first stores.
  const std::string idle = hc::testing::UniqueName("alumni.events.v1.streamtest.idle");
  ASSERT_TRUE(hc::kafka::EnsureTopics(hc::testing::KafkaBrokers(), {idle}, 1, seconds(30)).ok());
  StartReplica(second_, idle);
  const std::string ana = hc::ids::NewUuid();
  StreamClient stream(*second_.stub, Token(ana));
  ASSERT_TRUE(stream.WaitForResponses(1));
  RsvpConfirmed(ana, hc::ids::NewUuid());
  ASSERT_TRUE(stream.WaitForResponses(2, seconds(60)));
  const auto got = stream.received()[1];
  EXPECT_EQ(got.response.item().kind(), pb::INBOX_ITEM_KIND_RSVP_CONFIRMED);
  EXPECT_LT(Latency(got), seconds(1));
  std::printf("cross-replica stream latency: %lld ms\n",
              static_cast<long long>(Latency(got).count()));
}

TEST_F(StreamInboxTest, TheListenerReconnectsAndCatchesUpWhatItMissed) {
  const std::string ana = hc::ids::NewUuid();
  StreamClient stream(*main_.stub, Token(ana));
  ASSERT_TRUE(stream.WaitForResponses(1));
  pqxx::connection conn(db_.url());
  // An item whose notification was lost: written without one, as if while the listener was
  // away. Only the catch-up read after a reconnection can bring it.
  const std::string missed = hc::ids::NewUuid();
  pqxx::nontransaction(conn).exec_params(
      "INSERT INTO inbox_items (item_id, member_id, dedupe_key, category, kind, event_id, "
      "created_at) VALUES ($1::uuid, $2, $3, 'events', 'rsvp_waitlisted', $4::uuid, now())",
      missed, ana, "test-" + missed, hc::ids::NewUuid());
  const std::string listener_pid =
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE "
      "'LISTEN%notifications_inbox%'";
  // The listener may still be starting: wait until its session has said LISTEN.
  int before = 0;
  ASSERT_TRUE(hc::testing::WaitFor(
      [&] {
        auto rows = pqxx::nontransaction(conn).exec(listener_pid);
        if (rows.size() != 1) return false;
        before = rows[0][0].as<int>();
        return true;
      },
      seconds(10)));
  pqxx::nontransaction(conn).exec("SELECT pg_terminate_backend(" + std::to_string(before) + ")");
  ASSERT_TRUE(stream.WaitForResponses(2, seconds(10)));
  EXPECT_EQ(stream.received()[1].response.item().item_id(), missed);
  EXPECT_EQ(stream.received()[1].response.item().kind(), pb::INBOX_ITEM_KIND_RSVP_WAITLISTED);

  // The new session listens: a new item comes by its notification, at once.
  ASSERT_TRUE(hc::testing::WaitFor(
      [&] {
        auto rows = pqxx::nontransaction(conn).exec(listener_pid);
        return rows.size() == 1 && rows[0][0].as<int>() != before;
      },
      seconds(10)));
  RsvpConfirmed(ana, hc::ids::NewUuid());
  ASSERT_TRUE(stream.WaitForResponses(3, seconds(60)));
  EXPECT_EQ(stream.received()[2].response.item().kind(), pb::INBOX_ITEM_KIND_RSVP_CONFIRMED);
  EXPECT_EQ(stream.received()[2].response.unread_count(), 2);
  EXPECT_LT(Latency(stream.received()[2]), seconds(1));
}

TEST_F(StreamInboxTest, ShutdownFinishesOpenStreamsCleanlyAndPromptly) {
  std::vector<std::unique_ptr<StreamClient>> streams;
  for (int i = 0; i < 3; ++i) {
    streams.push_back(std::make_unique<StreamClient>(*main_.stub, Token(hc::ids::NewUuid())));
  }
  for (auto& s : streams) ASSERT_TRUE(s->WaitForResponses(1));
  const auto start = std::chrono::steady_clock::now();
  main_.app->Shutdown();
  const auto took = std::chrono::steady_clock::now() - start;
  // The server's grace is 10 s: a stream left open would hold the shutdown that long. The
  // rest of the shutdown (relay, consumers, producer flush) takes a few seconds on a loaded
  // machine, so the bound sits below the grace rather than near the usual time.
  EXPECT_LT(took, seconds(8));
  std::printf("shutdown with 3 streams open: %lld ms\n",
              static_cast<long long>(std::chrono::duration_cast<milliseconds>(took).count()));
  for (auto& s : streams) {
    auto status = s->WaitForEnd(seconds(5));
    ASSERT_TRUE(status.has_value());
    EXPECT_TRUE(status->ok()) << status->error_code() << " " << status->error_message();
    // Finished first thing, before the consumers and the server stop.
    EXPECT_LT(s->ended_at() - start, seconds(2));
    std::printf("a stream ended %lld ms after shutdown began\n",
                static_cast<long long>(
                    std::chrono::duration_cast<milliseconds>(s->ended_at() - start).count()));
  }
}

TEST_F(StreamInboxTest, AnExpiringTokenEndsTheStreamUnauthenticatedAtItsExpiry) {
  const std::string ana = hc::ids::NewUuid();
  const auto minted = Clock::now();
  StreamClient stream(*main_.stub, Token(ana, seconds(2)));
  ASSERT_TRUE(stream.WaitForResponses(1));
  auto status = stream.WaitForEnd(seconds(10));
  const auto ended = Clock::now();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // `exp` has whole seconds: the end comes 1 to 2 s after minting, and well within a second
  // after the expiry.
  EXPECT_GE(ended - minted, seconds(1));
  EXPECT_LT(ended - minted, milliseconds(3500));
}

TEST_F(StreamInboxTest, MemberDeletedEndsTheirStreamUnauthenticated) {
  const std::string ana = hc::ids::NewUuid();
  const std::string ben = hc::ids::NewUuid();
  StreamClient ana_stream(*main_.stub, Token(ana));
  StreamClient ben_stream(*main_.stub, Token(ben));
  ASSERT_TRUE(ana_stream.WaitForResponses(1));
  ASSERT_TRUE(ben_stream.WaitForResponses(1));
  mpb::MemberDeleted deleted;
  deleted.set_member_id(ana);
  *deleted.mutable_deleted_at() = TimeUtil::GetCurrentTime();
  Produce(topics_.membership, ana, deleted);
  auto status = ana_stream.WaitForEnd(seconds(60));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_FALSE(ben_stream.WaitForEnd(milliseconds(0)).has_value());
}

TEST_F(StreamInboxTest, AMemberHasAtMostFiveStreamsAndAClosedOneFreesItsPlace) {
  const std::string ana = hc::ids::NewUuid();
  std::vector<std::unique_ptr<StreamClient>> streams;
  for (int i = 0; i < 5; ++i) {
    streams.push_back(std::make_unique<StreamClient>(*main_.stub, Token(ana)));
    ASSERT_TRUE(streams.back()->WaitForResponses(1));
  }
  EXPECT_EQ(OpenStreams(*main_.app), 5);
  StreamClient sixth(*main_.stub, Token(ana));
  auto status = sixth.WaitForEnd();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Somebody else is not held back by Ana's streams.
  StreamClient ben(*main_.stub, Token(hc::ids::NewUuid()));
  ASSERT_TRUE(ben.WaitForResponses(1));

  streams.front()->Cancel();
  ASSERT_TRUE(streams.front()->WaitForEnd().has_value());
  ASSERT_TRUE(hc::testing::WaitFor([&] { return OpenStreams(*main_.app) == 5; }, seconds(10)));
  StreamClient again(*main_.stub, Token(ana));
  ASSERT_TRUE(again.WaitForResponses(1));
}

TEST_F(StreamInboxTest, AClientCancelReleasesTheStream) {
  EXPECT_EQ(OpenStreams(*main_.app), 0);
  {
    StreamClient stream(*main_.stub, Token(hc::ids::NewUuid()));
    ASSERT_TRUE(stream.WaitForResponses(1));
    EXPECT_EQ(OpenStreams(*main_.app), 1);
    stream.Cancel();
    auto status = stream.WaitForEnd();
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(status->error_code(), grpc::StatusCode::CANCELLED);
  }
  EXPECT_TRUE(hc::testing::WaitFor([&] { return OpenStreams(*main_.app) == 0; }, seconds(10)));
  // Counted like every RPC (libs/metrics labels every method grpc_type="unary").
  EXPECT_EQ(Metric(*main_.app,
                   "grpc_server_handled_total{grpc_code=\"Canceled\",grpc_method=\"StreamInbox\","
                   "grpc_service=\"alumni.notifications.v1.NotificationsService\",grpc_type="
                   "\"unary\"}"),
            1);
}

TEST_F(StreamInboxTest, AStreamWithoutAValidTokenIsRefused) {
  StreamClient none(*main_.stub, "not-a-token");
  auto status = none.WaitForEnd();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(OpenStreams(*main_.app), 0);
}

}  // namespace
}  // namespace notifications

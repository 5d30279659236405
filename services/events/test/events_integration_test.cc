// events end to end in one process: the real gRPC server, PostgreSQL, Redis and Kafka.
#include <gmock/gmock.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <latch>
#include <map>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "alumni/events/v1/events_events.pb.h"
#include "alumni/events/v1/events_service.grpc.pb.h"
#include "alumni/membership/v1/membership_events.pb.h"
#include "libs/testing/raw_grpc.h"
#include "libs/testing/testing.h"
#include "services/events/src/app.h"

namespace events {
namespace {

namespace pb = alumni::events::v1;
using google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;

const std::string kSecret = "events-integration-test-secret-0123456789";

std::string NewMemberId() {
  // Random version-4 UUID, as membership hands out.
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx";
  for (char& c : id) {
    if (c == 'x') c = kHex[rng() & 0xf];
  }
  return id;
}

// One running service: its own database, Redis, topic, App and client.
struct Service {
  Service() {
    topic = hc::testing::UniqueName("alumni.events.v1.test");
    membership_topic = hc::testing::UniqueName("alumni.membership.v1.test");
    if (!hc::kafka::EnsureTopics(hc::testing::KafkaBrokers(), {topic, membership_topic}, 3,
                                 std::chrono::seconds(30))
             .ok()) {
      throw std::runtime_error("cannot create topic " + topic);
    }
    redis.Start();
    Settings s;
    s.service.server.address = "127.0.0.1:0";
    s.service.metrics_address = "127.0.0.1:0";
    s.service.database_url = db.url();
    s.service.redis_address = redis.address();
    s.service.kafka_brokers = hc::testing::KafkaBrokers();
    s.service.jwt = {.algorithm = "HS256", .key = kSecret, .issuer = "hc-test"};
    // Enough workers and connections for 64 concurrent callers on 2 cores: RSVPs to one event
    // queue on its row lock anyway, so more would only add context switches.
    s.service.workers = 24;
    s.service.db_pool_size = 24;
    s.service.work_queue = 4096;
    s.events_topic = topic;
    s.membership_topic = membership_topic;
    s.consumer_group = hc::testing::UniqueName("events-test");
    app = std::make_unique<App>(s);
    if (absl::Status started = app->Start(); !started.ok()) {
      throw std::runtime_error("events did not start: " + started.ToString());
    }
    channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(app->grpc_port()),
                                  grpc::InsecureChannelCredentials());
    stub = pb::EventsService::NewStub(channel);
  }
  ~Service() {
    if (app) app->Shutdown();
  }

  hc::testing::TestDatabase db{"events"};
  hc::testing::RedisServer redis;
  std::string topic;
  std::string membership_topic;
  std::unique_ptr<App> app;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<pb::EventsService::Stub> stub;
};

// The tests of a suite share one service (a fresh database and topic per suite); each test
// works on events of its own.
class EventsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { shared_ = new Service(); }
  static void TearDownTestSuite() {
    delete shared_;
    shared_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(shared_, nullptr) << "the service did not start";
    svc_ = shared_;
  }
  // The seat invariant, after every test whatever it raced: each event's counts equal its rows.
  void TearDown() override {
    if (svc_ == nullptr) return;
    auto drifted = Query(
        "SELECT e.event_id, e.going_count, e.waitlist_count FROM events e WHERE "
        "e.going_count <> (SELECT count(*) FROM rsvps r WHERE r.event_id = e.event_id AND "
        "r.status = 1) OR e.waitlist_count <> (SELECT count(*) FROM rsvps r WHERE "
        "r.event_id = e.event_id AND r.status = 2)");
    EXPECT_EQ(drifted.size(), 0u) << "seat counts differ from the rows of "
                                  << (drifted.empty() ? "" : drifted[0][0].c_str());
  }

  Service& svc() { return *svc_; }
  pb::EventsService::Stub& stub() { return *svc_->stub; }

  // The test's own rows, read straight from PostgreSQL.
  pqxx::result Query(const std::string& sql) {
    pqxx::connection conn(svc().db.url());
    pqxx::nontransaction tx(conn);
    return tx.exec(sql);
  }

  static std::string Token(const std::string& subject, std::vector<std::string> roles) {
    return *hc::auth::Mint({.algorithm = "HS256",
                            .key = kSecret,
                            .issuer = "hc-test",
                            .subject = subject,
                            .roles = std::move(roles)});
  }

  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
    return ctx;
  }

  static google::protobuf::Timestamp At(std::chrono::system_clock::time_point t) {
    return TimeUtil::MillisecondsToTimestamp(
        std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
  }

  // An event a week from now unless `start` says otherwise.
  static pb::EventDetails Details(int capacity, bool waitlist = true,
                                  std::chrono::system_clock::time_point start = {}) {
    if (start == std::chrono::system_clock::time_point{}) {
      start = std::chrono::system_clock::now() + std::chrono::hours(24 * 7);
    }
    pb::EventDetails d;
    d.set_title("Monthly alumni meeting");
    d.set_description("Coffee, stories, and a speaker.\nAll alumni welcome; bring a friend.");
    d.set_kind(pb::EVENT_KIND_ALUMNI_MEETING);
    start = std::chrono::floor<std::chrono::seconds>(start);
    *d.mutable_start_time() = At(start);
    *d.mutable_end_time() = At(start + std::chrono::hours(2));
    d.set_time_zone("America/Chicago");
    d.set_venue("Community room, 12 Elm St, Springfield");
    d.set_capacity(capacity);
    d.set_waitlist_enabled(waitlist);
    d.set_visibility(pb::VISIBILITY_MEMBERS);
    return d;
  }

  // A stretch of days far ahead that no other test uses, so listings see only this test's
  // events.
  static std::chrono::system_clock::time_point QuietWindow() {
    static std::atomic<int> next{0};
    return std::chrono::floor<std::chrono::hours>(std::chrono::system_clock::now()) +
           std::chrono::hours(24 * (400 + 20 * next++));
  }

  pb::Event Create(const pb::EventDetails& details) {
    pb::CreateEventRequest req;
    *req.mutable_event() = details;
    pb::CreateEventResponse resp;
    grpc::Status s = stub().CreateEvent(Ctx(coordinator_).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.event();
  }

  grpc::Status Get(const std::string& event_id, pb::Event* out = nullptr) {
    pb::GetEventRequest req;
    req.set_event_id(event_id);
    pb::GetEventResponse resp;
    grpc::Status s = stub().GetEvent(Ctx(coordinator_).get(), req, &resp);
    if (out) *out = resp.event();
    return s;
  }

  grpc::Status Rsvp(const std::string& member_id, const std::string& event_id,
                    pb::Rsvp* out = nullptr) {
    pb::RsvpRequest req;
    req.set_event_id(event_id);
    pb::RsvpResponse resp;
    grpc::Status s = stub().Rsvp(Ctx(Token(member_id, {"alumnus"})).get(), req, &resp);
    if (out) *out = resp.rsvp();
    return s;
  }

  grpc::Status Update(const std::string& event_id, const pb::EventDetails& details,
                      std::vector<std::string> paths, pb::UpdateEventResponse* out = nullptr,
                      const std::string& token = "") {
    pb::UpdateEventRequest req;
    req.set_event_id(event_id);
    *req.mutable_event() = details;
    for (auto& p : paths) req.mutable_update_mask()->add_paths(p);
    pb::UpdateEventResponse resp;
    grpc::Status s =
        stub().UpdateEvent(Ctx(token.empty() ? coordinator_ : token).get(), req, &resp);
    if (out) *out = resp;
    return s;
  }

  grpc::Status CancelEvent(const std::string& event_id, pb::Event* out = nullptr) {
    pb::CancelEventRequest req;
    req.set_event_id(event_id);
    pb::CancelEventResponse resp;
    grpc::Status s = stub().CancelEvent(Ctx(coordinator_).get(), req, &resp);
    if (out) *out = resp.event();
    return s;
  }

  grpc::Status List(const pb::ListEventsRequest& req, pb::ListEventsResponse* out,
                    const std::string& token = "") {
    return stub().ListEvents(Ctx(token.empty() ? Token(NewMemberId(), {"alumnus"}) : token).get(),
                             req, out);
  }

  grpc::Status CancelRsvp(const std::string& member_id, const std::string& event_id,
                          pb::Rsvp* out = nullptr) {
    pb::CancelRsvpRequest req;
    req.set_event_id(event_id);
    pb::CancelRsvpResponse resp;
    grpc::Status s = stub().CancelRsvp(Ctx(Token(member_id, {"alumnus"})).get(), req, &resp);
    if (out) *out = resp.rsvp();
    return s;
  }

  // The events of one event id that reached Kafka, in order.
  std::vector<hc::kafka::Message> Published(const std::string& event_id, size_t count,
                                            const std::string& ce_type = "") {
    return hc::testing::ReadTopic(hc::testing::KafkaBrokers(), svc().topic, count,
                                  std::chrono::seconds(60), [&](const hc::kafka::Message& m) {
                                    return m.key == event_id &&
                                           (ce_type.empty() || m.Header("ce_type") == ce_type);
                                  });
  }

  static inline Service* shared_ = nullptr;
  Service* svc_ = nullptr;
  std::string coordinator_ = Token("coordinator-1", {"coordinator"});
};

TEST_F(EventsTest, CreateThenReadBackWithSeatsLeftAndEventPublishedReachesKafka) {
  pb::Event created = Create(Details(50));
  ASSERT_FALSE(created.event_id().empty());
  EXPECT_EQ(created.status(), pb::EVENT_STATUS_SCHEDULED);
  EXPECT_EQ(created.seats_left(), 50);

  pb::Event read;
  ASSERT_TRUE(Get(created.event_id(), &read).ok());
  EXPECT_EQ(read.title(), "Monthly alumni meeting");
  EXPECT_EQ(read.venue(), "Community room, 12 Elm St, Springfield");
  EXPECT_EQ(read.start_time().seconds(), created.start_time().seconds());
  EXPECT_EQ(read.time_zone(), "America/Chicago");
  EXPECT_EQ(read.capacity(), 50);

  auto messages = Published(created.event_id(), 1);
  ASSERT_EQ(messages.size(), 1u);
  const auto& m = messages[0];
  EXPECT_EQ(m.Header("ce_type"), "alumni.events.v1.EventPublished");
  EXPECT_EQ(m.Header("ce_source"), "/homecoming/events");
  EXPECT_EQ(m.Header("content-type"), "application/protobuf");
  pb::EventPublished event;
  ASSERT_TRUE(event.ParseFromString(m.value));
  EXPECT_EQ(event.event_id(), created.event_id());
  EXPECT_EQ(event.capacity(), 50);
  EXPECT_EQ(event.created_by(), "coordinator-1");
}

TEST_F(EventsTest, OnlyCoordinatorsCreateAndBadInputNamesTheField) {
  pb::CreateEventRequest req;
  *req.mutable_event() = Details(10);
  pb::CreateEventResponse resp;
  EXPECT_EQ(
      stub().CreateEvent(Ctx(Token(NewMemberId(), {"alumnus"})).get(), req, &resp).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub().CreateEvent(Ctx("").get(), req, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  auto create_error = [&](auto mutate) {
    pb::CreateEventRequest r;
    *r.mutable_event() = Details(10);
    mutate(*r.mutable_event());
    pb::CreateEventResponse out;
    grpc::Status s = stub().CreateEvent(Ctx(coordinator_).get(), r, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    return s.error_message();
  };
  EXPECT_EQ(create_error([](auto& d) { d.set_capacity(0); }), "capacity: must be at least 1");
  EXPECT_THAT(create_error([](auto& d) { d.set_title(""); }), HasSubstr("title:"));
  EXPECT_THAT(create_error([](auto& d) { d.set_time_zone("Mars/Olympus"); }),
              HasSubstr("time_zone:"));
  EXPECT_THAT(create_error([](auto& d) { d.clear_start_time(); }), HasSubstr("start_time:"));
  EXPECT_THAT(create_error([](auto& d) { d.set_kind(pb::EVENT_KIND_UNSPECIFIED); }),
              HasSubstr("kind:"));
  EXPECT_THAT(create_error([](auto& d) { d.clear_venue(); }), HasSubstr("location:"));
  EXPECT_EQ(Get("not-a-uuid").error_message(), "event_id: must be a UUID");
  EXPECT_EQ(Get(NewMemberId()).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(EventsTest, RsvpIsGoingThenWaitlistedAndACancellationPromotesTheFirstInLine) {
  pb::Event e = Create(Details(2));
  const std::string a = NewMemberId(), b = NewMemberId(), c = NewMemberId(), d = NewMemberId();
  pb::Rsvp r;
  ASSERT_TRUE(Rsvp(a, e.event_id(), &r).ok());
  EXPECT_EQ(r.status(), pb::RSVP_STATUS_GOING);
  EXPECT_EQ(r.member_id(), a);
  ASSERT_TRUE(Rsvp(b, e.event_id(), &r).ok());
  EXPECT_EQ(r.status(), pb::RSVP_STATUS_GOING);
  ASSERT_TRUE(Rsvp(c, e.event_id(), &r).ok());
  EXPECT_EQ(r.status(), pb::RSVP_STATUS_WAITLISTED);
  EXPECT_EQ(r.waitlist_position(), 1);
  ASSERT_TRUE(Rsvp(d, e.event_id(), &r).ok());
  EXPECT_EQ(r.waitlist_position(), 2);

  pb::Event read;
  ASSERT_TRUE(Get(e.event_id(), &read).ok());
  EXPECT_EQ(read.seats_left(), 0);
  EXPECT_EQ(read.going_count(), 2);
  EXPECT_EQ(read.waitlist_count(), 2);

  ASSERT_TRUE(CancelRsvp(a, e.event_id(), &r).ok());
  EXPECT_EQ(r.status(), pb::RSVP_STATUS_CANCELLED);
  // c moved up; d is now first in line.
  ASSERT_TRUE(Rsvp(c, e.event_id(), &r).ok());
  EXPECT_EQ(r.status(), pb::RSVP_STATUS_GOING);
  ASSERT_TRUE(Rsvp(d, e.event_id(), &r).ok());
  EXPECT_EQ(r.status(), pb::RSVP_STATUS_WAITLISTED);
  EXPECT_EQ(r.waitlist_position(), 1);
  // Re-RSVP after cancelling joins the back of the line.
  ASSERT_TRUE(Rsvp(a, e.event_id(), &r).ok());
  EXPECT_EQ(r.status(), pb::RSVP_STATUS_WAITLISTED);
  EXPECT_EQ(r.waitlist_position(), 2);

  ASSERT_TRUE(Get(e.event_id(), &read).ok());
  EXPECT_EQ(read.going_count(), 2);
  EXPECT_EQ(read.waitlist_count(), 2);

  auto messages = Published(e.event_id(), 8);
  std::vector<std::string> types;
  for (const auto& m : messages) types.push_back(m.Header("ce_type"));
  EXPECT_THAT(types, ::testing::ElementsAre(
                         "alumni.events.v1.EventPublished", "alumni.events.v1.RsvpConfirmed",
                         "alumni.events.v1.RsvpConfirmed", "alumni.events.v1.RsvpWaitlisted",
                         "alumni.events.v1.RsvpWaitlisted", "alumni.events.v1.RsvpCancelled",
                         "alumni.events.v1.WaitlistPromoted", "alumni.events.v1.RsvpWaitlisted"));
  pb::WaitlistPromoted promoted;
  ASSERT_TRUE(promoted.ParseFromString(messages[6].value));
  EXPECT_EQ(promoted.member_id(), c);
}

TEST_F(EventsTest, RsvpTwiceGivesTheSameAnswerAndNoSecondEvent) {
  pb::Event e = Create(Details(1));
  const std::string a = NewMemberId(), b = NewMemberId();
  pb::Rsvp first, again;
  ASSERT_TRUE(Rsvp(a, e.event_id(), &first).ok());
  ASSERT_TRUE(Rsvp(a, e.event_id(), &again).ok());
  EXPECT_EQ(again.status(), pb::RSVP_STATUS_GOING);
  EXPECT_EQ(again.created_at().seconds(), first.created_at().seconds());
  ASSERT_TRUE(Rsvp(b, e.event_id(), &first).ok());
  ASSERT_TRUE(Rsvp(b, e.event_id(), &again).ok());
  EXPECT_EQ(again.status(), pb::RSVP_STATUS_WAITLISTED);
  EXPECT_EQ(again.waitlist_position(), 1);

  pb::Event read;
  ASSERT_TRUE(Get(e.event_id(), &read).ok());
  EXPECT_EQ(read.going_count(), 1);
  EXPECT_EQ(read.waitlist_count(), 1);
  // EventPublished, RsvpConfirmed, RsvpWaitlisted; ReadTopic lingers to catch any extra.
  EXPECT_EQ(Published(e.event_id(), 3).size(), 3u);
}

TEST_F(EventsTest, AFullEventWithoutAWaitlistRefuses) {
  pb::Event e = Create(Details(1, /*waitlist=*/false));
  ASSERT_TRUE(Rsvp(NewMemberId(), e.event_id()).ok());
  grpc::Status s = Rsvp(NewMemberId(), e.event_id());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("full"));
}

TEST_F(EventsTest, MembersRsvpOnlyAsThemselves) {
  pb::Event e = Create(Details(5));
  pb::RsvpRequest req;
  req.set_event_id(e.event_id());
  pb::RsvpResponse resp;
  // A staff identity that is no member id cannot hold an RSVP.
  EXPECT_EQ(stub().Rsvp(Ctx(coordinator_).get(), req, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub().Rsvp(Ctx("").get(), req, &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // Cancelling works only on the caller's own RSVP.
  const std::string a = NewMemberId();
  ASSERT_TRUE(Rsvp(a, e.event_id()).ok());
  EXPECT_EQ(CancelRsvp(NewMemberId(), e.event_id()).error_code(), grpc::StatusCode::NOT_FOUND);
  pb::Event read;
  ASSERT_TRUE(Get(e.event_id(), &read).ok());
  EXPECT_EQ(read.going_count(), 1);
}

TEST_F(EventsTest, AReadAfterAnRsvpNeverShowsAStaleSeatCount) {
  pb::Event e = Create(Details(30));
  pb::Event read;
  for (int i = 1; i <= 30; ++i) {
    ASSERT_TRUE(Get(e.event_id(), &read).ok());  // caches the current count
    const std::string m = NewMemberId();
    ASSERT_TRUE(Rsvp(m, e.event_id()).ok());
    ASSERT_TRUE(Get(e.event_id(), &read).ok());
    ASSERT_EQ(read.seats_left(), 30 - i);
    if (i % 3 == 0) {
      ASSERT_TRUE(Get(e.event_id(), &read).ok());
      ASSERT_TRUE(CancelRsvp(m, e.event_id()).ok());
      ASSERT_TRUE(Get(e.event_id(), &read).ok());
      ASSERT_EQ(read.seats_left(), 30 - i + 1);
      ASSERT_TRUE(Rsvp(m, e.event_id()).ok());
    }
  }
  std::string metrics = hc::testing::HttpGet(svc().app->metrics_port(), "/metrics");
  // The cache was really in use (hits) while every read above was fresh.
  EXPECT_THAT(metrics, ::testing::ContainsRegex(
                           "hc_cache_requests_total\\{cache=\"event\",result=\"hit\"\\} [1-9]"));
}

// --- The must-show concurrency tests. ---

// Runs `fn(i)` for i in [0, n) on `threads` threads that start together.
void RunConcurrently(int n, int threads, const std::function<void(int)>& fn) {
  std::atomic<int> next{0};
  std::latch start(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      start.arrive_and_wait();
      for (int i = next++; i < n; i = next++) fn(i);
    });
  }
  for (auto& t : pool) t.join();
}

TEST_F(EventsTest, ThousandConcurrentRsvpsOnFiftySeatsNeverOverbookTwentyTimesOver) {
  constexpr int kRounds = 20, kRsvps = 1000, kThreads = 64, kSeats = 50;
  std::vector<std::string> members(kRsvps), tokens(kRsvps);
  for (int i = 0; i < kRsvps; ++i) {
    members[i] = NewMemberId();
    tokens[i] = Token(members[i], {"alumnus"});
  }
  // Several connections, as many clients would have.
  std::vector<std::unique_ptr<pb::EventsService::Stub>> stubs;
  for (int c = 0; c < 8; ++c) {
    grpc::ChannelArguments args;
    args.SetInt("hc-channel", c);  // distinct arguments: a connection of its own
    stubs.push_back(pb::EventsService::NewStub(
        grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(svc().app->grpc_port()),
                                  grpc::InsecureChannelCredentials(), args)));
  }
  std::string last_event_id;
  for (int round = 0; round < kRounds; ++round) {
    pb::Event e = Create(Details(kSeats));
    std::vector<pb::Rsvp> answers(kRsvps);
    std::vector<grpc::Status> statuses(kRsvps);
    RunConcurrently(kRsvps, kThreads, [&](int i) {
      pb::RsvpRequest req;
      req.set_event_id(e.event_id());
      pb::RsvpResponse resp;
      statuses[i] = stubs[i % stubs.size()]->Rsvp(Ctx(tokens[i]).get(), req, &resp);
      answers[i] = resp.rsvp();
    });
    int going = 0;
    std::multiset<int> positions;
    for (int i = 0; i < kRsvps; ++i) {
      ASSERT_TRUE(statuses[i].ok()) << "round " << round << ": " << statuses[i].error_message();
      if (answers[i].status() == pb::RSVP_STATUS_GOING) {
        ++going;
      } else {
        ASSERT_EQ(answers[i].status(), pb::RSVP_STATUS_WAITLISTED);
        positions.insert(answers[i].waitlist_position());
      }
    }
    ASSERT_EQ(going, kSeats) << "round " << round;
    ASSERT_EQ(positions.size(), static_cast<size_t>(kRsvps - kSeats)) << "round " << round;
    int expected = 1;
    for (int p : positions) ASSERT_EQ(p, expected++) << "round " << round;  // 1..950, each once

    // What is stored agrees with what callers were told.
    auto rows = Query(
        "SELECT status, count(*), count(DISTINCT member_id), "
        "count(DISTINCT waitlist_seq) FROM rsvps WHERE event_id = '" +
        e.event_id() + "' GROUP BY status ORDER BY status");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0][0].as<int>(), 1);
    EXPECT_EQ(rows[0][1].as<int>(), kSeats);
    EXPECT_EQ(rows[1][0].as<int>(), 2);
    EXPECT_EQ(rows[1][1].as<int>(), kRsvps - kSeats);
    EXPECT_EQ(rows[1][3].as<int>(), kRsvps - kSeats);
    pb::Event read;
    ASSERT_TRUE(Get(e.event_id(), &read).ok());
    EXPECT_EQ(read.going_count(), kSeats);
    EXPECT_EQ(read.waitlist_count(), kRsvps - kSeats);
    EXPECT_EQ(read.seats_left(), 0);
    last_event_id = e.event_id();
  }
  // Every answer of the last round reached Kafka exactly once.
  auto messages = Published(last_event_id, 1 + kRsvps);
  std::map<std::string, int> types;
  for (const auto& m : messages) ++types[m.Header("ce_type")];
  EXPECT_EQ(types["alumni.events.v1.RsvpConfirmed"], kSeats);
  EXPECT_EQ(types["alumni.events.v1.RsvpWaitlisted"], kRsvps - kSeats);
  EXPECT_EQ(messages.size(), static_cast<size_t>(1 + kRsvps));
}

TEST_F(EventsTest, TheSameRsvpSentTenTimesAtOnceIsOneRowAndOneEvent) {
  pb::Event e = Create(Details(1));
  const std::string first = NewMemberId(), second = NewMemberId();
  for (const std::string& member : {first, second}) {  // one GOING, then one WAITLISTED
    const std::string token = Token(member, {"alumnus"});
    std::vector<pb::Rsvp> answers(10);
    std::vector<grpc::Status> statuses(10);
    RunConcurrently(10, 10, [&](int i) {
      pb::RsvpRequest req;
      req.set_event_id(e.event_id());
      pb::RsvpResponse resp;
      statuses[i] = stub().Rsvp(Ctx(token).get(), req, &resp);
      answers[i] = resp.rsvp();
    });
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(statuses[i].ok()) << statuses[i].error_message();
      EXPECT_EQ(answers[i].status(), answers[0].status());
      EXPECT_EQ(answers[i].waitlist_position(), answers[0].waitlist_position());
    }
    auto rows = Query("SELECT count(*) FROM rsvps WHERE event_id = '" + e.event_id() +
                      "' AND member_id = '" + member + "'");
    EXPECT_EQ(rows[0][0].as<int>(), 1);
  }
  auto messages = Published(e.event_id(), 3);
  ASSERT_EQ(messages.size(), 3u);  // ReadTopic lingers to catch any extra
  EXPECT_EQ(messages[1].Header("ce_type"), "alumni.events.v1.RsvpConfirmed");
  EXPECT_EQ(messages[2].Header("ce_type"), "alumni.events.v1.RsvpWaitlisted");
}

TEST_F(EventsTest, TwentyConcurrentCancellationsPromoteTwentyInFifoOrder) {
  constexpr int kSeats = 50, kWaiting = 200, kCancels = 20;
  pb::Event e = Create(Details(kSeats));
  std::vector<std::string> going, line;
  for (int i = 0; i < kSeats + kWaiting; ++i) {
    const std::string m = NewMemberId();
    pb::Rsvp r;
    ASSERT_TRUE(Rsvp(m, e.event_id(), &r).ok());
    (i < kSeats ? going : line).push_back(m);
  }
  std::vector<grpc::Status> statuses(kCancels);
  RunConcurrently(kCancels, kCancels, [&](int i) {
    pb::CancelRsvpRequest req;
    req.set_event_id(e.event_id());
    pb::CancelRsvpResponse resp;
    statuses[i] = stub().CancelRsvp(Ctx(Token(going[i * 2], {"alumnus"})).get(), req, &resp);
  });
  for (const auto& s : statuses) ASSERT_TRUE(s.ok()) << s.error_message();

  // The first 20 in line hold the freed seats; everyone behind moved up 20 places.
  for (int i = 0; i < kWaiting; ++i) {
    pb::Rsvp r;
    ASSERT_TRUE(Rsvp(line[i], e.event_id(), &r).ok());
    if (i < kCancels) {
      EXPECT_EQ(r.status(), pb::RSVP_STATUS_GOING) << i;
    } else {
      EXPECT_EQ(r.status(), pb::RSVP_STATUS_WAITLISTED) << i;
      EXPECT_EQ(r.waitlist_position(), i - kCancels + 1);
    }
  }
  pb::Event read;
  ASSERT_TRUE(Get(e.event_id(), &read).ok());
  EXPECT_EQ(read.going_count(), kSeats);
  EXPECT_EQ(read.waitlist_count(), kWaiting - kCancels);

  auto promoted = Published(e.event_id(), kCancels, "alumni.events.v1.WaitlistPromoted");
  ASSERT_EQ(promoted.size(), static_cast<size_t>(kCancels));
  for (int i = 0; i < kCancels; ++i) {
    pb::WaitlistPromoted event;
    ASSERT_TRUE(event.ParseFromString(promoted[i].value));
    EXPECT_EQ(event.member_id(), line[i]) << "promotion " << i << " out of FIFO order";
  }
}

// --- Changing, cancelling and listing events. ---

TEST_F(EventsTest, RaisingCapacityPromotesFromTheWaitlistAndBumpsTheSequence) {
  pb::Event e = Create(Details(2));
  std::vector<std::string> members;
  for (int i = 0; i < 6; ++i) {
    members.push_back(NewMemberId());
    ASSERT_TRUE(Rsvp(members.back(), e.event_id()).ok());
  }
  pb::EventDetails more;
  more.set_capacity(5);
  pb::UpdateEventResponse updated;
  ASSERT_TRUE(Update(e.event_id(), more, {"capacity"}, &updated).ok());
  EXPECT_THAT(updated.promoted_member_ids(),
              ::testing::ElementsAre(members[2], members[3], members[4]));
  EXPECT_EQ(updated.event().going_count(), 5);
  EXPECT_EQ(updated.event().waitlist_count(), 1);
  EXPECT_EQ(updated.event().sequence(), e.sequence() + 1);
  pb::Rsvp r;
  ASSERT_TRUE(Rsvp(members[5], e.event_id(), &r).ok());
  EXPECT_EQ(r.waitlist_position(), 1);

  auto messages = Published(e.event_id(), 11);
  std::vector<std::string> tail;
  for (size_t i = 7; i < messages.size(); ++i) tail.push_back(messages[i].Header("ce_type"));
  EXPECT_THAT(tail, ::testing::ElementsAre(
                        "alumni.events.v1.EventUpdated", "alumni.events.v1.WaitlistPromoted",
                        "alumni.events.v1.WaitlistPromoted", "alumni.events.v1.WaitlistPromoted"));
  pb::EventUpdated event;
  ASSERT_TRUE(event.ParseFromString(messages[7].value));
  EXPECT_THAT(event.changed_fields(), ::testing::ElementsAre("capacity"));
}

TEST_F(EventsTest, CapacityCannotDropBelowTheConfirmedCount) {
  pb::Event e = Create(Details(10));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(Rsvp(NewMemberId(), e.event_id()).ok());
  pb::EventDetails fewer;
  fewer.set_capacity(3);
  grpc::Status s = Update(e.event_id(), fewer, {"capacity"});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), ::testing::StartsWith("capacity: must be at least 4"));
  fewer.set_capacity(4);
  pb::UpdateEventResponse ok;
  ASSERT_TRUE(Update(e.event_id(), fewer, {"capacity"}, &ok).ok());
  EXPECT_EQ(ok.event().seats_left(), 0);

  EXPECT_EQ(Update(e.event_id(), fewer, {"going_count"}).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Update(e.event_id(), fewer, {"capacity"}, nullptr, Token(NewMemberId(), {"alumnus"}))
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(EventsTest, UpdatedDetailsAreReadAtOnceDespiteTheCache) {
  pb::Event e = Create(Details(10));
  pb::Event read;
  ASSERT_TRUE(Get(e.event_id(), &read).ok());  // cached
  pb::EventDetails online;
  online.set_online_url("https://meet.example.org/alumni");
  online.set_title("Monthly alumni meeting (online this time)");
  ASSERT_TRUE(Update(e.event_id(), online, {"online_url", "title"}).ok());
  ASSERT_TRUE(Get(e.event_id(), &read).ok());
  EXPECT_EQ(read.title(), "Monthly alumni meeting (online this time)");
  EXPECT_EQ(read.online_url(), "https://meet.example.org/alumni");
  EXPECT_FALSE(read.has_venue());
  EXPECT_EQ(read.sequence(), 1);
}

TEST_F(EventsTest, EitherSpellingOfAnEventIdReadsWhatAWriteThroughTheOtherChanged) {
  pb::Event e = Create(Details(10));
  const std::string upper = absl::AsciiStrToUpper(e.event_id());
  pb::Event read;
  ASSERT_TRUE(Get(upper, &read).ok());  // cached under the upper-case spelling
  ASSERT_TRUE(Rsvp(NewMemberId(), e.event_id()).ok());
  ASSERT_TRUE(Get(upper, &read).ok());
  EXPECT_EQ(read.going_count(), 1);

  ASSERT_TRUE(Get(e.event_id(), &read).ok());  // cached under the lower-case spelling
  ASSERT_TRUE(Rsvp(NewMemberId(), upper).ok());
  ASSERT_TRUE(Get(e.event_id(), &read).ok());
  EXPECT_EQ(read.going_count(), 2);
}

TEST_F(EventsTest, ACorruptCachedEventIsDroppedAndReadFromTheDatabase) {
  pb::Event e = Create(Details(10));
  ASSERT_TRUE(Get(e.event_id()).ok());  // cached
  const std::string key = "events:event:v1:" + e.event_id();
  ASSERT_EQ(hc::testing::RedisKeys(svc().redis.address(), key).size(), 1u);
  // Overwritten by something that is not a cached event (a truncated protobuf).
  auto colon = svc().redis.address().rfind(':');
  redisContext* ctx = redisConnect(svc().redis.address().substr(0, colon).c_str(),
                                   std::stoi(svc().redis.address().substr(colon + 1)));
  ASSERT_TRUE(ctx != nullptr && ctx->err == 0);
  const std::string garbage = "\xff\xff\xff";
  freeReplyObject(
      redisCommand(ctx, "SET %b %b", key.data(), key.size(), garbage.data(), garbage.size()));
  redisFree(ctx);

  pb::Event read;
  grpc::Status s = Get(e.event_id(), &read);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(read.title(), "Monthly alumni meeting");
  ASSERT_TRUE(Get(e.event_id(), &read).ok());
  EXPECT_EQ(read.title(), "Monthly alumni meeting");
}

TEST_F(EventsTest, ACancelledEventTakesNoRsvpsAndItsRsvpsStayReadable) {
  pb::Event e = Create(Details(1));
  const std::string going = NewMemberId(), waiting = NewMemberId();
  ASSERT_TRUE(Rsvp(going, e.event_id()).ok());
  ASSERT_TRUE(Rsvp(waiting, e.event_id()).ok());
  pb::Event cancelled;
  ASSERT_TRUE(CancelEvent(e.event_id(), &cancelled).ok());
  EXPECT_EQ(cancelled.status(), pb::EVENT_STATUS_CANCELLED);
  EXPECT_EQ(cancelled.sequence(), 1);
  ASSERT_TRUE(CancelEvent(e.event_id()).ok());  // again: no change, no second event

  grpc::Status s = Rsvp(NewMemberId(), e.event_id());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("cancelled"));
  EXPECT_EQ(CancelRsvp(going, e.event_id()).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Update(e.event_id(), Details(5), {"capacity"}).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  pb::ListMyRsvpsRequest req;
  pb::ListMyRsvpsResponse mine;
  ASSERT_TRUE(stub().ListMyRsvps(Ctx(Token(going, {"alumnus"})).get(), req, &mine).ok());
  ASSERT_EQ(mine.rsvps_size(), 1);
  EXPECT_EQ(mine.rsvps(0).rsvp().status(), pb::RSVP_STATUS_GOING);
  EXPECT_EQ(mine.rsvps(0).event().status(), pb::EVENT_STATUS_CANCELLED);
  pb::Event read;
  ASSERT_TRUE(Get(e.event_id(), &read).ok());
  EXPECT_EQ(read.status(), pb::EVENT_STATUS_CANCELLED);

  auto messages = Published(e.event_id(), 4);
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_EQ(messages[3].Header("ce_type"), "alumni.events.v1.EventCancelled");
  pb::EventCancelled event;
  ASSERT_TRUE(event.ParseFromString(messages[3].value));
  EXPECT_THAT(event.affected_member_ids(), ::testing::ElementsAre(going, waiting));
}

TEST_F(EventsTest, ListEventsFiltersByKindAndDatesAndPagesThroughEverything) {
  const auto window = QuietWindow();
  std::vector<std::string> meetings;
  for (int day = 0; day < 7; ++day) {
    pb::EventDetails d = Details(10, true, window + std::chrono::hours(24 * day));
    meetings.push_back(Create(d).event_id());
    d.set_kind(pb::EVENT_KIND_SOBER_SOCIAL);
    Create(d);
  }
  pb::EventDetails unlisted = Details(10, true, window + std::chrono::hours(1));
  unlisted.set_visibility(pb::VISIBILITY_UNLISTED);
  const std::string unlisted_id = Create(unlisted).event_id();
  CancelEvent(meetings[6]);

  pb::ListEventsRequest req;
  req.add_kinds(pb::EVENT_KIND_ALUMNI_MEETING);
  *req.mutable_start_from() = At(window);
  *req.mutable_start_before() = At(window + std::chrono::hours(24 * 10));
  req.set_page_size(4);
  std::vector<std::string> seen;
  const std::string member = Token(NewMemberId(), {"alumnus"});
  for (int page = 0;; ++page) {
    ASSERT_LT(page, 5);
    pb::ListEventsResponse resp;
    ASSERT_TRUE(List(req, &resp, member).ok());
    for (const auto& e : resp.events()) {
      EXPECT_EQ(e.kind(), pb::EVENT_KIND_ALUMNI_MEETING);
      seen.push_back(e.event_id());
    }
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  // Soonest first; the cancelled one and the unlisted one are not listed to members.
  EXPECT_EQ(seen, std::vector<std::string>(meetings.begin(), meetings.begin() + 6));

  // Staff see unlisted events; a date range narrows the list.
  pb::ListEventsRequest staff_req;
  *staff_req.mutable_start_from() = At(window);
  *staff_req.mutable_start_before() = At(window + std::chrono::hours(24));
  pb::ListEventsResponse staff;
  ASSERT_TRUE(List(staff_req, &staff, coordinator_).ok());
  ASSERT_EQ(staff.events_size(), 3);  // the meeting, the social and the unlisted one
  EXPECT_EQ(staff.events(2).event_id(), unlisted_id);

  // A token only goes with the filters it was made for; sizes are bounded.
  pb::ListEventsRequest other = req;
  other.clear_kinds();
  pb::ListEventsResponse resp;
  grpc::Status s = List(other, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::StartsWith("page_token:"));
  other.set_page_token("garbage!");
  EXPECT_THAT(List(other, &resp).error_message(), ::testing::StartsWith("page_token:"));
  pb::ListEventsRequest huge;
  huge.set_page_size(1000);
  EXPECT_THAT(List(huge, &resp).error_message(), ::testing::StartsWith("page_size:"));
}

TEST_F(EventsTest, AListingAfterAnRsvpNeverShowsAStaleSeatCount) {
  const auto window = QuietWindow();
  pb::Event e = Create(Details(5, true, window));
  pb::ListEventsRequest req;
  *req.mutable_start_from() = At(window);
  *req.mutable_start_before() = At(window + std::chrono::hours(1));
  const std::string member = Token(NewMemberId(), {"alumnus"});
  for (int i = 1; i <= 5; ++i) {
    pb::ListEventsResponse before, after;
    ASSERT_TRUE(List(req, &before, member).ok());  // cached
    ASSERT_EQ(before.events_size(), 1);
    ASSERT_TRUE(Rsvp(NewMemberId(), e.event_id()).ok());
    ASSERT_TRUE(List(req, &after, member).ok());
    ASSERT_EQ(after.events_size(), 1);
    EXPECT_EQ(after.events(0).seats_left(), 5 - i);
  }
}

TEST_F(EventsTest, ListMyRsvpsShowsOnlyTheCallersOwnInEventOrder) {
  const auto window = QuietWindow();
  const std::string me = NewMemberId(), someone = NewMemberId();
  std::vector<std::string> mine;
  for (int i = 4; i >= 0; --i) {  // created latest first
    pb::Event e = Create(Details(3, true, window + std::chrono::hours(24 * i)));
    ASSERT_TRUE(Rsvp(me, e.event_id()).ok());
    ASSERT_TRUE(Rsvp(someone, e.event_id()).ok());
    mine.insert(mine.begin(), e.event_id());
  }
  ASSERT_TRUE(CancelRsvp(me, mine[1]).ok());
  pb::ListMyRsvpsRequest req;
  req.set_page_size(2);
  std::vector<std::string> seen;
  for (int page = 0;; ++page) {
    ASSERT_LT(page, 5);
    pb::ListMyRsvpsResponse resp;
    ASSERT_TRUE(stub().ListMyRsvps(Ctx(Token(me, {"alumnus"})).get(), req, &resp).ok());
    for (const auto& r : resp.rsvps()) {
      EXPECT_EQ(r.rsvp().member_id(), me);
      seen.push_back(r.event().event_id());
    }
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{mine[0], mine[2], mine[3], mine[4]}));
  pb::ListMyRsvpsRequest all;
  all.set_include_cancelled(true);
  pb::ListMyRsvpsResponse resp;
  ASSERT_TRUE(stub().ListMyRsvps(Ctx(Token(me, {"alumnus"})).get(), all, &resp).ok());
  EXPECT_EQ(resp.rsvps_size(), 5);
  EXPECT_EQ(resp.rsvps(1).rsvp().status(), pb::RSVP_STATUS_CANCELLED);
}

// --- Attendees and check-in. ---

TEST_F(EventsTest, CoordinatorsListAttendeesGoingThenTheLineInOrder) {
  pb::Event e = Create(Details(3));
  std::vector<std::string> members;
  for (int i = 0; i < 8; ++i) {
    members.push_back(NewMemberId());
    ASSERT_TRUE(Rsvp(members.back(), e.event_id()).ok());
  }
  ASSERT_TRUE(CancelRsvp(members[1], e.event_id()).ok());  // members[3] moves up
  ASSERT_TRUE(CancelRsvp(members[5], e.event_id()).ok());  // leaves the line

  pb::ListAttendeesRequest req;
  req.set_event_id(e.event_id());
  req.set_page_size(2);
  std::vector<pb::Rsvp> all;
  for (int page = 0;; ++page) {
    ASSERT_LT(page, 10);
    pb::ListAttendeesResponse resp;
    ASSERT_TRUE(stub().ListAttendees(Ctx(coordinator_).get(), req, &resp).ok());
    all.insert(all.end(), resp.attendees().begin(), resp.attendees().end());
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  std::vector<std::string> order;
  for (const auto& r : all) order.push_back(r.member_id());
  EXPECT_EQ(order, (std::vector<std::string>{members[0], members[2], members[3], members[4],
                                             members[6], members[7]}));
  EXPECT_EQ(all[2].status(), pb::RSVP_STATUS_GOING);
  EXPECT_EQ(all[3].status(), pb::RSVP_STATUS_WAITLISTED);
  EXPECT_EQ(all[3].waitlist_position(), 1);
  EXPECT_EQ(all[5].waitlist_position(), 3);

  pb::ListAttendeesRequest with_cancelled;
  with_cancelled.set_event_id(e.event_id());
  with_cancelled.set_include_cancelled(true);
  pb::ListAttendeesResponse resp;
  ASSERT_TRUE(stub().ListAttendees(Ctx(coordinator_).get(), with_cancelled, &resp).ok());
  ASSERT_EQ(resp.attendees_size(), 8);
  EXPECT_EQ(resp.attendees(7).status(), pb::RSVP_STATUS_CANCELLED);

  // Members see no one else's RSVPs.
  EXPECT_EQ(stub()
                .ListAttendees(Ctx(Token(members[0], {"alumnus"})).get(), with_cancelled, &resp)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  with_cancelled.set_event_id(NewMemberId());
  EXPECT_EQ(stub().ListAttendees(Ctx(coordinator_).get(), with_cancelled, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(EventsTest, CheckInAndUndoAreRecordedOnceEach) {
  pb::Event e = Create(Details(1));
  const std::string going = NewMemberId(), waiting = NewMemberId();
  ASSERT_TRUE(Rsvp(going, e.event_id()).ok());
  ASSERT_TRUE(Rsvp(waiting, e.event_id()).ok());
  auto check_in = [&](const std::string& member, bool undo, pb::Rsvp* out = nullptr,
                      const std::string& token = "") {
    pb::CheckInRequest req;
    req.set_event_id(e.event_id());
    req.set_member_id(member);
    req.set_undo(undo);
    pb::CheckInResponse resp;
    grpc::Status s = stub().CheckIn(Ctx(token.empty() ? coordinator_ : token).get(), req, &resp);
    if (out) *out = resp.rsvp();
    return s;
  };
  pb::Rsvp r;
  ASSERT_TRUE(check_in(going, false, &r).ok());
  EXPECT_TRUE(r.checked_in());
  ASSERT_TRUE(check_in(going, false, &r).ok());  // again: no change
  EXPECT_TRUE(r.checked_in());
  ASSERT_TRUE(check_in(going, true, &r).ok());
  EXPECT_FALSE(r.checked_in());
  ASSERT_TRUE(check_in(going, true).ok());  // again: no change
  ASSERT_TRUE(check_in(going, false).ok());

  EXPECT_EQ(check_in(waiting, false).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(check_in(NewMemberId(), false).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(check_in(going, false, nullptr, Token(going, {"alumnus"})).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(check_in("someone", false).error_message(), "member_id: must be a UUID");

  pb::ListAttendeesRequest req;
  req.set_event_id(e.event_id());
  pb::ListAttendeesResponse list;
  ASSERT_TRUE(stub().ListAttendees(Ctx(coordinator_).get(), req, &list).ok());
  ASSERT_GE(list.attendees_size(), 1);
  EXPECT_TRUE(list.attendees(0).checked_in());

  auto messages = Published(e.event_id(), 3, "alumni.events.v1.AttendeeCheckedIn");
  ASSERT_EQ(messages.size(), 3u);
  std::vector<bool> states;
  for (const auto& m : messages) {
    pb::AttendeeCheckedIn event;
    ASSERT_TRUE(event.ParseFromString(m.value));
    EXPECT_EQ(event.member_id(), going);
    states.push_back(event.checked_in());
  }
  EXPECT_EQ(states, (std::vector<bool>{true, false, true}));
}

// --- Calendar export, read back by an independent parser (Debian's python3-icalendar). ---

// What icalendar makes of an .ics: the calendar's METHOD and each VEVENT's properties.
nlohmann::json ParseIcs(const std::string& ics) {
  const std::string dir = "/tmp/" + hc::testing::UniqueName("hc-ics");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/cal.ics", std::ios::binary) << ics;
  std::ofstream(dir + "/read.py") << R"py(
import json, sys
import icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
events = []
for ev in cal.walk('VEVENT'):
    events.append({
        'uid': str(ev.get('UID')),
        'sequence': int(ev.get('SEQUENCE')),
        'status': str(ev.get('STATUS')),
        'summary': str(ev.get('SUMMARY')),
        'description': str(ev.get('DESCRIPTION', '')),
        'location': str(ev.get('LOCATION', '')),
        'dtstart': ev.decoded('DTSTART').isoformat(),
    })
print(json.dumps({'method': str(cal.get('METHOD')), 'events': events}))
)py";
  // Debian's interpreter by path: a python3 earlier on PATH may lack the module.
  FILE* pipe =
      popen(("/usr/bin/python3 " + dir + "/read.py " + dir + "/cal.ics 2>&1").c_str(), "r");
  std::string output;
  char buf[4096];
  while (pipe && fgets(buf, sizeof(buf), pipe)) output += buf;
  const int status = pipe ? pclose(pipe) : -1;
  std::filesystem::remove_all(dir);
  if (status != 0) {
    ADD_FAILURE() << "icalendar could not parse the export:\n" << output << "\n" << ics;
    return nlohmann::json::object();
  }
  return nlohmann::json::parse(output);
}

void ExpectWellFormedLines(const std::string& ics) {
  size_t at = 0;
  while (at < ics.size()) {
    const size_t end = ics.find("\r\n", at);
    ASSERT_NE(end, std::string::npos) << "a line without CRLF";
    EXPECT_LE(end - at, 75u) << ics.substr(at, end - at);
    EXPECT_EQ(ics.substr(at, end - at).find('\n'), std::string::npos);
    at = end + 2;
  }
}

TEST_F(EventsTest, ExportedCalendarsParseWithAStableUidAndAGrowingSequence) {
  pb::EventDetails d = Details(10);
  d.set_title("Sober social: bowling, pizza; games \\ more — café ☕");
  d.set_description(
      "Meet at the front desk, 6:45pm; lanes 3–4.\nBring socks, or rent them (2$).\n"
      "Questions? Ask Jordan at the alumni office — any day, any time, we're glad you're here.");
  pb::Event e = Create(d);
  auto export_event = [&](const std::string& event_id) {
    pb::ExportCalendarRequest req;
    req.set_event_id(event_id);
    pb::ExportCalendarResponse resp;
    grpc::Status s =
        stub().ExportCalendar(Ctx(Token(NewMemberId(), {"alumnus"})).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.content_type(), "text/calendar; charset=utf-8");
    ExpectWellFormedLines(resp.ics());
    return resp.ics();
  };

  nlohmann::json first = ParseIcs(export_event(e.event_id()));
  ASSERT_EQ(first["events"].size(), 1u);
  EXPECT_EQ(first["method"], "PUBLISH");
  const auto& ev = first["events"][0];
  EXPECT_EQ(ev["summary"], d.title());
  EXPECT_EQ(ev["description"], d.description());
  EXPECT_EQ(ev["location"], d.venue());
  EXPECT_EQ(ev["status"], "CONFIRMED");
  EXPECT_EQ(ev["dtstart"], TimeUtil::ToString(d.start_time()).substr(0, 19) + "+00:00");
  const std::string uid = ev["uid"];
  EXPECT_THAT(uid, HasSubstr(e.event_id()));

  pb::EventDetails later;
  *later.mutable_start_time() = TimeUtil::SecondsToTimestamp(d.start_time().seconds() + 3600);
  *later.mutable_end_time() = TimeUtil::SecondsToTimestamp(d.end_time().seconds() + 3600);
  ASSERT_TRUE(Update(e.event_id(), later, {"start_time", "end_time"}).ok());
  nlohmann::json second = ParseIcs(export_event(e.event_id()));
  ASSERT_EQ(second["events"].size(), 1u);
  EXPECT_EQ(second["events"][0]["uid"], uid);
  EXPECT_GT(second["events"][0]["sequence"].get<int>(), ev["sequence"].get<int>());

  ASSERT_TRUE(CancelEvent(e.event_id()).ok());
  nlohmann::json cancelled = ParseIcs(export_event(e.event_id()));
  ASSERT_EQ(cancelled["events"].size(), 1u);
  EXPECT_EQ(cancelled["method"], "CANCEL");
  EXPECT_EQ(cancelled["events"][0]["status"], "CANCELLED");
  EXPECT_EQ(cancelled["events"][0]["uid"], uid);
  EXPECT_GT(cancelled["events"][0]["sequence"].get<int>(),
            second["events"][0]["sequence"].get<int>());
}

TEST_F(EventsTest, AMembersCalendarHoldsTheEventsTheyAreGoingToOrWaitingFor) {
  const std::string me = NewMemberId();
  pb::Event going = Create(Details(5));
  pb::Event full = Create(Details(1));
  pb::Event withdrawn = Create(Details(5));
  ASSERT_TRUE(Rsvp(NewMemberId(), full.event_id()).ok());
  ASSERT_TRUE(Rsvp(me, going.event_id()).ok());
  ASSERT_TRUE(Rsvp(me, full.event_id()).ok());
  ASSERT_TRUE(Rsvp(me, withdrawn.event_id()).ok());
  ASSERT_TRUE(CancelRsvp(me, withdrawn.event_id()).ok());

  pb::ExportCalendarRequest req;
  req.set_my_rsvps(true);
  pb::ExportCalendarResponse resp;
  ASSERT_TRUE(stub().ExportCalendar(Ctx(Token(me, {"alumnus"})).get(), req, &resp).ok());
  ExpectWellFormedLines(resp.ics());
  nlohmann::json cal = ParseIcs(resp.ics());
  std::set<std::string> uids;
  for (const auto& ev : cal["events"]) uids.insert(ev["uid"].get<std::string>());
  EXPECT_EQ(uids.size(), 2u);
  EXPECT_THAT(resp.ics(), HasSubstr(going.event_id()));
  EXPECT_THAT(resp.ics(), HasSubstr(full.event_id()));
  EXPECT_EQ(resp.ics().find(withdrawn.event_id()), std::string::npos);

  pb::ExportCalendarRequest none;
  EXPECT_THAT(stub().ExportCalendar(Ctx(Token(me, {"alumnus"})).get(), none, &resp).error_message(),
              ::testing::StartsWith("scope:"));
}

// --- MemberDeleted from membership. ---

// Publishes on the suite's membership topic as membership's relay would.
void PublishMembershipEvent(const std::string& topic, const std::string& key,
                            const google::protobuf::Message& event, const std::string& ce_id) {
  auto producer = hc::kafka::NewIdempotentProducer(hc::testing::KafkaBrokers(), nullptr, "test");
  ASSERT_TRUE(producer.ok());
  const std::string value = event.SerializeAsString();
  RdKafka::Headers* headers =
      hc::kafka::NewHeaders({{hc::kafka::kCeId, ce_id},
                             {hc::kafka::kCeType, event.GetDescriptor()->full_name()},
                             {hc::kafka::kCeSource, "/homecoming/membership"},
                             {hc::kafka::kCeSpecVersion, "1.0"},
                             {hc::kafka::kContentType, "application/protobuf"}});
  ASSERT_EQ((*producer)->produce(topic, RdKafka::Topic::PARTITION_UA,
                                 RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(value.data()),
                                 value.size(), key.data(), key.size(), 0, headers, nullptr),
            RdKafka::ERR_NO_ERROR);
  ASSERT_EQ((*producer)->flush(10000), RdKafka::ERR_NO_ERROR);
}

TEST_F(EventsTest, ADeletedMembersRsvpsGoTheirSeatsAreFreedAndTheLineMovesUp) {
  pb::Event a = Create(Details(2));
  pb::Event b = Create(Details(1));
  const std::string leaver = NewMemberId(), other = NewMemberId(), first = NewMemberId(),
                    second = NewMemberId();
  for (const auto& m : {leaver, other, first, second}) ASSERT_TRUE(Rsvp(m, a.event_id()).ok());
  ASSERT_TRUE(Rsvp(other, b.event_id()).ok());
  ASSERT_TRUE(Rsvp(leaver, b.event_id()).ok());  // waitlisted on b
  ASSERT_TRUE(Rsvp(first, b.event_id()).ok());
  pb::Event read;
  ASSERT_TRUE(Get(a.event_id(), &read).ok());  // cached: 2 going, 2 waiting

  // Another fact about the member first: ignored.
  alumni::membership::v1::MemberRegistered registered;
  registered.set_member_id(leaver);
  PublishMembershipEvent(svc().membership_topic, leaver, registered, NewMemberId());
  alumni::membership::v1::MemberDeleted deleted;
  deleted.set_member_id(leaver);
  *deleted.mutable_deleted_at() = TimeUtil::GetCurrentTime();
  const std::string ce_id = NewMemberId();
  PublishMembershipEvent(svc().membership_topic, leaver, deleted, ce_id);
  PublishMembershipEvent(svc().membership_topic, leaver, deleted, ce_id);  // redelivered

  auto leaver_rows = [&] {
    return Query("SELECT count(*) FROM rsvps WHERE member_id = '" + leaver + "'")[0][0].as<int>();
  };
  ASSERT_TRUE(hc::testing::WaitFor([&] { return leaver_rows() == 0; }, std::chrono::seconds(60)));
  // Committed; the cached read goes right after, far within its TTL.
  ASSERT_TRUE(hc::testing::WaitFor(
      [&] { return Get(a.event_id(), &read).ok() && read.waitlist_count() == 1; },
      std::chrono::seconds(3)))
      << "the cached read was not dropped";
  EXPECT_EQ(read.going_count(), 2);
  pb::Rsvp r;
  ASSERT_TRUE(Rsvp(first, a.event_id(), &r).ok());
  EXPECT_EQ(r.status(), pb::RSVP_STATUS_GOING);  // moved up into the freed seat
  ASSERT_TRUE(Rsvp(second, a.event_id(), &r).ok());
  EXPECT_EQ(r.waitlist_position(), 1);
  ASSERT_TRUE(Rsvp(first, b.event_id(), &r).ok());
  EXPECT_EQ(r.waitlist_position(), 1);  // the leaver was ahead in b's line

  // One fact each, though MemberDeleted came twice.
  auto promoted = Published(a.event_id(), 1, "alumni.events.v1.WaitlistPromoted");
  ASSERT_EQ(promoted.size(), 1u);
  pb::WaitlistPromoted promotion;
  ASSERT_TRUE(promotion.ParseFromString(promoted[0].value));
  EXPECT_EQ(promotion.member_id(), first);
  auto cancelled = Published(b.event_id(), 1, "alumni.events.v1.RsvpCancelled");
  ASSERT_EQ(cancelled.size(), 1u);
  pb::RsvpCancelled cancellation;
  ASSERT_TRUE(cancellation.ParseFromString(cancelled[0].value));
  EXPECT_EQ(cancellation.reason(), pb::CANCEL_REASON_MEMBER_DELETED);
  EXPECT_EQ(cancellation.previous_status(), pb::RSVP_STATUS_WAITLISTED);
}

TEST_F(EventsTest, EveryListRpcAnswersAnEmptyRequest) {
  // The README's own `-d '{}'`: from now on, in progress included.
  pb::Event soon = Create(Details(5));
  pb::ListEventsResponse listed;
  ASSERT_TRUE(List(pb::ListEventsRequest(), &listed).ok());
  pb::ListEventsRequest before_only;
  *before_only.mutable_start_before() =
      At(std::chrono::system_clock::now() + std::chrono::hours(24 * 8));
  before_only.set_page_size(100);
  bool found = false;
  for (int pages = 0; !found && pages < 100; ++pages) {
    ASSERT_TRUE(List(before_only, &listed).ok());
    for (const auto& e : listed.events()) found |= e.event_id() == soon.event_id();
    if (listed.next_page_token().empty()) break;
    before_only.set_page_token(listed.next_page_token());
  }
  EXPECT_TRUE(found) << "an event a week ahead is listed with start_before alone";

  const std::string member = NewMemberId();
  pb::ListMyRsvpsResponse mine;
  grpc::Status s = stub().ListMyRsvps(Ctx(Token(member, {"alumnus"})).get(), {}, &mine);
  EXPECT_TRUE(s.ok()) << s.error_message();
  pb::ListAttendeesResponse attendees;
  s = stub().ListAttendees(Ctx(coordinator_).get(), {}, &attendees);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("event_id"));
}

TEST_F(EventsTest, AFullPageOfMaximalEventsFitsTheMessageLimit) {
  // 60 events of 4,000 four-byte characters each: about 1 MiB of descriptions in all.
  const auto window = QuietWindow();
  std::string emoji;
  for (int i = 0; i < 4000; ++i) emoji += "\xF0\x9F\x8C\xBF";
  constexpr int kEvents = 60;
  for (int i = 0; i < kEvents; ++i) {
    pb::EventDetails d = Details(10, true, window + std::chrono::hours(i));
    d.set_description(emoji);
    d.set_title(std::string(120, 'T'));
    Create(d);
  }
  pb::ListEventsRequest req;
  *req.mutable_start_from() = At(window);
  *req.mutable_start_before() = At(window + std::chrono::hours(kEvents));
  req.set_page_size(100);
  std::set<std::string> seen;
  int pages = 0;
  for (;;) {
    pb::ListEventsResponse page;
    grpc::Status status = List(req, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_LE(page.ByteSizeLong(), 768u * 1024);
    for (const auto& e : page.events()) EXPECT_TRUE(seen.insert(e.event_id()).second);
    ++pages;
    if (page.next_page_token().empty()) break;
    req.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kEvents));
  EXPECT_GT(pages, 1);
}

TEST_F(EventsTest, ARevokedCoordinatorAndADeletedMemberAreRefusedAtOnce) {
  const std::string coordinator = NewMemberId(), member = NewMemberId();
  const std::string coordinator_token = Token(coordinator, {"coordinator"});
  const std::string member_token = Token(member, {"alumnus"});
  pb::CreateEventRequest create;
  *create.mutable_event() = Details(3);
  pb::CreateEventResponse created;
  ASSERT_TRUE(stub().CreateEvent(Ctx(coordinator_token).get(), create, &created).ok());
  pb::GetEventRequest get;
  get.set_event_id(created.event().event_id());
  pb::GetEventResponse got;
  ASSERT_TRUE(stub().GetEvent(Ctx(member_token).get(), get, &got).ok());  // remembered token

  alumni::membership::v1::MemberRoleRevoked revoked;
  revoked.set_member_id(coordinator);
  revoked.set_role("coordinator");
  *revoked.mutable_revoked_at() = TimeUtil::GetCurrentTime();
  PublishMembershipEvent(svc().membership_topic, coordinator, revoked, NewMemberId());
  alumni::membership::v1::MemberDeleted deleted;
  deleted.set_member_id(member);
  *deleted.mutable_deleted_at() = TimeUtil::GetCurrentTime();
  PublishMembershipEvent(svc().membership_topic, member, deleted, NewMemberId());

  EXPECT_TRUE(hc::testing::WaitFor(
      [&] {
        return stub().CreateEvent(Ctx(coordinator_token).get(), create, &created).error_code() ==
               grpc::StatusCode::UNAUTHENTICATED;
      },
      std::chrono::seconds(60)));
  EXPECT_TRUE(hc::testing::WaitFor(
      [&] {
        return stub().GetEvent(Ctx(member_token).get(), get, &got).error_code() ==
               grpc::StatusCode::UNAUTHENTICATED;
      },
      std::chrono::seconds(10)));
  // A token minted after the erasure passes the verifier, and the tombstone still refuses.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // a later whole second
  pb::RsvpRequest rsvp;
  rsvp.set_event_id(created.event().event_id());
  pb::RsvpResponse rsvp_resp;
  grpc::Status s = stub().Rsvp(Ctx(Token(member, {"alumnus"})).get(), rsvp, &rsvp_resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_EQ(Query("SELECT count(*) FROM rsvps WHERE member_id = '" + member + "'")[0][0].as<int>(),
            0);
}

TEST_F(EventsTest, AnErasureRacingTheMembersRsvpsLeavesNoRowOfThemAndLosesNoSeat) {
  // The leaver RSVPs and cancels on 12 small events from 6 threads while MemberDeleted arrives;
  // others hold seats and wait in line behind them.
  const std::string leaver = NewMemberId();
  std::vector<std::string> events;
  for (int i = 0; i < 12; ++i) {
    pb::Event e = Create(Details(2));
    events.push_back(e.event_id());
    ASSERT_TRUE(Rsvp(NewMemberId(), e.event_id()).ok());
  }
  std::atomic<bool> stop{false};
  std::atomic<int> succeeded{0}, refused{0}, unexpected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int i = 0; i < 400 && !stop; ++i) {
        const std::string& event_id = events[rng() % events.size()];
        grpc::Status s = (rng() % 3 == 0) ? CancelRsvp(leaver, event_id) : Rsvp(leaver, event_id);
        if (s.ok()) {
          ++succeeded;
        } else if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION ||
                   s.error_code() == grpc::StatusCode::NOT_FOUND ||
                   s.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
          ++refused;  // erased (or nothing to cancel)
        } else {
          ++unexpected;
        }
        if (i % 4 == 0) {
          EXPECT_TRUE(Rsvp(NewMemberId(), event_id).ok());  // the line grows
        }
      }
    });
  }
  ASSERT_TRUE(hc::testing::WaitFor([&] { return succeeded > 40; }, std::chrono::seconds(60)));
  alumni::membership::v1::MemberDeleted deleted;
  deleted.set_member_id(leaver);
  *deleted.mutable_deleted_at() = TimeUtil::GetCurrentTime();
  PublishMembershipEvent(svc().membership_topic, leaver, deleted, NewMemberId());
  ASSERT_TRUE(hc::testing::WaitFor(
      [&] {
        return Query("SELECT count(*) FROM token_revocations WHERE subject = '" + leaver +
                     "' AND erased")[0][0]
                   .as<int>() == 1;
      },
      std::chrono::seconds(60)));
  const int refused_before = refused;
  // Keep racing a little after the erasure committed: every write is refused now.
  ASSERT_TRUE(hc::testing::WaitFor([&] { return refused > refused_before + 20; },
                                   std::chrono::seconds(60)));
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(unexpected, 0);
  EXPECT_EQ(Query("SELECT count(*) FROM rsvps WHERE member_id = '" + leaver + "'")[0][0].as<int>(),
            0);
  // TearDown checks every event's counts against its rows.
}

TEST_F(EventsTest, CancellingAnEventOfTwentySixThousandPeopleEmitsBoundedFacts) {
  pb::Event e = Create(Details(10000));
  // The seats and the line filled straight in SQL (the RSVP path is tested elsewhere).
  Query(
      "INSERT INTO rsvps (event_id, member_id, status, waitlist_seq, created_at, updated_at) "
      "SELECT '" +
      e.event_id() +
      "', gen_random_uuid(), CASE WHEN g <= 10000 THEN 1 ELSE 2 "
      "END, CASE WHEN g <= 10000 THEN NULL ELSE g END, now(), now() "
      "FROM generate_series(1, 26000) g");
  Query(
      "UPDATE events SET going_count = 10000, waitlist_count = 16000, next_waitlist_seq = "
      "26001 WHERE event_id = '" +
      e.event_id() + "'");
  ASSERT_TRUE(CancelEvent(e.event_id()).ok());
  auto facts = Published(e.event_id(), 26, "alumni.events.v1.EventCancelled");
  ASSERT_EQ(facts.size(), 26u);
  std::set<std::string> told;
  for (size_t i = 0; i < facts.size(); ++i) {
    EXPECT_LT(facts[i].value.size(), 64u * 1024);
    pb::EventCancelled fact;
    ASSERT_TRUE(fact.ParseFromString(facts[i].value));
    EXPECT_EQ(fact.page(), static_cast<int>(i + 1));
    EXPECT_EQ(fact.page_count(), 26);
    for (const auto& id : fact.affected_member_ids()) told.insert(id);
  }
  EXPECT_EQ(told.size(), 26000u);
}

// --- Recurring series. ---

TEST_F(EventsTest, AWeeklySeriesHasOccurrencesEachRsvpableAndCanBeCancelledFromADateOn) {
  const auto window = QuietWindow();
  pb::ListEventsRequest list;
  *list.mutable_start_from() = At(window);
  *list.mutable_start_before() = At(window + std::chrono::hours(24 * 19));
  pb::ListEventsResponse before;
  ASSERT_TRUE(List(list, &before).ok());  // cached: nothing there yet
  ASSERT_EQ(before.events_size(), 0);

  pb::CreateEventRequest req;
  *req.mutable_event() = Details(1, true, window);
  req.mutable_recurrence()->set_frequency(pb::FREQUENCY_WEEKLY);
  req.mutable_recurrence()->set_count(3);
  pb::CreateEventResponse created;
  ASSERT_TRUE(stub().CreateEvent(Ctx(coordinator_).get(), req, &created).ok());
  ASSERT_EQ(created.event_ids_size(), 3);
  ASSERT_FALSE(created.series_id().empty());
  EXPECT_EQ(created.event().event_id(), created.event_ids(0));

  pb::ListEventsResponse after;
  ASSERT_TRUE(List(list, &after).ok());
  ASSERT_EQ(after.events_size(), 3) << "a listing cached before the series was created";
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(after.events(i).event_id(), created.event_ids(i));
    EXPECT_EQ(after.events(i).series_id(), created.series_id());
    // A week apart, give or take a daylight saving change.
    EXPECT_NEAR(after.events(i).start_time().seconds() - after.events(0).start_time().seconds(),
                i * 7 * 24 * 3600, 3600);
  }
  // Seats are per occurrence.
  const std::string a = NewMemberId(), b = NewMemberId();
  pb::Rsvp r;
  ASSERT_TRUE(Rsvp(a, created.event_ids(1), &r).ok());
  EXPECT_EQ(r.status(), pb::RSVP_STATUS_GOING);
  ASSERT_TRUE(Rsvp(b, created.event_ids(2), &r).ok());
  EXPECT_EQ(r.status(), pb::RSVP_STATUS_GOING);
  ASSERT_TRUE(Rsvp(b, created.event_ids(1), &r).ok());
  EXPECT_EQ(r.status(), pb::RSVP_STATUS_WAITLISTED);

  pb::CancelSeriesRequest cancel;
  cancel.set_series_id(created.series_id());
  *cancel.mutable_from() = after.events(1).start_time();
  pb::CancelSeriesResponse cancelled;
  ASSERT_TRUE(stub().CancelSeries(Ctx(coordinator_).get(), cancel, &cancelled).ok());
  EXPECT_THAT(cancelled.cancelled_event_ids(),
              ::testing::ElementsAre(created.event_ids(1), created.event_ids(2)));
  pb::Event read;
  ASSERT_TRUE(Get(created.event_ids(0), &read).ok());
  EXPECT_EQ(read.status(), pb::EVENT_STATUS_SCHEDULED);
  ASSERT_TRUE(Get(created.event_ids(2), &read).ok());
  EXPECT_EQ(read.status(), pb::EVENT_STATUS_CANCELLED);
  EXPECT_EQ(Rsvp(NewMemberId(), created.event_ids(1)).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(List(list, &after).ok());
  EXPECT_EQ(after.events_size(), 1);
  auto messages = Published(created.event_ids(2), 3);
  ASSERT_EQ(messages.size(), 3u);
  pb::EventCancelled event;
  ASSERT_TRUE(event.ParseFromString(messages[2].value));
  EXPECT_EQ(event.series_id(), created.series_id());
  EXPECT_THAT(event.affected_member_ids(), ::testing::ElementsAre(b));

  req.mutable_recurrence()->set_count(60);
  EXPECT_THAT(stub().CreateEvent(Ctx(coordinator_).get(), req, &created).error_message(),
              ::testing::StartsWith("recurrence.count:"));
  cancel.set_series_id(NewMemberId());
  EXPECT_EQ(stub().CancelSeries(Ctx(coordinator_).get(), cancel, &cancelled).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// ListEvents is registered raw (the near-cache's bytes answer a hit as they are); these read
// the wire itself.
constexpr char kListEventsMethod[] = "/alumni.events.v1.EventsService/ListEvents";

TEST_F(EventsTest, ANearCacheHitAnswersTheSameBytesAsTheMissThatLoadedIt) {
  const auto window = QuietWindow();
  for (int i = 0; i < 3; ++i) Create(Details(10, true, window + std::chrono::hours(i)));
  pb::ListEventsRequest req;
  *req.mutable_start_from() = At(window);
  *req.mutable_start_before() = At(window + std::chrono::hours(24));
  req.set_page_size(2);
  const std::string request = req.SerializeAsString();
  const std::string member = Token(NewMemberId(), {"alumnus"});

  // The first read loads from PostgreSQL; the near-cache fills from a later Redis hit.
  const auto [missed, hit, from_near_cache] = hc::testing::CallUntilNearCacheHit(
      svc().channel, kListEventsMethod, request, member, svc().app->metrics_port(), "event");
  ASSERT_TRUE(from_near_cache) << "no ListEvents call was answered from the near-cache";
  EXPECT_EQ(hit, missed) << "a near-cache hit answered other bytes than the miss";
  pb::ListEventsResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(hit));
  EXPECT_EQ(parsed.events_size(), 2);
  EXPECT_FALSE(parsed.next_page_token().empty());
}

TEST_F(EventsTest, ANearCacheHitOfGetEventAnswersTheSameBytesAsTheMissThatLoadedIt) {
  pb::Event e = Create(Details(10));
  pb::GetEventRequest req;
  req.set_event_id(e.event_id());
  const auto [missed, hit, from_near_cache] = hc::testing::CallUntilNearCacheHit(
      svc().channel, "/alumni.events.v1.EventsService/GetEvent", req.SerializeAsString(),
      Token(NewMemberId(), {"alumnus"}), svc().app->metrics_port(), "event");
  ASSERT_TRUE(from_near_cache) << "no GetEvent call was answered from the near-cache";
  EXPECT_EQ(hit, missed) << "a near-cache hit answered other bytes than the miss";
  pb::GetEventResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(hit));
  EXPECT_EQ(parsed.event().event_id(), e.event_id());
  EXPECT_EQ(parsed.event().title(), "Monthly alumni meeting");
}

TEST_F(EventsTest, AMalformedListRequestIsRefusedNamingTheField) {
  const auto window = QuietWindow();
  Create(Details(10, true, window));
  pb::ListEventsRequest req;
  *req.mutable_start_from() = At(window);
  const std::string member = Token(NewMemberId(), {"alumnus"});
  pb::ListEventsResponse resp;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(List(req, &resp, member).ok());  // cached

  auto refused = [&](const std::string& bytes, const std::string& token = "") {
    return hc::testing::RawUnaryCall(svc().channel, kListEventsMethod, bytes,
                                     token.empty() ? member : token, nullptr);
  };
  pb::ListEventsRequest bad_kind = req;
  bad_kind.add_kinds(static_cast<pb::EventKind>(99));
  grpc::Status s = refused(bad_kind.SerializeAsString());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::StartsWith("kinds:"));
  pb::ListEventsRequest huge = req;
  huge.set_page_size(1000);
  s = refused(huge.SerializeAsString());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::StartsWith("page_size:"));
  // Bytes that are no ListEventsRequest at all: field 1 says 127 bytes follow, none do.
  s = refused(std::string("\x0a\x7f", 2));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::StartsWith("request:"));
  // The cached page is never answered to a caller without a valid token.
  s = hc::testing::RawUnaryCall(svc().channel, kListEventsMethod, req.SerializeAsString(), "",
                                nullptr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

// Redis is a cache: with it gone, reads and writes go on, and reads stay fresh.
class EventsRedisDownTest : public EventsTest {
 protected:
  static void SetUpTestSuite() {}
  static void TearDownTestSuite() {}
  void SetUp() override {
    own_ = std::make_unique<Service>();
    svc_ = own_.get();
  }
  void TearDown() override { own_.reset(); }

  double CacheHits() {
    const std::string metrics = hc::testing::HttpGet(svc().app->metrics_port(), "/metrics");
    const std::string line = "hc_cache_requests_total{cache=\"event\",result=\"hit\"} ";
    auto at = metrics.find(line);
    return at == std::string::npos ? 0 : std::stod(metrics.substr(at + line.size()));
  }

  std::unique_ptr<Service> own_;
};

TEST_F(EventsRedisDownTest, ReadsStillSucceedAndStayFreshWithRedisStopped) {
  const auto window = QuietWindow();
  pb::Event e = Create(Details(3, true, window));
  pb::Event read;
  ASSERT_TRUE(Get(e.event_id(), &read).ok());  // cached
  svc().redis.Stop();
  ASSERT_TRUE(Get(e.event_id(), &read).ok());
  EXPECT_EQ(read.seats_left(), 3);
  ASSERT_TRUE(Rsvp(NewMemberId(), e.event_id()).ok());
  grpc::Status s = Get(e.event_id(), &read);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(read.seats_left(), 2);
  pb::ListEventsRequest req;
  *req.mutable_start_from() = At(window);
  *req.mutable_start_before() = At(window + std::chrono::hours(1));
  pb::ListEventsResponse list;
  ASSERT_TRUE(List(req, &list).ok());
  ASSERT_EQ(list.events_size(), 1);
  EXPECT_EQ(list.events(0).seats_left(), 2);
}

TEST_F(EventsRedisDownTest, ACountCachedBeforeAnOutageIsNotServedAfterIt) {
  pb::Event e = Create(Details(3));
  pb::Event read;
  ASSERT_TRUE(Get(e.event_id(), &read).ok());           // cached: 3 seats left
  svc().redis.Pause();                                  // keeps its data but stops answering
  ASSERT_TRUE(Rsvp(NewMemberId(), e.event_id()).ok());  // cannot drop the entry now
  ASSERT_TRUE(Get(e.event_id(), &read).ok());
  EXPECT_EQ(read.seats_left(), 2);
  const double hits_before = CacheHits();
  svc().redis.Resume();
  // The entry still in Redis says 3: the invalidation remembered during the outage must go
  // first. Keep reading until the cache serves again, and across Redis's retry pause.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_TRUE(Get(e.event_id(), &read).ok());
    ASSERT_EQ(read.seats_left(), 2);
  }
  EXPECT_GT(CacheHits(), hits_before);
}

}  // namespace
}  // namespace events

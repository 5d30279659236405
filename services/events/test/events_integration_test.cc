// events end to end in one process: the real gRPC server, PostgreSQL, Redis and Kafka.
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "alumni/events/v1/events_events.pb.h"
#include "alumni/events/v1/events_service.grpc.pb.h"
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

class EventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    topic_ = hc::testing::UniqueName("alumni.events.v1.test");
    ASSERT_TRUE(hc::kafka::EnsureTopics(hc::testing::KafkaBrokers(), {topic_}, 3,
                                        std::chrono::seconds(30))
                    .ok());
    redis_.Start();
    Settings s;
    s.grpc_address = "127.0.0.1:0";
    s.metrics_address = "127.0.0.1:0";
    s.database_url = db_.url();
    s.redis_address = redis_.address();
    s.kafka_brokers = hc::testing::KafkaBrokers();
    s.events_topic = topic_;
    s.jwt = {.algorithm = "HS256", .key = kSecret, .issuer = "hc-test"};
    // Enough workers and connections for 64 concurrent callers on 2 cores: RSVPs to one event
    // queue on its row lock anyway, so more would only add context switches.
    s.workers = 24;
    s.db_pool_size = 24;
    s.work_queue = 4096;
    app_ = std::make_unique<App>(s);
    ASSERT_TRUE(app_->Start().ok());
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(app_->grpc_port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = pb::EventsService::NewStub(channel_);
  }

  void TearDown() override {
    if (app_) app_->Shutdown();
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

  static pb::EventDetails Details(int capacity, bool waitlist = true) {
    pb::EventDetails d;
    d.set_title("Monthly alumni meeting");
    d.set_description("Coffee, stories, and a speaker.\nAll alumni welcome; bring a friend.");
    d.set_kind(pb::EVENT_KIND_ALUMNI_MEETING);
    auto start = std::chrono::system_clock::now() + std::chrono::hours(24 * 7);
    *d.mutable_start_time() = TimeUtil::TimeTToTimestamp(std::chrono::system_clock::to_time_t(start));
    *d.mutable_end_time() = TimeUtil::TimeTToTimestamp(
        std::chrono::system_clock::to_time_t(start + std::chrono::hours(2)));
    d.set_time_zone("America/Chicago");
    d.set_venue("Community room, 12 Elm St, Springfield");
    d.set_capacity(capacity);
    d.set_waitlist_enabled(waitlist);
    d.set_visibility(pb::VISIBILITY_MEMBERS);
    return d;
  }

  pb::Event Create(const pb::EventDetails& details) {
    pb::CreateEventRequest req;
    *req.mutable_event() = details;
    pb::CreateEventResponse resp;
    grpc::Status s = stub_->CreateEvent(Ctx(coordinator_).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.event();
  }

  grpc::Status Get(const std::string& event_id, pb::Event* out = nullptr) {
    pb::GetEventRequest req;
    req.set_event_id(event_id);
    pb::GetEventResponse resp;
    grpc::Status s = stub_->GetEvent(Ctx(coordinator_).get(), req, &resp);
    if (out) *out = resp.event();
    return s;
  }

  grpc::Status Rsvp(const std::string& member_id, const std::string& event_id,
                    pb::Rsvp* out = nullptr) {
    pb::RsvpRequest req;
    req.set_event_id(event_id);
    pb::RsvpResponse resp;
    grpc::Status s = stub_->Rsvp(Ctx(Token(member_id, {"alumnus"})).get(), req, &resp);
    if (out) *out = resp.rsvp();
    return s;
  }

  grpc::Status CancelRsvp(const std::string& member_id, const std::string& event_id,
                          pb::Rsvp* out = nullptr) {
    pb::CancelRsvpRequest req;
    req.set_event_id(event_id);
    pb::CancelRsvpResponse resp;
    grpc::Status s = stub_->CancelRsvp(Ctx(Token(member_id, {"alumnus"})).get(), req, &resp);
    if (out) *out = resp.rsvp();
    return s;
  }

  // The events of one event id that reached Kafka, in order.
  std::vector<hc::kafka::Message> Published(const std::string& event_id, size_t count,
                                            const std::string& ce_type = "") {
    return hc::testing::ReadTopic(
        hc::testing::KafkaBrokers(), topic_, count, std::chrono::seconds(60),
        [&](const hc::kafka::Message& m) {
          return m.key == event_id && (ce_type.empty() || m.Header("ce_type") == ce_type);
        });
  }

  hc::testing::TestDatabase db_{"events"};
  hc::testing::RedisServer redis_;
  std::string topic_;
  std::unique_ptr<App> app_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::EventsService::Stub> stub_;
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
  EXPECT_EQ(stub_->CreateEvent(Ctx(Token(NewMemberId(), {"alumnus"})).get(), req, &resp)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->CreateEvent(Ctx("").get(), req, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  auto create_error = [&](auto mutate) {
    pb::CreateEventRequest r;
    *r.mutable_event() = Details(10);
    mutate(*r.mutable_event());
    pb::CreateEventResponse out;
    grpc::Status s = stub_->CreateEvent(Ctx(coordinator_).get(), r, &out);
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
  const std::string a = NewMemberId(), b = NewMemberId(), c = NewMemberId(),
                    d = NewMemberId();
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
  EXPECT_EQ(stub_->Rsvp(Ctx(coordinator_).get(), req, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->Rsvp(Ctx("").get(), req, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
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
  std::string metrics = hc::testing::HttpGet(app_->metrics_port(), "/metrics");
  // The cache was really in use (hits) while every read above was fresh.
  EXPECT_THAT(metrics, ::testing::ContainsRegex(
                           "hc_cache_requests_total\\{cache=\"event\",result=\"hit\"\\} [1-9]"));
}

}  // namespace
}  // namespace events

// The edge end to end in one process: its HTTP server in front of the REAL events service
// (PostgreSQL, Redis, Kafka), a fake notifications service for the inbox stream, and a test
// SessionAuthority that mints tokens with the events service's test key.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "alumni/notifications/v1/notifications_service.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "libs/auth/auth.h"
#include "libs/redis/connection.h"
#include "libs/testing/testing.h"
#include "services/edge/src/http/edge_server.h"
#include "services/edge/src/http/redis_rate_limiter.h"
#include "services/events/src/app.h"

namespace edge {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const std::string kSecret = "edge-integration-test-secret-0123456789";

std::string NewMemberId() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx";
  for (char& c : id) {
    if (c == 'x') c = kHex[rng() & 0xf];
  }
  return id;
}

// Sessions by cookie value, tokens minted with the test key (the sign-in side does this for
// real).
class TestSessions : public session::SessionAuthority {
 public:
  // A new session for a new member; returns the cookie value.
  std::string Add(std::vector<std::string> roles) {
    std::lock_guard lock(mu_);
    const std::string cookie = "cookie-" + NewMemberId();
    sessions_[cookie] = {.id = "session-" + NewMemberId(),
                         .member_id = NewMemberId(),
                         .roles = std::move(roles),
                         .csrf_token = "csrf-" + NewMemberId(),
                         .expires_at = std::chrono::system_clock::now() + std::chrono::hours(1)};
    return cookie;
  }
  session::Session Get(const std::string& cookie) {
    std::lock_guard lock(mu_);
    return sessions_.at(cookie);
  }

  absl::StatusOr<session::Session> Find(std::string_view cookie_value) override {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(std::string(cookie_value));
    if (it == sessions_.end()) return absl::UnauthenticatedError("no such session");
    return it->second;
  }
  // The next `count` tokens of the session of `cookie` are ones the services refuse (signed
  // with a key they don't know), as a token minted before a role revocation would be.
  void RefuseTokens(const std::string& cookie, int count) {
    std::lock_guard lock(mu_);
    refused_[sessions_.at(cookie).id] = count;
  }
  int forgotten() const { return forgotten_.load(); }

  void ForgetToken(const session::Session&) override { ++forgotten_; }
  absl::StatusOr<std::string> AccessToken(const session::Session& s) override {
    bool refused = false;
    {
      std::lock_guard lock(mu_);
      auto it = refused_.find(s.id);
      if (it != refused_.end() && it->second > 0) {
        --it->second;
        refused = true;
      }
    }
    return hc::auth::Mint({.algorithm = "HS256",
                           .key = refused ? "a-key-no-service-knows-0123456789" : kSecret,
                           .issuer = "hc-test",
                           .subject = s.member_id,
                           .roles = s.roles,
                           .ttl = std::chrono::seconds(600)});
  }

 private:
  std::mutex mu_;
  std::map<std::string, session::Session> sessions_;
  std::map<std::string, int> refused_;
  std::atomic<int> forgotten_{0};
};

// StreamInbox that says where the inbox stands, then waits until the caller goes away and
// records that it did.
class FakeNotifications final : public alumni::notifications::v1::NotificationsService::Service {
 public:
  grpc::Status StreamInbox(
      grpc::ServerContext* context, const alumni::notifications::v1::StreamInboxRequest*,
      grpc::ServerWriter<alumni::notifications::v1::StreamInboxResponse>* writer) override {
    alumni::notifications::v1::StreamInboxResponse first;
    first.set_unread_count(3);
    writer->Write(first);
    ++open;
    hc::testing::WaitFor([&] { return context->IsCancelled(); }, std::chrono::seconds(30),
                         std::chrono::milliseconds(5));
    if (context->IsCancelled()) ++cancelled;
    --open;
    return grpc::Status::OK;
  }
  // Answers only when the caller's deadline has passed (or it gave up): shows the deadline
  // the edge forwarded.
  grpc::Status UnreadCount(grpc::ServerContext* context,
                           const alumni::notifications::v1::UnreadCountRequest*,
                           alumni::notifications::v1::UnreadCountResponse*) override {
    hc::testing::WaitFor([&] { return context->IsCancelled(); }, std::chrono::seconds(30),
                         std::chrono::milliseconds(5));
    return grpc::Status::OK;
  }
  std::atomic<int> open{0};
  std::atomic<int> cancelled{0};
};

// gRPC health for the fake notifications server, counting the checks it answers.
class CountingHealth final : public grpc::health::v1::Health::Service {
 public:
  grpc::Status Check(grpc::ServerContext*, const grpc::health::v1::HealthCheckRequest*,
                     grpc::health::v1::HealthCheckResponse* response) override {
    ++checks;
    response->set_status(grpc::health::v1::HealthCheckResponse::SERVING);
    return grpc::Status::OK;
  }
  std::atomic<int> checks{0};
};

struct Stack {
  Stack() {
    topic = hc::testing::UniqueName("alumni.events.v1.edgetest");
    membership_topic = hc::testing::UniqueName("alumni.membership.v1.edgetest");
    if (!hc::kafka::EnsureTopics(hc::testing::KafkaBrokers(), {topic, membership_topic}, 1,
                                 std::chrono::seconds(30))
             .ok()) {
      throw std::runtime_error("cannot create topic " + topic);
    }
    events::Settings s;
    s.service.server.address = "127.0.0.1:0";
    s.service.metrics_address = "127.0.0.1:0";
    s.service.database_url = db.url();
    s.service.redis_address = hc::testing::RedisAddress();
    s.service.kafka_brokers = hc::testing::KafkaBrokers();
    s.service.jwt = {.algorithm = "HS256", .key = kSecret, .issuer = "hc-test"};
    s.service.workers = 8;
    s.service.db_pool_size = 8;
    s.events_topic = topic;
    s.membership_topic = membership_topic;
    s.consumer_group = hc::testing::UniqueName("events-edgetest");
    events_app = std::make_unique<events::App>(s);
    if (absl::Status started = events_app->Start(); !started.ok()) {
      throw std::runtime_error("events did not start: " + started.ToString());
    }

    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &fake_port);
    builder.RegisterService(&fake_notifications);
    builder.RegisterService(&fake_health);
    fake_server = builder.BuildAndStart();

    const std::string events_address = "127.0.0.1:" + std::to_string(events_app->grpc_port());
    // Nothing listens on membership's and volunteering's ports: those calls must fail fast.
    const std::string nowhere = "127.0.0.1:" + std::to_string(hc::testing::FreePort());
    backends.events = grpc::CreateChannel(events_address, grpc::InsecureChannelCredentials());
    backends.membership = grpc::CreateChannel(nowhere, grpc::InsecureChannelCredentials());
    backends.volunteering = backends.membership;
    backends.notifications = grpc::CreateChannel("127.0.0.1:" + std::to_string(fake_port),
                                                 grpc::InsecureChannelCredentials());

    std::filesystem::create_directories(web_dir + "/assets");
    std::ofstream(web_dir + "/index.html") << "<!doctype html><title>Homecoming</title>";
    std::ofstream(web_dir + "/assets/app-1a2b3c.js") << "console.log('hi');";
    std::ofstream(web_dir + "/favicon.svg") << "<svg/>";
    settings.web_dir = web_dir;
    settings.http_address = "127.0.0.1:0";
    settings.public_url = "http://edge.test";
    settings.threads = 8;
    settings.max_streams = 1;
    settings.stream_heartbeat = std::chrono::milliseconds(50);
    settings.max_body_bytes = 4096;
    settings.ip_rate_per_minute = 1000000;
    settings.session_rate_per_minute = 1000000;
    rate_limiter = std::make_unique<http::RedisRateLimiter>(
        http::RedisRateLimiterOptions{.connection = {.address = hc::testing::RedisAddress()}},
        registry);
    server =
        std::make_unique<http::EdgeServer>(settings, sessions, *rate_limiter, backends, registry);
    if (absl::Status started = server->Start(); !started.ok()) {
      throw std::runtime_error("edge did not start: " + started.ToString());
    }
  }
  ~Stack() {
    if (server) server->Stop();
    if (fake_server) fake_server->Shutdown(std::chrono::system_clock::now());
    if (events_app) events_app->Shutdown();
    std::filesystem::remove_all(web_dir);
  }

  std::string web_dir = "/tmp/" + hc::testing::UniqueName("edge-web-");

  hc::testing::TestDatabase db{"edge_events"};
  std::string topic;
  std::string membership_topic;
  std::unique_ptr<events::App> events_app;
  FakeNotifications fake_notifications;
  CountingHealth fake_health;
  int fake_port = 0;
  std::unique_ptr<grpc::Server> fake_server;
  gateway::Backends backends;
  Settings settings;
  prometheus::Registry registry;
  TestSessions sessions;
  std::unique_ptr<http::RedisRateLimiter> rate_limiter;
  std::unique_ptr<http::EdgeServer> server;
};

class EdgeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { shared_ = new Stack(); }
  static void TearDownTestSuite() {
    delete shared_;
    shared_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(shared_, nullptr) << "the stack did not start"; }

  Stack& stack() { return *shared_; }
  httplib::Client Client() {
    httplib::Client client("127.0.0.1", stack().server->port());
    client.set_read_timeout(std::chrono::seconds(20));
    return client;
  }

  // A Connect call as the web app makes it, for the session of `cookie` ("" for none).
  httplib::Result Call(const std::string& method, const std::string& body,
                       const std::string& cookie, httplib::Headers extra = {}) {
    httplib::Headers headers = std::move(extra);
    if (!cookie.empty()) {
      headers.emplace("Cookie", std::string(session::kCookieName) + "=" + cookie);
      if (!headers.contains("X-CSRF-Token")) {
        headers.emplace("X-CSRF-Token", stack().sessions.Get(cookie).csrf_token);
      }
    }
    return Client().Post(("/" + method).c_str(), headers, body, "application/json");
  }

  static json Body(const httplib::Result& r) { return json::parse(r->body); }

  // The line of the metrics text that starts with `series`, or "" (short failure messages).
  std::string Series(const std::string& series) {
    const std::string text = Metrics();
    for (size_t at = 0; at < text.size();) {
      const size_t end = std::min(text.find('\n', at), text.size());
      if (text.compare(at, series.size(), series) == 0) return text.substr(at, end - at);
      at = end + 1;
    }
    return "";
  }

  std::string Metrics() {
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, stack().registry.Collect());
    return out.str();
  }

  // JSON EventDetails for an event next month.
  static std::string NewEventJson(int capacity) {
    const auto start = std::chrono::floor<std::chrono::hours>(std::chrono::system_clock::now()) +
                       std::chrono::hours(24 * 30);
    auto stamp = [](std::chrono::system_clock::time_point t) {
      return google::protobuf::util::TimeUtil::ToString(
          google::protobuf::util::TimeUtil::SecondsToTimestamp(
              std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count()));
    };
    return json{{"event",
                 {{"title", "Sunday brunch"},
                  {"kind", "EVENT_KIND_SOBER_SOCIAL"},
                  {"startTime", stamp(start)},
                  {"endTime", stamp(start + std::chrono::hours(2))},
                  {"timeZone", "America/Chicago"},
                  {"venue", "Community room"},
                  {"capacity", capacity},
                  {"waitlistEnabled", true},
                  {"visibility", "VISIBILITY_MEMBERS"}}}}
        .dump();
  }

  static inline Stack* shared_ = nullptr;
};

constexpr char kEvents[] = "alumni.events.v1.EventsService/";

TEST_F(EdgeTest, CoordinatorCreatesAndAlumnaRsvpsThroughConnectJson) {
  const std::string coordinator = stack().sessions.Add({"coordinator"});
  const std::string alumna = stack().sessions.Add({"alumnus"});

  auto created = Call(std::string(kEvents) + "CreateEvent", NewEventJson(1), coordinator);
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 200) << created->body;
  EXPECT_EQ(created->get_header_value("Content-Type"), "application/json");
  const json event = Body(created)["event"];
  const std::string event_id = event["eventId"];
  ASSERT_FALSE(event_id.empty());
  EXPECT_EQ(event["kind"], "EVENT_KIND_SOBER_SOCIAL");  // enums by name
  // Zero values are printed, so the app never guesses.
  EXPECT_EQ(event["goingCount"], 0);
  EXPECT_EQ(event["seriesId"], "");
  EXPECT_EQ(event["seatsLeft"], 1);

  // Original field names are accepted too.
  auto rsvp = Call(std::string(kEvents) + "Rsvp", json{{"event_id", event_id}}.dump(), alumna);
  ASSERT_TRUE(rsvp);
  ASSERT_EQ(rsvp->status, 200) << rsvp->body;
  EXPECT_EQ(Body(rsvp)["rsvp"]["status"], "RSVP_STATUS_GOING");
  EXPECT_EQ(Body(rsvp)["rsvp"]["memberId"], stack().sessions.Get(alumna).member_id);
  EXPECT_EQ(Body(rsvp)["rsvp"]["waitlistPosition"], 0);

  auto got = Call(std::string(kEvents) + "GetEvent", json{{"eventId", event_id}}.dump(), alumna);
  ASSERT_TRUE(got);
  EXPECT_EQ(Body(got)["event"]["seatsLeft"], 0);
  EXPECT_EQ(Body(got)["event"]["goingCount"], 1);

  // RED metrics by RPC name (never a raw path), and the backend call by go-grpc-prometheus
  // names.
  EXPECT_EQ(Series("http_requests_total{code=\"200\",method=\"POST\",route=\""
                   "alumni.events.v1.EventsService.Rsvp\"}"),
            "http_requests_total{code=\"200\",method=\"POST\",route=\""
            "alumni.events.v1.EventsService.Rsvp\"} 1");
  EXPECT_EQ(Series("grpc_client_handled_total{grpc_code=\"OK\",grpc_method=\"Rsvp\","
                   "grpc_service=\"alumni.events.v1.EventsService\",grpc_type=\"unary\"}"),
            "grpc_client_handled_total{grpc_code=\"OK\",grpc_method=\"Rsvp\","
            "grpc_service=\"alumni.events.v1.EventsService\",grpc_type=\"unary\"} 1");
  EXPECT_NE(Series("http_request_duration_seconds_count{route=\""
                   "alumni.events.v1.EventsService.GetEvent\"}"),
            "");
}

TEST_F(EdgeTest, BackendErrorsBecomeConnectErrors) {
  const std::string alumna = stack().sessions.Add({"alumnus"});
  auto missing =
      Call(std::string(kEvents) + "GetEvent", json{{"eventId", NewMemberId()}}.dump(), alumna);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(Body(missing)["code"], "not_found");

  auto unknown_field = Call(std::string(kEvents) + "GetEvent", R"({"eventIdd":"x"})", alumna);
  ASSERT_TRUE(unknown_field);
  EXPECT_EQ(unknown_field->status, 400);
  EXPECT_EQ(Body(unknown_field)["code"], "invalid_argument");
  EXPECT_THAT(Body(unknown_field)["message"].get<std::string>(), HasSubstr("eventIdd"));

  auto not_json = Call(std::string(kEvents) + "GetEvent", "{", alumna);
  ASSERT_TRUE(not_json);
  EXPECT_EQ(not_json->status, 400);

  auto bad_timeout =
      Call(std::string(kEvents) + "ListEvents", "{}", alumna, {{"Connect-Timeout-Ms", "soon"}});
  ASSERT_TRUE(bad_timeout);
  EXPECT_EQ(bad_timeout->status, 400);
}

TEST_F(EdgeTest, ARefusedTokenIsForgottenAndTheCallRetriedOnce) {
  const std::string alumna = stack().sessions.Add({"alumnus"});
  const std::string method = std::string(kEvents) + "ListMyRsvps";
  const int forgotten_before = stack().sessions.forgotten();
  stack().sessions.RefuseTokens(alumna, 1);
  auto retried = Call(method, "{}", alumna);
  ASSERT_TRUE(retried);
  EXPECT_EQ(retried->status, 200) << retried->body;
  EXPECT_EQ(stack().sessions.forgotten(), forgotten_before + 1);

  // Refused again with the fresh token: that is the answer, no third try.
  const std::string refusals =
      "grpc_client_handled_total{grpc_code=\"Unauthenticated\",grpc_method=\"ListMyRsvps\"";
  auto count = [&] {
    const std::string line = Series(refusals);
    return line.empty() ? 0 : std::stoi(line.substr(line.rfind(' ') + 1));
  };
  const int refusals_before = count();
  stack().sessions.RefuseTokens(alumna, 5);
  auto refused = Call(method, "{}", alumna);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  EXPECT_EQ(Body(refused)["code"], "unauthenticated");
  EXPECT_EQ(stack().sessions.forgotten(), forgotten_before + 2);
  EXPECT_EQ(count(), refusals_before + 2);
}

TEST_F(EdgeTest, OnlyPublicRpcsAndOnlyStaffForStaffRpcs) {
  const std::string alumnus = stack().sessions.Add({"alumnus"});
  for (const std::string method : {"alumni.membership.v1.MembershipService/GetContact",
                                   "alumni.membership.v1.MembershipService/CheckEligibility",
                                   "alumni.membership.v1.MembershipService/GetDisplayNames",
                                   "alumni.membership.v1.MembershipService/ResolveSignIn",
                                   "alumni.notifications.v1.NotificationsService/StreamInbox",
                                   "grpc.health.v1.Health/Check"}) {
    auto r = Call(method, "{}", alumnus);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404) << method;
    EXPECT_EQ(Body(r)["code"], "unimplemented") << method;
  }
  const std::string created = "grpc_client_handling_seconds_count{grpc_method=\"CreateEvent\"";
  const std::string backend_calls_before = Series(created);
  auto staff_only = Call(std::string(kEvents) + "CreateEvent", NewEventJson(5), alumnus);
  ASSERT_TRUE(staff_only);
  EXPECT_EQ(staff_only->status, 403);
  EXPECT_EQ(Body(staff_only)["code"], "permission_denied");
  // Refused at the edge: the backend never saw it.
  EXPECT_EQ(Series(created), backend_calls_before);
}

TEST_F(EdgeTest, SessionsCsrfAndOriginAreChecked) {
  const std::string alumna = stack().sessions.Add({"alumnus"});
  const std::string method = std::string(kEvents) + "ListMyRsvps";

  auto no_session = Call(method, "{}", "");
  ASSERT_TRUE(no_session);
  EXPECT_EQ(no_session->status, 401);
  EXPECT_EQ(Body(no_session)["code"], "unauthenticated");

  auto forged = Call(method, "{}", "", {{"Cookie", "hc_session=forged"}});
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 401);

  auto wrong_csrf = Call(method, "{}", alumna, {{"X-CSRF-Token", "guess"}});
  ASSERT_TRUE(wrong_csrf);
  EXPECT_EQ(wrong_csrf->status, 403);
  EXPECT_EQ(Body(wrong_csrf)["code"], "permission_denied");

  auto cross_site = Call(method, "{}", alumna, {{"Origin", "https://evil.example"}});
  ASSERT_TRUE(cross_site);
  EXPECT_EQ(cross_site->status, 403);
  auto fetch_cross_site = Call(method, "{}", alumna, {{"Sec-Fetch-Site", "cross-site"}});
  ASSERT_TRUE(fetch_cross_site);
  EXPECT_EQ(fetch_cross_site->status, 403);

  // Same-origin means the configured public origin (HC_EDGE_PUBLIC_URL) ...
  auto same_origin =
      Call(method, "{}", alumna,
           {{"Origin", stack().settings.public_url}, {"Sec-Fetch-Site", "same-origin"}});
  ASSERT_TRUE(same_origin);
  EXPECT_EQ(same_origin->status, 200) << same_origin->body;
  EXPECT_EQ(Body(same_origin)["rsvps"], json::array());
  // ... not whatever the Host header names (a DNS-rebinding page sends its own).
  const std::string host_origin = "http://127.0.0.1:" + std::to_string(stack().server->port());
  auto host_only = Call(method, "{}", alumna, {{"Origin", host_origin}});
  ASSERT_TRUE(host_only);
  EXPECT_EQ(host_only->status, 403);
}

TEST_F(EdgeTest, EveryResponseCarriesTheSecurityHeaders) {
  const std::string alumna = stack().sessions.Add({"alumnus"});
  auto api = Call(std::string(kEvents) + "ListMyRsvps", "{}", alumna);
  auto page = Client().Get("/events/123");
  auto missing = Client().Get("/auth/nothing-here");
  for (const httplib::Result* r : {&api, &page, &missing}) {
    ASSERT_TRUE(*r);
    EXPECT_THAT((*r)->get_header_value("Content-Security-Policy"), HasSubstr("script-src 'self'"));
    EXPECT_THAT((*r)->get_header_value("Content-Security-Policy"),
                HasSubstr("frame-ancestors 'none'"));
    EXPECT_EQ((*r)->get_header_value("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ((*r)->get_header_value("X-Frame-Options"), "DENY");
    EXPECT_EQ((*r)->get_header_value("Referrer-Policy"), "same-origin");
    EXPECT_FALSE((*r)->has_header("Strict-Transport-Security"));  // no TLS here
    EXPECT_FALSE((*r)->has_header("Access-Control-Allow-Origin"));
    EXPECT_FALSE((*r)->get_header_value("X-Request-Id").empty());
  }
  EXPECT_EQ(missing->status, 404);
}

TEST_F(EdgeTest, OversizedBodiesAreRefused) {
  const std::string alumna = stack().sessions.Add({"alumnus"});
  const std::string big = R"({"eventId":")" + std::string(8000, 'a') + R"("})";
  auto r = Call(std::string(kEvents) + "GetEvent", big, alumna);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(Body(r)["code"], "resource_exhausted");
}

TEST_F(EdgeTest, ConnectTimeoutBecomesTheBackendDeadline) {
  const std::string alumna = stack().sessions.Add({"alumnus"});
  const auto started = std::chrono::steady_clock::now();
  auto r = Call("alumni.notifications.v1.NotificationsService/UnreadCount", "{}", alumna,
                {{"Connect-Timeout-Ms", "200"}});
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504);
  EXPECT_EQ(Body(r)["code"], "deadline_exceeded");
  EXPECT_GE(took, std::chrono::milliseconds(190));
  EXPECT_LT(took, std::chrono::seconds(5));  // not the 10 s default, nor the fake's 30 s
}

TEST_F(EdgeTest, HealthNamesTheBackendsThatDontAnswer) {
  auto r = Client().Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  // events is up; nothing listens for membership and volunteering.
  EXPECT_THAT(r->body, HasSubstr("membership"));
  EXPECT_THAT(r->body, HasSubstr("volunteering"));
  EXPECT_THAT(r->body, ::testing::Not(HasSubstr("events")));
}

TEST_F(EdgeTest, HealthAsksTheBackendsAtMostOnceASecond) {
  const int before = stack().fake_health.checks.load();
  for (int i = 0; i < 10; ++i) {
    auto r = Client().Get("/healthz");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);  // membership and volunteering are down
  }
  // Ten requests within a second or two (they may straddle the cached answer's end): one or
  // two checks of the backends, not ten.
  EXPECT_GE(stack().fake_health.checks.load() - before, 0);
  EXPECT_LE(stack().fake_health.checks.load() - before, 2);
}

// httplib answers an over-long URI (414) before routing: that answer must not carry the
// previous request's state (its status, its request id) on the same connection.
TEST_F(EdgeTest, AnOverLongUriAfterARefusalGets414WithAFreshRequestId) {
  const std::string alumna = stack().sessions.Add({"alumnus"});
  httplib::Client client("127.0.0.1", stack().server->port());
  client.set_keep_alive(true);
  const std::string path = std::string("/") + kEvents + "ListMyRsvps";
  auto refused = client.Post(path.c_str(),
                             {{"Cookie", "hc_session=" + alumna},
                              {"Origin", "https://evil.example"},
                              {"X-Request-Id", "the-refused-one"}},
                             "{}", "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_EQ(refused->get_header_value("X-Request-Id"), "the-refused-one");
  auto too_long = client.Get(("/" + std::string(10000, 'a')).c_str());
  ASSERT_TRUE(too_long) << httplib::to_string(too_long.error());
  EXPECT_EQ(too_long->status, 414);
  const std::string id = too_long->get_header_value("X-Request-Id");
  EXPECT_FALSE(id.empty());
  EXPECT_NE(id, "the-refused-one");
  EXPECT_THAT(too_long->get_header_value("Content-Security-Policy"), HasSubstr("default-src"));
}

TEST_F(EdgeTest, ABackendThatIsDownAnswers503Quickly) {
  const std::string alumna = stack().sessions.Add({"alumnus"});
  const auto started = std::chrono::steady_clock::now();
  auto r = Call("alumni.membership.v1.MembershipService/ListInterestTags", "{}", alumna);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(Body(r)["code"], "unavailable");
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST_F(EdgeTest, InboxStreamRelaysEventsAndCancelsTheCallWhenTheBrowserLeaves) {
  const std::string alumna = stack().sessions.Add({"alumnus"});
  const httplib::Headers cookie = {{"Cookie", "hc_session=" + alumna}};
  FakeNotifications& fake = stack().fake_notifications;
  const int cancelled_before = fake.cancelled.load();

  auto unauthenticated = Client().Get("/stream/inbox");
  ASSERT_TRUE(unauthenticated);
  EXPECT_EQ(unauthenticated->status, 401);

  std::string received;
  std::atomic<bool> leave{false};
  std::thread browser([&] {
    Client().Get("/stream/inbox", cookie, [&](const char* data, size_t length) {
      received.append(data, length);
      return !leave.load();  // false: the browser closes the connection
    });
  });
  ASSERT_TRUE(
      hc::testing::WaitFor([&] { return fake.open.load() == 1; }, std::chrono::seconds(10)));

  // The cap (one stream here) is full: the next one is refused, not queued.
  auto second = Client().Get("/stream/inbox", cookie);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 503);
  EXPECT_EQ(Body(second)["code"], "unavailable");

  leave = true;
  browser.join();
  EXPECT_THAT(received, HasSubstr("event: inbox\ndata: {\"unreadCount\":3}\n\n"));
  // The browser went away: the edge cancelled the gRPC call instead of leaving it open.
  EXPECT_TRUE(hc::testing::WaitFor([&] { return fake.cancelled.load() == cancelled_before + 1; },
                                   std::chrono::seconds(10)));
  EXPECT_TRUE(
      hc::testing::WaitFor([&] { return fake.open.load() == 0; }, std::chrono::seconds(10)));
}

TEST_F(EdgeTest, OneMemberCannotTakeEveryInboxStream) {
  Settings capped = stack().settings;
  capped.max_streams = 3;
  capped.max_streams_per_member = 1;
  prometheus::Registry registry;
  http::EdgeServer edge(capped, stack().sessions, *stack().rate_limiter, stack().backends,
                        registry);
  ASSERT_TRUE(edge.Start().ok());
  const std::string alumna = stack().sessions.Add({"alumnus"});
  const std::string alumnus = stack().sessions.Add({"alumnus"});
  FakeNotifications& fake = stack().fake_notifications;
  const int open_before = fake.open.load();
  std::atomic<bool> leave{false};
  auto browser = [&](const std::string& cookie) {
    return std::thread([&, cookie] {
      httplib::Client c("127.0.0.1", edge.port());
      c.Get("/stream/inbox", {{"Cookie", "hc_session=" + cookie}},
            [&](const char*, size_t) { return !leave.load(); });
    });
  };
  std::thread first = browser(alumna);
  ASSERT_TRUE(hc::testing::WaitFor([&] { return fake.open.load() == open_before + 1; },
                                   std::chrono::seconds(10)));
  httplib::Client client("127.0.0.1", edge.port());
  auto second = client.Get("/stream/inbox", {{"Cookie", "hc_session=" + alumna}});
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 429);
  EXPECT_EQ(Body(second)["code"], "resource_exhausted");
  EXPECT_FALSE(second->get_header_value("Retry-After").empty());
  // Another member still gets theirs: the cap is per member, not a global one reached.
  std::thread other = browser(alumnus);
  EXPECT_TRUE(hc::testing::WaitFor([&] { return fake.open.load() == open_before + 2; },
                                   std::chrono::seconds(10)));
  leave = true;
  first.join();
  other.join();
  EXPECT_TRUE(hc::testing::WaitFor([&] { return fake.open.load() == open_before; },
                                   std::chrono::seconds(10)));
  edge.Stop();
}

// A browser's event stream over a raw socket, so the test decides when the connection closes
// (as a page that is left closes it) and nothing else writes to it.
class RawStream {
 public:
  // Over TLS when `ca_file` names the CA that signed the edge's certificate.
  RawStream(int port, const std::string& cookie, const std::string& ca_file = "") {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return;
    if (!ca_file.empty() && !StartTls(ca_file)) {
      Close();
      return;
    }
    // Over TLS only the __Host- cookie counts.
    const std::string_view cookie_name =
        ca_file.empty() ? session::kCookieName : session::kSecureCookieName;
    const std::string request =
        "GET /stream/inbox HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + std::string(cookie_name) +
        "=" + cookie + "\r\nAccept: text/event-stream\r\n\r\n";
    const ssize_t sent = ssl_ != nullptr
                             ? SSL_write(ssl_, request.data(), static_cast<int>(request.size()))
                             : send(fd_, request.data(), request.size(), MSG_NOSIGNAL);
    if (sent != static_cast<ssize_t>(request.size())) Close();
  }
  ~RawStream() {
    Close();
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  }
  RawStream(const RawStream&) = delete;
  RawStream& operator=(const RawStream&) = delete;

  // Reads until `text` has arrived (true) or `timeout` passed or the edge closed (false).
  bool ReadUntil(std::string_view text, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (received_.find(text) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (fd_ < 0 || left.count() <= 0) return false;
      // TLS may hold decrypted bytes the socket no longer shows as readable.
      if (ssl_ == nullptr || SSL_pending(ssl_) == 0) {
        pollfd polled{.fd = fd_, .events = POLLIN, .revents = 0};
        if (poll(&polled, 1, static_cast<int>(left.count())) <= 0) return false;
      }
      char buffer[4096];
      const ssize_t got = ssl_ != nullptr ? SSL_read(ssl_, buffer, sizeof buffer)
                                          : recv(fd_, buffer, sizeof buffer, 0);
      if (got <= 0) {
        // A TLS record not yet whole: wait for the rest.
        if (ssl_ != nullptr && SSL_get_error(ssl_, static_cast<int>(got)) == SSL_ERROR_WANT_READ) {
          continue;
        }
        return false;
      }
      received_.append(buffer, static_cast<size_t>(got));
    }
    return true;
  }
  // The response's status code (0 when no head came within 10 s).
  int Status() {
    if (!ReadUntil("\r\n\r\n", std::chrono::seconds(10))) return 0;
    int status = 0;
    return absl::SimpleAtoi(received_.substr(9, 3), &status) ? status : 0;
  }
  // An open stream: 200 and the inbox's first event relayed.
  bool Streaming() {
    return Status() == 200 && ReadUntil("event: inbox", std::chrono::seconds(10));
  }
  // As a browser tab that goes away: the socket closes, with no TLS close_notify first.
  void Close() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    ssl_ = nullptr;
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  bool StartTls(const std::string& ca_file) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (ctx_ == nullptr || SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr) != 1) {
      return false;
    }
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(ctx_);
    return ssl_ != nullptr && SSL_set_fd(ssl_, fd_) == 1 && SSL_connect(ssl_) == 1;
  }

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string received_;
};

// A member's cap of 3 streams, and heartbeats 30 s apart: a slot that comes back sooner came
// back because the edge saw the connection close, not because a heartbeat's write failed.
Settings StreamSlotSettings(const Settings& base) {
  Settings settings = base;
  settings.max_streams = 10;
  settings.max_streams_per_member = 3;
  settings.stream_heartbeat = std::chrono::seconds(30);
  return settings;
}

// Three streams of one member fill the cap; one closes (no request of any kind follows); a
// new one is served within a second, found by the edge's own watch on the connection (the
// socket's fd, which over TLS comes from the TLS session). `ca_file` empty: plain HTTP.
void ExpectAClosedStreamGivesItsSlotBackWithinASecond(Stack& stack, const Settings& settings,
                                                      const std::string& ca_file) {
  prometheus::Registry registry;
  http::EdgeServer edge(StreamSlotSettings(settings), stack.sessions, *stack.rate_limiter,
                        stack.backends, registry);
  ASSERT_TRUE(edge.Start().ok());
  const std::string alumna = stack.sessions.Add({"alumnus"});
  FakeNotifications& fake = stack.fake_notifications;
  const int open_before = fake.open.load();
  const int cancelled_before = fake.cancelled.load();
  std::vector<std::unique_ptr<RawStream>> tabs;
  for (int i = 0; i < 3; ++i) {
    tabs.push_back(std::make_unique<RawStream>(edge.port(), alumna, ca_file));
    ASSERT_TRUE(tabs.back()->Streaming()) << "tab " << i;
  }
  RawStream fourth(edge.port(), alumna, ca_file);
  EXPECT_EQ(fourth.Status(), 429);  // the cap holds while all three are open

  tabs[0]->Close();
  const auto closed = std::chrono::steady_clock::now();
  // Nothing else happens on the edge: its own watch on the connection ends the stream, and
  // the backend call with it.
  EXPECT_TRUE(hc::testing::WaitFor([&] { return fake.cancelled.load() == cancelled_before + 1; },
                                   std::chrono::seconds(1)));
  RawStream replacement(edge.port(), alumna, ca_file);
  EXPECT_TRUE(replacement.Streaming());
  EXPECT_LT(std::chrono::steady_clock::now() - closed, std::chrono::seconds(2));
  EXPECT_TRUE(hc::testing::WaitFor([&] { return fake.open.load() == open_before + 3; },
                                   std::chrono::seconds(5)));
  tabs.clear();
  replacement.Close();
  fourth.Close();
  EXPECT_TRUE(hc::testing::WaitFor([&] { return fake.open.load() == open_before; },
                                   std::chrono::seconds(5)));
  edge.Stop();
}

TEST_F(EdgeTest, AClosedInboxStreamGivesItsSlotBackWithinASecond) {
  ExpectAClosedStreamGivesItsSlotBackWithinASecond(stack(), stack().settings, "");
}

TEST_F(EdgeTest, OverTlsAClosedInboxStreamGivesItsSlotBackWithinASecond) {
  hc::testing::TestCertificates certificates;
  Settings tls = stack().settings;
  tls.tls_cert_file = certificates.path("server.pem");
  tls.tls_key_file = certificates.path("server.key");
  ExpectAClosedStreamGivesItsSlotBackWithinASecond(stack(), tls, certificates.path("ca.pem"));
}

TEST_F(EdgeTest, FastNavigationBetweenPagesIsNeverRefusedAStream) {
  prometheus::Registry registry;
  http::EdgeServer edge(StreamSlotSettings(stack().settings), stack().sessions,
                        *stack().rate_limiter, stack().backends, registry);
  ASSERT_TRUE(edge.Start().ok());
  const std::string alumna = stack().sessions.Add({"alumnus"});
  const std::string alumnus = stack().sessions.Add({"alumnus"});
  FakeNotifications& fake = stack().fake_notifications;
  const int open_before = fake.open.load();
  // Three tabs open; then one of them goes to another page four times in a row, each page
  // closing its stream and the next opening one straight away, with no pause between.
  std::vector<std::unique_ptr<RawStream>> tabs;
  for (int i = 0; i < 3; ++i) {
    tabs.push_back(std::make_unique<RawStream>(edge.port(), alumna));
    ASSERT_TRUE(tabs.back()->Streaming()) << "tab " << i;
  }
  for (int page = 0; page < 4; ++page) {
    tabs[2]->Close();
    tabs[2] = std::make_unique<RawStream>(edge.port(), alumna);
    EXPECT_TRUE(tabs[2]->Streaming()) << "page " << page;
  }
  // Still a cap: the member has three live streams, and a fourth is refused.
  RawStream extra(edge.port(), alumna);
  EXPECT_EQ(extra.Status(), 429);
  // A closed stream frees only its own member's slot count: another member is unaffected.
  RawStream other(edge.port(), alumnus);
  EXPECT_TRUE(other.Streaming());
  EXPECT_TRUE(hc::testing::WaitFor([&] { return fake.open.load() == open_before + 4; },
                                   std::chrono::seconds(5)));
  tabs.clear();
  other.Close();
  extra.Close();
  EXPECT_TRUE(hc::testing::WaitFor([&] { return fake.open.load() == open_before; },
                                   std::chrono::seconds(5)));
  edge.Stop();
}

// INFO commandstats' calls by command name, for counting what a request sends to Redis.
std::map<std::string, long long> CommandCalls(const std::string& address) {
  std::map<std::string, long long> calls;
  auto connector = hc::redis::Connector::Create({.address = address});
  if (!connector.ok()) return calls;
  auto connection = (*connector)->Connect();
  if (!connection.ok()) return calls;
  auto info = (*connection)->Command({"INFO", "commandstats"});
  if (!info.ok()) return calls;
  std::istringstream lines(info->str);
  for (std::string line; std::getline(lines, line);) {
    const size_t colon = line.find(':');
    const size_t at = line.find("calls=");
    if (line.starts_with("cmdstat_") && colon != std::string::npos && at != std::string::npos) {
      calls[line.substr(8, colon - 8)] = std::stoll(line.substr(at + 6));
    }
  }
  return calls;
}

TEST_F(EdgeTest, ARequestsAddressAndSessionLimitsCostOneRedisRoundTrip) {
  hc::testing::RedisServer redis;  // the limiter's alone, so every command in it is one of ours
  redis.Start();
  prometheus::Registry limiter_registry;
  http::RedisRateLimiter limiter({.connection = {.address = redis.address()}}, limiter_registry);
  Settings settings = stack().settings;
  settings.session_rate_per_minute = 4;
  prometheus::Registry registry;
  http::EdgeServer edge(settings, stack().sessions, limiter, stack().backends, registry);
  ASSERT_TRUE(edge.Start().ok());
  const std::string alumna = stack().sessions.Add({"alumnus"});
  const std::string alumnus = stack().sessions.Add({"alumnus"});
  auto call = [&](const std::string& cookie) {
    httplib::Client client("127.0.0.1", edge.port());
    return client.Post((std::string("/") + kEvents + "ListMyRsvps").c_str(),
                       {{"Cookie", std::string(session::kCookieName) + "=" + cookie},
                        {"X-CSRF-Token", stack().sessions.Get(cookie).csrf_token}},
                       R"({"pageSize": 5})", "application/json");
  };
  auto warm = call(alumna);  // the first may send the script itself (EVAL after NOSCRIPT)
  ASSERT_TRUE(warm);
  ASSERT_EQ(warm->status, 200) << warm->body;

  auto before = CommandCalls(redis.address());
  auto counted = call(alumna);
  auto after = CommandCalls(redis.address());
  ASSERT_TRUE(counted);
  EXPECT_EQ(counted->status, 200) << counted->body;
  std::map<std::string, long long> sent;
  for (const auto& [name, count] : after) {
    const long long more = count - before[name];
    if (more > 0 && name != "info") sent[name] = more;
  }
  // One command from the edge, so one round trip, for both buckets. commandstats also counts
  // what the script runs: an INCR per bucket (and an EXPIRE per bucket made new, when a
  // minute's end fell between the two calls).
  EXPECT_EQ(sent["evalsha"], 1) << testing::PrintToString(sent);
  EXPECT_EQ(sent["incr"], 2) << testing::PrintToString(sent);
  sent.erase("evalsha");
  sent.erase("incr");
  sent.erase("expire");
  EXPECT_TRUE(sent.empty()) << testing::PrintToString(sent);
  // Both buckets were counted by that one command.
  EXPECT_GE(hc::testing::RedisKeys(redis.address(), "hc:edge:rl:ip:*").size(), 1u);
  EXPECT_GE(hc::testing::RedisKeys(redis.address(), "hc:edge:rl:session:*").size(), 1u);

  // The session's own bucket still refuses (4 a minute; a minute's end may fall between the
  // calls, so up to twice as many), with Retry-After; another session from the same address
  // is served.
  int refused = 0;
  std::string retry_after;
  for (int i = 0; i < 8 && refused == 0; ++i) {
    auto r = call(alumna);
    ASSERT_TRUE(r);
    if (r->status == 429) {
      refused = r->status;
      retry_after = r->get_header_value("Retry-After");
      EXPECT_EQ(Body(r)["code"], "resource_exhausted");
    }
  }
  EXPECT_EQ(refused, 429);
  EXPECT_FALSE(retry_after.empty());
  auto other = call(alumnus);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200) << other->body;
  edge.Stop();
}

TEST_F(EdgeTest, ServesTheAppWithItsRoutesAndHashedAssets) {
  auto asset = Client().Get("/assets/app-1a2b3c.js");
  ASSERT_TRUE(asset);
  EXPECT_EQ(asset->status, 200);
  EXPECT_EQ(asset->body, "console.log('hi');");
  EXPECT_THAT(asset->get_header_value("Content-Type"), HasSubstr("text/javascript"));
  EXPECT_THAT(asset->get_header_value("Cache-Control"), HasSubstr("immutable"));

  for (const char* route : {"/", "/events/1234", "/coordinator/roles/new", "/my/rsvps"}) {
    auto page = Client().Get(route);
    ASSERT_TRUE(page);
    EXPECT_EQ(page->status, 200) << route;
    EXPECT_THAT(page->body, HasSubstr("<title>Homecoming</title>")) << route;
    EXPECT_EQ(page->get_header_value("Cache-Control"), "no-cache") << route;
  }
  for (const char* missing : {"/assets/gone.js", "/robots.txt", "/auth/unknown", "/stream/other",
                              "/assets/../../../etc/passwd.txt"}) {
    auto r = Client().Get(missing);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404) << missing;
  }
  EXPECT_NE(Series("http_requests_total{code=\"200\",method=\"GET\",route=\"app\"}"), "");
  EXPECT_NE(Series("http_requests_total{code=\"200\",method=\"GET\",route=\"static\"}"), "");
}

TEST_F(EdgeTest, ARefusedRequestLeavesTheKeepAliveConnectionUsable) {
  const std::string alumna = stack().sessions.Add({"alumnus"});
  httplib::Client client("127.0.0.1", stack().server->port());
  client.set_keep_alive(true);
  const httplib::Headers headers = {{"Cookie", "hc_session=" + alumna},
                                    {"X-CSRF-Token", stack().sessions.Get(alumna).csrf_token}};
  httplib::Headers cross_site = headers;
  cross_site.emplace("Origin", "https://evil.example");
  const std::string path = std::string("/") + kEvents + "ListMyRsvps";
  // A refused body stays unread only if the edge gets it wrong; the next request on the same
  // connection would then be parsed from it.
  auto refused = client.Post(path.c_str(), cross_site, R"({"pageSize": 5})", "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  auto next = client.Post(path.c_str(), headers, R"({"pageSize": 5})", "application/json");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200) << next->body;
}

TEST_F(EdgeTest, TooManyRequestsFromOneAddressGet429WithRetryAfter) {
  Settings strict = stack().settings;
  strict.ip_rate_per_minute = 2;
  strict.rate_key = hc::testing::UniqueName("key");  // a fresh count for this test
  prometheus::Registry registry;
  http::EdgeServer edge(strict, stack().sessions, *stack().rate_limiter, stack().backends,
                        registry);
  ASSERT_TRUE(edge.Start().ok());
  httplib::Client client("127.0.0.1", edge.port());
  // Within one minute's window (two requests might straddle a window's end: then a third is
  // still allowed, so retry once).
  int refused_status = 0;
  std::string retry_after;
  for (int attempt = 0; attempt < 2 && refused_status == 0; ++attempt) {
    for (int i = 0; i < 3; ++i) {
      // /healthz counts against the address like any request.
      auto r = client.Get(i == 2 ? "/healthz" : "/");
      ASSERT_TRUE(r);
      if (r->status == 429) {
        refused_status = r->status;
        retry_after = r->get_header_value("Retry-After");
        EXPECT_EQ(json::parse(r->body)["code"], "resource_exhausted");
        break;
      }
    }
  }
  EXPECT_EQ(refused_status, 429);
  int seconds = 0;
  EXPECT_TRUE(absl::SimpleAtoi(retry_after, &seconds)) << retry_after;
  EXPECT_GE(seconds, 1);
  EXPECT_LE(seconds, 60);
  edge.Stop();
}

TEST_F(EdgeTest, WithTlsItServesHttpsWithHstsAndTheHostPrefixedCookie) {
  hc::testing::TestCertificates certificates;
  Settings tls = stack().settings;
  tls.tls_cert_file = certificates.path("server.pem");
  tls.tls_key_file = certificates.path("server.key");
  prometheus::Registry registry;
  http::EdgeServer edge(tls, stack().sessions, *stack().rate_limiter, stack().backends, registry);
  ASSERT_TRUE(edge.Start().ok());
  httplib::SSLClient client("127.0.0.1", edge.port());
  client.set_ca_cert_path(certificates.path("ca.pem").c_str());
  client.enable_server_certificate_verification(true);

  auto page = client.Get("/");
  ASSERT_TRUE(page) << httplib::to_string(page.error());
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->get_header_value("Strict-Transport-Security"), HasSubstr("max-age="));

  const std::string alumna = stack().sessions.Add({"alumnus"});
  const std::string csrf = stack().sessions.Get(alumna).csrf_token;
  const std::string path = std::string("/") + kEvents + "ListMyRsvps";
  auto secure =
      client.Post(path.c_str(), {{"Cookie", "__Host-hc_session=" + alumna}, {"X-CSRF-Token", csrf}},
                  "{}", "application/json");
  ASSERT_TRUE(secure);
  EXPECT_EQ(secure->status, 200) << secure->body;
  // Over TLS only the __Host- cookie counts (a plain one could have been set by a sibling).
  auto plain =
      client.Post(path.c_str(), {{"Cookie", "hc_session=" + alumna}, {"X-CSRF-Token", csrf}}, "{}",
                  "application/json");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 401);
  edge.Stop();
}

TEST(RedisRateLimiter, CountsFixedWindowsInRedisAndFallsBackWhenItIsDown) {
  hc::testing::RedisServer redis;
  redis.Start();
  prometheus::Registry registry;
  http::RedisRateLimiter limiter(
      {.connection = {.address = redis.address()}, .retry_after = std::chrono::milliseconds(0)},
      registry);
  const std::string key = hc::testing::UniqueName("k");
  EXPECT_TRUE(limiter.Allow("ip", key, 2, std::chrono::seconds(3600)));
  EXPECT_TRUE(limiter.Allow("ip", key, 2, std::chrono::seconds(3600)));
  EXPECT_FALSE(limiter.Allow("ip", key, 2, std::chrono::seconds(3600)));
  EXPECT_TRUE(limiter.Allow("session", key, 2, std::chrono::seconds(3600)));  // own bucket
  const auto keys = hc::testing::RedisKeys(redis.address(), "hc:edge:rl:ip:" + key + ":*");
  ASSERT_EQ(keys.size(), 1u);

  redis.Stop();
  // Redis is gone: counted in this process, still limiting, never refusing everyone.
  const std::string other = hc::testing::UniqueName("k");
  EXPECT_TRUE(limiter.Allow("ip", other, 1, std::chrono::seconds(3600)));
  EXPECT_FALSE(limiter.Allow("ip", other, 1, std::chrono::seconds(3600)));
}

}  // namespace
}  // namespace edge

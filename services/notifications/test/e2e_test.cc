// Issue 9's "must show", end to end with the real processes: membership, events and
// notifications binaries as children, each on its own database, a private Kafka broker (so it
// can be stopped), Mailpit for email. Members register and grant email consent through
// membership, RSVP through events, and what reaches them is counted where it lands: inbox rows,
// StreamInbox, and Mailpit's messages by Message-ID (a delivery's id, the same on a resend).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>
#include <sstream>
#include <thread>

#include "alumni/events/v1/events_service.grpc.pb.h"
#include "alumni/membership/v1/membership_service.grpc.pb.h"
#include "alumni/notifications/v1/notifications_service.grpc.pb.h"
#include "alumni/volunteering/v1/volunteering_events.pb.h"
#include "libs/auth/auth.h"
#include "libs/ids/ids.h"
#include "libs/kafka/kafka.h"
#include "libs/testing/testing.h"

namespace notifications {
namespace {

namespace mpb = alumni::membership::v1;
namespace epb = alumni::events::v1;
namespace npb = alumni::notifications::v1;
namespace vpb = alumni::volunteering::v1;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kSecret = "notifications-e2e-test-secret-0123456789abcdef";
const std::string kIssuer = "hc-e2e";
const std::string kEventTitle = "Sober social by the river";
const std::string kVenue = "Riverside Hall, 12 Quay Street";
const std::vector<std::string> kTopics = {"alumni.membership.v1",     "alumni.events.v1",
                                          "alumni.volunteering.v1",   "alumni.notifications.v1",
                                          "alumni.dlq.notifications", "alumni.dlq.events"};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Token(const std::string& sub, std::vector<std::string> roles) {
  return *hc::auth::Mint(
      {.algorithm = "HS256", .key = kSecret, .issuer = kIssuer, .subject = sub, .roles = roles});
}

template <typename Call>
grpc::Status Rpc(const std::string& token, Call call) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + seconds(10));
  ctx.AddMetadata("authorization", "Bearer " + token);
  return call(ctx);
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// A Mailpit of the test's own, on free ports, storing every message (no 500 limit) in a file
// that outlives a Stop, so a restart on the same ports keeps what arrived before.
class MailpitServer {
 public:
  explicit MailpitServer(const std::string& dir)
      : dir_(dir), smtp_port_(hc::testing::FreePort()), http_port_(hc::testing::FreePort()) {}
  void Start() {
    process_.Start({"mailpit", "--smtp", "127.0.0.1:" + std::to_string(smtp_port_), "--listen",
                    "127.0.0.1:" + std::to_string(http_port_), "--database", dir_ + "/mailpit.db",
                    "--max", "0", "--smtp-disable-rdns", "--disable-version-check"},
                   dir_ + "/mailpit.log");
    ASSERT_TRUE(hc::testing::WaitFor(
        [&] { return !hc::testing::HttpGet(http_port_, "/api/v1/info").empty(); }, seconds(20)))
        << ReadFile(dir_ + "/mailpit.log");
  }
  void Stop() { process_.Stop(seconds(10)); }
  std::string smtp_url() const { return "smtp://127.0.0.1:" + std::to_string(smtp_port_); }
  std::string api_url() const { return "http://127.0.0.1:" + std::to_string(http_port_); }

 private:
  std::string dir_;
  int smtp_port_;
  int http_port_;
  hc::testing::ChildProcess process_;
};

// Every Message-ID Mailpit holds, once per stored message (a message sent twice shows twice).
std::vector<std::string> MailpitMessageIds(const std::string& api_url) {
  httplib::Client client(api_url);
  client.set_connection_timeout(5);
  client.set_read_timeout(20);
  std::vector<std::string> ids;
  for (int start = 0;; start += 500) {
    auto res = client.Get("/api/v1/messages?limit=500&start=" + std::to_string(start));
    if (!res || res->status != 200) return {};
    const auto list = nlohmann::json::parse(res->body, nullptr, false);
    if (!list.is_object() || !list.contains("messages") || list["messages"].empty()) break;
    for (const auto& m : list["messages"]) ids.push_back(m.value("MessageID", ""));
    if (list["messages"].size() < 500) break;
  }
  return ids;
}

// The Mailpit summary (Subject, To, ...) of the newest message with `message_id`, or null.
nlohmann::json MailpitMessage(const std::string& api_url, const std::string& message_id) {
  httplib::Client client(api_url);
  auto res = client.Get("/api/v1/messages?limit=500");
  if (!res || res->status != 200) return nullptr;
  const auto list = nlohmann::json::parse(res->body, nullptr, false);
  if (!list.is_object() || !list.contains("messages")) return nullptr;
  for (const auto& m : list["messages"]) {
    if (m.value("MessageID", "") == message_id) return m;
  }
  return nullptr;
}

// Raw and distinct counts of the messages whose Message-ID is one of `expected`.
struct MailCount {
  size_t raw = 0;
  size_t distinct = 0;
};
MailCount CountMail(const std::vector<std::string>& ids, const std::set<std::string>& expected) {
  MailCount count;
  std::set<std::string> seen;
  for (const auto& id : ids) {
    if (!expected.contains(id)) continue;
    ++count.raw;
    seen.insert(id);
  }
  count.distinct = seen.size();
  return count;
}

// The gauge's value on notifications' /metrics, or -1 when it can't be read.
double EmailPaused(int metrics_port) {
  const std::string metrics = hc::testing::HttpGet(metrics_port, "/metrics");
  const std::string series = "hc_notifications_channel_paused{channel=\"email\"} ";
  const auto at = metrics.find(series);
  if (at == std::string::npos) return -1;
  return std::stod(metrics.substr(at + series.size()));
}

class NotificationsE2eTest : public ::testing::Test {
 protected:
  // One private broker for the file (a JVM start is slow); each test reads only its own facts
  // by starting its consumer groups at the topics' end.
  static void SetUpTestSuite() {
    broker_ = new hc::testing::KafkaBroker();
    broker_->Start();
    ASSERT_TRUE(hc::kafka::EnsureTopics(broker_->brokers(), kTopics, 3, seconds(60)).ok());
  }
  static void TearDownTestSuite() {
    delete broker_;
    broker_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(broker_, nullptr);
    run_ = hc::testing::UniqueName("r");
    dir_ = "/tmp/hc-e2e-" + run_;
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ + "/jwt.key") << kSecret;
    std::ofstream(dir_ + "/data.key") << std::string(64, 'e');
    for (const std::string group : {"members", "main", "events", "volunteering", "ev"}) {
      groups_[group] = "e2e." + group + "." + run_;
    }
    const std::string brokers = broker_->brokers();
    hc::testing::StartGroupAtEnd(brokers, groups_["main"], "alumni.membership.v1");
    hc::testing::StartGroupAtEnd(brokers, groups_["members"], "alumni.membership.v1");
    hc::testing::StartGroupAtEnd(brokers, groups_["events"], "alumni.events.v1");
    hc::testing::StartGroupAtEnd(brokers, groups_["volunteering"], "alumni.volunteering.v1");
    hc::testing::StartGroupAtEnd(brokers, groups_["ev"], "alumni.membership.v1");

    membership_port_ = Launch(membership_, HC_MEMBERSHIP_BINARY, "membership",
                              {{"HC_DATABASE_URL", membership_db_.url()},
                               {"HC_DATA_KEY_FILE", dir_ + "/data.key"}})
                           .grpc;
    events_port_ = Launch(events_, HC_EVENTS_BINARY, "events",
                          {{"HC_DATABASE_URL", events_db_.url()},
                           {"HC_MEMBERSHIP_ADDR", Loopback(membership_port_)},
                           {"HC_CONSUMER_GROUP", groups_["ev"]}})
                       .grpc;
    membership_stub_ = mpb::MembershipService::NewStub(Connect(membership_port_, "membership"));
    events_stub_ = epb::EventsService::NewStub(Connect(events_port_, "events"));
  }

  void TearDown() override {
    notifications_.Stop();
    events_.Stop();
    membership_.Stop();
  }

  static std::string Loopback(int port) { return "127.0.0.1:" + std::to_string(port); }

  // Starts `binary` with gRPC and metrics on ports it picks itself (port 0, so no other process
  // can take them first) and waits until it serves; returns those ports.
  hc::testing::ServingPorts Launch(hc::testing::ChildProcess& process, const std::string& binary,
                                   const std::string& name,
                                   const std::map<std::string, std::string>& own,
                                   const std::map<std::string, std::string>& extra = {}) {
    std::map<std::string, std::string> env = {{"HC_GRPC_ADDR", "127.0.0.1:0"},
                                              {"HC_METRICS_ADDR", "127.0.0.1:0"},
                                              {"HC_KAFKA_BROKERS", broker_->brokers()},
                                              {"HC_REDIS_ADDR", hc::testing::RedisAddress()},
                                              {"HC_JWT_KEY_FILE", dir_ + "/jwt.key"},
                                              {"HC_JWT_ISSUER", kIssuer},
                                              {"HC_LOG_LEVEL", "info"}};
    for (const auto& [key, value] : own) env[key] = value;
    for (const auto& [key, value] : extra) env[key] = value;
    for (const auto& [key, value] : env) setenv(key.c_str(), value.c_str(), 1);
    const std::string log = dir_ + "/" + name + "." + std::to_string(++launches_) + ".log";
    process.Start({binary}, log);
    auto ports = hc::testing::WaitForServing(process, log, seconds(60));
    EXPECT_TRUE(ports.ok()) << name << ": " << ports.status();
    return ports.ok() ? *ports : hc::testing::ServingPorts{};
  }

  std::shared_ptr<grpc::Channel> Connect(int port, const std::string& name) {
    auto channel = grpc::CreateChannel(Loopback(port), grpc::InsecureChannelCredentials());
    EXPECT_TRUE(channel->WaitForConnected(std::chrono::system_clock::now() + seconds(30)))
        << name << " did not come up; logs in " << dir_;
    return channel;
  }

  // Starts (or restarts, on fresh ports) notifications sending email to `smtp_url`, with
  // `extra` settings besides.
  void StartNotifications(const std::string& smtp_url,
                          const std::map<std::string, std::string>& extra = {}) {
    const hc::testing::ServingPorts ports =
        Launch(notifications_, HC_NOTIFICATIONS_BINARY, "notifications",
               {{"HC_DATABASE_URL", notifications_db_.url()},
                {"HC_DATA_KEY_FILE", dir_ + "/data.key"},
                {"HC_MEMBERSHIP_ADDR", Loopback(membership_port_)},
                {"HC_EVENTS_ADDR", Loopback(events_port_)},
                // Nothing listens there: these tests make no volunteering facts.
                {"HC_VOLUNTEERING_ADDR", Loopback(hc::testing::FreePort())},
                {"HC_SMTP_URL", smtp_url},
                {"HC_DAILY_CAP", "1000"},
                {"HC_HTTP_ADDRESS", "127.0.0.1:0"},
                {"HC_DISPATCH_POLL_INTERVAL", "100ms"},
                {"HC_CONSUMER_GROUP", groups_["main"]},
                {"HC_EVENTS_CONSUMER_GROUP", groups_["events"]},
                {"HC_VOLUNTEERING_CONSUMER_GROUP", groups_["volunteering"]},
                {"HC_MEMBERSHIP_FACTS_CONSUMER_GROUP", groups_["members"]}},
               extra);
    notifications_port_ = ports.grpc;
    notifications_metrics_port_ = ports.metrics;
    notifications_channel_ = Connect(notifications_port_, "notifications");
    notifications_stub_ = npb::NotificationsService::NewStub(notifications_channel_);
  }

  // `count` members with email consent granted, known to notifications' consent projection.
  std::vector<std::string> MembersWithEmailConsent(int count) {
    const std::string staff = Token("staff-1", {"coordinator"});
    std::vector<std::string> ids;
    for (int i = 0; i < count; ++i) {
      mpb::RegisterMemberRequest reg;
      reg.set_first_name("Member");
      reg.set_email("m" + std::to_string(i) + "." + run_ + "@e2e.example.org");
      reg.set_time_zone("America/Chicago");
      mpb::RegisterMemberResponse resp;
      grpc::Status s =
          Rpc(staff, [&](auto& c) { return membership_stub_->RegisterMember(&c, reg, &resp); });
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) return ids;
      ids.push_back(resp.member().member_id());
      mpb::UpdateConsentRequest consent;
      consent.set_member_id(ids.back());
      consent.set_channel(mpb::CONTACT_CHANNEL_EMAIL);
      consent.set_granted(true);
      mpb::UpdateConsentResponse consented;
      s = Rpc(Token(ids.back(), {"alumnus"}),
              [&](auto& c) { return membership_stub_->UpdateConsent(&c, consent, &consented); });
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    // The RSVPs' emails depend on the consent fact having been applied first.
    EXPECT_TRUE(hc::testing::WaitFor(
        [&] {
          return Count("SELECT count(*) FROM consents WHERE channel = 'email' AND granted") ==
                 count;
        },
        seconds(60), milliseconds(100)))
        << "consent never reached notifications; logs in " << dir_;
    return ids;
  }

  std::string CreateEvent() {
    epb::CreateEventRequest req;
    auto* e = req.mutable_event();
    e->set_title(kEventTitle);
    e->set_description("An evening together.");
    e->set_kind(epb::EVENT_KIND_SOBER_SOCIAL);
    const auto start = std::chrono::system_clock::now() + std::chrono::hours(24 * 10);
    const int64_t start_s =
        std::chrono::duration_cast<seconds>(start.time_since_epoch()).count() / 60 * 60;
    e->mutable_start_time()->set_seconds(start_s);
    e->mutable_end_time()->set_seconds(start_s + 7200);
    e->set_time_zone("America/Chicago");
    e->set_venue(kVenue);
    e->set_capacity(1000);
    e->set_waitlist_enabled(true);
    e->set_visibility(epb::VISIBILITY_MEMBERS);
    epb::CreateEventResponse resp;
    grpc::Status s = Rpc(Token("staff-1", {"coordinator"}),
                         [&](auto& c) { return events_stub_->CreateEvent(&c, req, &resp); });
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.event().event_id();
  }

  // One RSVP, retried while events answers UNAVAILABLE (it is idempotent).
  bool Rsvp(epb::EventsService::Stub& stub, const std::string& member, const std::string& event) {
    epb::RsvpRequest req;
    req.set_event_id(event);
    const std::string token = Token(member, {"alumnus"});
    for (int attempt = 0; attempt < 20; ++attempt) {
      epb::RsvpResponse resp;
      grpc::Status s = Rpc(token, [&](auto& c) { return stub.Rsvp(&c, req, &resp); });
      if (s.ok()) return resp.rsvp().status() == epb::RSVP_STATUS_GOING;
      if (s.error_code() != grpc::StatusCode::UNAVAILABLE &&
          s.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
        ADD_FAILURE() << "Rsvp: " << s.error_message();
        return false;
      }
      std::this_thread::sleep_for(milliseconds(200));  // back off before retrying
    }
    return false;
  }

  int Count(const std::string& sql) {
    pqxx::connection conn(notifications_db_.url());
    pqxx::nontransaction tx(conn);
    return tx.exec1(sql)[0].as<int>();
  }

  std::set<std::string> RsvpEmailDeliveries() {
    pqxx::connection conn(notifications_db_.url());
    pqxx::nontransaction tx(conn);
    std::set<std::string> ids;
    for (const auto& row :
         tx.exec("SELECT delivery_id::text || '@homecoming.localhost' FROM deliveries "
                 "WHERE channel = 'email' AND kind = 'rsvp_confirmed'")) {
      ids.insert(row[0].as<std::string>());
    }
    return ids;
  }

  static hc::testing::KafkaBroker* broker_;
  std::string run_;
  std::string dir_;
  std::map<std::string, std::string> groups_;
  int launches_ = 0;
  hc::testing::TestDatabase membership_db_{"e2e_membership"};
  hc::testing::TestDatabase events_db_{"e2e_events"};
  hc::testing::TestDatabase notifications_db_{"e2e_notifications"};
  int membership_port_ = 0, events_port_ = 0;
  int notifications_port_ = 0, notifications_metrics_port_ = 0;
  hc::testing::ChildProcess membership_, events_, notifications_;
  std::unique_ptr<mpb::MembershipService::Stub> membership_stub_;
  std::unique_ptr<epb::EventsService::Stub> events_stub_;
  std::shared_ptr<grpc::Channel> notifications_channel_;
  std::unique_ptr<npb::NotificationsService::Stub> notifications_stub_;
};

hc::testing::KafkaBroker* NotificationsE2eTest::broker_ = nullptr;

TEST_F(NotificationsE2eTest, AnRsvpMakesOneEmailOneInboxItemAndAStreamEvent) {
  const char* smtp_url = std::getenv("HC_TEST_SMTP_URL");
  const char* mailpit_url = std::getenv("HC_TEST_MAILPIT_URL");
  ASSERT_TRUE(smtp_url && mailpit_url) << "HC_TEST_SMTP_URL / HC_TEST_MAILPIT_URL unset: run "
                                          "through scripts/test.sh (the test stack's Mailpit)";
  StartNotifications(smtp_url);
  const std::vector<std::string> members = MembersWithEmailConsent(1);
  ASSERT_EQ(members.size(), 1u);
  const std::string member = members[0];
  const std::string event = CreateEvent();
  ASSERT_FALSE(event.empty());

  // The member's app is open on StreamInbox before the RSVP.
  grpc::ClientContext stream_ctx;
  stream_ctx.set_deadline(std::chrono::system_clock::now() + seconds(60));
  stream_ctx.AddMetadata("authorization", "Bearer " + Token(member, {"alumnus"}));
  auto reader = notifications_stub_->StreamInbox(&stream_ctx, npb::StreamInboxRequest());
  npb::StreamInboxResponse first;
  ASSERT_TRUE(reader->Read(&first)) << reader->Finish().error_message();
  ASSERT_FALSE(first.has_item()) << "the first response carries the count only";

  ASSERT_TRUE(Rsvp(*events_stub_, member, event));
  npb::StreamInboxResponse got;
  std::chrono::system_clock::time_point received;
  bool streamed = false;
  while (reader->Read(&got)) {
    if (got.item().kind() != npb::INBOX_ITEM_KIND_RSVP_CONFIRMED) continue;  // e.g. a welcome
    received = std::chrono::system_clock::now();
    streamed = true;
    break;
  }
  stream_ctx.TryCancel();
  reader->Finish();
  ASSERT_TRUE(streamed) << "StreamInbox never showed the RSVP";
  EXPECT_EQ(got.item().event_id(), event);
  const auto stored = std::chrono::system_clock::time_point(
      seconds(got.item().created_at().seconds()) +
      std::chrono::nanoseconds(got.item().created_at().nanos()));
  const double lag = std::chrono::duration<double>(received - stored).count();
  EXPECT_LT(lag, 1.0) << "streamed " << lag << " s after the item was stored";
  std::cout << "StreamInbox: the item arrived " << lag * 1000 << " ms after it was stored\n";

  // Exactly one email for that RSVP, with a discreet subject.
  ASSERT_TRUE(hc::testing::WaitFor(
      [&] {
        return Count(
                   "SELECT count(*) FROM deliveries WHERE channel = 'email' AND kind = "
                   "'rsvp_confirmed' AND status = 'sent'") == 1;
      },
      seconds(30), milliseconds(100)))
      << "the email was not sent; logs in " << dir_;
  const std::set<std::string> expected = RsvpEmailDeliveries();
  ASSERT_EQ(expected.size(), 1u);
  const std::string message_id = *expected.begin();
  ASSERT_TRUE(hc::testing::WaitFor(
      [&] { return CountMail(MailpitMessageIds(mailpit_url), expected).raw >= 1; }, seconds(20),
      milliseconds(100)))
      << "the email never reached Mailpit";
  // A second copy would arrive right behind the first: give it the time to show.
  EXPECT_FALSE(hc::testing::WaitFor(
      [&] { return CountMail(MailpitMessageIds(mailpit_url), expected).raw > 1; }, seconds(2),
      milliseconds(200)))
      << "the RSVP's email arrived twice";
  const nlohmann::json mail = MailpitMessage(mailpit_url, message_id);
  ASSERT_TRUE(mail.is_object());
  const std::string subject = mail.value("Subject", "");
  EXPECT_EQ(subject.rfind("Your plans on ", 0), 0u) << subject;
  for (const std::string word : {"Sober", "sober", "river", "Riverside", "recovery", "RSVP"}) {
    EXPECT_EQ(subject.find(word), std::string::npos) << "the subject says " << word;
  }
  ASSERT_TRUE(mail.contains("To") && mail["To"].size() == 1);
  EXPECT_EQ(mail["To"][0].value("Address", ""), "m0." + run_ + "@e2e.example.org");

  EXPECT_EQ(Count("SELECT count(*) FROM inbox_items WHERE kind = 'rsvp_confirmed'"), 1);
}

TEST_F(NotificationsE2eTest,
       AThousandRsvpsThroughAKillAndAKafkaOutageLoseNothingAndDuplicateNothing) {
  constexpr int kMembers = 100;
  constexpr int kEvents = 10;
  constexpr int kRsvps = kMembers * kEvents;
  MailpitServer mailpit(dir_);
  mailpit.Start();
  StartNotifications(mailpit.smtp_url());
  const std::vector<std::string> members = MembersWithEmailConsent(kMembers);
  ASSERT_EQ(members.size(), static_cast<size_t>(kMembers));
  std::vector<std::string> events;
  for (int i = 0; i < kEvents; ++i) events.push_back(CreateEvent());
  for (const auto& e : events) ASSERT_FALSE(e.empty());

  // A steady pace from four threads: about 20 RSVPs a second, so the kill and the outage both
  // happen while RSVPs keep coming.
  const auto started = Clock::now();
  std::atomic<int> made{0};
  std::atomic<int> failed{0};
  constexpr int kThreads = 4;
  const milliseconds period(200);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto stub = epb::EventsService::NewStub(
          grpc::CreateChannel(Loopback(events_port_), grpc::InsecureChannelCredentials()));
      auto next = Clock::now();
      for (int i = t; i < kRsvps; i += kThreads) {
        if (!Rsvp(*stub, members[i % kMembers], events[i / kMembers])) ++failed;
        ++made;
        next += period;
        std::this_thread::sleep_until(next);  // the pace, not a wait for anything
      }
    });
  }
  double killed_at = 0, kafka_down_at = 0, kafka_up_at = 0;
  ASSERT_TRUE(hc::testing::WaitFor([&] { return made >= 300; }, seconds(60)));
  notifications_.Signal(SIGKILL);
  notifications_.Wait(seconds(10));
  killed_at = Seconds(started);
  StartNotifications(mailpit.smtp_url());
  ASSERT_TRUE(hc::testing::WaitFor([&] { return made >= 600; }, seconds(60)));
  broker_->Stop();
  kafka_down_at = Seconds(started);
  std::this_thread::sleep_for(seconds(30));  // the outage itself
  broker_->Start();
  kafka_up_at = Seconds(started);
  for (auto& t : threads) t.join();
  const double rsvps_done = Seconds(started);
  ASSERT_EQ(failed, 0);

  // Everything arrives, with a deadline: the kill left some deliveries leased (60 s).
  std::set<std::string> expected;
  MailCount mail;
  const bool all_arrived = hc::testing::WaitFor(
      [&] {
        if (Count("SELECT count(*) FROM inbox_items WHERE kind = 'rsvp_confirmed'") < kRsvps) {
          return false;
        }
        expected = RsvpEmailDeliveries();
        mail = CountMail(MailpitMessageIds(mailpit.api_url()), expected);
        return mail.distinct >= static_cast<size_t>(kRsvps);
      },
      seconds(150), milliseconds(500));
  const double everything = Seconds(started);
  std::cout << "1000 RSVPs made in " << rsvps_done << " s (notifications killed at " << killed_at
            << " s, Kafka down " << kafka_down_at << "-" << kafka_up_at
            << " s); everything delivered after " << everything << " s; emails: " << mail.raw
            << " raw, " << mail.distinct << " distinct\n";
  EXPECT_TRUE(all_arrived) << "logs in " << dir_;
  EXPECT_EQ(Count("SELECT count(*) FROM inbox_items WHERE kind = 'rsvp_confirmed'"), kRsvps);
  EXPECT_EQ(Count("SELECT count(DISTINCT (member_id, event_id)) FROM inbox_items "
                  "WHERE kind = 'rsvp_confirmed'"),
            kRsvps);
  EXPECT_EQ(expected.size(), static_cast<size_t>(kRsvps)) << "one email delivery per RSVP";
  EXPECT_EQ(mail.distinct, static_cast<size_t>(kRsvps)) << "emails lost";
  // The only window for a second copy: killed between the SMTP server's acceptance and the
  // `sent` commit; the copy carries the same Message-ID.
  EXPECT_LE(mail.raw, static_cast<size_t>(kRsvps) + 1) << "emails duplicated";
  EXPECT_EQ(Count("SELECT count(*) FROM deliveries WHERE channel = 'email' AND kind = "
                  "'rsvp_confirmed' AND status <> 'sent'"),
            0);
}

TEST_F(NotificationsE2eTest, SmtpDownForAMinuteHoldsEmailAndNothingElseWaits) {
  constexpr int kMembers = 20;
  constexpr int kEvents = 2;
  constexpr int kRsvps = kMembers * kEvents;
  MailpitServer mailpit(dir_);
  mailpit.Start();
  StartNotifications(mailpit.smtp_url());
  const std::vector<std::string> members = MembersWithEmailConsent(kMembers);
  ASSERT_EQ(members.size(), static_cast<size_t>(kMembers));
  std::vector<std::string> events = {CreateEvent(), CreateEvent()};
  ASSERT_TRUE(hc::testing::WaitFor([&] { return EmailPaused(notifications_metrics_port_) == 0; },
                                   seconds(10)));

  mailpit.Stop();
  const auto down = Clock::now();
  for (int i = 0; i < kRsvps; ++i) {
    ASSERT_TRUE(Rsvp(*events_stub_, members[i % kMembers], events[i / kMembers]));
  }
  // The inbox does not wait for email.
  EXPECT_TRUE(hc::testing::WaitFor(
      [&] {
        return Count("SELECT count(*) FROM inbox_items WHERE kind = 'rsvp_confirmed'") == kRsvps;
      },
      seconds(10), milliseconds(100)));
  const double inbox_after = Seconds(down);
  EXPECT_TRUE(hc::testing::WaitFor([&] { return EmailPaused(notifications_metrics_port_) == 1; },
                                   seconds(20), milliseconds(100)))
      << "the email channel never showed paused";
  const double paused_after = Seconds(down);
  // The whole minute: email is held (queued), none given up, the channel still paused.
  std::this_thread::sleep_until(down + seconds(60));  // the outage itself
  EXPECT_EQ(Count("SELECT count(*) FROM deliveries WHERE channel = 'email' AND status IN "
                  "('sent', 'failed')"),
            0);
  EXPECT_EQ(EmailPaused(notifications_metrics_port_), 1);

  mailpit.Start();
  const auto up = Clock::now();
  std::set<std::string> expected;
  MailCount mail;
  EXPECT_TRUE(hc::testing::WaitFor(
      [&] {
        expected = RsvpEmailDeliveries();
        mail = CountMail(MailpitMessageIds(mailpit.api_url()), expected);
        return mail.distinct >= static_cast<size_t>(kRsvps);
      },
      seconds(60), milliseconds(250)))
      << "logs in " << dir_;
  const double drained_after = Seconds(up);
  EXPECT_TRUE(hc::testing::WaitFor([&] { return EmailPaused(notifications_metrics_port_) == 0; },
                                   seconds(10)));
  EXPECT_FALSE(hc::testing::WaitFor(
      [&] { return CountMail(MailpitMessageIds(mailpit.api_url()), expected).raw > kRsvps; },
      seconds(2), milliseconds(250)))
      << "an email arrived twice";
  std::cout << "SMTP down 60 s: " << kRsvps << " inbox items within " << inbox_after
            << " s, email paused after " << paused_after << " s; all " << mail.distinct
            << " emails arrived " << drained_after << " s after Mailpit came back (" << mail.raw
            << " raw)\n";
  EXPECT_EQ(expected.size(), static_cast<size_t>(kRsvps));
  EXPECT_EQ(mail.raw, static_cast<size_t>(kRsvps));
  mailpit.Stop();
}

// Issue 12's introductions where they land: the test stack's Mailpit and SMS capture server,
// with the real membership (names and addresses at send time) and notifications binaries; the
// match itself is volunteering's MentorshipStarted, produced as its relay would.
class MentorshipIntroductionMail : public NotificationsE2eTest {
 protected:
  struct Party {
    std::string id, email, phone;
  };

  // A member with email and SMS consent, mentorship by SMS as well as email, and no quiet
  // hours (so the SMS is not held whatever the hour of the run).
  Party Register(const std::string& first, int n) {
    Party p;
    // Lower case, as membership stores (and sends to) it.
    p.email = "intro" + std::to_string(n) + "." + run_ + "@e2e.example.org";
    p.phone = "+1555" + std::to_string(1000000 + (std::hash<std::string>{}(run_) + n) % 8999999);
    mpb::RegisterMemberRequest reg;
    reg.set_first_name(first);
    reg.set_last_name("Intro");
    reg.set_email(p.email);
    reg.set_phone(p.phone);
    reg.set_time_zone("America/Chicago");
    mpb::RegisterMemberResponse resp;
    grpc::Status s = Rpc(Token("staff-1", {"coordinator"}),
                         [&](auto& c) { return membership_stub_->RegisterMember(&c, reg, &resp); });
    EXPECT_TRUE(s.ok()) << s.error_message();
    p.id = resp.member().member_id();
    for (const auto channel : {mpb::CONTACT_CHANNEL_EMAIL, mpb::CONTACT_CHANNEL_SMS}) {
      mpb::UpdateConsentRequest consent;
      consent.set_member_id(p.id);
      consent.set_channel(channel);
      consent.set_granted(true);
      mpb::UpdateConsentResponse consented;
      s = Rpc(Token(p.id, {"alumnus"}),
              [&](auto& c) { return membership_stub_->UpdateConsent(&c, consent, &consented); });
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    npb::UpdatePreferencesRequest prefs;
    prefs.set_member_id(p.id);
    prefs.mutable_preferences()->mutable_mentorship()->set_email(true);
    prefs.mutable_preferences()->mutable_mentorship()->set_sms(true);
    prefs.mutable_preferences()->mutable_quiet_hours()->set_start_minute(0);
    prefs.mutable_preferences()->mutable_quiet_hours()->set_end_minute(0);
    for (const char* path : {"mentorship.email", "mentorship.sms", "quiet_hours"}) {
      prefs.mutable_update_mask()->add_paths(path);
    }
    npb::UpdatePreferencesResponse updated;
    s = Rpc(Token(p.id, {"alumnus"}),
            [&](auto& c) { return notifications_stub_->UpdatePreferences(&c, prefs, &updated); });
    EXPECT_TRUE(s.ok()) << s.error_message();
    return p;
  }

  // Mailpit's full messages (with Text) addressed to `to`, newest first.
  static std::vector<nlohmann::json> MailTo(const std::string& api_url, const std::string& to) {
    httplib::Client client(api_url);
    client.set_read_timeout(20);
    std::vector<nlohmann::json> found;
    auto res = client.Get("/api/v1/messages?limit=500");
    if (!res || res->status != 200) return found;
    const auto list = nlohmann::json::parse(res->body, nullptr, false);
    if (!list.is_object() || !list.contains("messages")) return found;
    for (const auto& m : list["messages"]) {
      bool mine = false;
      for (const auto& r : m.value("To", nlohmann::json::array())) {
        mine = mine || r.value("Address", "") == to;
      }
      if (!mine) continue;
      auto full = client.Get("/api/v1/message/" + m.value("ID", ""));
      if (full && full->status == 200) {
        found.push_back(nlohmann::json::parse(full->body, nullptr, false));
      }
    }
    return found;
  }

  // The SMS capture server's message bodies to `to`.
  static std::vector<std::string> SmsTo(const std::string& base_url, const std::string& to) {
    httplib::Client client(base_url);
    client.set_read_timeout(10);
    std::vector<std::string> bodies;
    auto res = client.Get("/messages");
    if (!res || res->status != 200) return bodies;
    const auto list = nlohmann::json::parse(res->body, nullptr, false);
    if (!list.is_array()) return bodies;
    for (const auto& m : list) {
      if (m.value("to", "") == to) bodies.push_back(m.value("body", ""));
    }
    return bodies;
  }
};

TEST_F(MentorshipIntroductionMail, EachPartyGetsOneIntroductionWithOnlyTheAddressSharedWithThem) {
  std::map<std::string, std::string> env;
  for (const char* name : {"HC_TEST_SMTP_URL", "HC_TEST_MAILPIT_URL", "HC_TEST_SMS_BASE_URL",
                           "HC_TEST_SMS_ACCOUNT_ID", "HC_TEST_SMS_TOKEN_FILE"}) {
    const char* value = std::getenv(name);
    ASSERT_TRUE(value && *value) << name << " unset: run through scripts/test.sh (the test "
                                 << "stack's Mailpit and SMS capture server)";
    env[name] = value;
  }
  StartNotifications(env["HC_TEST_SMTP_URL"], {{"HC_SMS_BASE_URL", env["HC_TEST_SMS_BASE_URL"]},
                                               {"HC_SMS_ACCOUNT_ID", env["HC_TEST_SMS_ACCOUNT_ID"]},
                                               {"HC_SMS_TOKEN_FILE", env["HC_TEST_SMS_TOKEN_FILE"]},
                                               {"HC_SMS_FROM", "Homecoming"}});
  const Party mentor = Register("Mentorintro", 1);
  const Party mentee = Register("Menteeintro", 2);
  ASSERT_FALSE(mentor.id.empty());
  ASSERT_FALSE(mentee.id.empty());
  ASSERT_TRUE(hc::testing::WaitFor(
      [&] {
        return Count("SELECT count(*) FROM consents WHERE granted AND member_id IN ('" + mentor.id +
                     "', '" + mentee.id + "')") == 4;
      },
      seconds(60), milliseconds(100)))
      << "consent never reached notifications; logs in " << dir_;

  // The mentor shares his email with whoever he is matched with; the mentee shares nothing.
  vpb::MentorshipStarted fact;
  const std::string match = hc::ids::NewUuid();
  fact.set_match_id(match);
  fact.set_mentee_id(mentee.id);
  fact.set_mentor_id(mentor.id);
  fact.set_mentor_shares_email(true);
  fact.mutable_started_at()->set_seconds(
      std::chrono::duration_cast<seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  const std::string ce_id = hc::ids::NewUuid();
  // Published, redelivered, and published again under a new id: still one introduction each.
  for (const std::string& id : {ce_id, ce_id, hc::ids::NewUuid()}) {
    ASSERT_TRUE(hc::testing::ProduceFact(broker_->brokers(), "alumni.volunteering.v1", match,
                                         fact.GetTypeName(), fact.SerializeAsString(), id)
                    .ok());
  }

  const std::string mailpit = env["HC_TEST_MAILPIT_URL"];
  const std::string sms = env["HC_TEST_SMS_BASE_URL"];
  ASSERT_TRUE(hc::testing::WaitFor(
      [&] {
        return !MailTo(mailpit, mentor.email).empty() && !MailTo(mailpit, mentee.email).empty() &&
               !SmsTo(sms, mentor.phone).empty() && !SmsTo(sms, mentee.phone).empty();
      },
      seconds(60), milliseconds(200)))
      << "an introduction never arrived; logs in " << dir_;
  // No second one follows (the three facts were all handled before the first was sent).
  EXPECT_FALSE(hc::testing::WaitFor(
      [&] {
        return MailTo(mailpit, mentor.email).size() > 1 ||
               MailTo(mailpit, mentee.email).size() > 1 || SmsTo(sms, mentor.phone).size() > 1 ||
               SmsTo(sms, mentee.phone).size() > 1;
      },
      seconds(3), milliseconds(200)));

  const auto to_mentee = MailTo(mailpit, mentee.email);
  const auto to_mentor = MailTo(mailpit, mentor.email);
  ASSERT_EQ(to_mentee.size(), 1u);
  ASSERT_EQ(to_mentor.size(), 1u);
  const std::string mentee_text = to_mentee[0].value("Text", "");
  const std::string mentor_text = to_mentor[0].value("Text", "");
  // Each is introduced to the other by display name.
  EXPECT_NE(mentee_text.find("Mentorintro"), std::string::npos) << mentee_text;
  EXPECT_NE(mentor_text.find("Menteeintro"), std::string::npos) << mentor_text;
  // The mentee may write to the mentor (he shared his email, not his phone) ...
  EXPECT_NE(mentee_text.find(mentor.email), std::string::npos) << mentee_text;
  EXPECT_EQ(mentee_text.find(mentor.phone), std::string::npos) << mentee_text;
  // ... and the mentor sees no address of hers, in the email or anywhere in its headers.
  EXPECT_EQ(mentor_text.find(mentee.email), std::string::npos) << mentor_text;
  EXPECT_EQ(mentor_text.find(mentee.phone), std::string::npos) << mentor_text;
  EXPECT_EQ(to_mentor[0].dump().find(mentee.email), std::string::npos);
  // Nor does any SMS carry the mentee's address, or the mentor's phone he did not share.
  for (const auto& body : SmsTo(sms, mentor.phone)) {
    EXPECT_EQ(body.find(mentee.email), std::string::npos) << body;
    EXPECT_EQ(body.find(mentee.phone), std::string::npos) << body;
  }
  for (const auto& body : SmsTo(sms, mentee.phone)) {
    EXPECT_EQ(body.find(mentor.phone), std::string::npos) << body;
  }
}

}  // namespace
}  // namespace notifications

// The email and SMS channels against the real local servers of the test stack (Mailpit and
// scripts/sms-capture.py, started by scripts/stack.sh), and the unsubscribe endpoint inside a
// running notifications App (real PostgreSQL, Redis, Kafka).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <sstream>

#include "absl/strings/match.h"
#include "alumni/notifications/v1/notifications_service.grpc.pb.h"
#include "libs/auth/auth.h"
#include "libs/ids/ids.h"
#include "libs/kafka/kafka.h"
#include "libs/testing/testing.h"
#include "services/notifications/src/app.h"
#include "services/notifications/src/channels/email.h"
#include "services/notifications/src/channels/sms.h"
#include "services/notifications/src/domain/unsubscribe.h"

namespace notifications {
namespace {

namespace pb = alumni::notifications::v1;
using channels::SendResult;
using Outcome = channels::SendResult::Outcome;
using Clock = std::chrono::steady_clock;

// The test stack's servers (scripts/test.sh exports these); empty when not set.
std::string EnvOr(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

#define REQUIRE_ENV(var, name)                                                              \
  const std::string var = EnvOr(name);                                                      \
  if (var.empty()) {                                                                        \
    GTEST_SKIP() << name << " is not set: start the test stack (scripts/stack.sh up "       \
                 << "--profile test) and export it from its stack.env, as scripts/test.sh " \
                 << "does";                                                                 \
  }

// http://host:port -> a client for it.
std::unique_ptr<httplib::Client> ClientFor(const std::string& base_url) {
  auto client = std::make_unique<httplib::Client>(base_url);
  client->set_connection_timeout(5);
  client->set_read_timeout(10);
  return client;
}

nlohmann::json GetJson(httplib::Client& client, const std::string& path) {
  auto res = client.Get(path);
  if (!res || res->status != 200) return nlohmann::json();
  return nlohmann::json::parse(res->body, nullptr, false);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// Mailpit's id of the message whose Message-ID is `message_id`, once it has arrived.
std::string WaitForMail(httplib::Client& mailpit, const std::string& message_id) {
  std::string id;
  hc::testing::WaitFor(
      [&] {
        const nlohmann::json list = GetJson(mailpit, "/api/v1/messages?limit=100");
        if (!list.is_object() || !list.contains("messages")) return false;
        for (const auto& m : list["messages"]) {
          if (m.value("MessageID", "") == message_id) {
            id = m.value("ID", "");
            return true;
          }
        }
        return false;
      },
      std::chrono::seconds(20), std::chrono::milliseconds(100));
  return id;
}

TEST(EmailChannel, AMessageArrivesWithItsSubjectBodyMessageIdAndUnsubscribeHeaders) {
  REQUIRE_ENV(smtp_url, "HC_TEST_SMTP_URL");
  REQUIRE_ENV(mailpit_url, "HC_TEST_MAILPIT_URL");
  channels::SmtpSender sender({.url = smtp_url});
  const std::string id = hc::testing::UniqueName("delivery-");
  const std::string url = "http://127.0.0.1:17084/unsubscribe?t=abc.def";
  const SendResult result = sender.Send({.to = "ana@homecoming.test",
                                         .subject = "Your plans on Sat 5 Dec — día de campo",
                                         .text = "Hi Ana,\n\nYour place is confirmed.\n.\nBye\n",
                                         .message_id = id,
                                         .list_unsubscribe_url = url});
  ASSERT_EQ(result.outcome, Outcome::kSent) << result.detail;
  EXPECT_EQ(result.provider_id, id + "@homecoming.localhost");

  auto mailpit = ClientFor(mailpit_url);
  const std::string mailpit_id = WaitForMail(*mailpit, id + "@homecoming.localhost");
  ASSERT_FALSE(mailpit_id.empty()) << "the message never reached Mailpit";
  const nlohmann::json message = GetJson(*mailpit, "/api/v1/message/" + mailpit_id);
  EXPECT_EQ(message.value("Subject", ""), "Your plans on Sat 5 Dec — día de campo");
  EXPECT_EQ(message.value("Text", ""), "Hi Ana,\r\n\r\nYour place is confirmed.\r\n.\r\nBye\r\n");
  ASSERT_TRUE(message.contains("To") && message["To"].size() == 1) << message.dump();
  EXPECT_EQ(message["To"][0].value("Address", ""), "ana@homecoming.test");
  EXPECT_EQ(message["From"].value("Name", ""), "Homecoming");

  const nlohmann::json headers = GetJson(*mailpit, "/api/v1/message/" + mailpit_id + "/headers");
  ASSERT_TRUE(headers.is_object()) << "no headers";
  EXPECT_EQ(headers["List-Unsubscribe"], nlohmann::json::array({"<" + url + ">"}));
  EXPECT_EQ(headers["List-Unsubscribe-Post"],
            nlohmann::json::array({"List-Unsubscribe=One-Click"}));
  EXPECT_EQ(headers["Message-Id"], nlohmann::json::array({"<" + id + "@homecoming.localhost>"}))
      << headers.dump();
  auto raw = mailpit->Get("/api/v1/message/" + mailpit_id + "/raw");
  ASSERT_TRUE(raw && raw->status == 200);
  EXPECT_TRUE(absl::StrContains(raw->body, "Subject: =?UTF-8?B?")) << raw->body;
  EXPECT_TRUE(absl::StrContains(raw->body, "Content-Transfer-Encoding: quoted-printable"));
}

TEST(EmailChannel, AClosedPortIsTransientAndQuick) {
  REQUIRE_ENV(smtp_url, "HC_TEST_SMTP_URL");
  channels::SmtpSender sender(
      {.url = "smtp://127.0.0.1:" + std::to_string(hc::testing::FreePort())});
  const auto start = Clock::now();
  const SendResult result = sender.Send({.to = "ana@homecoming.test",
                                         .subject = "s",
                                         .text = "t",
                                         .message_id = hc::testing::UniqueName("closed-")});
  EXPECT_EQ(result.outcome, Outcome::kTransient) << result.detail;
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
}

TEST(EmailChannel, AMailboxTheServerRefusesIsPermanentAndTheDetailNamesNoAddress) {
  REQUIRE_ENV(smtp_url, "HC_TEST_SMTP_URL");
  // The test stack's Mailpit answers 550 for recipients under .invalid (scripts/stack.sh).
  channels::SmtpSender sender({.url = smtp_url});
  const SendResult result = sender.Send({.to = "nobody-here@example.invalid",
                                         .subject = "s",
                                         .text = "t",
                                         .message_id = hc::testing::UniqueName("refused-")});
  EXPECT_EQ(result.outcome, Outcome::kPermanent) << result.detail;
  EXPECT_TRUE(absl::StrContains(result.detail, "550")) << result.detail;
  EXPECT_FALSE(absl::StrContains(result.detail, "nobody-here")) << result.detail;
}

TEST(EmailChannel, StartTlsRequiredButNotOfferedIsNotSent) {
  REQUIRE_ENV(smtp_url, "HC_TEST_SMTP_URL");
  // The local Mailpit offers no STARTTLS: a sender configured to require it must not fall
  // back to plain text.
  channels::SmtpSender sender({.url = smtp_url, .require_starttls = true});
  const SendResult result = sender.Send({.to = "ana@homecoming.test",
                                         .subject = "s",
                                         .text = "t",
                                         .message_id = hc::testing::UniqueName("tls-")});
  EXPECT_NE(result.outcome, Outcome::kSent);
}

class SmsChannelTest : public ::testing::Test {
 protected:
  channels::SmsSettings Settings() {
    return {.base_url = EnvOr("HC_TEST_SMS_BASE_URL"),
            .account_id = EnvOr("HC_TEST_SMS_ACCOUNT_ID"),
            .token = ReadFile(EnvOr("HC_TEST_SMS_TOKEN_FILE")),
            .from = "Homecoming"};
  }
};

TEST_F(SmsChannelTest, TheCaptureServerRecordsToFromAndBody) {
  REQUIRE_ENV(base_url, "HC_TEST_SMS_BASE_URL");
  REQUIRE_ENV(account, "HC_TEST_SMS_ACCOUNT_ID");
  REQUIRE_ENV(token_file, "HC_TEST_SMS_TOKEN_FILE");
  channels::HttpSmsSender sender(Settings());
  const std::string body =
      "Homecoming: you're confirmed for Sat 5 Dec, 6:30 PM CST. " + hc::testing::UniqueName("n");
  const SendResult result = sender.Send({.to = "+15550100123", .body = body});
  ASSERT_EQ(result.outcome, Outcome::kSent) << result.detail;
  ASSERT_TRUE(absl::StartsWith(result.provider_id, "SM")) << result.provider_id;

  auto capture = ClientFor(base_url);
  const nlohmann::json messages = GetJson(*capture, "/messages");
  nlohmann::json found;
  for (const auto& m : messages) {
    if (m.value("sid", "") == result.provider_id) found = m;
  }
  ASSERT_TRUE(found.is_object()) << "the capture server has no message " << result.provider_id;
  EXPECT_EQ(found.value("to", ""), "+15550100123");
  EXPECT_EQ(found.value("from", ""), "Homecoming");
  EXPECT_EQ(found.value("body", ""), body);
}

// A wrong token refuses every message alike: the channel pauses and retries (the operator
// fixes the token) rather than failing everything queued for good.
TEST_F(SmsChannelTest, AWrongTokenIsTransient) {
  REQUIRE_ENV(base_url, "HC_TEST_SMS_BASE_URL");
  REQUIRE_ENV(account, "HC_TEST_SMS_ACCOUNT_ID");
  channels::SmsSettings settings = Settings();
  settings.token = "not-the-token";
  const SendResult result =
      channels::HttpSmsSender(settings).Send({.to = "+15550100123", .body = "x"});
  EXPECT_EQ(result.outcome, Outcome::kTransient) << result.detail;
  EXPECT_EQ(result.detail, "sms: HTTP 401");
}

// A refusal of this one message (the capture server answers 400 without a body, as providers
// do for a bad number) is permanent: retrying can't help.
TEST_F(SmsChannelTest, AMessageTheProviderRefusesIsPermanent) {
  REQUIRE_ENV(base_url, "HC_TEST_SMS_BASE_URL");
  REQUIRE_ENV(account, "HC_TEST_SMS_ACCOUNT_ID");
  const SendResult result =
      channels::HttpSmsSender(Settings()).Send({.to = "+15550100123", .body = ""});
  EXPECT_EQ(result.outcome, Outcome::kPermanent) << result.detail;
  EXPECT_EQ(result.detail, "sms: HTTP 400");
}

TEST_F(SmsChannelTest, AServerThatIsDownIsTransient) {
  REQUIRE_ENV(base_url, "HC_TEST_SMS_BASE_URL");
  channels::SmsSettings settings = Settings();
  settings.base_url = "http://127.0.0.1:" + std::to_string(hc::testing::FreePort());
  const auto start = Clock::now();
  const SendResult result =
      channels::HttpSmsSender(settings).Send({.to = "+15550100123", .body = "x"});
  EXPECT_EQ(result.outcome, Outcome::kTransient) << result.detail;
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
}

// The unsubscribe endpoint of a running App.
class UnsubscribeEndpointTest : public ::testing::Test {
 protected:
  static constexpr char kSecret[] = "channels-integration-secret-0123456789";
  static constexpr char kKeyHex[] =
      "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

  void SetUp() override {
    if (EnvOr("HC_TEST_PG_URL_BASE").empty()) {
      GTEST_SKIP() << "HC_TEST_PG_URL_BASE is not set: start the test stack";
    }
    ASSERT_TRUE(hc::kafka::EnsureTopics(hc::testing::KafkaBrokers(),
                                        {events_topic_, membership_topic_, volunteering_topic_}, 3,
                                        std::chrono::seconds(30))
                    .ok());
    Settings s;
    s.service.server.address = "127.0.0.1:0";
    s.service.metrics_address = "127.0.0.1:0";
    s.service.database_url = db_.url();
    s.service.redis_address = hc::testing::RedisAddress();
    s.service.kafka_brokers = hc::testing::KafkaBrokers();
    s.service.jwt = {.algorithm = "HS256", .key = kSecret, .issuer = "hc-test"};
    s.data_key_hex = std::string(64, 'f');
    s.service.workers = 2;
    s.service.db_pool_size = 2;
    s.events_topic = events_topic_;
    s.membership_topic = membership_topic_;
    s.volunteering_topic = volunteering_topic_;
    s.consumer_group = hc::testing::UniqueName("notifications-chan");
    s.events_consumer_group = hc::testing::UniqueName("notifications-chan-events");
    s.volunteering_consumer_group = hc::testing::UniqueName("notifications-chan-vol");
    s.channels.http_address = "127.0.0.1:0";
    s.channels.unsubscribe_key_hex = kKeyHex;
    app_ = std::make_unique<App>(s);
    ASSERT_TRUE(app_->Start().ok());
    ASSERT_GT(app_->http_port(), 0);
    http_ = ClientFor("http://127.0.0.1:" + std::to_string(app_->http_port()));
    stub_ = pb::NotificationsService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(app_->grpc_port()), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (app_) app_->Shutdown();
  }

  std::string TokenFor(const std::string& member, domain::Category category) {
    return domain::UnsubscribeKey::FromHex(kKeyHex)->Sign(
        {.member_id = member, .category = category});
  }

  pb::Preferences Get(const std::string& member_id) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    ctx.AddMetadata("authorization", "Bearer " + *hc::auth::Mint({.algorithm = "HS256",
                                                                  .key = kSecret,
                                                                  .issuer = "hc-test",
                                                                  .subject = member_id,
                                                                  .roles = {"alumnus"}}));
    pb::GetPreferencesResponse resp;
    const grpc::Status s = stub_->GetPreferences(&ctx, {}, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.preferences();
  }

  httplib::Result OneClick(const std::string& token) {
    return http_->Post("/unsubscribe?t=" + token, "List-Unsubscribe=One-Click",
                       "application/x-www-form-urlencoded");
  }

  hc::testing::TestDatabase db_{"notifications"};
  std::string events_topic_ = hc::testing::UniqueName("alumni.events.v1.chantest");
  std::string membership_topic_ = hc::testing::UniqueName("alumni.membership.v1.chantest");
  std::string volunteering_topic_ = hc::testing::UniqueName("alumni.volunteering.v1.chantest");
  std::unique_ptr<App> app_;
  std::unique_ptr<httplib::Client> http_;
  std::unique_ptr<pb::NotificationsService::Stub> stub_;
};

TEST_F(UnsubscribeEndpointTest, OneClickTurnsEmailOffForExactlyThatCategory) {
  const std::string ana = hc::ids::NewUuid();
  ASSERT_TRUE(Get(ana).reminders().email());
  const std::string token = TokenFor(ana, domain::Category::kReminders);

  // The page a browser opens changes nothing by itself (mail scanners follow links).
  auto page = http_->Get("/unsubscribe?t=" + token);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_TRUE(absl::StrContains(page->body, "<form method=\"post\"")) << page->body;
  EXPECT_FALSE(absl::StrContains(page->body, "<script"));
  EXPECT_TRUE(
      absl::StartsWith(page->get_header_value("Content-Security-Policy"), "default-src 'none'"));
  EXPECT_EQ(page->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_TRUE(Get(ana).reminders().email());

  auto done = OneClick(token);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status, 200) << done->body;
  const pb::Preferences after = Get(ana);
  EXPECT_FALSE(after.reminders().email());
  EXPECT_TRUE(after.reminders().in_app());
  EXPECT_TRUE(after.events().email());
  EXPECT_TRUE(after.volunteering().email());

  // Idempotent: a second click (or a mail client's retry) answers the same.
  auto again = OneClick(token);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  EXPECT_FALSE(Get(ana).reminders().email());
}

TEST_F(UnsubscribeEndpointTest, ATamperedTokenGets400AndChangesNothing) {
  const std::string ben = hc::ids::NewUuid();
  std::string token = TokenFor(ben, domain::Category::kEvents);
  token[token.size() / 2] = token[token.size() / 2] == 'A' ? 'B' : 'A';
  auto res = OneClick(token);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  auto page = http_->Get("/unsubscribe?t=" + token);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 400);
  // Another key's token for the same member and category is refused too.
  const std::string foreign = domain::UnsubscribeKey::Generate().Sign(
      {.member_id = ben, .category = domain::Category::kEvents});
  auto foreign_res = OneClick(foreign);
  ASSERT_TRUE(foreign_res);
  EXPECT_EQ(foreign_res->status, 400);
  EXPECT_TRUE(Get(ben).events().email());
}

TEST_F(UnsubscribeEndpointTest, AnErasedMembersLinkGetsTheSamePageAndStoresNothing) {
  const std::string erased = hc::ids::NewUuid();
  {
    // What MemberDeleted leaves behind (libs/identity): a tombstone.
    pqxx::connection conn(db_.url());
    pqxx::work tx(conn);
    tx.exec_params(
        "INSERT INTO token_revocations (subject, revoked_through, erased) VALUES ($1, now(), true)",
        erased);
    tx.commit();
  }
  const std::string token = TokenFor(erased, domain::Category::kEvents);
  auto res = OneClick(token);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  auto someone = OneClick(TokenFor(hc::ids::NewUuid(), domain::Category::kEvents));
  ASSERT_TRUE(someone);
  EXPECT_EQ(res->body, someone->body) << "the page must not tell an erased member apart";
  pqxx::connection conn(db_.url());
  pqxx::nontransaction tx(conn);
  EXPECT_EQ(tx.exec_params("SELECT count(*) FROM preferences WHERE member_id = $1", erased)[0][0]
                .as<int>(),
            0);
}

}  // namespace
}  // namespace notifications

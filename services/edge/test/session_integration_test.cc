// Sign-in end to end: a real httplib::Server carrying the /auth routes, the edge's PostgreSQL
// database, the real membership service in-process, and Mailpit for the emailed links.
#include <gtest/gtest.h>
#include <httplib.h>
#include <prometheus/registry.h>

#include <fstream>
#include <map>
#include <pqxx/pqxx>
#include <regex>
#include <thread>

#include "alumni/membership/v1/membership_service.grpc.pb.h"
#include "libs/auth/auth.h"
#include "libs/testing/testing.h"
#include "nlohmann/json.hpp"
#include "services/edge/src/http/address_key.h"
#include "services/edge/src/http/edge_server.h"
#include "services/edge/src/session/sign_in.h"
#include "services/edge/src/settings.h"
#include "services/membership/src/app.h"

namespace edge::session {
namespace {

namespace pb = alumni::membership::v1;
using namespace std::chrono_literals;

const std::string kSecret = "edge-session-integration-test-secret-0123456789";

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Counts in the process, like the gateway's fallback.
class MemoryLimiter : public http::RateLimiter {
 public:
  std::optional<size_t> FirstRefused(std::span<const http::Limit> limits) override {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < limits.size(); ++i) {
      keys_.push_back(std::string(limits[i].key));
      if (++counts_[std::string(limits[i].bucket) + "|" + std::string(limits[i].key)] >
          limits[i].limit) {
        return i;
      }
    }
    return std::nullopt;
  }
  std::vector<std::string> keys() {
    std::lock_guard lock(mu_);
    return keys_;
  }

 private:
  std::mutex mu_;
  std::map<std::string, int> counts_;
  std::vector<std::string> keys_;
};

struct Jwt {
  std::string algorithm = "HS256";
  std::string verify_key = kSecret;
  std::string signing_key = kSecret;
};

class SignInTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(Jwt{}, "local"); }

  void Start(const Jwt& jwt, const std::string& profile) {
    jwt_ = jwt;
    const std::string brokers = hc::testing::KafkaBrokers();
    ASSERT_TRUE(
        hc::kafka::EnsureTopics(brokers, {"alumni.membership.v1"}, 3, std::chrono::seconds(30))
            .ok());
    membership::Settings ms;
    ms.service.server.address = "127.0.0.1:0";
    ms.service.metrics_address = "127.0.0.1:0";
    ms.service.database_url = membership_db_.url();
    ms.service.redis_address = hc::testing::RedisAddress();
    ms.service.kafka_brokers = brokers;
    ms.service.jwt = {.algorithm = jwt.algorithm, .key = jwt.verify_key, .issuer = "hc-test"};
    ms.service.workers = 4;
    ms.data_key_hex = std::string(64, 'd');
    membership_ = std::make_unique<membership::App>(ms);
    ASSERT_TRUE(membership_->Start().ok());
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(membership_->grpc_port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = pb::MembershipService::NewStub(channel_);

    alumna_email_ = hc::testing::UniqueName("alumna") + "@example.org";
    alumna_ = Register("Ana", "Martinez", alumna_email_);
    coordinator_ = Register("Cora", "Dinator", hc::testing::UniqueName("coord") + "@example.org");
    pb::AssignRoleRequest assign;
    assign.set_member_id(coordinator_);
    assign.set_role(pb::ROLE_COORDINATOR);
    pb::AssignRoleResponse assigned;
    ASSERT_TRUE(stub_->AssignRole(Ctx(Token("admin-1", {"admin"})).get(), assign, &assigned).ok());

    dev_users_file_ = "/tmp/" + hc::testing::UniqueName("dev-users") + ".json";
    std::ofstream(dev_users_file_)
        << nlohmann::json::array({{{"memberId", alumna_}, {"label", "Ana M. — alumna"}},
                                  {{"memberId", coordinator_}, {"label", "Cora D. — coordinator"}}})
               .dump();

    port_ = hc::testing::FreePort();
    SignInSettings s;
    s.profile = profile;
    s.public_url = "http://127.0.0.1:" + std::to_string(port_);
    s.database_url = edge_db_.url();
    s.jwt_algorithm = jwt.algorithm;
    s.jwt_issuer = "hc-test";
    s.jwt_signing_key = jwt.signing_key;
    s.dev_users_file = dev_users_file_;
    // Each test reads the store's truth at once (the cache has a test of its own).
    s.session_cache_ttl = std::chrono::milliseconds(0);
    s.smtp.url = Env("HC_TEST_SMTP_URL");
    ASSERT_FALSE(s.smtp.url.empty()) << "HC_TEST_SMTP_URL is not set: start the test stack";
    settings_ = s;
    ASSERT_TRUE(MigrateSessionStore(s.database_url).ok());
    sign_in_ = std::make_unique<SignIn>(s, limiter_, channel_);
    sign_in_->Register(server_);
    server_thread_ = std::thread([this] { server_.listen("127.0.0.1", port_); });
    ASSERT_TRUE(hc::testing::WaitFor([&] { return server_.is_running(); }, 5s));
  }

  void TearDown() override {
    server_.stop();
    if (server_thread_.joinable()) server_thread_.join();
    sign_in_.reset();
    if (membership_) membership_->Shutdown();
    std::remove(dev_users_file_.c_str());
  }

  std::string Token(const std::string& subject, std::vector<std::string> roles) {
    return *hc::auth::Mint({.algorithm = jwt_.algorithm,
                            .key = jwt_.signing_key,
                            .issuer = "hc-test",
                            .subject = subject,
                            .roles = std::move(roles)});
  }

  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + 10s);
    ctx->AddMetadata("authorization", "Bearer " + token);
    return ctx;
  }

  std::string Register(const std::string& first, const std::string& last,
                       const std::string& email) {
    pb::RegisterMemberRequest r;
    r.set_first_name(first);
    r.set_last_name(last);
    r.set_email(email);
    r.set_time_zone("America/Chicago");
    pb::RegisterMemberResponse resp;
    grpc::Status s =
        stub_->RegisterMember(Ctx(Token("coordinator-1", {"coordinator"})).get(), r, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.member().member_id();
  }

  httplib::Client Client() {
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(5);
    c.set_read_timeout(10);
    return c;
  }

  // POST /auth/email-link as the app would (same origin).
  httplib::Result AskForLink(const std::string& email) {
    return Client().Post("/auth/email-link", {{"Origin", settings_.public_url}},
                         nlohmann::json{{"email", email}}.dump(), "application/json");
  }

  // The token in the newest sign-in email to `email`, once Mailpit has it ("" after 15 s).
  std::string WaitForLinkToken(const std::string& email) {
    httplib::Client mailpit(Env("HC_TEST_MAILPIT_URL"));
    std::string token;
    hc::testing::WaitFor(
        [&] {
          auto list = mailpit.Get("/api/v1/messages?limit=200");
          if (!list || list->status != 200) return false;
          auto json = nlohmann::json::parse(list->body, nullptr, false);
          if (!json.is_object() || !json.contains("messages")) return false;
          for (const auto& m : json["messages"]) {
            bool to_them = false;
            for (const auto& to : m.value("To", nlohmann::json::array())) {
              to_them = to_them || to.value("Address", "") == email;
            }
            if (!to_them) continue;
            auto full = mailpit.Get("/api/v1/message/" + m.value("ID", ""));
            if (!full || full->status != 200) return false;
            auto message = nlohmann::json::parse(full->body, nullptr, false);
            EXPECT_EQ(message.value("Subject", ""), "Your Homecoming sign-in link");
            std::smatch match;
            const std::string text = message.value("Text", "");
            static const std::regex kLink("/auth/link\\?token=([A-Za-z0-9_-]{43})");
            if (!std::regex_search(text, match, kLink)) return false;
            token = match[1];
            return true;
          }
          return false;
        },
        15s, 100ms);
    return token;
  }

  size_t MailsTo(const std::string& email) {
    httplib::Client mailpit(Env("HC_TEST_MAILPIT_URL"));
    auto list = mailpit.Get("/api/v1/messages?limit=500");
    EXPECT_TRUE(list && list->status == 200);
    size_t n = 0;
    for (const auto& m : nlohmann::json::parse(list->body)["messages"]) {
      for (const auto& to : m.value("To", nlohmann::json::array())) {
        n += to.value("Address", "") == email;
      }
    }
    return n;
  }

  httplib::Result UseLink(const std::string& token) {
    return Client().Post("/auth/link", {{"Origin", settings_.public_url}}, "token=" + token,
                         "application/x-www-form-urlencoded");
  }

  // The session secret a 303 set, or "".
  static std::string CookieFrom(const httplib::Result& res) {
    if (!res) return "";
    const std::string set = res->get_header_value("Set-Cookie");
    std::smatch match;
    static const std::regex kCookie("^hc_session=([A-Za-z0-9_-]{43});");
    return std::regex_search(set, match, kCookie) ? std::string(match[1]) : "";
  }

  httplib::Result SessionInfo(const std::string& cookie) {
    return Client().Get("/auth/session", {{"Cookie", "hc_session=" + cookie}});
  }

  std::string Sql(const std::string& sql) {
    pqxx::connection c(edge_db_.url());
    pqxx::work tx(c);
    pqxx::result r = tx.exec(sql);
    tx.commit();
    return r.empty() ? "" : r[0][0].c_str();
  }

  std::string SignInWithLink(const std::string& email) {
    auto asked = AskForLink(email);
    EXPECT_TRUE(asked && asked->status == 202);
    const std::string token = WaitForLinkToken(email);
    EXPECT_FALSE(token.empty()) << "no sign-in email reached Mailpit";
    return CookieFrom(UseLink(token));
  }

  Jwt jwt_;
  hc::testing::TestDatabase membership_db_{"signin_m"};
  hc::testing::TestDatabase edge_db_{"signin_e"};
  std::unique_ptr<membership::App> membership_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::MembershipService::Stub> stub_;
  std::string alumna_email_, alumna_, coordinator_, dev_users_file_;
  int port_ = 0;
  SignInSettings settings_;
  MemoryLimiter limiter_;
  std::unique_ptr<SignIn> sign_in_;
  httplib::Server server_;
  std::thread server_thread_;
};

TEST_F(SignInTest, EmailedLinkSignsInOnceAndAReplayIsRefused) {
  auto asked = AskForLink(alumna_email_);
  ASSERT_TRUE(asked);
  EXPECT_EQ(asked->status, 202);
  EXPECT_EQ(nlohmann::json::parse(asked->body)["message"],
            "If that address belongs to a member, a sign-in link is on its way.");
  const std::string token = WaitForLinkToken(alumna_email_);
  ASSERT_FALSE(token.empty()) << "no sign-in email reached Mailpit";
  // Only the hash is stored.
  EXPECT_EQ(Sql("SELECT count(*) FROM sign_in_links WHERE position('" + token +
                "'::bytea in secret_hash) > 0"),
            "0");
  EXPECT_EQ(Sql("SELECT count(*) FROM sign_in_links"), "1");

  // Opening the link (a GET, as a mail scanner would) does not consume it.
  auto page = Client().Get("/auth/link?token=" + token);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Referrer-Policy"), "no-referrer");
  EXPECT_NE(page->body.find("value=\"" + token + "\""), std::string::npos);
  EXPECT_NE(page->body.find(">Sign in</button>"), std::string::npos);
  EXPECT_EQ(page->body.find("<script"), std::string::npos);

  auto used = UseLink(token);
  ASSERT_TRUE(used);
  EXPECT_EQ(used->status, 303);
  EXPECT_EQ(used->get_header_value("Location"), "/");
  const std::string set_cookie = used->get_header_value("Set-Cookie");
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set_cookie.find("SameSite=Lax"), std::string::npos);
  EXPECT_EQ(set_cookie.find("Secure"), std::string::npos);  // no TLS here
  const std::string cookie = CookieFrom(used);
  ASSERT_FALSE(cookie.empty()) << set_cookie;

  auto info = SessionInfo(cookie);
  ASSERT_TRUE(info);
  ASSERT_EQ(info->status, 200) << info->body;
  auto json = nlohmann::json::parse(info->body);
  EXPECT_EQ(json["memberId"], alumna_);
  EXPECT_EQ(json["displayName"], "Ana M.");
  EXPECT_EQ(json["roles"], nlohmann::json::array({"alumnus"}));
  EXPECT_EQ(json["csrfToken"].get<std::string>().size(), 43u);
  EXPECT_TRUE(json.contains("expiresAt"));

  auto replay = UseLink(token);
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->status, 400);
  EXPECT_NE(replay->body.find("This sign-in link has expired or was already used"),
            std::string::npos);
  EXPECT_NE(replay->body.find("href=\"/sign-in\""), std::string::npos);
  EXPECT_TRUE(replay->get_header_value("Set-Cookie").empty());
  EXPECT_EQ(Sql("SELECT count(*) FROM sessions"), "1");
}

TEST_F(SignInTest, NonMemberGetsTheSameAnswerAndNoEmail) {
  const std::string stranger = hc::testing::UniqueName("stranger") + "@example.org";
  auto member = AskForLink(alumna_email_);
  auto other = AskForLink(stranger);
  ASSERT_TRUE(member && other);
  EXPECT_EQ(other->status, member->status);
  EXPECT_EQ(other->body, member->body);
  EXPECT_EQ(other->get_header_value("Content-Type"), member->get_header_value("Content-Type"));
  // Both requests were handled by the worker; only the member's produced a link and a mail.
  ASSERT_TRUE(hc::testing::WaitFor([&] { return sign_in_->links_processed() >= 2; }, 15s));
  ASSERT_FALSE(WaitForLinkToken(alumna_email_).empty());
  EXPECT_EQ(MailsTo(stranger), 0u);
  EXPECT_EQ(Sql("SELECT count(*) FROM sign_in_links"), "1");
  // The limiter saw hashes, never the email or the client's IP address: the same keyed hash
  // the gateway's per-address limit uses.
  bool ip_hashed = false;
  for (const auto& key : limiter_.keys()) {
    EXPECT_EQ(key.find('@'), std::string::npos) << key;
    EXPECT_EQ(key.find("127.0.0.1"), std::string::npos) << key;
    ip_hashed = ip_hashed || key == http::AddressKey(settings_.rate_key, "127.0.0.1");
  }
  EXPECT_TRUE(ip_hashed);
}

TEST_F(SignInTest, MalformedAddressIsNamedAndRepeatedAsksAreRateLimited) {
  auto bad = AskForLink("not an address");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(nlohmann::json::parse(bad->body)["code"], "invalid_argument");
  EXPECT_NE(bad->body.find("email"), std::string::npos);
  const std::string someone = hc::testing::UniqueName("many") + "@example.org";
  for (int i = 0; i < settings_.links_per_address; ++i) {
    auto ok = AskForLink(someone);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 202);
  }
  auto limited = AskForLink(someone);
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
}

TEST_F(SignInTest, ExpiredLinkIsRefused) {
  auto asked = AskForLink(alumna_email_);
  ASSERT_TRUE(asked && asked->status == 202);
  const std::string token = WaitForLinkToken(alumna_email_);
  ASSERT_FALSE(token.empty());
  Sql("UPDATE sign_in_links SET expires_at = now() - interval '1 second'");
  auto used = UseLink(token);
  ASSERT_TRUE(used);
  EXPECT_EQ(used->status, 400);
  EXPECT_TRUE(CookieFrom(used).empty());
  EXPECT_EQ(Sql("SELECT count(*) FROM sessions"), "0");
}

TEST_F(SignInTest, ConcurrentUsesOfOneLinkMakeExactlyOneSession) {
  auto asked = AskForLink(alumna_email_);
  ASSERT_TRUE(asked && asked->status == 202);
  const std::string token = WaitForLinkToken(alumna_email_);
  ASSERT_FALSE(token.empty());
  constexpr int kRacers = 8;
  std::vector<int> statuses(kRacers);
  std::vector<std::thread> racers;
  std::atomic<int> ready{0};
  for (int i = 0; i < kRacers; ++i) {
    racers.emplace_back([&, i] {
      httplib::Client c = Client();
      ++ready;
      while (ready.load() < kRacers) std::this_thread::yield();
      auto r = c.Post("/auth/link", {{"Origin", settings_.public_url}}, "token=" + token,
                      "application/x-www-form-urlencoded");
      statuses[i] = r ? r->status : -1;
    });
  }
  for (auto& t : racers) t.join();
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 303), 1);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 400), kRacers - 1);
  EXPECT_EQ(Sql("SELECT count(*) FROM sessions"), "1");
}

TEST_F(SignInTest, ForgedCookieAndCrossSitePostsAreRefused) {
  auto none = Client().Get("/auth/session");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(nlohmann::json::parse(none->body)["code"], "unauthenticated");
  auto forged = SessionInfo(std::string(43, 'A'));
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 401);

  httplib::Client c = Client();
  auto cross = c.Post("/auth/email-link", {{"Origin", "https://evil.example"}},
                      nlohmann::json{{"email", alumna_email_}}.dump(), "application/json");
  ASSERT_TRUE(cross);
  EXPECT_EQ(cross->status, 403);
  auto cross_site = c.Post("/auth/link", {{"Sec-Fetch-Site", "cross-site"}},
                           "token=" + std::string(43, 'A'), "application/x-www-form-urlencoded");
  ASSERT_TRUE(cross_site);
  EXPECT_EQ(cross_site->status, 403);
  auto cross_dev = c.Post("/auth/dev", {{"Origin", "https://evil.example"}}, "member_id=" + alumna_,
                          "application/x-www-form-urlencoded");
  ASSERT_TRUE(cross_dev);
  EXPECT_EQ(cross_dev->status, 403);
  EXPECT_EQ(Sql("SELECT count(*) FROM sessions"), "0");
}

TEST_F(SignInTest, SignOutNeedsTheCsrfTokenAndRevokesTheSession) {
  const std::string cookie = SignInWithLink(alumna_email_);
  ASSERT_FALSE(cookie.empty());
  auto info = SessionInfo(cookie);
  ASSERT_TRUE(info && info->status == 200);
  const std::string csrf = nlohmann::json::parse(info->body)["csrfToken"];
  httplib::Client c = Client();
  auto without = c.Post("/auth/sign-out", {{"Cookie", "hc_session=" + cookie}}, "", "text/plain");
  ASSERT_TRUE(without);
  EXPECT_EQ(without->status, 403);
  auto wrong = c.Post("/auth/sign-out",
                      {{"Cookie", "hc_session=" + cookie}, {"X-CSRF-Token", std::string(43, 'x')}},
                      "", "text/plain");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 403);
  auto cross = c.Post("/auth/sign-out",
                      {{"Cookie", "hc_session=" + cookie},
                       {"X-CSRF-Token", csrf},
                       {"Origin", "https://evil.example"}},
                      "", "text/plain");
  ASSERT_TRUE(cross);
  EXPECT_EQ(cross->status, 403);
  ASSERT_EQ(SessionInfo(cookie)->status, 200);

  auto out = c.Post("/auth/sign-out", {{"Cookie", "hc_session=" + cookie}, {"X-CSRF-Token", csrf}},
                    "", "text/plain");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 204);
  EXPECT_NE(out->get_header_value("Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(SessionInfo(cookie)->status, 401);
  EXPECT_FALSE(sign_in_->Find(cookie).ok());
}

TEST_F(SignInTest, AccessTokenCarriesCurrentRolesIsReusedAndEndsWithTheMember) {
  auto dev = Client().Post("/auth/dev", {{"Origin", settings_.public_url}},
                           "member_id=" + coordinator_, "application/x-www-form-urlencoded");
  ASSERT_TRUE(dev);
  ASSERT_EQ(dev->status, 303) << dev->body;
  const std::string cookie = CookieFrom(dev);
  auto session = sign_in_->Find(cookie);
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ(session->roles, (std::vector<std::string>{"alumnus", "coordinator"}));
  auto token = sign_in_->AccessToken(*session);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(*sign_in_->AccessToken(*session), *token);  // reused, not minted per call

  // Membership accepts it: the coordinator reads another member.
  pb::GetMemberRequest get;
  get.set_member_id(alumna_);
  pb::GetMemberResponse got;
  grpc::Status s = stub_->GetMember(Ctx(*token).get(), get, &got);
  EXPECT_TRUE(s.ok()) << s.error_message();
  auto verifier = hc::auth::Verifier::Create(
      {.algorithm = jwt_.algorithm, .key = jwt_.verify_key, .issuer = "hc-test"});
  ASSERT_TRUE(verifier.ok());
  auto principal = verifier->Verify(*token);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->subject, coordinator_);
  EXPECT_TRUE(principal->HasRole("coordinator"));
  EXPECT_EQ(principal->expires_at - principal->issued_at, 300);

  // A second session of the same member, on another device.
  auto other_device =
      Client().Post("/auth/dev", {{"Origin", settings_.public_url}}, "member_id=" + coordinator_,
                    "application/x-www-form-urlencoded");
  ASSERT_TRUE(other_device && other_device->status == 303);
  const std::string other_cookie = CookieFrom(other_device);

  // Erased: the next token is refused and every session of theirs is gone.
  pb::DeleteMemberRequest del;
  del.set_member_id(coordinator_);
  pb::DeleteMemberResponse deleted;
  ASSERT_TRUE(stub_->DeleteMember(Ctx(Token("admin-1", {"admin"})).get(), del, &deleted).ok());
  SignInSettings short_lived = settings_;
  short_lived.access_token_reuse_margin = std::chrono::seconds(301);  // never reuse
  SignIn fresh(short_lived, limiter_, channel_);
  auto refused = fresh.AccessToken(*session);
  EXPECT_TRUE(absl::IsUnauthenticated(refused.status())) << refused.status();
  EXPECT_TRUE(absl::IsUnauthenticated(sign_in_->Find(cookie).status()));
  EXPECT_TRUE(absl::IsUnauthenticated(sign_in_->Find(other_cookie).status()));
  EXPECT_EQ(Sql("SELECT count(*) FROM sessions WHERE member_id = '" + coordinator_ + "'"), "0");
}

TEST_F(SignInTest, APurgeThreadDeletesUsedAndExpiredLinksAndLongDeadSessions) {
  // A live session and an unused link stay; so does a session revoked an hour ago.
  auto dev = Client().Post("/auth/dev", {{"Origin", settings_.public_url}}, "member_id=" + alumna_,
                           "application/x-www-form-urlencoded");
  ASSERT_TRUE(dev && dev->status == 303);
  const std::string live = CookieFrom(dev);
  auto session = [&](const std::string& name, const std::string& expires,
                     const std::string& revoked) {
    Sql("INSERT INTO sessions (id, secret_hash, member_id, csrf_token, expires_at, revoked_at) "
        "VALUES (gen_random_uuid(), sha256('" +
        name + "'), '" + alumna_ + "', 'c', " + expires + ", " + revoked + ")");
  };
  session("expired-two-days-ago", "now() - interval '2 days'", "NULL");
  session("revoked-two-days-ago", "now() + interval '1 hour'", "now() - interval '2 days'");
  session("revoked-an-hour-ago", "now() + interval '1 hour'", "now() - interval '1 hour'");
  auto link = [&](const std::string& name, const std::string& expires, const std::string& used) {
    Sql("INSERT INTO sign_in_links (secret_hash, member_id, expires_at, used_at) VALUES (sha256('" +
        name + "'), '" + alumna_ + "', " + expires + ", " + used + ")");
  };
  link("unused", "now() + interval '10 minutes'", "NULL");
  link("used", "now() + interval '10 minutes'", "now()");
  link("expired", "now() - interval '1 second'", "NULL");

  SignInSettings often = settings_;
  often.purge_interval = std::chrono::seconds(1);
  SignIn purging(often, limiter_, channel_);
  EXPECT_TRUE(
      hc::testing::WaitFor([&] { return Sql("SELECT count(*) FROM sessions") == "2"; }, 15s, 100ms))
      << Sql("SELECT count(*) FROM sessions");
  EXPECT_EQ(Sql("SELECT count(*) FROM sessions WHERE secret_hash = sha256('revoked-an-hour-ago')"),
            "1");
  EXPECT_TRUE(sign_in_->Find(live).ok());
  EXPECT_TRUE(hc::testing::WaitFor([&] { return Sql("SELECT count(*) FROM sign_in_links") == "1"; },
                                   15s, 100ms));
  EXPECT_EQ(Sql("SELECT count(*) FROM sign_in_links WHERE secret_hash = sha256('unused')"), "1");
}

TEST_F(SignInTest, AfterARefusalTheTokenIsMintedAgainAfterTheRevocationSecond) {
  auto dev = Client().Post("/auth/dev", {{"Origin", settings_.public_url}},
                           "member_id=" + coordinator_, "application/x-www-form-urlencoded");
  ASSERT_TRUE(dev && dev->status == 303);
  auto session = sign_in_->Find(CookieFrom(dev));
  ASSERT_TRUE(session.ok()) << session.status();
  auto verifier = hc::auth::Verifier::Create(
      {.algorithm = jwt_.algorithm, .key = jwt_.verify_key, .issuer = "hc-test"});
  ASSERT_TRUE(verifier.ok());
  auto first = sign_in_->AccessToken(*session);
  ASSERT_TRUE(first.ok()) << first.status();
  auto first_principal = verifier->Verify(*first);
  ASSERT_TRUE(first_principal.ok());

  // A role is revoked this very second: the services refuse every token issued up to it.
  const long revoked_through = std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
  verifier->revocations().Revoke(coordinator_, revoked_through);
  ASSERT_FALSE(verifier->Verify(*first).ok());
  EXPECT_EQ(*sign_in_->AccessToken(*session), *first);  // still cached: nobody said otherwise

  sign_in_->ForgetToken(*session);
  auto fresh = sign_in_->AccessToken(*session);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_NE(*fresh, *first);
  auto principal = verifier->Verify(*fresh);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_GE(principal->issued_at, first_principal->issued_at + 1);
  EXPECT_GT(principal->issued_at, revoked_through);
  // Membership accepts it too (an `iat` up to a second ahead is within its leeway).
  pb::GetMemberRequest get;
  get.set_member_id(coordinator_);
  pb::GetMemberResponse got;
  grpc::Status s = stub_->GetMember(Ctx(*fresh).get(), get, &got);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_F(SignInTest, LiveSessionsAreCachedBrieflyAndSignOutHereDropsThemAtOnce) {
  SignInSettings cached = settings_;
  cached.session_cache_ttl = std::chrono::milliseconds(60000);
  const int port = hc::testing::FreePort();
  cached.public_url = "http://127.0.0.1:" + std::to_string(port);
  SignIn replica(cached, limiter_, channel_);
  httplib::Server server;
  replica.Register(server);
  std::thread serving([&] { server.listen("127.0.0.1", port); });
  ASSERT_TRUE(hc::testing::WaitFor([&] { return server.is_running(); }, 5s));
  auto sign_in = [&] {
    auto dev = Client().Post("/auth/dev", {{"Origin", settings_.public_url}},
                             "member_id=" + alumna_, "application/x-www-form-urlencoded");
    EXPECT_TRUE(dev && dev->status == 303);
    return CookieFrom(dev);
  };

  // Revoked by another replica: this one trusts its cached copy until the TTL ends ...
  const std::string elsewhere = sign_in();
  ASSERT_TRUE(replica.Find(elsewhere).ok());
  Sql("UPDATE sessions SET revoked_at = now()");
  EXPECT_TRUE(replica.Find(elsewhere).ok());
  EXPECT_FALSE(sign_in_->Find(elsewhere).ok());  // (no cache there)

  // ... but a sign-out on this replica holds at once.
  const std::string here = sign_in();
  auto found = replica.Find(here);
  ASSERT_TRUE(found.ok()) << found.status();
  httplib::Client c("127.0.0.1", port);
  auto out = c.Post("/auth/sign-out",
                    {{"Cookie", "hc_session=" + here}, {"X-CSRF-Token", found->csrf_token}}, "",
                    "text/plain");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 204) << out->body;
  EXPECT_TRUE(absl::IsUnauthenticated(replica.Find(here).status()));
  server.stop();
  serving.join();
}

TEST_F(SignInTest, DevPageListsDevUsersAndSignsInOnlyThem) {
  auto page = Client().Get("/auth/dev");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("Ana M. — alumna"), std::string::npos);
  EXPECT_NE(page->body.find("value=\"" + coordinator_ + "\""), std::string::npos);
  const std::string stranger = Register("Sam", "Else", hc::testing::UniqueName("s") + "@x.org");
  auto refused = Client().Post("/auth/dev", {{"Origin", settings_.public_url}},
                               "member_id=" + stranger, "application/x-www-form-urlencoded");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  EXPECT_TRUE(CookieFrom(refused).empty());
}

// Sign-in sets the cookie and the gateway reads it, so both must agree on its name: with TLS on
// the edge (even when HC_EDGE_PUBLIC_URL says http) and behind a TLS-terminating proxy (the
// edge plaintext, the public URL https), the cookie is `__Host-hc_session; Secure` and the
// gateway reads that one.
TEST_F(SignInTest, SignInAndTheGatewayAgreeOnTheSecureCookie) {
  hc::testing::TestCertificates certificates;
  for (const bool edge_tls : {true, false}) {
    SCOPED_TRACE(edge_tls ? "TLS on the edge, http public URL" : "TLS at a proxy");
    Settings settings;
    settings.profile = Profile::kLocal;
    settings.http_address = "127.0.0.1:" + std::to_string(hc::testing::FreePort());
    settings.threads = 4;
    settings.max_streams = 1;
    settings.ip_rate_per_minute = 1000000;
    settings.session_rate_per_minute = 1000000;
    if (edge_tls) {
      settings.tls_cert_file = certificates.path("server.pem");
      settings.tls_key_file = certificates.path("server.key");
      settings.public_url = "http://" + settings.http_address;
    } else {
      settings.public_url = "https://home.example.org";
    }
    ASSERT_TRUE(settings.secure_cookies());
    SignInSettings s = settings_;
    s.public_url = settings.public_url;
    s.secure_cookies = settings.secure_cookies();
    SignIn sign_in(s, limiter_, channel_);
    prometheus::Registry registry;
    http::EdgeServer edge(settings, sign_in, limiter_,
                          {.membership = channel_,
                           .events = channel_,
                           .volunteering = channel_,
                           .notifications = channel_},
                          registry);
    sign_in.Register(edge.server());
    ASSERT_TRUE(edge.Start().ok());
    httplib::Client client((edge_tls ? "https://" : "http://") + settings.http_address);
    if (edge_tls) {
      client.set_ca_cert_path(certificates.path("ca.pem").c_str());
      client.enable_server_certificate_verification(true);
    }
    client.set_read_timeout(10);

    auto dev =
        client.Post("/auth/dev", "member_id=" + alumna_, "application/x-www-form-urlencoded");
    ASSERT_TRUE(dev) << httplib::to_string(dev.error());
    ASSERT_EQ(dev->status, 303) << dev->body;
    const std::string set_cookie = dev->get_header_value("Set-Cookie");
    EXPECT_NE(set_cookie.find("; Secure"), std::string::npos) << set_cookie;
    std::smatch match;
    static const std::regex kSecureCookie("^__Host-hc_session=([A-Za-z0-9_-]{43});");
    ASSERT_TRUE(std::regex_search(set_cookie, match, kSecureCookie)) << set_cookie;
    const httplib::Headers cookie = {{"Cookie", "__Host-hc_session=" + std::string(match[1])}};

    auto info = client.Get("/auth/session", cookie);
    ASSERT_TRUE(info);
    ASSERT_EQ(info->status, 200) << info->body;
    httplib::Headers call_headers = cookie;
    call_headers.emplace("X-CSRF-Token", nlohmann::json::parse(info->body)["csrfToken"]);
    // The gateway finds the session by the same cookie and calls membership as the member.
    auto got = client.Post("/alumni.membership.v1.MembershipService/GetMember", call_headers,
                           nlohmann::json{{"memberId", alumna_}}.dump(), "application/json");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->status, 200) << got->body;
    EXPECT_EQ(nlohmann::json::parse(got->body)["member"]["memberId"], alumna_);
    edge.Stop();
  }
}

class SignInProductionTest : public SignInTest {
 protected:
  void SetUp() override {
    Start({.algorithm = "RS256",
           .verify_key = ReadFile(std::string(HC_AUTH_TESTDATA) + "/rs256_public.pem"),
           .signing_key = ReadFile(std::string(HC_AUTH_TESTDATA) + "/rs256_private.pem")},
          "production");
  }
};

TEST_F(SignInProductionTest, DevSignInIsAbsent) {
  auto page = Client().Get("/auth/dev");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 404);
  auto post = Client().Post("/auth/dev", {{"Origin", settings_.public_url}}, "member_id=" + alumna_,
                            "application/x-www-form-urlencoded");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 404);
}

TEST_F(SignInProductionTest, Rs256TokensFromThePrivateKeyAreVerifiedWithThePublicKey) {
  // The edge's own identity (for ResolveSignIn) and the member's token are both RS256.
  const std::string cookie = SignInWithLink(alumna_email_);
  ASSERT_FALSE(cookie.empty());
  auto session = sign_in_->Find(cookie);
  ASSERT_TRUE(session.ok()) << session.status();
  auto token = sign_in_->AccessToken(*session);
  ASSERT_TRUE(token.ok()) << token.status();
  pb::GetMemberRequest get;
  get.set_member_id(alumna_);
  pb::GetMemberResponse got;
  grpc::Status s = stub_->GetMember(Ctx(*token).get(), get, &got);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(got.member().email(), alumna_email_);
  // An HS256 token is refused by the RS256-pinned membership.
  auto hs = hc::auth::Mint({.key = kSecret, .issuer = "hc-test", .subject = alumna_});
  EXPECT_EQ(stub_->GetMember(Ctx(*hs).get(), get, &got).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace edge::session

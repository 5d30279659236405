// The relay login (HC_SMTP_USER / HC_SMTP_PASSWORD_FILE), as the edge and notifications read
// it, against a real Mailpit that requires SMTP authentication.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include "libs/smtp/settings.h"
#include "libs/smtp/smtp.h"
#include "libs/testing/testing.h"
#include "nlohmann/json.hpp"

namespace hc::smtp {
namespace {

using namespace std::chrono_literals;

class SmtpAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = "/tmp/" + hc::testing::UniqueName("hc-smtp-auth-");
    ASSERT_EQ(std::system(("mkdir -p " + dir_).c_str()), 0);
    // Mailpit's auth file: one `user:password` line (plain text is accepted).
    std::ofstream(dir_ + "/logins") << "relay:correct-horse-7\n";
    std::ofstream(dir_ + "/password") << "correct-horse-7\n";
    std::ofstream(dir_ + "/wrong-password") << "battery staple\n";
    smtp_port_ = hc::testing::FreePort();
    http_port_ = hc::testing::FreePort();
    mailpit_.Start({"mailpit", "--smtp", "127.0.0.1:" + std::to_string(smtp_port_), "--listen",
                    "127.0.0.1:" + std::to_string(http_port_), "--smtp-auth-file", dir_ + "/logins",
                    // Loopback only: PLAIN without TLS is fine for the test (production sets
                    // HC_SMTP_STARTTLS=1).
                    "--smtp-auth-allow-insecure", "--disable-version-check"},
                   dir_ + "/mailpit.log");
    ASSERT_TRUE(hc::testing::WaitFor(
        [&] { return !hc::testing::HttpGet(http_port_, "/api/v1/messages").empty(); }, 20s))
        << "mailpit did not start (is it installed? scripts/install-deps.sh --tools); see " << dir_
        << "/mailpit.log";
  }

  void TearDown() override {
    mailpit_.Stop();
    std::system(("rm -rf " + dir_).c_str());
  }

  // Settings read exactly as the services read them.
  SmtpSettings Settings(std::map<std::string, std::string> vars) {
    vars["HC_SMTP_URL"] = "smtp://127.0.0.1:" + std::to_string(smtp_port_);
    hc::config::Env env([vars](const std::string& name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    });
    absl::StatusOr<SmtpSettings> s = ReadSmtpSettings(env, "HC_SMTP_FROM");
    EXPECT_TRUE(env.Check().ok());
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : SmtpSettings{};
  }

  int Delivered() {
    const std::string body = hc::testing::HttpGet(http_port_, "/api/v1/messages");
    if (body.empty()) return -1;
    return nlohmann::json::parse(body).value("total", -1);
  }

  static Email Link(const std::string& id) {
    return {.to = "someone@example.org",
            .subject = "Your sign-in link",
            .text = "Open the link to sign in.",
            .message_id = id};
  }

  std::string dir_;
  int smtp_port_ = 0;
  int http_port_ = 0;
  hc::testing::ChildProcess mailpit_;
};

TEST_F(SmtpAuthTest, TheRightLoginSendsTheMessage) {
  SmtpSender sender(
      Settings({{"HC_SMTP_USER", "relay"}, {"HC_SMTP_PASSWORD_FILE", dir_ + "/password"}}));
  SendResult sent = sender.Send(Link("auth-ok"));
  EXPECT_EQ(sent.outcome, SendResult::Outcome::kSent) << sent.detail;
  EXPECT_TRUE(hc::testing::WaitFor([&] { return Delivered() == 1; }, 10s)) << Delivered();
}

TEST_F(SmtpAuthTest, AWrongPasswordIsRefusedAsTheOperatorsToFixAndNothingIsDelivered) {
  SmtpSender sender(
      Settings({{"HC_SMTP_USER", "relay"}, {"HC_SMTP_PASSWORD_FILE", dir_ + "/wrong-password"}}));
  SendResult sent = sender.Send(Link("auth-wrong"));
  // Transient: a bad credential pauses sending instead of failing what is queued for good.
  EXPECT_EQ(sent.outcome, SendResult::Outcome::kTransient);
  EXPECT_EQ(sent.detail.find("battery"), std::string::npos) << "the password leaked into detail";
  EXPECT_EQ(Delivered(), 0);
}

TEST_F(SmtpAuthTest, NoLoginIsRefusedByARelayThatRequiresOne) {
  SmtpSender sender(Settings({}));
  SendResult sent = sender.Send(Link("auth-none"));
  EXPECT_NE(sent.outcome, SendResult::Outcome::kSent);
  EXPECT_EQ(Delivered(), 0);
}

}  // namespace
}  // namespace hc::smtp

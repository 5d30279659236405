#include "libs/smtp/settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace hc::smtp {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<SmtpSettings> Read(std::map<std::string, std::string> vars,
                                  const std::string& from_variable = "HC_SMTP_FROM") {
  hc::config::Env env([vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
  absl::StatusOr<SmtpSettings> s = ReadSmtpSettings(env, from_variable);
  if (absl::Status checked = env.Check(); !checked.ok()) return checked;
  return s;
}

std::string WriteTemp(const std::string& content) {
  char path[] = "/tmp/hc-smtp-settings-XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << content;
  return path;
}

TEST(SmtpSettings, DefaultsSendUnauthenticatedToTheLocalRelay) {
  auto s = Read({});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->url, "smtp://127.0.0.1:11025");
  EXPECT_FALSE(s->require_starttls);
  EXPECT_EQ(s->user, "");
  EXPECT_EQ(s->password, "");
  EXPECT_EQ(s->from, "notices@homecoming.localhost");
}

TEST(SmtpSettings, ReadsTheLoginWithThePasswordFromItsFile) {
  const std::string path = WriteTemp("  s3cret pass\n");
  auto s = Read({{"HC_SMTP_URL", "smtps://mail.example.org:465"},
                 {"HC_SMTP_STARTTLS", "1"},
                 {"HC_SMTP_USER", "relay"},
                 {"HC_SMTP_PASSWORD_FILE", path},
                 {"HC_SMTP_FROM", "hello@example.org"}});
  std::remove(path.c_str());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->url, "smtps://mail.example.org:465");
  EXPECT_TRUE(s->require_starttls);
  EXPECT_EQ(s->user, "relay");
  // Inner spaces are the password's own; the newline an editor leaves is not.
  EXPECT_EQ(s->password, "s3cret pass");
  EXPECT_EQ(s->from, "hello@example.org");
}

TEST(SmtpSettings, NamesTheVariableThatIsWrong) {
  const std::map<std::string, std::map<std::string, std::string>> cases = {
      {"HC_SMTP_URL", {{"HC_SMTP_URL", "http://mail:25"}}},
      {"HC_SMTP_STARTTLS", {{"HC_SMTP_STARTTLS", "maybe"}}},
      {"HC_SMTP_PASSWORD_FILE", {{"HC_SMTP_PASSWORD_FILE", "/nonexistent/secret"}}},
      {"HC_SMTP_USER", {{"HC_SMTP_USER", "relay"}}},
      {"HC_SMTP_FROM", {{"HC_SMTP_FROM", "Homecoming <x@y>"}}},
  };
  for (const auto& [variable, vars] : cases) {
    auto s = Read(vars);
    ASSERT_FALSE(s.ok()) << variable;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << variable;
    EXPECT_THAT(std::string(s.status().message()), HasSubstr(variable));
  }
}

TEST(SmtpSettings, TheFromAddressIsReadUnderTheNameTheServiceGives) {
  auto s = Read({{"HC_MAIL_FROM", "news@example.org"}, {"HC_SMTP_FROM", "other@example.org"}},
                "HC_MAIL_FROM");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->from, "news@example.org");
  auto bad = Read({{"HC_MAIL_FROM", "no-at-sign"}}, "HC_MAIL_FROM");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("HC_MAIL_FROM=no-at-sign"));
}

TEST(SmtpSettings, ListingAsksForEveryVariable) {
  hc::config::Env env = hc::config::Env::ForListing();
  (void)ReadSmtpSettings(env, "HC_SMTP_FROM");
  std::vector<std::string> names;
  for (const auto& asked : env.asked()) names.push_back(asked.name);
  EXPECT_THAT(names,
              ::testing::UnorderedElementsAre("HC_SMTP_URL", "HC_SMTP_STARTTLS", "HC_SMTP_USER",
                                              "HC_SMTP_PASSWORD_FILE", "HC_SMTP_FROM"));
}

}  // namespace
}  // namespace hc::smtp

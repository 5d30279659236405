// The channels without a server: the message an email becomes (headers that cannot be
// injected, RFC 2047 subjects, RFC 8058 headers), signed unsubscribe tokens, the settings.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "libs/config/config.h"
#include "services/notifications/src/channels/channel_settings.h"
#include "services/notifications/src/channels/email.h"
#include "services/notifications/src/domain/unsubscribe.h"

namespace notifications {
namespace {

using channels::Email;
using domain::Category;
using domain::UnsubscribeKey;

Email AnEmail() {
  return {.to = "ana@demo.homecoming.local",
          .subject = "Your plans on Sat 5 Dec",
          .text = "Hi Ana,\n\nYour place is confirmed.\n.\nSee you there.\n",
          .message_id = "delivery-0123",
          .list_unsubscribe_url = "http://127.0.0.1:17084/unsubscribe?t=abc.def"};
}

const auto kDate = std::chrono::system_clock::from_time_t(1796083200);  // 2026-12-01 00:00 UTC

std::string Build(const Email& email) {
  auto message = channels::BuildMessage(channels::SmtpSettings{}, email, kDate);
  EXPECT_TRUE(message.ok()) << message.status();
  return message.ok() ? *message : "";
}

std::vector<std::string> HeaderLines(const std::string& message) {
  const std::string head = message.substr(0, message.find("\r\n\r\n"));
  return absl::StrSplit(head, "\r\n");
}

TEST(EmailMessage, CarriesTheHeadersMailClientsAndRfc8058Need) {
  const std::string m = Build(AnEmail());
  const std::vector<std::string> lines = HeaderLines(m);
  const std::vector<std::string> expected = {
      "From: Homecoming <notices@homecoming.localhost>",
      "To: <ana@demo.homecoming.local>",
      "Subject: Your plans on Sat 5 Dec",
      "Date: Tue, 01 Dec 2026 00:00:00 +0000",
      "Message-ID: <delivery-0123@homecoming.localhost>",
      "List-Unsubscribe: <http://127.0.0.1:17084/unsubscribe?t=abc.def>",
      "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: quoted-printable"};
  EXPECT_EQ(lines, expected);
  // A lone dot line is encoded, so SMTP's end-of-data marker can never appear in the body.
  EXPECT_TRUE(absl::StrContains(m, "\r\n=2E\r\nSee you there.")) << m;
}

TEST(EmailMessage, WithoutAnUnsubscribeUrlHasNoListHeaders) {
  Email e = AnEmail();
  e.list_unsubscribe_url.clear();
  EXPECT_FALSE(absl::StrContains(Build(e), "List-Unsubscribe"));
}

TEST(EmailMessage, LineBreaksInHeaderValuesAreRefused) {
  for (auto mutate : std::vector<void (*)(Email&)>{
           [](Email& e) { e.subject = "Hi\r\nBcc: everyone@example.com"; },
           [](Email& e) { e.subject = "Hi\nX-Evil: 1"; },
           [](Email& e) { e.to = "ana@example.com\r\nBcc: b@example.com"; },
           [](Email& e) { e.to = "ana@example.com>, <b@example.com"; },
           [](Email& e) { e.message_id = "a\r\nX: y"; },
           [](Email& e) { e.list_unsubscribe_url = "http://x/\r\nX: y"; },
           [](Email& e) { e.list_unsubscribe_url = "http://x/>, <mailto:a@b"; }}) {
    Email e = AnEmail();
    mutate(e);
    const auto message = channels::BuildMessage(channels::SmtpSettings{}, e, kDate);
    EXPECT_TRUE(absl::IsInvalidArgument(message.status())) << e.subject << " " << e.to;
  }
}

TEST(EmailMessage, NonAsciiSubjectsAreEncodedWordsThatDecodeBack) {
  Email e = AnEmail();
  // 3-byte characters all the way: a naive split every 45 bytes would cut none, so add a
  // 2-byte one in front to shift the boundaries into the middle of sequences.
  e.subject = "é" + std::string(40, 'x') + "…€…€…€…€…€…€…€…€…€…€ día";
  const std::vector<std::string> lines = HeaderLines(Build(e));
  std::string decoded;
  bool in_subject = false;
  for (const std::string& line : lines) {
    absl::string_view word;
    if (absl::StartsWith(line, "Subject: ")) {
      in_subject = true;
      word = absl::string_view(line).substr(9);
    } else if (in_subject && absl::StartsWith(line, " ")) {
      word = absl::string_view(line).substr(1);
    } else {
      in_subject = false;
      continue;
    }
    ASSERT_LE(word.size(), 75u) << word;
    ASSERT_TRUE(absl::StartsWith(word, "=?UTF-8?B?") && absl::EndsWith(word, "?=")) << word;
    std::string chunk;
    ASSERT_TRUE(absl::Base64Unescape(word.substr(10, word.size() - 12), &chunk));
    // Each word holds whole characters: none starts inside a UTF-8 sequence.
    EXPECT_NE(static_cast<unsigned char>(chunk.front()) & 0xC0, 0x80) << word;
    decoded += chunk;
  }
  EXPECT_EQ(decoded, e.subject);
}

TEST(UnsubscribeToken, RoundTripsMemberAndCategory) {
  const UnsubscribeKey key = UnsubscribeKey::Generate();
  const std::string token = key.Sign(
      {.member_id = "0b7e2a4c-1111-4222-8333-944455556666", .category = Category::kReminders});
  EXPECT_EQ(
      token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
      std::string::npos)
      << token;
  const auto request = key.Verify(token);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->member_id, "0b7e2a4c-1111-4222-8333-944455556666");
  EXPECT_EQ(request->category, Category::kReminders);
  EXPECT_EQ(domain::UnsubscribeUrl("https://homecoming.example/", token),
            "https://homecoming.example/unsubscribe?t=" + token);
}

TEST(UnsubscribeToken, TamperedOrForeignTokensAreRefused) {
  const UnsubscribeKey key = UnsubscribeKey::Generate();
  const std::string token = key.Sign({.member_id = "m-1", .category = Category::kEvents});
  // Another member or category with the same MAC.
  const std::string mac = token.substr(token.find('.'));
  const UnsubscribeKey other = UnsubscribeKey::Generate();
  const std::string forged = other.Sign({.member_id = "m-2", .category = Category::kEvents});
  EXPECT_FALSE(key.Verify(forged.substr(0, forged.find('.')) + mac).ok());
  EXPECT_FALSE(key.Verify(forged).ok()) << "signed under another key";
  EXPECT_FALSE(other.Verify(token).ok());
  // One character changed anywhere.
  for (size_t i = 0; i < token.size(); ++i) {
    std::string t = token;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(key.Verify(t).ok()) << i;
  }
  for (const char* junk : {"", ".", "abc", "abc.", ".abc", "!!.!!", "a.b.c"}) {
    EXPECT_FALSE(key.Verify(junk).ok()) << junk;
  }
}

TEST(UnsubscribeToken, KeysComeAsSixtyFourHexCharacters) {
  const std::string hex(64, 'a');
  auto a = UnsubscribeKey::FromHex(hex + "\n");
  auto b = UnsubscribeKey::FromHex(hex);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(b->Verify(a->Sign({.member_id = "m", .category = Category::kEvents})).ok());
  EXPECT_FALSE(UnsubscribeKey::FromHex(std::string(63, 'a')).ok());
  EXPECT_FALSE(UnsubscribeKey::FromHex(std::string(64, 'g')).ok());
}

absl::StatusOr<channels::ChannelSettings> FromEnv(std::map<std::string, std::string> vars) {
  hc::config::Env env([vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
  return channels::ChannelSettings::FromEnv(env);
}

TEST(ChannelSettings, DefaultsPointAtTheLocalServers) {
  auto s = FromEnv({});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->smtp.url, "smtp://127.0.0.1:11025");
  EXPECT_EQ(s->smtp.from, "notices@homecoming.localhost");
  EXPECT_FALSE(s->smtp.require_starttls);
  EXPECT_EQ(s->sms.base_url, "http://127.0.0.1:18026");
  EXPECT_EQ(s->http_address, "127.0.0.1:17084");
  EXPECT_TRUE(s->unsubscribe_key_hex.empty());
}

TEST(ChannelSettings, ReadsSecretsFromFiles) {
  const std::string path = ::testing::TempDir() + "/channel-secret";
  std::ofstream(path) << std::string(64, 'c') << "\n";
  auto s = FromEnv({{"HC_SMTP_STARTTLS", "1"},
                    {"HC_SMTP_USER", "relay"},
                    {"HC_SMTP_PASSWORD_FILE", path},
                    {"HC_SMS_TOKEN_FILE", path},
                    {"HC_UNSUBSCRIBE_KEY_FILE", path}});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->smtp.require_starttls);
  EXPECT_EQ(s->smtp.password, std::string(64, 'c'));
  EXPECT_EQ(s->sms.token, std::string(64, 'c'));
  EXPECT_EQ(s->unsubscribe_key_hex, std::string(64, 'c'));
}

TEST(ChannelSettings, InvalidValuesNameTheVariable) {
  const std::map<std::string, std::map<std::string, std::string>> cases = {
      // The other HC_SMTP_* cases are libs/smtp's (SmtpSettings.NamesTheVariableThatIsWrong);
      // the From address's name is this service's own.
      {"HC_MAIL_FROM", {{"HC_MAIL_FROM", "Homecoming <x@y>"}}},
      {"HC_SMS_BASE_URL", {{"HC_SMS_BASE_URL", "127.0.0.1:18026"}}},
      {"HC_SMS_TOKEN_FILE", {{"HC_SMS_TOKEN_FILE", "/nonexistent/token"}}},
      {"HC_UNSUBSCRIBE_KEY_FILE", {{"HC_UNSUBSCRIBE_KEY_FILE", "/nonexistent/key"}}},
      {"HC_PUBLIC_BASE_URL", {{"HC_PUBLIC_BASE_URL", "homecoming.example"}}},
      {"HC_HTTP_ADDRESS", {{"HC_HTTP_ADDRESS", "127.0.0.1"}}},
  };
  for (const auto& [variable, vars] : cases) {
    auto s = FromEnv(vars);
    EXPECT_TRUE(absl::IsInvalidArgument(s.status())) << variable;
    EXPECT_TRUE(absl::StrContains(s.status().message(), variable)) << s.status();
  }
}

}  // namespace
}  // namespace notifications

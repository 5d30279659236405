// volunteering's settings from the environment: the data key mentorship seals with.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "services/volunteering/src/app.h"

namespace volunteering {
namespace {

absl::StatusOr<Settings> FromEnv(std::map<std::string, std::string> vars) {
  const std::string jwt = ::testing::TempDir() + "/volunteering-jwt";
  std::ofstream(jwt) << "volunteering-settings-test-secret-0123456789\n";
  vars.emplace("HC_DATABASE_URL", "postgresql://127.0.0.1:1/v");
  vars.emplace("HC_KAFKA_BROKERS", "127.0.0.1:1");
  vars.emplace("HC_JWT_KEY_FILE", jwt);
  vars.emplace("HC_JWT_ALG", "HS256");
  hc::config::Env env([vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
  return Settings::FromEnv(env);
}

TEST(VolunteeringSettings, NeedsAReadableWellFormedDataKey) {
  EXPECT_FALSE(FromEnv({}).ok());
  EXPECT_FALSE(FromEnv({{"HC_DATA_KEY_FILE", "/nonexistent/key"}}).ok());
  const std::string bad = ::testing::TempDir() + "/volunteering-bad-key";
  std::ofstream(bad) << "not hex\n";
  auto refused = FromEnv({{"HC_DATA_KEY_FILE", bad}});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("HC_DATA_KEY_FILE"), std::string::npos);
}

TEST(VolunteeringSettings, ReadsTheKeyAndTheMentorResponseWindow) {
  const std::string key = ::testing::TempDir() + "/volunteering-key";
  std::ofstream(key) << std::string(64, 'd') << "\n";
  auto s = FromEnv({{"HC_DATA_KEY_FILE", key}});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->data_key_hex.substr(0, 64), std::string(64, 'd'));
  EXPECT_EQ(s->mentor_response_window, std::chrono::hours(72));
  s = FromEnv({{"HC_DATA_KEY_FILE", key}, {"HC_MENTOR_RESPONSE_HOURS", "24"}});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->mentor_response_window, std::chrono::hours(24));
  EXPECT_FALSE(FromEnv({{"HC_DATA_KEY_FILE", key}, {"HC_MENTOR_RESPONSE_HOURS", "0"}}).ok());
}

}  // namespace
}  // namespace volunteering

#include "libs/config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>

namespace hc::config {
namespace {

using ::testing::HasSubstr;

Env FromMap(std::map<std::string, std::string> vars) {
  return Env([vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

TEST(Env, ReadsValuesAndFallbacks) {
  Env env = FromMap({{"A", "x"}, {"N", "42"}, {"B", "true"}, {"ADDR", "127.0.0.1:80"}});
  EXPECT_EQ(env.Required("A"), "x");
  EXPECT_EQ(env.String("MISSING", "d"), "d");
  EXPECT_EQ(env.Int("N", 1, 0, 100), 42);
  EXPECT_EQ(env.Int("MISSING", 7, 0, 100), 7);
  EXPECT_TRUE(env.Bool("B", false));
  EXPECT_EQ(env.Address("ADDR", ""), "127.0.0.1:80");
  EXPECT_TRUE(env.Check().ok());
}

TEST(Env, NamesEveryBadOrMissingVariable) {
  Env env = FromMap({{"N", "lots"}, {"B", "maybe"}, {"ADDR", "nohost"}, {"EMPTY", ""}});
  env.Required("DB_URL");
  env.Required("EMPTY");
  env.Int("N", 1, 0, 10);
  env.Bool("B", false);
  env.Address("ADDR", "");
  absl::Status s = env.Check();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("DB_URL is required"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("EMPTY is required"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("N=lots"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("B=maybe"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("ADDR=nohost"));
}

TEST(Env, RejectsOutOfRangeNumbers) {
  Env env = FromMap({{"N", "101"}});
  EXPECT_EQ(env.Int("N", 5, 0, 100), 5);
  EXPECT_FALSE(env.Check().ok());
}

TEST(Env, ListingRecordsEachVariableOnceWithWhetherItIsRequired) {
  Env env = Env::ForListing();
  EXPECT_EQ(env.String("HC_A", "fallback"), "fallback");
  EXPECT_EQ(env.Required("HC_DB_URL"), "");
  const std::string key_file = env.Required("HC_KEY_FILE");
  EXPECT_EQ(env.Int("HC_N", 7, 0, 10), 7);
  env.Address("HC_A", "127.0.0.1:1");
  // Nothing is set, yet the code must run on to its later reads.
  EXPECT_TRUE(env.Check().ok());
  EXPECT_TRUE(std::ifstream(key_file).good()) << key_file;
  ASSERT_EQ(env.asked().size(), 4u);
  EXPECT_EQ(env.asked()[0].name, "HC_A");
  EXPECT_FALSE(env.asked()[0].required);
  EXPECT_EQ(env.asked()[1].name, "HC_DB_URL");
  EXPECT_TRUE(env.asked()[1].required);
  EXPECT_TRUE(env.asked()[2].required);
  EXPECT_FALSE(env.asked()[3].required);
}

TEST(ListSettingsRequested, FindsTheFlagAmongArguments) {
  char program[] = "svc";
  char flag[] = "--list-settings";
  char* with[] = {program, flag};
  char* without[] = {program};
  EXPECT_TRUE(ListSettingsRequested(2, with));
  EXPECT_FALSE(ListSettingsRequested(1, without));
  EXPECT_FALSE(ListSettingsRequested(0, nullptr));
}

TEST(ExitIfInvalid, ExitsNonZeroWithTheMessage) {
  EXPECT_EXIT(ExitIfInvalid(absl::InvalidArgumentError("HC_X is required"), "svc"),
              ::testing::ExitedWithCode(2), "svc: HC_X is required");
}

}  // namespace
}  // namespace hc::config

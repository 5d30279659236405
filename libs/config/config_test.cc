#include "libs/config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

TEST(ExitIfInvalid, ExitsNonZeroWithTheMessage) {
  EXPECT_EXIT(ExitIfInvalid(absl::InvalidArgumentError("HC_X is required"), "svc"),
              ::testing::ExitedWithCode(2), "svc: HC_X is required");
}

}  // namespace
}  // namespace hc::config

#include "services/edge/src/settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

namespace edge {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<Settings> Read(std::map<std::string, std::string> vars) {
  hc::config::Env env([vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
  return Settings::FromEnv(env);
}

TEST(EdgeSettings, DefaultsAreTheLocalOnes) {
  auto s = Read({});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->http_address, "127.0.0.1:17080");
  EXPECT_EQ(s->metrics_address, "127.0.0.1:17180");
  EXPECT_EQ(s->profile, Profile::kLocal);
  EXPECT_EQ(s->max_body_bytes, 64u * 1024);
  EXPECT_EQ(s->events.address, "127.0.0.1:17002");
  EXPECT_FALSE(s->tls());
}

TEST(EdgeSettings, BadValuesNameTheVariable) {
  EXPECT_THAT(Read({{"HC_EDGE_PROFILE", "staging"}}).status().message(),
              HasSubstr("HC_EDGE_PROFILE"));
  EXPECT_THAT(Read({{"HC_EDGE_MAX_BODY_BYTES", "lots"}}).status().message(),
              HasSubstr("HC_EDGE_MAX_BODY_BYTES"));
  EXPECT_THAT(Read({{"HC_EVENTS_ADDR", "nowhere"}}).status().message(),
              HasSubstr("HC_EVENTS_ADDR"));
  EXPECT_THAT(Read({{"HC_EDGE_DEFAULT_TIMEOUT_MS", "60000"}}).status().message(),
              HasSubstr("HC_EDGE_DEFAULT_TIMEOUT_MS"));
  EXPECT_THAT(Read({{"HC_EDGE_THREADS", "8"}, {"HC_EDGE_MAX_STREAMS", "8"}}).status().message(),
              HasSubstr("HC_EDGE_MAX_STREAMS"));
}

TEST(EdgeSettings, ProductionRefusesPlaintextOffLoopback) {
  EXPECT_THAT(Read({{"HC_EDGE_PROFILE", "production"},
                    {"HC_EDGE_RATE_KEY", "k"},
                    {"HC_EDGE_HTTP_ADDR", "0.0.0.0:17080"}})
                  .status()
                  .message(),
              HasSubstr("HC_EDGE_HTTP_ADDR"));
  EXPECT_THAT(Read({{"HC_EDGE_PROFILE", "production"}}).status().message(),
              HasSubstr("HC_EDGE_RATE_KEY"));
  EXPECT_TRUE(Read({{"HC_EDGE_PROFILE", "production"}, {"HC_EDGE_RATE_KEY", "k"}}).ok());
  // The local profile may listen anywhere (a phone on the same network, say).
  EXPECT_TRUE(Read({{"HC_EDGE_HTTP_ADDR", "0.0.0.0:17080"}}).ok());
}

}  // namespace
}  // namespace edge

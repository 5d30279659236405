#include "services/edge/src/settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
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

// A production edge with nothing else set: what every other test starts from.
const std::map<std::string, std::string> kProduction = {
    {"HC_EDGE_PROFILE", "production"},
    {"HC_EDGE_RATE_KEY", "k"},
    {"HC_JWT_ALG", "RS256"},
    {"HC_EDGE_PUBLIC_URL", "https://home.example.org"}};

std::map<std::string, std::string> With(std::map<std::string, std::string> vars,
                                        const std::map<std::string, std::string>& more) {
  for (const auto& [k, v] : more) vars[k] = v;
  return vars;
}

TEST(EdgeSettings, DefaultsAreTheLocalOnesWhenTheLocalProfileIsAsked) {
  auto s = Read({{"HC_EDGE_PROFILE", "local"}});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->http_address, "127.0.0.1:17080");
  EXPECT_EQ(s->metrics_address, "127.0.0.1:17180");
  EXPECT_EQ(s->profile, Profile::kLocal);
  EXPECT_EQ(s->max_body_bytes, 64u * 1024);
  EXPECT_EQ(s->events.address, "127.0.0.1:17002");
  EXPECT_EQ(s->public_url, "http://127.0.0.1:17080");
  EXPECT_FALSE(s->tls());
  EXPECT_FALSE(s->secure_cookies());
}

TEST(EdgeSettings, TheProfileDefaultsToProductionAndItsChecks) {
  // Nothing set fails closed: production, which wants its key, RS256 and an https URL.
  const auto bare = Read({});
  EXPECT_FALSE(bare.ok());
  EXPECT_THAT(bare.status().message(), HasSubstr("HC_EDGE_PROFILE=production"));
  auto s = Read(With(kProduction, {{"HC_EDGE_PROFILE", ""}}));  // empty is unset
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->profile, Profile::kProduction);
  s = Read(With(kProduction, {}));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->profile, Profile::kProduction);
  auto unset = kProduction;
  unset.erase("HC_EDGE_PROFILE");
  s = Read(unset);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->profile, Profile::kProduction);
  EXPECT_THAT(Read(With(kProduction, {{"HC_JWT_ALG", "HS256"}})).status().message(),
              HasSubstr("HC_JWT_ALG"));
  EXPECT_THAT(Read(With(kProduction, {{"HC_EDGE_PUBLIC_URL", "http://home.example.org"}}))
                  .status()
                  .message(),
              HasSubstr("HC_EDGE_PUBLIC_URL"));
  auto no_url = kProduction;
  no_url.erase("HC_EDGE_PUBLIC_URL");
  EXPECT_THAT(Read(no_url).status().message(), HasSubstr("HC_EDGE_PUBLIC_URL"));
}

TEST(EdgeSettings, SecureCookiesWhenTheEdgeOrItsProxyHasTls) {
  // Behind a TLS-terminating proxy: plaintext here, https for browsers.
  auto proxied = Read(kProduction);
  ASSERT_TRUE(proxied.ok()) << proxied.status();
  EXPECT_FALSE(proxied->tls());
  EXPECT_TRUE(proxied->secure_cookies());
  Settings tls_here;
  tls_here.tls_cert_file = "server.pem";
  tls_here.public_url = "http://127.0.0.1:17080";
  EXPECT_TRUE(tls_here.secure_cookies());
}

TEST(EdgeSettings, BadValuesNameTheVariable) {
  EXPECT_THAT(Read(With(kProduction, {{"HC_EDGE_PROFILE", "staging"}})).status().message(),
              HasSubstr("HC_EDGE_PROFILE"));
  EXPECT_THAT(Read(With(kProduction, {{"HC_EDGE_MAX_BODY_BYTES", "lots"}})).status().message(),
              HasSubstr("HC_EDGE_MAX_BODY_BYTES"));
  EXPECT_THAT(Read(With(kProduction, {{"HC_EVENTS_ADDR", "nowhere"}})).status().message(),
              HasSubstr("HC_EVENTS_ADDR"));
  EXPECT_THAT(Read(With(kProduction, {{"HC_EDGE_DEFAULT_TIMEOUT_MS", "60000"}})).status().message(),
              HasSubstr("HC_EDGE_DEFAULT_TIMEOUT_MS"));
  EXPECT_THAT(Read(With(kProduction, {{"HC_EDGE_THREADS", "8"}, {"HC_EDGE_MAX_STREAMS", "8"}}))
                  .status()
                  .message(),
              HasSubstr("HC_EDGE_MAX_STREAMS"));
}

TEST(EdgeSettings, ProductionRefusesPlaintextOffLoopback) {
  EXPECT_THAT(Read(With(kProduction, {{"HC_EDGE_HTTP_ADDR", "0.0.0.0:17080"}})).status().message(),
              HasSubstr("HC_EDGE_HTTP_ADDR"));
  auto no_key = kProduction;
  no_key.erase("HC_EDGE_RATE_KEY");
  EXPECT_THAT(Read(no_key).status().message(), HasSubstr("HC_EDGE_RATE_KEY"));
  EXPECT_TRUE(Read(kProduction).ok());
}

TEST(EdgeSettings, TheLocalProfileListensOnLoopbackOnly) {
  // It serves /metrics and the dev sign-in page: never to a network.
  EXPECT_THAT(Read({{"HC_EDGE_PROFILE", "local"}, {"HC_EDGE_HTTP_ADDR", "0.0.0.0:17080"}})
                  .status()
                  .message(),
              HasSubstr("HC_EDGE_HTTP_ADDR"));
  EXPECT_TRUE(Read({{"HC_EDGE_PROFILE", "local"}, {"HC_EDGE_HTTP_ADDR", "127.0.0.1:0"}}).ok());
}

TEST(EdgeSettings, RedisAuthAndTlsSettingsReachTheRateLimiter) {
  const std::string password_file = "/tmp/edge-settings-test-" + std::to_string(getpid());
  std::ofstream(password_file) << "limiter-secret\n";
  auto s = Read(With(kProduction, {{"HC_REDIS_ADDR", "redis.internal:6380"},
                                   {"HC_REDIS_USERNAME", "edge"},
                                   {"HC_REDIS_PASSWORD_FILE", password_file}}));
  std::remove(password_file.c_str());
  ASSERT_TRUE(s.ok()) << s.status();
  const hc::redis::ConnectionOptions c = s->redis_connection();
  EXPECT_EQ(c.address, "redis.internal:6380");
  EXPECT_EQ(c.username, "edge");
  EXPECT_EQ(c.password, "limiter-secret");
  EXPECT_FALSE(c.tls);
}

TEST(EdgeSettings, RedisTlsCombinationsNameTheVariable) {
  EXPECT_THAT(Read(With(kProduction, {{"HC_REDIS_TLS", "true"}})).status().message(),
              HasSubstr("HC_REDIS_TLS_CA_FILE is required"));
  EXPECT_THAT(
      Read(With(kProduction, {{"HC_REDIS_TLS_CA_FILE", "/etc/ssl/certs/ca-certificates.crt"}}))
          .status()
          .message(),
      HasSubstr("HC_REDIS_TLS_CA_FILE is set but HC_REDIS_TLS is not true"));
  EXPECT_THAT(Read(With(kProduction, {{"HC_REDIS_USERNAME", "edge"}})).status().message(),
              HasSubstr("HC_REDIS_USERNAME needs HC_REDIS_PASSWORD_FILE"));
}

TEST(EdgeSettings, TheLocalProfileListensOnAContainerNetworkOnlyWhenToldItIsOne) {
  // deploy/compose.yaml: the container's port is published on the host's loopback only.
  const std::map<std::string, std::string> in_container = {
      {"HC_EDGE_PROFILE", "local"},
      {"HC_EDGE_HTTP_ADDR", "0.0.0.0:17080"},
      {"HC_EDGE_LOCAL_CONTAINER_NETWORK", "true"}};
  EXPECT_TRUE(Read(in_container).ok());
  EXPECT_FALSE(Read(With(in_container, {{"HC_EDGE_LOCAL_CONTAINER_NETWORK", "false"}})).ok());
  // It relaxes nothing for production: plaintext off loopback still needs TLS there.
  EXPECT_THAT(Read(With(kProduction, {{"HC_EDGE_HTTP_ADDR", "0.0.0.0:17080"},
                                      {"HC_EDGE_LOCAL_CONTAINER_NETWORK", "true"}}))
                  .status()
                  .message(),
              HasSubstr("HC_TLS_CERT_FILE"));
}

}  // namespace
}  // namespace edge

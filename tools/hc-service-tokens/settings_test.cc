#include "tools/hc-service-tokens/settings.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>

namespace hc::service_tokens {
namespace {

config::Env EnvOf(std::map<std::string, std::string> vars) {
  return config::Env([vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

TEST(ReadSettings, ReadsTheServicesAndDerivesTheApiFromThePodsEnvironment) {
  config::Env env = EnvOf({{"HC_JWT_SIGNING_KEY_FILE", "/keys/private.pem"},
                           {"HC_JWT_ISSUER", "homecoming"},
                           {"HC_SERVICE_TOKEN_SERVICES", "events, volunteering,notifications"},
                           {"HC_KUBE_NAMESPACE", "homecoming"},
                           {"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
                           {"KUBERNETES_SERVICE_PORT", "443"}});
  auto settings = ReadSettings(env);
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->services,
            (std::vector<std::string>{"events", "volunteering", "notifications"}));
  EXPECT_EQ(settings->ttl, std::chrono::seconds(3600));
  EXPECT_EQ(settings->algorithm, "RS256");
  ASSERT_TRUE(ResolveInCluster(*settings).ok());
  EXPECT_EQ(settings->kube.api_url, "https://10.96.0.1:443");
  EXPECT_EQ(settings->kube.namespace_name, "homecoming");
}

TEST(ReadSettings, BracketsAnIpv6ApiAddress) {
  Settings settings;
  settings.kube.namespace_name = "homecoming";
  settings.kubernetes_service_host = "fd00::1";
  settings.kubernetes_service_port = "6443";
  ASSERT_TRUE(ResolveInCluster(settings).ok());
  EXPECT_EQ(settings.kube.api_url, "https://[fd00::1]:6443");
}

TEST(ReadSettings, NamesEveryMissingOrBadVariable) {
  config::Env env = EnvOf({{"HC_SERVICE_TOKEN_TTL_SECONDS", "999999"}});
  auto settings = ReadSettings(env);
  ASSERT_FALSE(settings.ok());
  for (const char* name : {"HC_JWT_SIGNING_KEY_FILE", "HC_JWT_ISSUER", "HC_SERVICE_TOKEN_SERVICES",
                           "HC_SERVICE_TOKEN_TTL_SECONDS"}) {
    EXPECT_NE(settings.status().message().find(name), std::string::npos) << name;
  }
  config::Env bad_name = EnvOf({{"HC_JWT_SIGNING_KEY_FILE", "/k"},
                                {"HC_JWT_ISSUER", "homecoming"},
                                {"HC_SERVICE_TOKEN_SERVICES", "events,../etc"}});
  EXPECT_FALSE(ReadSettings(bad_name).ok());
}

TEST(ReadSettings, OutsideAPodWithoutAnApiUrlFails) {
  Settings settings;
  settings.kube.namespace_name = "homecoming";
  EXPECT_EQ(ResolveInCluster(settings).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ReadSettings, ListingNamesTheRequiredSettings) {
  config::Env env = config::Env::ForListing();
  (void)ReadSettings(env);
  std::map<std::string, bool> asked;
  for (const auto& a : env.asked()) asked[a.name] = a.required;
  EXPECT_TRUE(asked.at("HC_JWT_SIGNING_KEY_FILE"));
  EXPECT_TRUE(asked.at("HC_JWT_ISSUER"));
  EXPECT_TRUE(asked.at("HC_SERVICE_TOKEN_SERVICES"));
  EXPECT_FALSE(asked.at("HC_SERVICE_TOKEN_TTL_SECONDS"));
  EXPECT_FALSE(asked.at("HC_KUBE_ATTEMPTS"));
}

}  // namespace
}  // namespace hc::service_tokens

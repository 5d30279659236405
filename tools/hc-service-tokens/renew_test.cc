// The tokens this tool mints, checked by the services' own verifier: libs/config
// ReadServiceSettings configures it from HC_JWT_* exactly as a service does at start-up.
#include "tools/hc-service-tokens/renew.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <sstream>

#include "libs/auth/auth.h"
#include "libs/config/service_settings.h"
#include "tools/hc-service-tokens/settings.h"

namespace hc::service_tokens {
namespace {

const std::string kTestdata = HC_AUTH_TESTDATA;

std::string Key(const std::string& name) { return *ReadFileContent(kTestdata + "/" + name); }

// The verifier a service builds, with the RS256 public key and its settings (`extra` adds or
// overrides HC_* variables, e.g. HC_JWT_MAX_LIFETIME_SECONDS).
auth::Verifier ServiceVerifier(std::map<std::string, std::string> extra = {}) {
  std::map<std::string, std::string> vars = {
      {"HC_JWT_ALG", "RS256"},
      {"HC_JWT_ISSUER", "homecoming"},
      {"HC_JWT_KEY_FILE", kTestdata + "/rs256_public.pem"},
      {"HC_DATABASE_URL", "postgresql://unused/unused"},
      {"HC_KAFKA_BROKERS", "127.0.0.1:9"},
  };
  for (auto& [name, value] : extra) vars[name] = value;
  config::Env env([vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
  config::ServiceSettings defaults;  // what a service passes: its own ports
  defaults.server.address = "127.0.0.1:17002";
  defaults.metrics_address = "127.0.0.1:17102";
  auto settings = config::ReadServiceSettings(env, defaults);
  EXPECT_TRUE(settings.ok()) << settings.status();
  auto verifier = auth::Verifier::Create(settings->jwt);
  EXPECT_TRUE(verifier.ok()) << verifier.status();
  return *std::move(verifier);
}

Settings TokenSettings() {
  Settings s;
  s.issuer = "homecoming";
  s.services = {"events", "volunteering", "notifications"};
  return s;
}

class FakeWriter : public SecretWriter {
 public:
  absl::Status Write(const std::string& name, const std::string& key,
                     const std::string& value) override {
    if (name == fail_) return absl::UnavailableError("the API is down for " + name);
    written[name + "/" + key] = value;
    return absl::OkStatus();
  }
  std::map<std::string, std::string> written;
  std::string fail_;
};

TEST(MintServiceToken, PassesTheServicesVerifierAsAServiceIdentity) {
  const auto now = std::chrono::system_clock::now();
  auto token = MintServiceToken(TokenSettings(), Key("rs256_private.pem"), "events", now);
  ASSERT_TRUE(token.ok()) << token.status();

  auto principal = ServiceVerifier().Verify(*token);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->subject, "events");
  EXPECT_TRUE(principal->IsService());
  EXPECT_EQ(principal->expires_at - principal->issued_at, 3600);
  // Membership's internal RPCs name the services allowed to call them.
  EXPECT_TRUE(auth::RequireService(*principal, {"events", "notifications"}).ok());
  EXPECT_FALSE(auth::RequireService(*principal, {"volunteering"}).ok());
}

TEST(MintServiceToken, LongerThanTheServicesMaximumIsRefusedByThem) {
  Settings settings = TokenSettings();
  settings.ttl = std::chrono::seconds(3601);  // the services' default maximum is 3600
  auto token = MintServiceToken(settings, Key("rs256_private.pem"), "events",
                                std::chrono::system_clock::now());
  ASSERT_TRUE(token.ok()) << token.status();
  auto refused = ServiceVerifier().Verify(*token);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated) << refused.status();

  // A service configured for shorter tokens refuses the default hour as well.
  settings.ttl = std::chrono::seconds(3600);
  token = MintServiceToken(settings, Key("rs256_private.pem"), "events",
                           std::chrono::system_clock::now());
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_TRUE(ServiceVerifier().Verify(*token).ok());
  EXPECT_FALSE(ServiceVerifier({{"HC_JWT_MAX_LIFETIME_SECONDS", "1800"}}).Verify(*token).ok());
}

TEST(MintServiceToken, WrongIssuerOrAudienceIsRefused) {
  Settings settings = TokenSettings();
  settings.issuer = "homecoming-local";
  auto token = MintServiceToken(settings, Key("rs256_private.pem"), "events",
                                std::chrono::system_clock::now());
  ASSERT_TRUE(token.ok());
  EXPECT_FALSE(ServiceVerifier().Verify(*token).ok());
  settings = TokenSettings();
  settings.audience = "elsewhere";
  token = MintServiceToken(settings, Key("rs256_private.pem"), "events",
                           std::chrono::system_clock::now());
  ASSERT_TRUE(token.ok());
  EXPECT_FALSE(ServiceVerifier().Verify(*token).ok());
}

TEST(MintServiceToken, APublicKeyCannotSign) {
  auto token = MintServiceToken(TokenSettings(), Key("rs256_public.pem"), "events",
                                std::chrono::system_clock::now());
  EXPECT_FALSE(token.ok());
}

TEST(RenewAll, WritesEachServicesTokenToItsSecret) {
  FakeWriter writer;
  std::ostringstream log;
  const auto now = std::chrono::system_clock::now();
  EXPECT_EQ(RenewAll(TokenSettings(), Key("rs256_private.pem"), writer, log, now), 0);

  const auth::Verifier verifier = ServiceVerifier();
  ASSERT_EQ(writer.written.size(), 3u);
  for (const std::string service : {"events", "volunteering", "notifications"}) {
    const std::string token = writer.written[service + "-service-token/token"];
    auto principal = verifier.Verify(token);
    ASSERT_TRUE(principal.ok()) << service << ": " << principal.status();
    EXPECT_EQ(principal->subject, service);
    EXPECT_NE(log.str().find("renewed Secret " + service + "-service-token"), std::string::npos);
    EXPECT_EQ(log.str().find(token), std::string::npos) << "the log holds a token";
  }
}

TEST(RenewAll, OneFailingSecretDoesNotStopTheOthersAndIsNamed) {
  FakeWriter writer;
  writer.fail_ = "volunteering-service-token";
  std::ostringstream log;
  EXPECT_EQ(RenewAll(TokenSettings(), Key("rs256_private.pem"), writer, log,
                     std::chrono::system_clock::now()),
            1);
  EXPECT_EQ(writer.written.count("events-service-token/token"), 1u);
  EXPECT_EQ(writer.written.count("notifications-service-token/token"), 1u);
  EXPECT_NE(log.str().find("NOT renewed: Secret volunteering-service-token"), std::string::npos)
      << log.str();
}

}  // namespace
}  // namespace hc::service_tokens

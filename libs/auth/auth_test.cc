#include "libs/auth/auth.h"

#include <gtest/gtest.h>
#include <jwt.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace hc::auth {
namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef-test-secret";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Base64Url(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned value = 0;
  int bits = 0;
  for (unsigned char c : in) {
    value = (value << 8) | c;
    bits += 8;
    while (bits >= 6) {
      out.push_back(kAlphabet[(value >> (bits - 6)) & 0x3f]);
      bits -= 6;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(value << (6 - bits)) & 0x3f]);
  return out;
}

// Signs `claims` (a JSON object) as they are, for tokens Mint would never make.
std::string RawHsToken(const std::string& claims) {
  jwt_t* jwt = nullptr;
  EXPECT_EQ(jwt_new(&jwt), 0);
  EXPECT_EQ(jwt_add_grants_json(jwt, claims.c_str()), 0);
  EXPECT_EQ(jwt_set_alg(jwt, JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(kSecret.data()),
                        static_cast<int>(kSecret.size())),
            0);
  char* encoded = jwt_encode_str(jwt);
  std::string token = encoded ? encoded : "";
  free(encoded);
  jwt_free(jwt);
  return token;
}

long Now() { return static_cast<long>(std::time(nullptr)); }

// Claims that pass, changed by `overrides` (a JSON object; a null value removes the claim).
std::string Claims(const std::string& overrides) {
  nlohmann::json claims = {{"iss", "hc-test"}, {"aud", "homecoming"}, {"sub", "m-1"},
                           {"iat", Now()},     {"exp", Now() + 600},  {"roles", {"alumnus"}}};
  const nlohmann::json changes = nlohmann::json::parse(overrides);
  for (auto it = changes.begin(); it != changes.end(); ++it) {
    if (it.value().is_null()) {
      claims.erase(it.key());
    } else {
      claims[it.key()] = it.value();
    }
  }
  return claims.dump();
}

Verifier HsVerifier() {
  return *Verifier::Create({.algorithm = "HS256", .key = kSecret, .issuer = "hc-test"});
}

MintOptions HsToken(std::string subject) {
  return {.algorithm = "HS256",
          .key = kSecret,
          .issuer = "hc-test",
          .subject = std::move(subject),
          .roles = {"coordinator"},
          .ttl = std::chrono::seconds(60)};
}

TEST(Verifier, AcceptsAMintedTokenWithSubjectAndRoles) {
  auto token = Mint(HsToken("m-1"));
  ASSERT_TRUE(token.ok()) << token.status();
  auto principal = HsVerifier().VerifyBearer("Bearer " + *token);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->subject, "m-1");
  EXPECT_TRUE(principal->HasRole(kRoleCoordinator));
  EXPECT_TRUE(principal->IsStaff());
  EXPECT_FALSE(principal->HasRole(kRoleAdmin));
}

TEST(Verifier, RejectsMissingOrMalformedHeader) {
  EXPECT_EQ(HsVerifier().VerifyBearer("").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(HsVerifier().VerifyBearer("Basic abc").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(HsVerifier().Verify("not.a.jwt").status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(Verifier, RejectsAlgNone) {
  const long exp = static_cast<long>(std::time(nullptr)) + 600;
  std::string token = Base64Url(R"({"alg":"none","typ":"JWT"})") + "." +
                      Base64Url(R"({"iss":"hc-test","sub":"m-1","roles":["admin"],"exp":)" +
                                std::to_string(exp) + "}") +
                      ".";
  EXPECT_EQ(HsVerifier().Verify(token).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(Verifier, RejectsAForgedSignature) {
  MintOptions forged = HsToken("m-1");
  forged.key = "another-secret-that-is-long-enough-0000";
  EXPECT_EQ(HsVerifier().Verify(*Mint(forged)).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(Verifier, RejectsATamperedPayload) {
  std::string token = *Mint(HsToken("m-1"));
  auto first_dot = token.find('.');
  auto second_dot = token.find('.', first_dot + 1);
  const long exp = static_cast<long>(std::time(nullptr)) + 600;
  std::string tampered = token.substr(0, first_dot + 1) +
                         Base64Url(R"({"iss":"hc-test","sub":"m-2","roles":["admin"],"exp":)" +
                                   std::to_string(exp) + "}") +
                         token.substr(second_dot);
  EXPECT_EQ(HsVerifier().Verify(tampered).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(Verifier, RejectsWrongIssuerAndExpiredTokens) {
  MintOptions other = HsToken("m-1");
  other.issuer = "someone-else";
  EXPECT_FALSE(HsVerifier().Verify(*Mint(other)).ok());
  MintOptions expired = HsToken("m-1");
  expired.ttl = std::chrono::seconds(-10);
  EXPECT_FALSE(HsVerifier().Verify(*Mint(expired)).ok());
}

TEST(Verifier, Rs256RoundTripAndNoHsConfusion) {
  const std::string priv = ReadFile(HC_AUTH_TESTDATA "/rs256_private.pem");
  const std::string pub = ReadFile(HC_AUTH_TESTDATA "/rs256_public.pem");
  auto rs = Verifier::Create({.algorithm = "RS256", .key = pub, .issuer = "hc-test"});
  ASSERT_TRUE(rs.ok()) << rs.status();
  MintOptions good = HsToken("m-9");
  good.algorithm = "RS256";
  good.key = priv;
  auto token = Mint(good);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_TRUE(rs->Verify(*token).ok());

  // The classic confusion attack: HMAC-sign with the (public) RSA key as the secret.
  MintOptions confused = HsToken("m-9");
  confused.key = pub;
  auto bad = Mint(confused);
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(rs->Verify(*bad).status().code(), absl::StatusCode::kUnauthenticated);
  // And an RS256 token is refused where HS256 is pinned.
  EXPECT_EQ(HsVerifier().Verify(*token).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(Verifier, ARememberedTokenStillExpires) {
  auto now = std::chrono::system_clock::now();
  auto verifier = *Verifier::Create(
      {.algorithm = "HS256", .key = kSecret, .issuer = "hc-test", .clock = [&] { return now; }});
  std::string token = *Mint(HsToken("m-1"));  // 60 s to live
  ASSERT_TRUE(verifier.Verify(token).ok());
  ASSERT_TRUE(verifier.Verify(token).ok());  // from the cache
  now += std::chrono::seconds(61);
  EXPECT_EQ(verifier.Verify(token).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(Verifier, AFailedTokenIsNeverRemembered) {
  // One verifier throughout: a refusal must not be remembered as anything, and a token refused
  // for a reason that passes (not valid yet) is accepted once it does.
  auto now = std::chrono::system_clock::now();
  auto verifier = *Verifier::Create(
      {.algorithm = "HS256", .key = kSecret, .issuer = "hc-test", .clock = [&] { return now; }});
  std::string token = *Mint(HsToken("m-1"));
  std::string forged = token.substr(0, token.rfind('.') + 1) + "AAAA";
  EXPECT_FALSE(verifier.Verify(forged).ok());
  EXPECT_FALSE(verifier.Verify(forged).ok());
  EXPECT_TRUE(verifier.Verify(token).ok());
  EXPECT_FALSE(verifier.Verify(forged).ok());

  std::string later = RawHsToken(Claims(R"({"nbf":)" + std::to_string(Now() + 300) + "}"));
  EXPECT_EQ(verifier.Verify(later).status().message(), "invalid token: not valid yet");
  now += std::chrono::seconds(301);
  EXPECT_TRUE(verifier.Verify(later).ok());
}

TEST(Verifier, AudienceIsPinned) {
  EXPECT_TRUE(HsVerifier().Verify(RawHsToken(Claims("{}"))).ok());
  EXPECT_TRUE(HsVerifier().Verify(RawHsToken(Claims(R"({"aud":["x","homecoming"]})"))).ok());
  for (const char* bad :
       {R"({"aud":"someone-else"})", R"({"aud":null})", R"({"aud":["x"]})", R"({"aud":7})"}) {
    auto result = HsVerifier().Verify(RawHsToken(Claims(bad)));
    EXPECT_EQ(result.status().message(), "invalid token: audience") << bad;
  }
  MintOptions other = HsToken("m-1");
  other.audience = "another-deployment";
  EXPECT_FALSE(HsVerifier().Verify(*Mint(other)).ok());
}

TEST(Verifier, LifetimeNotBeforeAndIssueTimeAreChecked) {
  const std::string now = std::to_string(Now());
  struct Case {
    std::string claims;
    std::string_view why;
  } cases[] = {
      {R"({"iat":null})", "no issue time"},
      {R"({"iat":"yesterday"})", "no issue time"},
      {R"({"iat":)" + std::to_string(Now() + 600) + R"(,"exp":)" + std::to_string(Now() + 900) +
           "}",
       "issued in the future"},
      {R"({"exp":)" + std::to_string(Now() + 3601) + "}", "lifetime longer than allowed"},
      {R"({"nbf":)" + std::to_string(Now() + 600) + "}", "not valid yet"},
      {R"({"nbf":"soon"})", "nbf must be a time"},
      {R"({"exp":null})", "no expiry"},
  };
  for (const auto& c : cases) {
    auto result = HsVerifier().Verify(RawHsToken(Claims(c.claims)));
    EXPECT_EQ(result.status().message(), "invalid token: " + std::string(c.why)) << c.claims;
  }
  // Within the limits: exactly the longest lifetime, nbf now, iat a little ahead (clock skew).
  EXPECT_TRUE(HsVerifier()
                  .Verify(RawHsToken(Claims(R"({"exp":)" + std::to_string(Now() + 3600) +
                                            R"(,"nbf":)" + now + "}")))
                  .ok());
  EXPECT_TRUE(HsVerifier()
                  .Verify(RawHsToken(Claims(R"({"iat":)" + std::to_string(Now() + 30) + "}")))
                  .ok());
  MintOptions day = HsToken("m-1");
  day.ttl = std::chrono::hours(24);
  EXPECT_FALSE(HsVerifier().Verify(*Mint(day)).ok());
  auto lenient = Verifier::Create({.algorithm = "HS256",
                                   .key = kSecret,
                                   .issuer = "hc-test",
                                   .max_lifetime = std::chrono::hours(24)});
  EXPECT_TRUE(lenient->Verify(*Mint(day)).ok());
}

TEST(Verifier, AServiceIdentityIsNeverAMemberId) {
  for (const char* subject :
       {"6f1c2a4e-9b7d-4c3e-8a2f-1d0e5b6c7a89", "6F1C2A4E-9B7D-4C3E-8A2F-1D0E5B6C7A89"}) {
    MintOptions member_as_service = HsToken(subject);
    member_as_service.roles = {"service"};
    auto result = HsVerifier().Verify(*Mint(member_as_service));
    EXPECT_EQ(result.status().message(), "invalid token: a service identity cannot be a member id");
    member_as_service.roles = {"alumnus"};
    EXPECT_TRUE(HsVerifier().Verify(*Mint(member_as_service)).ok());
  }
  MintOptions service = HsToken("notifications");
  service.roles = {"service"};
  auto principal = HsVerifier().Verify(*Mint(service));
  ASSERT_TRUE(principal.ok());
  EXPECT_TRUE(principal->IsService());
}

TEST(RequireService, OnlyTheListedServices) {
  Principal notifications{.subject = "notifications", .roles = {"service"}};
  Principal events{.subject = "events", .roles = {"service"}};
  Principal admin{.subject = "notifications", .roles = {"admin", "coordinator"}};
  EXPECT_TRUE(RequireService(notifications, {"notifications"}).ok());
  EXPECT_TRUE(RequireService(events, {"events", "volunteering"}).ok());
  EXPECT_EQ(RequireService(events, {"notifications"}).code(), absl::StatusCode::kPermissionDenied);
  // A member named like a service is still a member.
  EXPECT_EQ(RequireService(admin, {"notifications"}).code(), absl::StatusCode::kPermissionDenied);
}

TEST(Revocations, ARevokedSubjectIsRefusedAtOnceEvenFromTheCache) {
  auto verifier = HsVerifier();
  std::string token = *Mint(HsToken("m-1"));
  std::string other = *Mint(HsToken("m-2"));
  ASSERT_TRUE(verifier.Verify(token).ok());
  ASSERT_TRUE(verifier.Verify(token).ok());  // remembered now
  Verifier copy = verifier;                  // a copy shares the revocations
  copy.revocations().Revoke("m-1", Now());
  EXPECT_EQ(verifier.Verify(token).status().message(), "invalid token: revoked");
  EXPECT_EQ(verifier.Verify(token).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(verifier.Verify(other).ok());
  // A member id is the same member in either case.
  const std::string member = "6f1c2a4e-9b7d-4c3e-8a2f-1d0e5b6c7a89";
  std::string upper_token = *Mint(HsToken("6F1C2A4E-9B7D-4C3E-8A2F-1D0E5B6C7A89"));
  ASSERT_TRUE(verifier.Verify(upper_token).ok());
  verifier.revocations().Revoke(member, Now());
  EXPECT_FALSE(verifier.Verify(upper_token).ok());
  // A token minted after the change is accepted.
  std::string fresh = RawHsToken(Claims(R"({"iat":)" + std::to_string(Now() + 2) + "}"));
  EXPECT_TRUE(verifier.Verify(fresh).ok());
  // Forgetting old revocations keeps newer ones.
  verifier.revocations().Revoke("m-3", Now() - 7200);
  verifier.revocations().ForgetBefore(Now() - 3600);
  EXPECT_EQ(verifier.revocations().size(), 2u);  // m-1 and the member, not m-3
  EXPECT_FALSE(verifier.Verify(token).ok());
}

TEST(Verifier, CreateRefusesWeakSettings) {
  EXPECT_FALSE(Verifier::Create({.algorithm = "none", .key = kSecret, .issuer = "x"}).ok());
  EXPECT_FALSE(Verifier::Create({.algorithm = "HS256", .key = "short", .issuer = "x"}).ok());
  EXPECT_FALSE(Verifier::Create({.algorithm = "HS256", .key = kSecret, .issuer = ""}).ok());
  EXPECT_FALSE(
      Verifier::Create({.algorithm = "HS256", .key = kSecret, .issuer = "x", .audience = ""}).ok());
}

}  // namespace
}  // namespace hc::auth

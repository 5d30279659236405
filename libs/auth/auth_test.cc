#include "libs/auth/auth.h"

#include <gtest/gtest.h>

#include <fstream>
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
  std::string token = *Mint(HsToken("m-1"));
  std::string forged = token.substr(0, token.rfind('.') + 1) + "AAAA";
  EXPECT_FALSE(HsVerifier().Verify(forged).ok());
  EXPECT_FALSE(HsVerifier().Verify(forged).ok());
  EXPECT_TRUE(HsVerifier().Verify(token).ok());
}

TEST(Verifier, CreateRefusesWeakSettings) {
  EXPECT_FALSE(Verifier::Create({.algorithm = "none", .key = kSecret, .issuer = "x"}).ok());
  EXPECT_FALSE(Verifier::Create({.algorithm = "HS256", .key = "short", .issuer = "x"}).ok());
  EXPECT_FALSE(Verifier::Create({.algorithm = "HS256", .key = kSecret, .issuer = ""}).ok());
}

}  // namespace
}  // namespace hc::auth

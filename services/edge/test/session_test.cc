// The pure pieces of sign-in: secrets, hashes, cookies, origins.
#include <gtest/gtest.h>

#include <set>

#include "services/edge/src/http/origin.h"
#include "services/edge/src/session/secrets.h"
#include "services/edge/src/session/sign_in.h"

namespace edge::session {
namespace {

TEST(Secrets, AreFortyThreeUrlSafeCharactersAndNeverRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string s = NewSecret();
    ASSERT_EQ(s.size(), 43u) << s;
    EXPECT_TRUE(LooksLikeSecret(s)) << s;
    EXPECT_EQ(s.find_first_of("+/="), std::string::npos) << s;
    seen.insert(s);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(Secrets, LooksLikeSecretRefusesOtherShapes) {
  EXPECT_FALSE(LooksLikeSecret(""));
  EXPECT_FALSE(LooksLikeSecret(std::string(42, 'a')));
  EXPECT_FALSE(LooksLikeSecret(std::string(44, 'a')));
  EXPECT_FALSE(LooksLikeSecret(std::string(42, 'a') + "/"));
  EXPECT_TRUE(LooksLikeSecret(std::string(41, 'a') + "-_"));
}

TEST(Secrets, HashIsSha256OfTheSecret) {
  const std::string h = HashSecret("abc");
  ASSERT_EQ(h.size(), 32u);
  // FIPS 180-2's first example.
  static const unsigned char kAbc[] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
                                       0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
                                       0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
                                       0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
  EXPECT_EQ(h, std::string(reinterpret_cast<const char*>(kAbc), sizeof(kAbc)));
  EXPECT_NE(HashSecret("abd"), h);
}

TEST(Cookies, PlainCookieIsHttpOnlyLaxWithoutSecure) {
  EXPECT_EQ(SessionCookie("s3cret", std::chrono::hours(12), false),
            "hc_session=s3cret; Max-Age=43200; Path=/; HttpOnly; SameSite=Lax");
  EXPECT_EQ(ClearedSessionCookie(false), "hc_session=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax");
}

TEST(Cookies, TlsCookieHasTheHostPrefixAndSecure) {
  EXPECT_EQ(SessionCookie("s3cret", std::chrono::seconds(60), true),
            "__Host-hc_session=s3cret; Max-Age=60; Path=/; HttpOnly; SameSite=Lax; Secure");
}

TEST(Cookies, ValueIsReadFromTheRightNameOnly) {
  EXPECT_EQ(SessionCookieValue("a=1; hc_session=xyz; b=2", false), "xyz");
  EXPECT_EQ(SessionCookieValue("hc_session_old=1", false), "");
  EXPECT_EQ(SessionCookieValue("hc_session=plain; __Host-hc_session=tls", true), "tls");
  // Over TLS the unprefixed cookie (settable by a sibling subdomain) is ignored.
  EXPECT_EQ(SessionCookieValue("hc_session=plain", true), "");
  EXPECT_EQ(SessionCookieValue("", false), "");
}

TEST(Origins, OnlyTheSameOriginOrNoBrowserHeadersPass) {
  const std::string origin = http::OriginOf("https://Home.Example.org/app/");
  EXPECT_EQ(origin, "https://home.example.org");
  EXPECT_TRUE(http::IsSameOrigin("https://home.example.org", std::nullopt, origin));
  EXPECT_FALSE(http::IsSameOrigin("https://evil.example", std::nullopt, origin));
  EXPECT_FALSE(http::IsSameOrigin("null", std::nullopt, origin));
  // The sign-in link's page (no-referrer) posts with Origin: null and Sec-Fetch-Site saying
  // same-origin.
  EXPECT_TRUE(http::IsSameOrigin("null", "same-origin", origin));
  EXPECT_FALSE(http::IsSameOrigin("null", "cross-site", origin));
  EXPECT_FALSE(http::IsSameOrigin("https://home.example.org:8443", std::nullopt, origin));
  EXPECT_TRUE(http::IsSameOrigin(std::nullopt, "same-origin", origin));
  EXPECT_FALSE(http::IsSameOrigin(std::nullopt, "cross-site", origin));
  EXPECT_FALSE(http::IsSameOrigin(std::nullopt, "same-site", origin));
  EXPECT_TRUE(http::IsSameOrigin(std::nullopt, std::nullopt, origin));
}

TEST(Emails, PlausibleAddressesOnly) {
  EXPECT_TRUE(LooksLikeEmail("ana@example.org"));
  EXPECT_FALSE(LooksLikeEmail("ana"));
  EXPECT_FALSE(LooksLikeEmail("ana@"));
  EXPECT_FALSE(LooksLikeEmail("@example.org"));
  EXPECT_FALSE(LooksLikeEmail("ana@b@example.org"));
  EXPECT_FALSE(LooksLikeEmail("ana smith@example.org"));
  EXPECT_FALSE(LooksLikeEmail("ana@example.org\r\nBcc: x@y.z"));
  EXPECT_FALSE(LooksLikeEmail(std::string(250, 'a') + "@x.org"));
}

TEST(Html, EscapesEverythingThatCouldCloseAnAttribute) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

TEST(Roles, MembershipRolesMapToTokenRoleNames) {
  google::protobuf::RepeatedField<int> roles;
  for (int r : {1, 2, 3, 4, 99}) roles.Add(r);
  EXPECT_EQ(RoleNames(roles),
            (std::vector<std::string>{"alumnus", "peer_mentor", "coordinator", "admin"}));
}

}  // namespace
}  // namespace edge::session

#include "libs/crypto/crypto.h"

#include <gtest/gtest.h>

#include <set>

namespace hc::crypto {
namespace {

const std::string kKey(64, 'a');
const std::string kOtherKey(64, 'b');

TEST(DataKeys, SealedValuesOpenOnlyWithTheSameKeyAndRow) {
  DataKeys keys = *DataKeys::FromHex(kKey);
  std::string sealed = keys.Seal("ana@example.org", "member-1:email");
  EXPECT_EQ(sealed.find("ana@example.org"), std::string::npos);
  EXPECT_EQ(*keys.Open(sealed, "member-1:email"), "ana@example.org");
  // Moved to another row or column: refused.
  EXPECT_EQ(keys.Open(sealed, "member-2:email").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(keys.Open(sealed, "member-1:phone").status().code(), absl::StatusCode::kDataLoss);
  // Another key: refused.
  EXPECT_FALSE(DataKeys::FromHex(kOtherKey)->Open(sealed, "member-1:email").ok());
  // Tampered: refused.
  sealed[sealed.size() / 2] ^= 1;
  EXPECT_FALSE(keys.Open(sealed, "member-1:email").ok());
  EXPECT_FALSE(keys.Open("short", "member-1:email").ok());
}

TEST(DataKeys, SealingTwiceGivesDifferentBytes) {
  DataKeys keys = *DataKeys::FromHex(kKey);
  EXPECT_NE(keys.Seal("x", "ad"), keys.Seal("x", "ad"));
}

TEST(DataKeys, FingerprintsAreStablePerKeyAndHideTheValue) {
  DataKeys keys = *DataKeys::FromHex(kKey);
  EXPECT_EQ(keys.Fingerprint("ana@example.org"), keys.Fingerprint("ana@example.org"));
  EXPECT_NE(keys.Fingerprint("ana@example.org"), keys.Fingerprint("ben@example.org"));
  EXPECT_NE(keys.Fingerprint("ana@example.org"),
            DataKeys::FromHex(kOtherKey)->Fingerprint("ana@example.org"));
  EXPECT_EQ(keys.Fingerprint("x").size(), 32u);
}

TEST(DataKeys, RefusesMalformedKeys) {
  EXPECT_FALSE(DataKeys::FromHex("").ok());
  EXPECT_FALSE(DataKeys::FromHex(std::string(63, 'a')).ok());
  EXPECT_FALSE(DataKeys::FromHex(std::string(64, 'z')).ok());
  EXPECT_TRUE(DataKeys::FromHex(kKey + "\n").ok());
}

}  // namespace
}  // namespace hc::crypto

#include "libs/tz/time_zones.h"

#include <gtest/gtest.h>

namespace hc::tz {
namespace {

TEST(SystemTimeZones, KnowsRealZonesAndRefusesPathTricks) {
  SystemTimeZones zones;
  EXPECT_TRUE(zones.Exists("America/Chicago"));
  EXPECT_TRUE(zones.Exists("Europe/Dublin"));
  EXPECT_TRUE(zones.Exists("UTC"));
  EXPECT_FALSE(zones.Exists("America/Nowhere"));
  EXPECT_FALSE(zones.Exists("../../etc/passwd"));
  EXPECT_FALSE(zones.Exists("/etc/localtime"));
  EXPECT_FALSE(zones.Exists("localtime"));
  EXPECT_FALSE(zones.Exists("Fixed/UTC+01:00:00"));
  EXPECT_FALSE(zones.Exists("America"));  // a directory, not a zone
  EXPECT_FALSE(zones.Exists(""));
}

TEST(SystemTimeZones, LoadsZonesWithTheirRules) {
  auto chicago = SystemTimeZones().Load("America/Chicago");
  ASSERT_TRUE(chicago.has_value());
  // Summer and winter offsets differ: the rules came with the zone.
  auto summer = chicago->At(absl::FromUnixSeconds(1783000000));  // July 2026
  auto winter = chicago->At(absl::FromUnixSeconds(1800000000));  // January 2027
  EXPECT_NE(summer.offset, winter.offset);
}

}  // namespace
}  // namespace hc::tz

#include "libs/paging/paging.h"

#include <gtest/gtest.h>

namespace hc::paging {
namespace {

TEST(PageSize, DefaultsAndBounds) {
  EXPECT_EQ(*PageSize(0), 20);
  EXPECT_EQ(*PageSize(100), 100);
  EXPECT_EQ(*PageSize(0, {.default_size = 50, .max_size = 500}), 50);
  EXPECT_EQ(PageSize(101).status().message(), "page_size: must be 1 to 100");
  EXPECT_FALSE(PageSize(-1).ok());
}

TEST(PageToken, RoundTripsTheCursorForTheSameFiltersOnly) {
  const std::string token = EncodePageToken("1700000000000|abc", "k=1");
  EXPECT_EQ(**DecodePageToken(token, "k=1"), "1700000000000|abc");
  EXPECT_EQ(DecodePageToken(token, "k=2").status().message(),
            "page_token: was made for other filters than this request's");
  auto none = DecodePageToken("", "k=1");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(EncodePageToken("", "k=1"), "");
}

TEST(PageToken, RefusesWhatItDidNotGiveOut) {
  for (const char* bad : {"!!!", "cDF8", "eDF8MTIzfGFiYw", "not base64 at all"}) {
    EXPECT_EQ(DecodePageToken(bad, "k=1").status().message(),
              "page_token: is not a token this listing gave out")
        << bad;
  }
  EXPECT_FALSE(DecodePageToken(std::string(600, 'A'), "").ok());
}

}  // namespace
}  // namespace hc::paging

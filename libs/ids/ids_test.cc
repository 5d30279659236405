#include "libs/ids/ids.h"

#include <gtest/gtest.h>

#include <set>

namespace hc::ids {
namespace {

TEST(NewUuid, IsAVersion4UuidAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewUuid();
    ASSERT_TRUE(IsUuid(id)) << id;
    EXPECT_EQ(id[14], '4');
    EXPECT_TRUE(seen.insert(id).second);
  }
}

TEST(IsUuid, AcceptsCanonicalFormOnly) {
  EXPECT_TRUE(IsUuid("0b7e4c1a-6a43-4c1e-9c3b-2f7a9d1e5b60"));
  EXPECT_TRUE(IsUuid("0B7E4C1A-6A43-4C1E-9C3B-2F7A9D1E5B60"));
  EXPECT_FALSE(IsUuid("0b7e4c1a6a434c1e9c3b2f7a9d1e5b60"));
  EXPECT_FALSE(IsUuid("0b7e4c1a-6a43-4c1e-9c3b-2f7a9d1e5b6z"));
  EXPECT_FALSE(IsUuid(""));
}

TEST(Canonical, LowerCasesEitherSpellingToTheSameId) {
  EXPECT_EQ(Canonical("0B7E4C1A-6A43-4C1E-9C3B-2F7A9D1E5B60"),
            "0b7e4c1a-6a43-4c1e-9c3b-2f7a9d1e5b60");
  EXPECT_EQ(Canonical("0b7E4c1A-6a43-4C1e-9c3B-2f7a9D1e5b60"),
            "0b7e4c1a-6a43-4c1e-9c3b-2f7a9d1e5b60");
  EXPECT_EQ(Canonical("0b7e4c1a-6a43-4c1e-9c3b-2f7a9d1e5b60"),
            "0b7e4c1a-6a43-4c1e-9c3b-2f7a9d1e5b60");
}

}  // namespace
}  // namespace hc::ids

#include "libs/text/text.h"

#include <gtest/gtest.h>

namespace hc::text {
namespace {

TEST(Trim, DropsSurroundingWhiteSpaceOnly) {
  EXPECT_EQ(Trim("  a b \t\n"), "a b");
  EXPECT_EQ(Trim(" \t "), "");
}

TEST(CodePoints, CountsCharactersNotBytes) {
  EXPECT_EQ(CodePoints("abc"), 3u);
  EXPECT_EQ(CodePoints("Óscar"), 5u);
  EXPECT_EQ(CodePoints("\xF0\x9F\x8C\xBF"), 1u);  // one four-byte character
}

TEST(CheckText, NamesTheFieldAndTheRuleBroken) {
  const TextRule title{.required = true, .max_characters = 5};
  EXPECT_TRUE(CheckText("title", "Óscar", title).ok());
  EXPECT_EQ(CheckText("title", "   ", title).message(), "title: must not be empty");
  EXPECT_EQ(CheckText("title", "Óscars", title).message(), "title: must be at most 5 characters");
  EXPECT_EQ(CheckText("title", "a\nb", title).message(),
            "title: must not contain control characters");
  EXPECT_TRUE(CheckText("body", "a\nb\tc", {.max_characters = 10, .multi_line = true}).ok());
  EXPECT_FALSE(CheckText("body", "a\x7f", {.max_characters = 10, .multi_line = true}).ok());
  EXPECT_TRUE(CheckText("note", "", {.max_characters = 10}).ok());
}

}  // namespace
}  // namespace hc::text

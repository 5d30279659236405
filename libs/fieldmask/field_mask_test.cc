#include "libs/fieldmask/field_mask.h"

#include <gtest/gtest.h>

#include <optional>

#include "libs/status/status.h"

namespace hc::field_mask {
namespace {

struct Changes {
  std::optional<std::string> title;
  std::optional<int> capacity;
};

google::protobuf::FieldMask Mask(std::initializer_list<const char*> paths) {
  google::protobuf::FieldMask mask;
  for (const char* p : paths) mask.add_paths(p);
  return mask;
}

absl::Status ApplyTo(Changes& c, const google::protobuf::FieldMask& mask, int capacity = 5) {
  return Apply(mask,
               {{"title", Assign(c.title, std::string("Picnic"))},
                {"capacity",
                 [&]() -> absl::Status {
                   if (capacity < 1) return InvalidField("capacity", "must be positive");
                   c.capacity = capacity;
                   return absl::OkStatus();
                 }}},
               {{"email", "email cannot be changed here"}});
}

TEST(FieldMask, SetsOnlyTheNamedFields) {
  Changes c;
  ASSERT_TRUE(ApplyTo(c, Mask({"capacity"})).ok());
  EXPECT_FALSE(c.title.has_value());
  EXPECT_EQ(c.capacity, 5);
  ASSERT_TRUE(ApplyTo(c, Mask({"title", "capacity"})).ok());
  EXPECT_EQ(c.title, "Picnic");
}

TEST(FieldMask, RefusesEmptyUnknownRepeatedAndReadOnlyPaths) {
  Changes c;
  EXPECT_EQ(ApplyTo(c, Mask({})).message(), "update_mask: must name at least one field");
  EXPECT_EQ(ApplyTo(c, Mask({"seats"})).message(),
            "update_mask: unknown or read-only field \"seats\"");
  EXPECT_EQ(ApplyTo(c, Mask({"title", "title"})).message(), "update_mask: names \"title\" twice");
  EXPECT_EQ(ApplyTo(c, Mask({"email"})).message(), "update_mask: email cannot be changed here");
  EXPECT_EQ(ApplyTo(c, Mask({"capacity"}), 0).message(), "capacity: must be positive");
}

}  // namespace
}  // namespace hc::field_mask

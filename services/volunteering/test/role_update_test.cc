// UpdateRole's merge rules, alone: no servers.
#include <gtest/gtest.h>

#include "services/volunteering/src/domain/volunteering.h"

namespace volunteering::domain {
namespace {

Role Existing() {
  Role r{.role_id = "r"};
  r.details = {.title = "Greeter",
               .description = "Say hello",
               .tags = {"peer-support", "retired-tag"},
               .venue = "Main hall",
               .max_shifts_per_person = 3};
  return r;
}

TEST(ApplyRoleChanges, ChangesOnlyTheMaskedFieldsAndNamesThem) {
  Role role = Existing();
  auto changed = ApplyRoleChanges(role, {.title = "Door greeter", .requires_approval = true}, {});
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(*changed, (std::vector<std::string>{"title", "requires_approval"}));
  EXPECT_EQ(role.details.title, "Door greeter");
  EXPECT_TRUE(role.details.requires_approval);
  EXPECT_EQ(role.details.description, "Say hello");
  EXPECT_EQ(role.details.venue, "Main hall");
  EXPECT_EQ(role.details.max_shifts_per_person, 3);
}

TEST(ApplyRoleChanges, TheSameValuesChangeNothing) {
  Role role = Existing();
  auto changed = ApplyRoleChanges(role, {.title = "Greeter", .max_shifts_per_person = 3}, {});
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(changed->empty());
}

TEST(ApplyRoleChanges, MovingOnlineClearsTheVenueAndBothAtOnceIsRefused) {
  Role role = Existing();
  auto changed = ApplyRoleChanges(role, {.online_url = "https://meet.example.org/x"}, {});
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(*changed, (std::vector<std::string>{"venue", "online_url"}));
  EXPECT_EQ(role.details.venue, "");
  Role both = Existing();
  EXPECT_EQ(ApplyRoleChanges(both, {.venue = "Hall", .online_url = "https://x.org"}, {})
                .status()
                .message(),
            "location: set exactly one of venue and online_url");
  Role neither = Existing();
  EXPECT_EQ(ApplyRoleChanges(neither, {.venue = ""}, {}).status().message(),
            "location: set exactly one of venue and online_url");
  EXPECT_EQ(neither.details.venue, "Main hall") << "a refused change leaves the role as it was";
}

TEST(ApplyRoleChanges, TheResultIsValidatedLikeANewRole) {
  auto message = [](RoleChanges c) {
    Role role = Existing();
    return std::string(ApplyRoleChanges(role, c, {"art"}).status().message());
  };
  EXPECT_EQ(message({.title = ""}), "title: must not be empty");
  EXPECT_EQ(message({.max_shifts_per_person = 51}), "max_shifts_per_person: must be 1 to 50");
  EXPECT_EQ(message({.min_sober_days = 45}).rfind("min_sober_days:", 0), 0u);
  EXPECT_EQ(message({.tags = std::vector<std::string>{"art", "art"}}),
            "tags: must not repeat a tag");
  EXPECT_EQ(message({.event_id = "event-7"}), "event_id: must be an event id (UUID)");
  Role role = Existing();
  ASSERT_TRUE(ApplyRoleChanges(role, {.max_shifts_per_person = 0}, {}).ok());
  EXPECT_EQ(role.details.max_shifts_per_person, kDefaultShiftsPerPerson)
      << "0 means 5, as PostRole";
}

TEST(ApplyRoleChanges, AClosedRoleIsNotChanged) {
  Role role = Existing();
  role.status = RoleStatus::kClosed;
  EXPECT_EQ(ApplyRoleChanges(role, {.title = "New"}, {}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(role.details.title, "Greeter");
}

TEST(ApplyRoleChanges, KeptTagsStayAndNewOnesMustHaveBeenVetted) {
  Role role = Existing();
  // "retired-tag" is kept without asking; "art" was checked with the catalogue.
  auto changed =
      ApplyRoleChanges(role, {.tags = std::vector<std::string>{"retired-tag", "art"}}, {"art"});
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(*changed, std::vector<std::string>{"tags"});
  // A tag the role lost while the catalogue was asked, and nobody vetted: try again.
  Role moved_on = Existing();
  moved_on.details.tags = {"peer-support"};
  EXPECT_EQ(ApplyRoleChanges(moved_on, {.tags = std::vector<std::string>{"retired-tag"}}, {})
                .status()
                .code(),
            absl::StatusCode::kAborted);
}

TEST(AddedTags, OnlyTheTagsTheRoleDidNotHave) {
  EXPECT_EQ(AddedTags({"a", "b"}, {"b", "c", "d"}), (std::vector<std::string>{"c", "d"}));
  EXPECT_TRUE(AddedTags({"a", "b"}, {"a"}).empty());
  EXPECT_TRUE(AddedTags({}, {}).empty());
}

}  // namespace
}  // namespace volunteering::domain

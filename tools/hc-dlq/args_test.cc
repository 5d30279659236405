#include "tools/hc-dlq/args.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hc::dlq {
namespace {

using ::testing::HasSubstr;

std::string ErrorOf(const std::vector<std::string>& argv) {
  auto args = ParseArgs(argv);
  EXPECT_FALSE(args.ok());
  return args.ok() ? "" : std::string(args.status().message());
}

TEST(ParseArgs, ServiceNamesTheDeadLetterTopicAndTheReplayGroup) {
  auto args = ParseArgs({"list", "--service", "notifications"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->command, Command::kList);
  EXPECT_EQ(args->topic, "alumni.dlq.notifications");
  EXPECT_EQ(ReplayGroup(args->service), "hc-dlq.notifications");
}

TEST(ParseArgs, TopicGivesTheSameAsService) {
  auto args = ParseArgs({"list", "--topic=alumni.dlq.events", "--json"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->service, "events");
  EXPECT_EQ(args->topic, "alumni.dlq.events");
  EXPECT_TRUE(args->json);
}

TEST(ParseArgs, ATopicThatIsNotADeadLetterTopicIsAUsageError) {
  EXPECT_THAT(ErrorOf({"list", "--topic", "alumni.events.v1"}), HasSubstr("dead-letter topic"));
  EXPECT_THAT(ErrorOf({"list", "--topic", "alumni.dlq."}), HasSubstr("dead-letter topic"));
}

TEST(ParseArgs, ServiceOrTopicIsRequiredButNotBoth) {
  EXPECT_THAT(ErrorOf({"list"}), HasSubstr("--service or --topic"));
  EXPECT_THAT(ErrorOf({"list", "--service", "a", "--topic", "alumni.dlq.a"}),
              HasSubstr("--service or --topic"));
  EXPECT_THAT(ErrorOf({"list", "--service", "Bad/Name"}), HasSubstr("not a service name"));
}

TEST(ParseArgs, InspectNeedsAnOffset) {
  EXPECT_THAT(ErrorOf({"inspect", "--service", "a"}), HasSubstr("--offset"));
  auto args = ParseArgs({"inspect", "--service", "a", "--offset", "2:17", "--payload"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->offset, (Position{2, 17}));
  EXPECT_TRUE(args->payload);
}

TEST(ParseArgs, ReplayTakesOneOfOffsetOrAll) {
  EXPECT_THAT(ErrorOf({"replay", "--service", "a"}), HasSubstr("--offset P:O or --all"));
  EXPECT_THAT(ErrorOf({"replay", "--service", "a", "--all", "--offset", "0:1"}),
              HasSubstr("--offset P:O or --all"));
  auto args = ParseArgs({"replay", "--service", "a", "--all", "--dry-run"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_TRUE(args->all);
  EXPECT_TRUE(args->dry_run);
}

TEST(ParseArgs, PurgeTakesOneOfBeforeOrAllReplayedAndForceOnlyWithBefore) {
  EXPECT_THAT(ErrorOf({"purge", "--service", "a"}), HasSubstr("--before P:O or --all-replayed"));
  EXPECT_THAT(ErrorOf({"purge", "--service", "a", "--all-replayed", "--force"}),
              HasSubstr("--force goes with --before"));
  auto args = ParseArgs({"purge", "--service", "a", "--before", "0:5", "--force"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->before, (Position{0, 5}));
  EXPECT_TRUE(args->force);
}

TEST(ParseArgs, AFlagOfAnotherCommandIsAUsageError) {
  EXPECT_THAT(ErrorOf({"list", "--service", "a", "--force"}), HasSubstr("unknown flag '--force'"));
  EXPECT_THAT(ErrorOf({"purge", "--service", "a", "--all", "--all-replayed"}),
              HasSubstr("unknown flag '--all'"));
}

TEST(ParseArgs, UnknownCommandMissingValueAndRepeatedFlagsAreUsageErrors) {
  EXPECT_THAT(ErrorOf({"drop", "--service", "a"}), HasSubstr("unknown command 'drop'"));
  EXPECT_THAT(ErrorOf({"list", "--service"}), HasSubstr("--service needs a value"));
  EXPECT_THAT(ErrorOf({"list", "--json=yes", "--service", "a"}), HasSubstr("takes no value"));
  EXPECT_THAT(ErrorOf({"list", "--service", "a", "--service", "b"}), HasSubstr("given twice"));
  EXPECT_THAT(ErrorOf({"list", "--service", "a", "--timeout", "0"}), HasSubstr("--timeout"));
}

TEST(ParseArgs, HelpNeedsNothingElse) {
  auto args = ParseArgs({"replay", "--help"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_TRUE(args->help);
  EXPECT_THAT(Usage(args->command), HasSubstr("hc-dlq replay"));
}

TEST(ParsePosition, AcceptsPartitionColonOffsetOnly) {
  EXPECT_EQ(ParsePosition("0:0"), (Position{0, 0}));
  EXPECT_EQ(ParsePosition("3:123456789012"), (Position{3, 123456789012}));
  for (const char* bad : {"", "1", "1:", ":1", "-1:0", "0:-1", "a:b", "1:2:3", "1:2x"}) {
    EXPECT_FALSE(ParsePosition(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace hc::dlq

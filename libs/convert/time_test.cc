#include "libs/convert/time.h"

#include <gtest/gtest.h>

namespace hc::convert {
namespace {

TEST(TimeFromProto, RoundTripsAndNamesTheFieldOfABadOne) {
  const Millis t{std::chrono::milliseconds(1'800'000'000'123)};
  EXPECT_EQ(*TimeFromProto("start_time", true, TimeToProto(t)), t);
  google::protobuf::Timestamp ts;
  EXPECT_EQ(TimeFromProto("start_time", false, ts).status().message(), "start_time: is required");
  ts.set_seconds(253402300800);
  EXPECT_EQ(TimeFromProto("end_time", true, ts).status().message(),
            "end_time: must be a valid timestamp");
}

}  // namespace
}  // namespace hc::convert

#include "libs/convert/time.h"

#include <google/protobuf/util/time_util.h>

#include "libs/status/status.h"

namespace hc::convert {

using google::protobuf::util::TimeUtil;

absl::StatusOr<Millis> TimeFromProto(std::string_view field, bool present,
                                     const google::protobuf::Timestamp& ts) {
  if (!present) return InvalidField(field, "is required");
  if (ts.seconds() < -62135596800 || ts.seconds() > 253402300799 || ts.nanos() < 0 ||
      ts.nanos() > 999999999) {
    return InvalidField(field, "must be a valid timestamp");
  }
  return Millis(std::chrono::milliseconds(TimeUtil::TimestampToMilliseconds(ts)));
}

google::protobuf::Timestamp TimeToProto(Millis t) {
  return TimeUtil::MillisecondsToTimestamp(t.time_since_epoch().count());
}

}  // namespace hc::convert

#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <chrono>
#include <string_view>

#include "absl/status/statusor.h"

// google.protobuf.Timestamp <-> the millisecond instants the services compute with.
namespace hc::convert {

using Millis = std::chrono::sys_time<std::chrono::milliseconds>;

// INVALID_ARGUMENT naming `field` when absent (`present` false) or outside the range
// google.protobuf.Timestamp defines (0001-01-01 .. 9999-12-31).
absl::StatusOr<Millis> TimeFromProto(std::string_view field, bool present,
                                     const google::protobuf::Timestamp& ts);
google::protobuf::Timestamp TimeToProto(Millis t);

}  // namespace hc::convert

#pragma once

#include <google/protobuf/field_mask.pb.h>

#include <functional>
#include <map>
#include <string>
#include <utility>

#include "absl/status/status.h"

// Update RPCs name the fields they change in a google.protobuf.FieldMask; every service reads
// it the same way.
namespace hc::field_mask {

// Applies one field of the request to the change set; INVALID_ARGUMENT for a bad value.
using Setter = std::function<absl::Status()>;
using Setters = std::map<std::string, Setter, std::less<>>;

// A setter that copies `value` into `target` (an optional or plain field of the change set).
template <typename Target, typename Value>
Setter Assign(Target& target, Value value) {
  return [&target, value = std::move(value)]() mutable {
    target = std::move(value);
    return absl::OkStatus();
  };
}

// Runs the setter of each path of `mask`, in order. INVALID_ARGUMENT naming `update_mask` when
// the mask is empty, names a path twice, or names one without a setter (unknown or read-only);
// `refusals` may say why a known field can't be changed here (path -> reason).
absl::Status Apply(const google::protobuf::FieldMask& mask, const Setters& setters,
                   const std::map<std::string, std::string, std::less<>>& refusals = {});

}  // namespace hc::field_mask

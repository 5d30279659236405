#include "libs/fieldmask/field_mask.h"

#include <set>

#include "libs/status/status.h"

namespace hc::field_mask {

absl::Status Apply(const google::protobuf::FieldMask& mask, const Setters& setters,
                   const std::map<std::string, std::string, std::less<>>& refusals) {
  if (mask.paths().empty()) return InvalidField("update_mask", "must name at least one field");
  std::set<std::string_view> seen;
  for (const auto& path : mask.paths()) {
    if (!seen.insert(path).second) {
      return InvalidField("update_mask", "names \"" + path + "\" twice");
    }
    if (auto refused = refusals.find(path); refused != refusals.end()) {
      return InvalidField("update_mask", refused->second);
    }
    auto setter = setters.find(path);
    if (setter == setters.end()) {
      return InvalidField("update_mask", "unknown or read-only field \"" + path + "\"");
    }
    if (absl::Status set = setter->second(); !set.ok()) return set;
  }
  return absl::OkStatus();
}

}  // namespace hc::field_mask

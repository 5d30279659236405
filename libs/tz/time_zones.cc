#include "libs/tz/time_zones.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace hc::tz {
std::optional<absl::TimeZone> SystemTimeZones::Load(std::string_view name) const {
  // Area/Location names only: no paths, and none of Abseil's "Fixed/UTC+hh:mm" forms.
  if (name.empty() || name.size() > 64 || name.front() == '/' ||
      name.find("..") != std::string_view::npos || name.starts_with("Fixed/") ||
      name == "localtime") {
    return std::nullopt;
  }
  bool plain = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '+' ||
           c == '/';
  });
  if (!plain) return std::nullopt;
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(std::string(name), &zone)) return std::nullopt;
  return zone;
}

}  // namespace hc::tz

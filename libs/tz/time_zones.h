#pragma once

#include <optional>
#include <string_view>

#include "absl/time/time.h"

namespace hc::tz {

// Knows which IANA time zones exist. Domain code takes this interface; tests pass fakes.
class TimeZoneCatalog {
 public:
  virtual ~TimeZoneCatalog() = default;
  virtual bool Exists(std::string_view name) const = 0;
};

// The IANA time zones of the machine's tz database (Debian's tzdata), through Abseil.
class SystemTimeZones : public TimeZoneCatalog {
 public:
  bool Exists(std::string_view name) const override { return Load(name).has_value(); }
  // The zone, or nullopt for anything that is not a plain Area/Location name.
  std::optional<absl::TimeZone> Load(std::string_view name) const;
};

}  // namespace hc::tz

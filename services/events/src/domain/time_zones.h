#pragma once

#include <optional>
#include <string_view>

#include "absl/time/time.h"
#include "services/events/src/domain/event.h"

namespace events::domain {

// The IANA time zones of the machine's tz database (Debian's tzdata), through Abseil.
class SystemTimeZones : public TimeZoneCatalog {
 public:
  bool Exists(std::string_view name) const override { return Load(name).has_value(); }
  // The zone, or nullopt for anything that is not a plain Area/Location name.
  std::optional<absl::TimeZone> Load(std::string_view name) const;
};

}  // namespace events::domain

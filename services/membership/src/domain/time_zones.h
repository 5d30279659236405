#pragma once

#include <string>

#include "services/membership/src/domain/member.h"

namespace membership::domain {

// The IANA time zones of the machine's tz database (Debian's tzdata).
class SystemTimeZones : public TimeZoneCatalog {
 public:
  explicit SystemTimeZones(std::string root = "/usr/share/zoneinfo") : root_(std::move(root)) {}
  bool Exists(std::string_view name) const override;

 private:
  std::string root_;
};

}  // namespace membership::domain

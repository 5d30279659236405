#pragma once

#include <string>
#include <string_view>

namespace hc::ids {

// A random version-4 UUID in canonical text form (what every Homecoming id is).
std::string NewUuid();

// True for a UUID in canonical text form (8-4-4-4-12 hex digits).
bool IsUuid(std::string_view text);

}  // namespace hc::ids

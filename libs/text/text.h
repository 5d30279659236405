#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"

// Checks of the free text members and coordinators type (names, titles, descriptions), the
// same in every service.
namespace hc::text {

// Without leading and trailing ASCII white space.
std::string_view Trim(std::string_view s);
// Length in characters (UTF-8 code points), not bytes.
size_t CodePoints(std::string_view s);
// True when `s` holds an ASCII control character; line breaks and tabs pass when allowed.
bool HasControlCharacters(std::string_view s, bool allow_line_breaks = false);

struct TextRule {
  bool required = false;      // must hold something other than white space
  size_t max_characters = 0;  // in code points
  bool multi_line = false;    // line breaks and tabs allowed
};
// INVALID_ARGUMENT naming `field` when `value` breaks `rule`.
absl::Status CheckText(std::string_view field, std::string_view value, const TextRule& rule);

}  // namespace hc::text

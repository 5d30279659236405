#include "libs/text/text.h"

#include <algorithm>
#include <cctype>

#include "libs/status/status.h"

namespace hc::text {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

size_t CodePoints(std::string_view s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

bool HasControlCharacters(std::string_view s, bool allow_line_breaks) {
  return std::any_of(s.begin(), s.end(), [allow_line_breaks](char c) {
    if (allow_line_breaks && (c == '\n' || c == '\r' || c == '\t')) return false;
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

absl::Status CheckText(std::string_view field, std::string_view value, const TextRule& rule) {
  if (rule.required && Trim(value).empty()) return InvalidField(field, "must not be empty");
  if (CodePoints(value) > rule.max_characters) {
    return InvalidField(field,
                        "must be at most " + std::to_string(rule.max_characters) + " characters");
  }
  if (HasControlCharacters(value, rule.multi_line)) {
    return InvalidField(field, "must not contain control characters");
  }
  return absl::OkStatus();
}

}  // namespace hc::text

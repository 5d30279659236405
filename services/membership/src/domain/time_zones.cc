#include "services/membership/src/domain/time_zones.h"

#include <algorithm>
#include <fstream>

namespace membership::domain {

bool SystemTimeZones::Exists(std::string_view name) const {
  // Names are Area/Location: letters, digits, '_', '-', '+', '/'; never "..": no path tricks.
  if (name.empty() || name.front() == '/' || name.find("..") != std::string_view::npos) {
    return false;
  }
  bool plain = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '+' ||
           c == '/';
  });
  if (!plain) return false;
  std::ifstream file(root_ + "/" + std::string(name), std::ios::binary);
  char magic[4] = {};
  return file.read(magic, 4) && std::string_view(magic, 4) == "TZif";
}

}  // namespace membership::domain

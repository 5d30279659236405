#pragma once

#include <string>
#include <vector>

#include "services/membership/src/domain/member.h"

namespace membership::domain {

// One member as the directory shows them to other alumni: only what they chose.
struct DirectoryEntry {
  std::string member_id;
  std::string display_name;
  std::string first_name;  // only with DirectoryField::kFullName
  std::string last_name;   // only with DirectoryField::kFullName
  std::vector<std::string> interests;
  Program program = Program::kUnspecified;
  std::string time_zone;
};

bool IsListed(const Member& member);
// What `member` shows in the directory. Call only for listed members.
DirectoryEntry ToDirectoryEntry(const Member& member);

// The search's normalised name prefix: trimmed, lower case, at most 50 characters.
absl::Status ValidateNamePrefix(std::string_view prefix);

}  // namespace membership::domain

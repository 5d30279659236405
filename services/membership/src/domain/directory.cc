#include "services/membership/src/domain/directory.h"

#include "libs/status/status.h"

namespace membership::domain {

bool IsListed(const Member& m) {
  return m.status == MemberStatus::kActive && m.privacy.visibility == DirectoryVisibility::kAlumni;
}

DirectoryEntry ToDirectoryEntry(const Member& m) {
  const auto& shown = m.privacy.visible_fields;
  DirectoryEntry e{.member_id = m.member_id, .display_name = m.display_name};
  if (shown.contains(DirectoryField::kFullName)) {
    e.first_name = m.first_name;
    e.last_name = m.last_name;
  }
  if (shown.contains(DirectoryField::kInterests)) e.interests = m.interests;
  if (shown.contains(DirectoryField::kProgram)) e.program = m.program;
  if (shown.contains(DirectoryField::kTimeZone)) e.time_zone = m.time_zone;
  return e;
}

absl::Status ValidateNamePrefix(std::string_view prefix) {
  if (prefix.size() > 50) return hc::InvalidField("name_prefix", "must be at most 50 characters");
  for (char c : prefix) {
    if (static_cast<unsigned char>(c) < 0x20) {
      return hc::InvalidField("name_prefix", "must not contain control characters");
    }
  }
  return absl::OkStatus();
}

}  // namespace membership::domain

#include "services/membership/src/domain/member.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "libs/status/status.h"
#include "libs/text/text.h"
#include "services/membership/src/domain/sobriety.h"

namespace membership::domain {
namespace {

using hc::InvalidField;
using hc::text::Trim;

absl::Status CheckName(std::string_view field, std::string_view value, bool required, size_t max) {
  return hc::text::CheckText(field, value, {.required = required, .max_characters = max});
}

bool IsEmail(std::string_view email) {
  if (email.size() > kMaxEmailLength) return false;
  auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 ||
      email.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  std::string_view domain = email.substr(at + 1);
  auto dot = domain.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 >= domain.size()) return false;
  return std::none_of(email.begin(), email.end(), [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) < 0x20 ||
           c == '<' || c == '>' || c == ',' || c == ';' || c == '"';
  });
}

// E.164: + then 7 to 15 digits, the first not 0.
bool IsPhone(std::string_view phone) {
  if (phone.size() < 8 || phone.size() > 16 || phone[0] != '+' || phone[1] == '0') return false;
  return std::all_of(phone.begin() + 1, phone.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

bool IsInterest(std::string_view tag) {
  if (tag.empty() || tag.size() > kMaxInterestLength || tag[0] == '-') return false;
  return std::all_of(tag.begin(), tag.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool IsValidDate(const Date& d) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (d.year < 1900 || d.month < 1 || d.month > 12 || d.day < 1) return false;
  int max = kDays[d.month - 1] + (d.month == 2 && IsLeap(d.year) ? 1 : 0);
  return d.day <= max;
}

bool After(const Date& a, const Date& b) {
  return std::tie(a.year, a.month, a.day) > std::tie(b.year, b.month, b.day);
}

absl::Status CheckSobrietyDate(const std::optional<Date>& date, const Date& today) {
  if (!date) return absl::OkStatus();
  if (!IsValidDate(*date)) return InvalidField("sobriety_date", "must be a real calendar date");
  // `today` is the UTC date; a member east of UTC may already be a day further on.
  if (After(*date, AddDays(today, 1))) {
    return InvalidField("sobriety_date", "must not be in the future");
  }
  return absl::OkStatus();
}

absl::Status CheckInterests(const std::vector<std::string>& interests) {
  if (interests.size() > kMaxInterests) {
    return InvalidField("interests", "at most " + std::to_string(kMaxInterests) + " allowed");
  }
  for (const auto& tag : interests) {
    if (!IsInterest(tag)) {
      return InvalidField("interests",
                          "each must be 1-32 characters of a-z, 0-9 and '-' (e.g. \"hiking\")");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckProgram(Program program) {
  if (static_cast<int>(program) < 0 || static_cast<int>(program) > static_cast<int>(Program::kOp)) {
    return InvalidField("program", "unknown program");
  }
  return absl::OkStatus();
}

absl::Status CheckTimeZone(std::string_view zone, const TimeZoneCatalog& zones) {
  if (zone.empty()) return InvalidField("time_zone", "must not be empty");
  if (zone.size() > 64 || !zones.Exists(zone)) {
    return InvalidField("time_zone", "must be an IANA time zone such as America/Chicago");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateNewMember(const NewMember& m, const TimeZoneCatalog& zones,
                               const Date& today) {
  HC_RETURN_IF_ERROR(CheckName("first_name", m.first_name, true, kMaxNameLength));
  HC_RETURN_IF_ERROR(CheckName("last_name", m.last_name, false, kMaxNameLength));
  if (m.email.empty()) return InvalidField("email", "must not be empty");
  if (!IsEmail(NormalizeEmail(m.email))) return InvalidField("email", "must be an email address");
  if (!m.phone.empty() && !IsPhone(m.phone)) {
    return InvalidField("phone", "must be in international format, e.g. +15551234567");
  }
  HC_RETURN_IF_ERROR(CheckProgram(m.program));
  HC_RETURN_IF_ERROR(CheckSobrietyDate(m.sobriety_date, today));
  HC_RETURN_IF_ERROR(CheckInterests(m.interests));
  return CheckTimeZone(m.time_zone, zones);
}

absl::Status ValidateChanges(const ProfileChanges& c, const TimeZoneCatalog& zones,
                             const Date& today) {
  if (c.first_name)
    HC_RETURN_IF_ERROR(CheckName("first_name", *c.first_name, true, kMaxNameLength));
  if (c.last_name) HC_RETURN_IF_ERROR(CheckName("last_name", *c.last_name, false, kMaxNameLength));
  if (c.display_name) {
    HC_RETURN_IF_ERROR(CheckName("display_name", *c.display_name, true, kMaxDisplayNameLength));
  }
  if (c.phone && !c.phone->empty() && !IsPhone(*c.phone)) {
    return InvalidField("phone", "must be in international format, e.g. +15551234567");
  }
  if (c.program) HC_RETURN_IF_ERROR(CheckProgram(*c.program));
  if (c.sobriety_date) HC_RETURN_IF_ERROR(CheckSobrietyDate(*c.sobriety_date, today));
  if (c.interests) HC_RETURN_IF_ERROR(CheckInterests(*c.interests));
  if (c.time_zone) HC_RETURN_IF_ERROR(CheckTimeZone(*c.time_zone, zones));
  return absl::OkStatus();
}

std::string NormalizeEmail(std::string_view email) {
  std::string out(Trim(email));
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string DefaultDisplayName(std::string_view first_name, std::string_view last_name) {
  std::string out(Trim(first_name));
  std::string_view last = Trim(last_name);
  if (!last.empty()) {
    // The whole first code point of the last name, so "Ólafsson" gives "Ó.".
    size_t len = 1;
    while (len < last.size() && (last[len] & 0xC0) == 0x80) ++len;
    out.append(" ").append(last.substr(0, len)).append(".");
  }
  return out;
}

std::vector<std::string> ApplyChanges(Member& m, const ProfileChanges& c) {
  std::vector<std::string> changed;
  const bool default_display = m.display_name == DefaultDisplayName(m.first_name, m.last_name);
  auto set = [&](auto& field, const auto& value, const char* name) {
    if (field != value) {
      field = value;
      changed.emplace_back(name);
    }
  };
  if (c.first_name) set(m.first_name, std::string(Trim(*c.first_name)), "first_name");
  if (c.last_name) set(m.last_name, std::string(Trim(*c.last_name)), "last_name");
  if (c.display_name) {
    set(m.display_name, std::string(Trim(*c.display_name)), "display_name");
  } else if (default_display) {
    set(m.display_name, DefaultDisplayName(m.first_name, m.last_name), "display_name");
  }
  if (c.phone) set(m.phone, *c.phone, "phone");
  if (c.program) set(m.program, *c.program, "program");
  if (c.sobriety_date) set(m.sobriety_date, *c.sobriety_date, "sobriety_date");
  if (c.interests) set(m.interests, *c.interests, "interests");
  if (c.time_zone) set(m.time_zone, *c.time_zone, "time_zone");
  return changed;
}

std::vector<std::string> AnnouncedChanges(const std::vector<std::string>& changed) {
  static const std::set<std::string_view> kPrivate = {"phone", "program", "sobriety_date"};
  std::vector<std::string> out;
  for (const auto& field : changed) {
    if (!kPrivate.contains(field)) out.push_back(field);
  }
  return out;
}

absl::Status ValidateInterestTag(std::string_view tag) {
  if (!IsInterest(tag)) {
    return InvalidField("tag", "must be 1-32 characters of a-z, 0-9 and '-' (e.g. \"hiking\")");
  }
  return absl::OkStatus();
}

absl::Status AuthorizeCatalogue(const hc::auth::Principal& caller) {
  if (caller.IsStaff()) return absl::OkStatus();
  return absl::PermissionDeniedError("only coordinators and admins may change the interest tags");
}

absl::Status AuthorizeRegister(const hc::auth::Principal& caller) {
  if (caller.IsStaff()) return absl::OkStatus();
  return absl::PermissionDeniedError("only coordinators and admins may register members");
}

absl::Status AuthorizeRead(const hc::auth::Principal& caller, std::string_view member_id) {
  if (caller.subject == member_id || caller.IsStaff()) return absl::OkStatus();
  return absl::PermissionDeniedError("members may read only their own profile");
}

absl::Status AuthorizeUpdate(const hc::auth::Principal& caller, std::string_view member_id) {
  if (caller.subject == member_id) return absl::OkStatus();
  return absl::PermissionDeniedError("members may change only their own profile");
}

absl::Status AuthorizeDelete(const hc::auth::Principal& caller, std::string_view member_id) {
  if (caller.subject == member_id || caller.HasRole(hc::auth::kRoleAdmin)) return absl::OkStatus();
  return absl::PermissionDeniedError("only the member or an admin may delete a member");
}

absl::Status AuthorizeAdmin(const hc::auth::Principal& caller) {
  if (caller.HasRole(hc::auth::kRoleAdmin)) return absl::OkStatus();
  return absl::PermissionDeniedError("admins only");
}

absl::Status ValidatePurpose(std::string_view purpose) {
  if (purpose.empty() || purpose.size() > 64) {
    return InvalidField("purpose", "must be 1-64 characters");
  }
  bool ok = std::all_of(purpose.begin(), purpose.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
  });
  if (!ok) return InvalidField("purpose", "may contain only a-z, 0-9, '_' and '.'");
  return absl::OkStatus();
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAlumnus:
      return hc::auth::kRoleAlumnus;
    case Role::kPeerMentor:
      return hc::auth::kRolePeerMentor;
    case Role::kCoordinator:
      return hc::auth::kRoleCoordinator;
    case Role::kAdmin:
      return hc::auth::kRoleAdmin;
  }
  return "unknown";
}

Date TodayUtc(std::chrono::system_clock::time_point now) {
  auto days = std::chrono::floor<std::chrono::days>(now);
  std::chrono::year_month_day ymd{days};
  return Date{static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
              static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

}  // namespace membership::domain

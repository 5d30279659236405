#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "libs/auth/auth.h"
#include "libs/ids/ids.h"
#include "libs/tz/time_zones.h"

namespace membership::domain {

enum class Program { kUnspecified = 0, kDetox, kResidential, kPhp, kIop, kOp };
enum class Role { kAlumnus = 1, kPeerMentor, kCoordinator, kAdmin };
enum class MemberStatus { kActive = 1, kDeleted };
enum class Channel { kEmail = 1, kSms, kPush };
enum class DirectoryVisibility { kHidden = 1, kAlumni };
enum class DirectoryField { kFullName = 1, kInterests, kProgram, kTimeZone };

// Defaults protect: not listed, nothing extra shown, no milestones, name shown in lists as the
// display name (first name + last initial).
struct Privacy {
  DirectoryVisibility visibility = DirectoryVisibility::kHidden;
  std::set<DirectoryField> visible_fields;
  bool celebrate_milestones = false;
  bool hide_name_in_lists = false;
  friend bool operator==(const Privacy&, const Privacy&) = default;
};

struct Consent {
  Channel channel = Channel::kEmail;
  bool granted = false;
  int64_t changed_at_ms = 0;
};

struct Date {
  int year = 0;
  int month = 0;
  int day = 0;
  friend bool operator==(const Date&, const Date&) = default;
};

struct Member {
  std::string member_id;
  std::string first_name;
  std::string last_name;
  std::string display_name;
  std::string email;
  std::string phone;
  Program program = Program::kUnspecified;
  std::optional<Date> sobriety_date;
  std::vector<std::string> interests;
  std::string time_zone;
  std::vector<Role> roles;
  MemberStatus status = MemberStatus::kActive;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  int64_t version = 0;
  Privacy privacy;
  std::vector<Consent> consents;
};

struct NewMember {
  std::string first_name;
  std::string last_name;
  std::string email;
  std::string phone;
  Program program = Program::kUnspecified;
  std::optional<Date> sobriety_date;
  std::vector<std::string> interests;
  std::string time_zone;
};

// The fields a member may change about themself; unset means unchanged.
struct ProfileChanges {
  std::optional<std::string> first_name;
  std::optional<std::string> last_name;
  std::optional<std::string> display_name;
  std::optional<std::string> phone;
  std::optional<Program> program;
  std::optional<std::optional<Date>> sobriety_date;  // set to nullopt clears it
  std::optional<std::vector<std::string>> interests;
  std::optional<std::string> time_zone;
};

using hc::tz::TimeZoneCatalog;

// Limits on what a member may send; generous for people, tight for abuse.
inline constexpr size_t kMaxNameLength = 50;
inline constexpr size_t kMaxDisplayNameLength = 60;
inline constexpr size_t kMaxEmailLength = 254;
inline constexpr size_t kMaxInterests = 20;
inline constexpr size_t kMaxInterestLength = 32;

// Validation: INVALID_ARGUMENT naming the first bad field. `today` bounds sobriety dates.
absl::Status ValidateNewMember(const NewMember& member, const TimeZoneCatalog& zones,
                               const Date& today);
absl::Status ValidateChanges(const ProfileChanges& changes, const TimeZoneCatalog& zones,
                             const Date& today);

// Lower-cases and trims; addresses are compared in this form.
std::string NormalizeEmail(std::string_view email);
// "Ana Martinez" -> "Ana M.": the default, so a full name is never shown unless chosen.
std::string DefaultDisplayName(std::string_view first_name, std::string_view last_name);

// Applies `changes` and returns the names of the fields that really changed. When the name
// changes and the member never chose a display name of their own, the default follows it.
std::vector<std::string> ApplyChanges(Member& member, const ProfileChanges& changes);

// The changed fields MemberProfileUpdated may name: names, interests and time zone, which other
// services use. Phone, program and sobriety date are private, and even "it changed" says
// something (a new sobriety date: a relapse; a new program: a change of treatment).
std::vector<std::string> AnnouncedChanges(const std::vector<std::string>& changed);

// A catalogue tag: 1-32 of a-z, 0-9 and '-', not starting with '-'. INVALID_ARGUMENT naming
// `tag` otherwise.
absl::Status ValidateInterestTag(std::string_view tag);
inline constexpr size_t kMaxInterestTags = 500;

// Who may do what.
absl::Status AuthorizeRegister(const hc::auth::Principal& caller);
absl::Status AuthorizeRead(const hc::auth::Principal& caller, std::string_view member_id);
absl::Status AuthorizeUpdate(const hc::auth::Principal& caller, std::string_view member_id);
// The member themself or an admin.
absl::Status AuthorizeDelete(const hc::auth::Principal& caller, std::string_view member_id);
absl::Status AuthorizeAdmin(const hc::auth::Principal& caller);
// Coordinators and admins keep the catalogue of interest tags.
absl::Status AuthorizeCatalogue(const hc::auth::Principal& caller);

// Audit purposes: 1-64 of a-z 0-9 _ . (e.g. "notifications.rsvp_confirmed").
absl::Status ValidatePurpose(std::string_view purpose);

// Role names as in the token's roles claim.
std::string_view RoleName(Role role);

using hc::ids::IsUuid;

Date TodayUtc(std::chrono::system_clock::time_point now);

}  // namespace membership::domain

#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "libs/tz/time_zones.h"

// What a member chose to receive, how, and when; and what their consent allows. Plain C++,
// no I/O: the service stores these and asks these rules before every delivery.
namespace notifications::domain {

// Stored by name (CategoryName), so a category is added at the end without touching rows.
enum class Category {
  kEvents = 0,
  kReminders,
  kVolunteering,
  kMilestones,
  kCommunityNews,
  // Peer mentorship: a choice to answer, introductions, check-in reminders, a match ending, and
  // (for coordinators) a match needing attention.
  kMentorship,
};
inline constexpr int kCategories = 6;
enum class Channel { kEmail = 0, kSms, kInApp };
inline constexpr int kChannels = 3;

std::string_view CategoryName(Category category);
std::string_view ChannelName(Channel channel);
std::optional<Category> CategoryFromName(std::string_view name);
std::optional<Channel> ChannelFromName(std::string_view name);

// Quiet hours: a daily window in the member's own time zone, [start, end) in minutes after
// local midnight. It may run over midnight (22:00-07:00); start == end means no window.
struct QuietHours {
  int start_minute = 0;
  int end_minute = 0;
  bool enabled() const { return start_minute != end_minute; }
};

struct Preferences {
  // IANA zone quiet hours and the times in messages are read in.
  std::string time_zone = "UTC";
  // enabled[category][channel]
  std::array<std::array<bool, kChannels>, kCategories> enabled{};
  // Categories gathered into one daily digest (email only) instead of a message each.
  std::array<bool, kCategories> digest{};
  QuietHours quiet;
  // Suggestions of new volunteer roles matching the member's interests.
  bool role_suggestions = false;

  bool Enabled(Category c, Channel ch) const {
    return enabled[static_cast<int>(c)][static_cast<int>(ch)];
  }
  void Set(Category c, Channel ch, bool on) {
    enabled[static_cast<int>(c)][static_cast<int>(ch)] = on;
  }
  bool Digest(Category c) const { return digest[static_cast<int>(c)]; }
};

// What a member has before they change anything: the in-app inbox for everything but
// milestones and community news, email for what they signed up for (events, reminders,
// volunteering, mentorship), no SMS (it needs their explicit choice and consent), no milestones (a
// sobriety milestone is only ever mentioned to members who asked for it), no suggestions.
Preferences DefaultPreferences();

// Checks a member's update: INVALID_ARGUMENT naming the field.
absl::Status ValidatePreferences(const Preferences& preferences,
                                 const hc::tz::TimeZoneCatalog& zones);

// Consent as membership records it; a channel without consent is never used, whatever the
// preferences say. The in-app inbox needs no consent beyond membership itself.
struct Consent {
  bool email = false;
  bool sms = false;
};

enum class Decision {
  kSend,
  // Held for the member's daily digest.
  kDigest,
  kSuppressedByPreference,
  kSuppressedByConsent,
};

// Whether a message of `category` goes out on `channel` now (quiet hours and caps aside).
Decision Decide(const Preferences& preferences, const Consent& consent, Category category,
                Channel channel);

}  // namespace notifications::domain

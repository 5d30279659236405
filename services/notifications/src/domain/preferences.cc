#include "services/notifications/src/domain/preferences.h"

#include "libs/status/status.h"

namespace notifications::domain {
namespace {

constexpr std::array<std::string_view, kCategories> kCategoryNames = {
    "events", "reminders", "volunteering", "milestones", "community_news", "mentorship"};
constexpr std::array<std::string_view, kChannels> kChannelNames = {"email", "sms", "in_app"};
constexpr int kMinutesPerDay = 24 * 60;

}  // namespace

std::string_view CategoryName(Category category) {
  return kCategoryNames[static_cast<int>(category)];
}
std::string_view ChannelName(Channel channel) { return kChannelNames[static_cast<int>(channel)]; }

std::optional<Category> CategoryFromName(std::string_view name) {
  for (int i = 0; i < kCategories; ++i) {
    if (kCategoryNames[i] == name) return static_cast<Category>(i);
  }
  return std::nullopt;
}

std::optional<Channel> ChannelFromName(std::string_view name) {
  for (int i = 0; i < kChannels; ++i) {
    if (kChannelNames[i] == name) return static_cast<Channel>(i);
  }
  return std::nullopt;
}

Preferences DefaultPreferences() {
  Preferences p;
  for (Category c :
       {Category::kEvents, Category::kReminders, Category::kVolunteering, Category::kMentorship}) {
    p.Set(c, Channel::kInApp, true);
    p.Set(c, Channel::kEmail, true);
  }
  return p;
}

absl::Status ValidatePreferences(const Preferences& p, const hc::tz::TimeZoneCatalog& zones) {
  if (p.time_zone.empty() || !zones.Exists(p.time_zone)) {
    return hc::InvalidField("time_zone", "must be an IANA time zone such as America/Chicago");
  }
  if (p.quiet.start_minute < 0 || p.quiet.start_minute >= kMinutesPerDay) {
    return hc::InvalidField("quiet_hours.start_minute", "must be 0 to 1439");
  }
  if (p.quiet.end_minute < 0 || p.quiet.end_minute >= kMinutesPerDay) {
    return hc::InvalidField("quiet_hours.end_minute", "must be 0 to 1439");
  }
  for (int c = 0; c < kCategories; ++c) {
    if (p.digest[c] && !p.enabled[c][static_cast<int>(Channel::kEmail)]) {
      return hc::InvalidField("digest", std::string(kCategoryNames[c]) +
                                            " is digested by email, so its "
                                            "email channel must be on");
    }
  }
  return absl::OkStatus();
}

Decision Decide(const Preferences& preferences, const Consent& consent, Category category,
                Channel channel) {
  if (!preferences.Enabled(category, channel)) return Decision::kSuppressedByPreference;
  if (channel == Channel::kEmail && !consent.email) return Decision::kSuppressedByConsent;
  if (channel == Channel::kSms && !consent.sms) return Decision::kSuppressedByConsent;
  if (channel == Channel::kEmail && preferences.Digest(category)) return Decision::kDigest;
  return Decision::kSend;
}

}  // namespace notifications::domain

#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "services/notifications/src/domain/preferences.h"

// When things go out: quiet hours in the member's own zone (across DST changes), reminders
// before events and shifts, retries with backoff, the daily cap.
namespace notifications::domain {

// Quiet hours hold email and SMS; the in-app inbox is silent and never held.
bool QuietHoursApply(Channel channel);

// The first instant at or after `now` outside the member's quiet window, read on the wall
// clock of `zone`. A window ending at a local time the clocks skip (spring forward) ends when
// they jump; one ending at a time that happens twice (fall back) ends at the first of the two
// that is still ahead.
absl::Time NextAllowed(absl::Time now, const QuietHours& quiet, const absl::TimeZone& zone);

// When a member's daily digest goes out: the next 08:00 on their wall clock at or after `now`
// (a 08:00 the clocks skip counts from when they jump), later if quiet hours cover it.
inline constexpr int kDigestMinute = 8 * 60;
absl::Time NextDigestTime(absl::Time now, const QuietHours& quiet, const absl::TimeZone& zone);

enum class ReminderKind { kDayBefore = 1, kTwoHoursBefore = 2 };
inline constexpr absl::Duration kDayBefore = absl::Hours(24);
inline constexpr absl::Duration kTwoHoursBefore = absl::Hours(2);

struct Reminder {
  ReminderKind kind;
  absl::Time due;
};
// The reminders of something starting at `start`: 24 h and 2 h before, only those still ahead
// of `now` (a sign-up an hour before gets none; one a day before gets the 2 h one).
std::vector<Reminder> ReminderSchedule(absl::Time start, absl::Time now);

struct RetryPolicy {
  std::chrono::milliseconds base{1000};
  std::chrono::milliseconds cap{std::chrono::minutes(10)};
  int max_attempts = 8;
};
// The wait before retry number `attempt` (1 = the first retry): "full jitter", a uniform share
// (`unit_random` in [0, 1), from the caller's generator) of min(cap, base * 2^(attempt-1)),
// so many deliveries failing together don't come back together.
std::chrono::milliseconds RetryDelay(const RetryPolicy& policy, int attempt, double unit_random);
// After `attempts` failed tries, is the delivery failed for good?
bool GivesUp(const RetryPolicy& policy, int attempts);

enum class CapOutcome { kSend, kDigest, kDrop };
// The per-member daily cap on email and SMS (the inbox is not capped): past it, email waits
// for the digest and SMS is dropped (an SMS digest would be spam of its own).
CapOutcome ApplyDailyCap(Channel channel, int sent_today, int daily_cap);

// One fact reaches one member on one channel once: the key of that promise.
std::string DedupeKey(std::string_view fact_id, std::string_view member_id, Channel channel);

}  // namespace notifications::domain

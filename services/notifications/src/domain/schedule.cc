#include "services/notifications/src/domain/schedule.h"

#include <algorithm>
#include <cmath>

namespace notifications::domain {
namespace {

// The instant of local civil time `cs` in `zone` that is at or after `not_before`, preferring
// the earlier of two (fall back) and the transition for a skipped time (spring forward).
absl::Time FirstAtOrAfter(const absl::TimeZone& zone, absl::CivilSecond cs, absl::Time not_before) {
  const absl::TimeZone::TimeInfo info = zone.At(cs);
  switch (info.kind) {
    case absl::TimeZone::TimeInfo::UNIQUE:
      return info.pre;
    case absl::TimeZone::TimeInfo::SKIPPED:
      return info.trans;
    case absl::TimeZone::TimeInfo::REPEATED:
      return info.pre >= not_before ? info.pre : info.post;
  }
  return info.pre;
}

}  // namespace

bool QuietHoursApply(Channel channel) { return channel != Channel::kInApp; }

absl::Time NextAllowed(absl::Time now, const QuietHours& quiet, const absl::TimeZone& zone) {
  if (!quiet.enabled()) return now;
  const absl::CivilSecond local = zone.At(now).cs;
  const int minute = local.hour() * 60 + local.minute();
  const absl::CivilDay today(local);
  absl::CivilDay end_day;
  if (quiet.start_minute < quiet.end_minute) {
    // A window inside one day, e.g. 13:00-15:00.
    if (minute < quiet.start_minute || minute >= quiet.end_minute) return now;
    end_day = today;
  } else if (minute >= quiet.start_minute) {
    // Over midnight, e.g. 22:00-07:00, and it is evening: the window ends tomorrow.
    end_day = today + 1;
  } else if (minute < quiet.end_minute) {
    // Over midnight and it is early morning: it ends today.
    end_day = today;
  } else {
    return now;
  }
  const absl::CivilSecond end(end_day.year(), end_day.month(), end_day.day(), quiet.end_minute / 60,
                              quiet.end_minute % 60, 0);
  return std::max(now, FirstAtOrAfter(zone, end, now));
}

absl::Time NextDigestTime(absl::Time now, const QuietHours& quiet, const absl::TimeZone& zone) {
  const absl::CivilDay today(zone.At(now).cs);
  for (absl::CivilDay day : {today, today + 1, today + 2}) {
    const absl::CivilSecond at(day.year(), day.month(), day.day(), kDigestMinute / 60,
                               kDigestMinute % 60, 0);
    const absl::Time t = FirstAtOrAfter(zone, at, now);
    if (t >= now) return NextAllowed(t, quiet, zone);
  }
  return NextAllowed(now, quiet, zone);  // not reached: a day always has an 08:00 ahead
}

std::vector<Reminder> ReminderSchedule(absl::Time start, absl::Time now) {
  std::vector<Reminder> out;
  for (auto [kind, before] : {std::pair{ReminderKind::kDayBefore, kDayBefore},
                              std::pair{ReminderKind::kTwoHoursBefore, kTwoHoursBefore}}) {
    if (start - before > now) out.push_back({kind, start - before});
  }
  return out;
}

std::chrono::milliseconds RetryDelay(const RetryPolicy& policy, int attempt, double unit_random) {
  const int doublings = std::clamp(attempt - 1, 0, 30);
  const double ceiling =
      std::min(static_cast<double>(policy.cap.count()),
               static_cast<double>(policy.base.count()) * std::ldexp(1.0, doublings));
  const double share = std::clamp(unit_random, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<int64_t>(ceiling * share));
}

bool GivesUp(const RetryPolicy& policy, int attempts) { return attempts >= policy.max_attempts; }

CapOutcome ApplyDailyCap(Channel channel, int sent_today, int daily_cap) {
  if (channel == Channel::kInApp || sent_today < daily_cap) return CapOutcome::kSend;
  return channel == Channel::kEmail ? CapOutcome::kDigest : CapOutcome::kDrop;
}

std::string DedupeKey(std::string_view fact_id, std::string_view member_id, Channel channel) {
  // Debian's Abseil has its own string_view: build the key with std::string.
  std::string key(fact_id);
  key.append("|").append(member_id).append("|").append(ChannelName(channel));
  return key;
}

}  // namespace notifications::domain

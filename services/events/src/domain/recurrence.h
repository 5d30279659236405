#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/events/src/domain/event.h"

namespace events::domain {

enum class Frequency { kUnspecified = 0, kWeekly, kMonthly };

struct Recurrence {
  Frequency frequency = Frequency::kUnspecified;
  // Occurrences, the first included.
  int count = 0;
};

inline constexpr int kMinOccurrences = 2;
inline constexpr int kMaxOccurrences = 52;

// INVALID_ARGUMENT naming recurrence.frequency or recurrence.count.
absl::Status ValidateRecurrence(const Recurrence& recurrence);

// The details of every occurrence of a series whose first occurrence is `first`, in order:
// the same local wall-clock time in `zone` (so a 7 pm meeting stays at 7 pm across daylight
// saving changes) and the same duration. Weekly: every 7 days. Monthly: the same weekday of
// the same week of the month ("the first Tuesday"); a first occurrence in the fifth week means
// the last such weekday of each month.
std::vector<EventDetails> Occurrences(const EventDetails& first, const Recurrence& recurrence,
                                      const absl::TimeZone& zone);

}  // namespace events::domain

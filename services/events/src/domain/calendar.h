#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "services/events/src/domain/event.h"

namespace events::domain {

// RFC 5545 (iCalendar) export.
enum class CalendarMethod { kPublish, kCancel };

struct CalendarOptions {
  // ORGANIZER of every event (RFC 5546 wants one for PUBLISH and CANCEL): a service address,
  // never a person's.
  std::string organizer = "mailto:noreply@homecoming.invalid";
};

// A VCALENDAR with one VEVENT per event: UID stable per event, SEQUENCE = the event's sequence,
// times in UTC, STATUS CONFIRMED or CANCELLED. CRLF line endings, lines folded at 75 octets
// (never inside a UTF-8 character), TEXT values escaped.
std::string RenderCalendar(const std::vector<Event>& events, CalendarMethod method, Time now,
                           const CalendarOptions& options = {});

// The VEVENT UID of an event: the same for every export of it, whatever changes.
std::string CalendarUid(const Event& event);
// TEXT value escaping: backslash, semicolon, comma and line breaks.
std::string EscapeText(std::string_view text);
// One content line, folded at 75 octets, with its CRLF.
std::string FoldLine(std::string_view line);
// 19970714T173000Z
std::string UtcDateTime(Time t);

}  // namespace events::domain

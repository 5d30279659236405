#include "services/events/src/domain/calendar.h"

#include <cstdio>

namespace events::domain {
namespace {

constexpr size_t kMaxOctets = 75;

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

std::string CalendarUid(const Event& event) { return event.event_id + "@events.homecoming"; }

std::string EscapeText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case ';':
        out += "\\;";
        break;
      case ',':
        out += "\\,";
        break;
      case '\r':
        if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
        out += "\\n";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string FoldLine(std::string_view line) {
  std::string out;
  size_t limit = kMaxOctets;  // the first line holds 75 octets, the others a space and 74
  while (line.size() > limit) {
    size_t cut = limit;
    while (cut > 0 && IsContinuationByte(line[cut])) --cut;
    out.append(line.substr(0, cut));
    out += "\r\n ";
    line.remove_prefix(cut);
    limit = kMaxOctets - 1;
  }
  out.append(line);
  out += "\r\n";
  return out;
}

std::string UtcDateTime(Time t) {
  const auto days = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{days};
  const std::chrono::hh_mm_ss hms{std::chrono::floor<std::chrono::seconds>(t - days)};
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::string RenderCalendar(const std::vector<Event>& events, CalendarMethod method, Time now,
                           const CalendarOptions& options) {
  std::string out;
  auto line = [&out](std::string_view name, std::string_view value) {
    std::string l(name);
    l += ':';
    l += value;
    out += FoldLine(l);
  };
  line("BEGIN", "VCALENDAR");
  line("VERSION", "2.0");
  line("PRODID", "-//Homecoming//Events//EN");
  line("CALSCALE", "GREGORIAN");
  line("METHOD", method == CalendarMethod::kCancel ? "CANCEL" : "PUBLISH");
  for (const Event& e : events) {
    const EventDetails& d = e.details;
    line("BEGIN", "VEVENT");
    line("UID", CalendarUid(e));
    line("DTSTAMP", UtcDateTime(now));
    line("SEQUENCE", std::to_string(e.sequence));
    line("CREATED", UtcDateTime(e.created_at));
    line("LAST-MODIFIED", UtcDateTime(e.updated_at));
    line("DTSTART", UtcDateTime(d.start));
    line("DTEND", UtcDateTime(d.end));
    line("SUMMARY", EscapeText(d.title));
    if (!d.description.empty()) line("DESCRIPTION", EscapeText(d.description));
    if (!d.venue.empty()) {
      line("LOCATION", EscapeText(d.venue));
    } else {
      line("LOCATION", "Online");
      line("URL", d.online_url);  // a URI, not TEXT: no escaping
    }
    line("ORGANIZER;CN=Homecoming", options.organizer);
    line("STATUS", e.status == EventStatus::kCancelled ? "CANCELLED" : "CONFIRMED");
    line("TRANSP", "OPAQUE");
    line("END", "VEVENT");
  }
  line("END", "VCALENDAR");
  return out;
}

}  // namespace events::domain

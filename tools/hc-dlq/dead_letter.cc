#include "tools/hc-dlq/dead_letter.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace hc::dlq {
namespace {

std::string OrUnknown(const std::string& text) { return text.empty() ? "?" : text; }

// Valid UTF-8 with no control characters but tab and newline.
bool IsText(const std::string& value) {
  for (size_t i = 0; i < value.size();) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) return false;
      ++i;
      continue;
    }
    size_t length = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (length == 0 || i + length > value.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(value[i + k]) & 0xc0) != 0x80) return false;
    }
    i += length;
  }
  return true;
}

std::string PayloadText(const std::string& value) {
  if (nlohmann::json::accept(value)) return value;
  return "hex:" + Hex(value);
}

}  // namespace

std::string DeadLetter::Header(const std::string& name) const {
  std::string out;
  for (const auto& [n, v] : headers) {
    if (n == name) out = v;
  }
  return out;
}

std::string DeadLetter::Origin() const {
  return absl::StrCat(OrUnknown(Header(kDlqTopic)), ":", OrUnknown(Header(kDlqPartition)), "@",
                      OrUnknown(Header(kDlqOffset)));
}

std::string FormatTime(int64_t timestamp_ms) {
  if (timestamp_ms < 0) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(timestamp_ms),
                          absl::UTCTimeZone());
}

std::string ErrorSummary(const std::string& error, size_t max) {
  std::string line = error.substr(0, error.find('\n'));
  const bool more_lines = line.size() < error.size();
  if (line.size() <= max) return more_lines ? line + " ..." : line;
  size_t cut = max;
  // Never split a UTF-8 sequence: back up over continuation bytes.
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xc0) == 0x80) --cut;
  return line.substr(0, cut) + "...";
}

std::string PrintableValue(const std::string& value) {
  return IsText(value) ? value : "hex:" + Hex(value);
}

std::string Hex(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

std::string ListLine(const DeadLetter& letter, bool replayed) {
  return absl::StrCat(letter.partition, ":", letter.offset, " ", FormatTime(letter.timestamp_ms),
                      " ", replayed ? "replayed" : "held", " origin=", letter.Origin(),
                      " type=", OrUnknown(letter.Header("ce_type")),
                      " id=", OrUnknown(letter.Header("ce_id")),
                      " group=", OrUnknown(letter.Header(kDlqConsumerGroup)),
                      " error=", ErrorSummary(PrintableValue(letter.Header(kDlqError))));
}

nlohmann::json ListJson(const DeadLetter& letter, bool replayed) {
  return {{"topic", letter.topic},
          {"partition", letter.partition},
          {"offset", letter.offset},
          {"time", FormatTime(letter.timestamp_ms)},
          {"replayed", replayed},
          {"origin_topic", letter.Header(kDlqTopic)},
          {"origin_partition", letter.Header(kDlqPartition)},
          {"origin_offset", letter.Header(kDlqOffset)},
          {"type", letter.Header("ce_type")},
          {"id", letter.Header("ce_id")},
          {"consumer_group", letter.Header(kDlqConsumerGroup)},
          {"error", ErrorSummary(PrintableValue(letter.Header(kDlqError)))}};
}

std::string InspectText(const DeadLetter& letter, bool replayed, bool with_payload) {
  std::string out = absl::StrCat("position: ", letter.topic, " ", letter.partition, ":",
                                 letter.offset, "\n", "time: ", FormatTime(letter.timestamp_ms),
                                 "\n", "state: ", replayed ? "replayed" : "held (not replayed)",
                                 "\n", "origin: ", letter.Origin(), "\n",
                                 "key: ", PrintableValue(letter.key), "\n", "headers:\n");
  for (const auto& [name, value] : letter.headers) {
    if (name == kDlqError) continue;  // below, in full and on its own lines
    absl::StrAppend(&out, "  ", name, ": ", PrintableValue(value), "\n");
  }
  absl::StrAppend(&out, "error:\n");
  for (absl::string_view line : absl::StrSplit(PrintableValue(letter.Header(kDlqError)), '\n')) {
    absl::StrAppend(&out, "  ", line, "\n");
  }
  if (with_payload) {
    absl::StrAppend(&out, "payload (", letter.value.size(), " bytes):\n", PayloadText(letter.value),
                    "\n");
  } else {
    absl::StrAppend(&out, "payload: ", letter.value.size(), " bytes (--payload prints it)\n");
  }
  return out;
}

nlohmann::json InspectJson(const DeadLetter& letter, bool replayed, bool with_payload) {
  nlohmann::json out = ListJson(letter, replayed);
  out["error"] = PrintableValue(letter.Header(kDlqError));
  out["key"] = PrintableValue(letter.key);
  nlohmann::json headers = nlohmann::json::array();
  for (const auto& [name, value] : letter.headers) {
    headers.push_back({{"name", name}, {"value", PrintableValue(value)}});
  }
  out["headers"] = headers;
  out["payload_bytes"] = letter.value.size();
  if (with_payload) out["payload"] = PayloadText(letter.value);
  return out;
}

Headers ReplayHeaders(const DeadLetter& letter) {
  Headers out;
  for (const auto& [name, value] : letter.headers) {
    if (absl::StartsWith(name, "dlq_") || name == kReplayOf) continue;
    out.emplace_back(name, value);
  }
  out.emplace_back(kReplayOf,
                   absl::StrCat(letter.topic, ":", letter.partition, ":", letter.offset));
  return out;
}

}  // namespace hc::dlq

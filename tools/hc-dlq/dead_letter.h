#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace hc::dlq {

// Headers libs/kafka's consumer adds when it dead-letters a message (consumer.cc DeadLetter).
inline constexpr char kDlqTopic[] = "dlq_topic";
inline constexpr char kDlqPartition[] = "dlq_partition";
inline constexpr char kDlqOffset[] = "dlq_offset";
inline constexpr char kDlqError[] = "dlq_error";
inline constexpr char kDlqConsumerGroup[] = "dlq_consumer_group";
// Added to a replayed message: the DLQ position it came from, `<dlq topic>:<P>:<O>`.
inline constexpr char kReplayOf[] = "hc_dlq_replay_of";

// The longest error `list` prints (its first line only).
inline constexpr size_t kErrorSummaryLength = 160;

using Headers = std::vector<std::pair<std::string, std::string>>;

// One record of a dead-letter topic.
struct DeadLetter {
  std::string topic;  // the DLQ topic
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = -1;  // when it was dead-lettered; -1 unknown
  std::string key;
  std::string value;
  Headers headers;  // in record order

  // The last value of header `name`, or "".
  std::string Header(const std::string& name) const;
  // `<origin topic>:<partition>@<offset>`, or "?" parts for missing headers.
  std::string Origin() const;
};

// `2026-11-30T07:48:40.123Z`, or "-" when unknown.
std::string FormatTime(int64_t timestamp_ms);

// The first line of `error`, cut to `max` bytes (at a UTF-8 boundary) with "..." when longer.
std::string ErrorSummary(const std::string& error, size_t max = kErrorSummaryLength);

// A header value as text when it is printable UTF-8 text, else `hex:<bytes>`.
std::string PrintableValue(const std::string& value);

// Bytes as lowercase hex.
std::string Hex(const std::string& bytes);

// `list`: one line, no payload.
std::string ListLine(const DeadLetter& letter, bool replayed);
nlohmann::json ListJson(const DeadLetter& letter, bool replayed);

// `inspect`: every header and the whole error; the payload only when `with_payload`.
std::string InspectText(const DeadLetter& letter, bool replayed, bool with_payload);
nlohmann::json InspectJson(const DeadLetter& letter, bool replayed, bool with_payload);

// The headers a replayed message carries: the original ones (every dlq_* header and an earlier
// replay marker removed) plus kReplayOf naming this dead letter.
Headers ReplayHeaders(const DeadLetter& letter);

}  // namespace hc::dlq

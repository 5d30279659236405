#include "services/events/src/api/page_token.h"

#include <cstdint>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "libs/status/status.h"
#include "services/events/src/domain/event.h"

namespace events::api {
namespace {

constexpr size_t kMaxTokenLength = 200;

// FNV-1a: stable across processes and builds, unlike std::hash.
std::string Fingerprint(std::string_view filters) {
  uint64_t h = 1469598103934665603ULL;
  for (char c : filters) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return std::to_string(h);
}

}  // namespace

std::string EncodePageToken(const storage::Cursor& cursor, std::string_view filters) {
  std::string raw = "v1|" + Fingerprint(filters) + "|" +
                    std::to_string(cursor.start.time_since_epoch().count()) + "|" + cursor.id;
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<std::optional<storage::Cursor>> DecodePageToken(std::string_view token,
                                                               std::string_view filters,
                                                               bool numeric_id) {
  if (token.empty()) return std::optional<storage::Cursor>();
  const auto bad = hc::InvalidField("page_token", "is not a token this listing gave out");
  std::string raw;
  if (token.size() > kMaxTokenLength ||
      !absl::WebSafeBase64Unescape(absl::string_view(token.data(), token.size()), &raw)) {
    return bad;
  }
  std::vector<std::string> parts = absl::StrSplit(raw, '|');
  int64_t start_ms = 0;
  if (parts.size() != 4 || parts[0] != "v1" || !absl::SimpleAtoi(parts[2], &start_ms)) return bad;
  if (parts[1] != Fingerprint(filters)) {
    return hc::InvalidField("page_token", "was made for other filters than this request's");
  }
  int64_t row = 0;
  if (numeric_id ? !absl::SimpleAtoi(parts[3], &row) : !domain::IsUuid(parts[3])) return bad;
  return std::optional<storage::Cursor>(
      storage::Cursor{.start = domain::Time(std::chrono::milliseconds(start_ms)), .id = parts[3]});
}

absl::StatusOr<int> PageSize(int requested) {
  if (requested == 0) return 20;
  if (requested < 0 || requested > 100) return hc::InvalidField("page_size", "must be 1 to 100");
  return requested;
}

}  // namespace events::api

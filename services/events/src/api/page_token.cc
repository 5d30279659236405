#include "services/events/src/api/page_token.h"

#include <cstdint>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "libs/paging/paging.h"
#include "libs/status/status.h"
#include "services/events/src/domain/event.h"

namespace events::api {

std::string EncodePageToken(const storage::Cursor& cursor, std::string_view filters) {
  return hc::paging::EncodePageToken(
      std::to_string(cursor.start.time_since_epoch().count()) + "|" + cursor.id, filters);
}

absl::StatusOr<std::optional<storage::Cursor>> DecodePageToken(std::string_view token,
                                                               std::string_view filters,
                                                               bool numeric_id) {
  HC_ASSIGN_OR_RETURN(std::optional<std::string> cursor,
                      hc::paging::DecodePageToken(token, filters));
  if (!cursor) return std::optional<storage::Cursor>();
  const auto bad = hc::InvalidField("page_token", "is not a token this listing gave out");
  std::vector<std::string> parts = absl::StrSplit(*cursor, '|');
  int64_t start_ms = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &start_ms)) return bad;
  int64_t row = 0;
  if (numeric_id ? !absl::SimpleAtoi(parts[1], &row) : !domain::IsUuid(parts[1])) return bad;
  return std::optional<storage::Cursor>(
      storage::Cursor{.start = domain::Time(std::chrono::milliseconds(start_ms)), .id = parts[1]});
}

}  // namespace events::api

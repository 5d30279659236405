#include "libs/paging/paging.h"

#include <cstdint>

#include "absl/strings/escaping.h"
#include "libs/status/status.h"

namespace hc::paging {
namespace {

constexpr size_t kMaxTokenLength = 512;
constexpr std::string_view kVersion = "p1";

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

absl::StatusOr<int> PageSize(int requested, PageSizes sizes) {
  if (requested == 0) return sizes.default_size;
  if (requested < 0 || requested > sizes.max_size) {
    return InvalidField("page_size", "must be 1 to " + std::to_string(sizes.max_size));
  }
  return requested;
}

std::string EncodePageToken(std::string_view cursor, std::string_view filters) {
  if (cursor.empty()) return "";
  std::string raw = std::string(kVersion) + "|" + Fingerprint(filters) + "|";
  raw.append(cursor);
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<std::optional<std::string>> DecodePageToken(std::string_view token,
                                                           std::string_view filters) {
  if (token.empty()) return std::optional<std::string>();
  const auto bad = InvalidField("page_token", "is not a token this listing gave out");
  std::string raw;
  if (token.size() > kMaxTokenLength ||
      !absl::WebSafeBase64Unescape(absl::string_view(token.data(), token.size()), &raw)) {
    return bad;
  }
  const std::string prefix = std::string(kVersion) + "|";
  if (raw.rfind(prefix, 0) != 0) return bad;
  const size_t bar = raw.find('|', prefix.size());
  if (bar == std::string::npos || bar + 1 >= raw.size()) return bad;
  if (raw.substr(prefix.size(), bar - prefix.size()) != Fingerprint(filters)) {
    return InvalidField("page_token", "was made for other filters than this request's");
  }
  return std::optional<std::string>(raw.substr(bar + 1));
}

}  // namespace hc::paging

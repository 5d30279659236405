#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

// Paging of list RPCs, the same in every service: page sizes, and opaque page tokens that
// carry a keyset cursor plus a fingerprint of the request's filters, so a token is refused
// with other filters than it came from. Not secret: a forged token can only move within what
// the filters allow anyway.
namespace hc::paging {

struct PageSizes {
  int default_size = 20;
  int max_size = 100;
};
// 1..max; 0 means the default. INVALID_ARGUMENT naming page_size otherwise.
absl::StatusOr<int> PageSize(int requested, PageSizes sizes = {});

// `cursor` is the service's own (e.g. "<start ms>|<id>"); empty gives an empty token (last page).
std::string EncodePageToken(std::string_view cursor, std::string_view filters);
// nullopt for an empty token; INVALID_ARGUMENT naming page_token for one this listing did not
// give out or gave out for other filters.
absl::StatusOr<std::optional<std::string>> DecodePageToken(std::string_view token,
                                                           std::string_view filters);

}  // namespace hc::paging

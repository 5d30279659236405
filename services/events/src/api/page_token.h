#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "services/events/src/storage/event_store.h"

namespace events::api {

// A listing's keyset cursor (start time and id) in libs/paging's opaque page tokens, which are
// refused (INVALID_ARGUMENT naming page_token) with other filters than they came from.
std::string EncodePageToken(const storage::Cursor& cursor, std::string_view filters);
// nullopt for an empty token. `numeric_id` requires the cursor id to be a row number.
absl::StatusOr<std::optional<storage::Cursor>> DecodePageToken(std::string_view token,
                                                               std::string_view filters,
                                                               bool numeric_id);

}  // namespace events::api

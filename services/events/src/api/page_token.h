#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "services/events/src/storage/event_store.h"

namespace events::api {

// Opaque page tokens: a listing's keyset cursor plus a fingerprint of the request's filters,
// so a token is refused (INVALID_ARGUMENT naming page_token) with other filters than it came
// from. Not secret: a forged token can only move within what the filters allow anyway.
std::string EncodePageToken(const storage::Cursor& cursor, std::string_view filters);
// nullopt for an empty token. `numeric_id` requires the cursor id to be a row number.
absl::StatusOr<std::optional<storage::Cursor>> DecodePageToken(std::string_view token,
                                                               std::string_view filters,
                                                               bool numeric_id);

// 1..100; 0 means 20. INVALID_ARGUMENT naming page_size otherwise.
absl::StatusOr<int> PageSize(int requested);

}  // namespace events::api

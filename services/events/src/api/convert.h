#pragma once

// proto <-> domain for the events API.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "alumni/events/v1/events_service.pb.h"
#include "services/events/src/domain/event.h"

namespace events::api {

// INVALID_ARGUMENT naming `field` unless `value` is a UUID.
absl::Status CheckId(std::string_view field, const std::string& value);
// INVALID_ARGUMENT naming `field` for a missing or out-of-range timestamp.
absl::StatusOr<domain::Time> TimeFromProto(std::string_view field, bool present,
                                           const google::protobuf::Timestamp& ts);
google::protobuf::Timestamp TimeToProto(domain::Time t);

absl::StatusOr<domain::EventDetails> DetailsFromProto(const alumni::events::v1::EventDetails& d);
void ToProto(const domain::Event& e, alumni::events::v1::Event& out);
void ToProto(const domain::Rsvp& r, alumni::events::v1::Rsvp& out);

}  // namespace events::api

#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "libs/kafka/kafka.h"
#include "services/notifications/src/storage/notification_store.h"

namespace notifications::messaging {

// `alumni.events.v1`'s facts for the inbox (an InboxFactsHandler's FactItems): RsvpConfirmed,
// RsvpWaitlisted and WaitlistPromoted make one item of the events category for their member,
// about the event. Other facts make none.
absl::StatusOr<std::vector<storage::InboxItem>> EventFactItems(const hc::kafka::Message& message);

}  // namespace notifications::messaging

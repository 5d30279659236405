#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "libs/kafka/kafka.h"
#include "services/notifications/src/storage/notification_store.h"

namespace notifications::messaging {

// `alumni.volunteering.v1`'s facts for the inbox (an InboxFactsHandler's FactItems), items of
// the volunteering category about the shift and its role:
// - VolunteerSignedUp (CONFIRMED, WAITLISTED or PENDING_APPROVAL), SignupApproved (CONFIRMED or
//   WAITLISTED), SignupDeclined and VolunteerPromoted: one item for their member;
// - ShiftCancelled, and ShiftUpdated whose changed_fields name start_time: one item for every
//   member of the page's affected_member_ids (each page is a fact with its own ce_id, so the
//   dedupe key (ce_id, member, in_app) keeps each member to one item per page).
// Other facts and statuses make none.
absl::StatusOr<std::vector<storage::InboxItem>> VolunteeringFactItems(
    const hc::kafka::Message& message);

}  // namespace notifications::messaging

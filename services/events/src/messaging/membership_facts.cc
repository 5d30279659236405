#include "services/events/src/messaging/membership_facts.h"

#include <spdlog/spdlog.h>

namespace events::facts {

absl::Status MembershipFactsHandler::Handle(hc::postgres::Tx& tx,
                                            const hc::kafka::Message& message) {
  change_.reset();
  touched_.clear();
  // Records the revocation and, for an erasure, takes the member's erasure lock first.
  auto change = hc::identity::RecordIdentityFact(tx, message);
  if (!change.ok()) return change.status();
  change_ = *change;
  if (change_ && change_->erased) touched_ = store_.EraseMemberIn(tx, change_->member_id, clock_());
  return absl::OkStatus();
}

void MembershipFactsHandler::AfterCommit(const hc::kafka::Message& message) {
  if (change_) revoke_(*change_);
  for (const auto& event_id : touched_) invalidate_(event_id);
  if (change_ && change_->erased) {
    spdlog::info("erased a deleted member's RSVPs (ce_id {}): {} events changed",
                 message.Header(hc::kafka::kCeId), touched_.size());
  }
  change_.reset();
  touched_.clear();
}

}  // namespace events::facts

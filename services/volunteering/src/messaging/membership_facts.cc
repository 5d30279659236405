#include "services/volunteering/src/messaging/membership_facts.h"

#include <spdlog/spdlog.h>

namespace volunteering::facts {

absl::Status MembershipFactsHandler::Handle(hc::postgres::Tx& tx,
                                            const hc::kafka::Message& message) {
  change_.reset();
  touched_.clear();
  auto change = hc::identity::RecordIdentityFact(tx, message);
  if (!change.ok()) return change.status();
  change_ = *change;
  if (change_ && change_->erased) touched_ = store_.EraseMemberIn(tx, change_->member_id, clock_());
  return absl::OkStatus();
}

void MembershipFactsHandler::AfterCommit(const hc::kafka::Message& message) {
  if (change_) revoke_(*change_);
  for (const auto& role_id : touched_) invalidate_(role_id);
  if (change_ && change_->erased) {
    spdlog::info("erased a deleted member's sign-ups (ce_id {}): {} roles changed",
                 message.Header(hc::kafka::kCeId), touched_.size());
  }
  change_.reset();
  touched_.clear();
}

}  // namespace volunteering::facts

#include "services/volunteering/src/messaging/facts.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>

#include "alumni/volunteering/v1/volunteering_events.pb.h"
#include "libs/outbox/outbox.h"

namespace volunteering::facts {
namespace {

namespace pb = alumni::volunteering::v1;

google::protobuf::Timestamp Ts(domain::Time t) {
  return google::protobuf::util::TimeUtil::MillisecondsToTimestamp(t.time_since_epoch().count());
}

// Calls `record(page, page_count, first, last)` for each page of `ids` (at least one page).
template <typename Record>
void InPages(const std::vector<std::string>& ids, Record record) {
  const size_t pages = std::max<size_t>(1, (ids.size() + kIdsPerFact - 1) / kIdsPerFact);
  for (size_t page = 0; page < pages; ++page) {
    record(static_cast<int>(page + 1), static_cast<int>(pages), ids.begin() + page * kIdsPerFact,
           ids.begin() + std::min(ids.size(), (page + 1) * kIdsPerFact));
  }
}

pb::RoleFilled FilledFact(const domain::Shift& shift, domain::Time at) {
  pb::RoleFilled fact;
  fact.set_role_id(shift.role_id);
  fact.set_shift_id(shift.shift_id);
  *fact.mutable_filled_at() = Ts(at);
  return fact;
}

}  // namespace

void Recorder::RolePosted(hc::postgres::Tx& tx, const domain::Role& role) const {
  pb::VolunteerRolePosted fact;
  fact.set_role_id(role.role_id);
  for (const auto& tag : role.details.tags) fact.add_tags(tag);
  fact.set_event_id(role.details.event_id);
  *fact.mutable_posted_at() = Ts(role.created_at);
  hc::outbox::Append(tx, topic_, role.role_id, fact);
}

void Recorder::RoleClosed(hc::postgres::Tx& tx, const std::string& role_id, domain::Time at) const {
  pb::RoleClosed fact;
  fact.set_role_id(role_id);
  *fact.mutable_closed_at() = Ts(at);
  hc::outbox::Append(tx, topic_, role_id, fact);
}

void Recorder::RoleUpdated(hc::postgres::Tx& tx, const domain::Role& role,
                           const std::vector<std::string>& changed_fields) const {
  pb::RoleUpdated fact;
  fact.set_role_id(role.role_id);
  for (const auto& field : changed_fields) fact.add_changed_fields(field);
  for (const auto& tag : role.details.tags) fact.add_tags(tag);
  fact.set_requires_approval(role.details.requires_approval);
  *fact.mutable_updated_at() = Ts(role.updated_at);
  hc::outbox::Append(tx, topic_, role.role_id, fact);
}

void Recorder::ShiftAdded(hc::postgres::Tx& tx, const domain::Shift& shift) const {
  pb::ShiftAdded fact;
  fact.set_role_id(shift.role_id);
  fact.set_shift_id(shift.shift_id);
  *fact.mutable_start_time() = Ts(shift.start);
  *fact.mutable_end_time() = Ts(shift.end);
  fact.set_slots(shift.slots);
  hc::outbox::Append(tx, topic_, shift.role_id, fact);
}

hc::postgres::Statement Recorder::SignedUp(const domain::Shift& shift,
                                           const domain::Signup& signup) const {
  pb::VolunteerSignedUp fact;
  fact.set_role_id(shift.role_id);
  fact.set_shift_id(shift.shift_id);
  fact.set_member_id(signup.member_id);
  fact.set_status(static_cast<pb::SignupStatus>(signup.status));
  *fact.mutable_signed_up_at() = Ts(signup.created_at);
  *fact.mutable_start_time() = Ts(shift.start);
  return hc::outbox::AppendStatement(topic_, shift.role_id, fact, {signup.member_id});
}

void Recorder::Withdrawn(hc::postgres::Tx& tx, const domain::Shift& shift,
                         const std::string& member_id, domain::SignupStatus previous,
                         WithdrawReason reason, domain::Time at) const {
  pb::SignupWithdrawn fact;
  fact.set_role_id(shift.role_id);
  fact.set_shift_id(shift.shift_id);
  fact.set_member_id(member_id);
  fact.set_previous_status(static_cast<pb::SignupStatus>(previous));
  fact.set_reason(static_cast<pb::WithdrawReason>(reason));
  *fact.mutable_withdrawn_at() = Ts(at);
  hc::outbox::Append(tx, topic_, shift.role_id, fact, {member_id});
}

void Recorder::Promoted(hc::postgres::Tx& tx, const domain::Shift& shift,
                        const std::string& member_id, domain::Time at) const {
  pb::VolunteerPromoted fact;
  fact.set_role_id(shift.role_id);
  fact.set_shift_id(shift.shift_id);
  fact.set_member_id(member_id);
  *fact.mutable_promoted_at() = Ts(at);
  *fact.mutable_start_time() = Ts(shift.start);
  hc::outbox::Append(tx, topic_, shift.role_id, fact, {member_id});
}

void Recorder::Filled(hc::postgres::Tx& tx, const domain::Shift& shift, domain::Time at) const {
  hc::outbox::Append(tx, topic_, shift.role_id, FilledFact(shift, at));
}

hc::postgres::Statement Recorder::FilledStatement(const domain::Shift& shift,
                                                  domain::Time at) const {
  return hc::outbox::AppendStatement(topic_, shift.role_id, FilledFact(shift, at));
}

void Recorder::ShiftUpdated(hc::postgres::Tx& tx, const domain::Shift& shift,
                            const std::vector<std::string>& changed_fields,
                            const std::vector<std::string>& affected_member_ids,
                            const std::string& event_id) const {
  InPages(affected_member_ids, [&](int page, int page_count, auto first, auto last) {
    pb::ShiftUpdated fact;
    fact.set_role_id(shift.role_id);
    fact.set_shift_id(shift.shift_id);
    for (const auto& f : changed_fields) fact.add_changed_fields(f);
    *fact.mutable_start_time() = Ts(shift.start);
    *fact.mutable_end_time() = Ts(shift.end);
    fact.set_slots(shift.slots);
    *fact.mutable_updated_at() = Ts(shift.updated_at);
    for (auto it = first; it != last; ++it) fact.add_affected_member_ids(*it);
    fact.set_page(page);
    fact.set_page_count(page_count);
    fact.set_event_id(event_id);
    hc::outbox::Append(tx, topic_, shift.role_id, fact, std::vector<std::string>(first, last));
  });
}

void Recorder::ShiftCancelled(hc::postgres::Tx& tx, const domain::Shift& shift,
                              const std::vector<std::string>& affected_member_ids,
                              const std::string& event_id, domain::Time at) const {
  InPages(affected_member_ids, [&](int page, int page_count, auto first, auto last) {
    pb::ShiftCancelled fact;
    fact.set_role_id(shift.role_id);
    fact.set_shift_id(shift.shift_id);
    *fact.mutable_start_time() = Ts(shift.start);
    *fact.mutable_cancelled_at() = Ts(at);
    for (auto it = first; it != last; ++it) fact.add_affected_member_ids(*it);
    fact.set_page(page);
    fact.set_page_count(page_count);
    fact.set_event_id(event_id);
    hc::outbox::Append(tx, topic_, shift.role_id, fact, std::vector<std::string>(first, last));
  });
}

void Recorder::Approved(hc::postgres::Tx& tx, const domain::Shift& shift,
                        const domain::Signup& signup) const {
  pb::SignupApproved fact;
  fact.set_role_id(shift.role_id);
  fact.set_shift_id(shift.shift_id);
  fact.set_member_id(signup.member_id);
  fact.set_status(static_cast<pb::SignupStatus>(signup.status));
  *fact.mutable_approved_at() = Ts(signup.updated_at);
  *fact.mutable_start_time() = Ts(shift.start);
  hc::outbox::Append(tx, topic_, shift.role_id, fact, {signup.member_id});
}

void Recorder::Declined(hc::postgres::Tx& tx, const domain::Shift& shift,
                        const std::string& member_id, domain::Time at) const {
  pb::SignupDeclined fact;
  fact.set_role_id(shift.role_id);
  fact.set_shift_id(shift.shift_id);
  fact.set_member_id(member_id);
  *fact.mutable_declined_at() = Ts(at);
  hc::outbox::Append(tx, topic_, shift.role_id, fact, {member_id});
}

void Recorder::HoursLogged(hc::postgres::Tx& tx, const domain::HoursEntry& entry) const {
  pb::HoursLogged fact;
  fact.set_role_id(entry.role_id);
  fact.set_shift_id(entry.shift_id);
  fact.set_member_id(entry.member_id);
  fact.set_minutes(entry.minutes);
  *fact.mutable_logged_at() = Ts(entry.logged_at);
  hc::outbox::Append(tx, topic_, entry.role_id, fact, {entry.member_id});
}

void Recorder::HoursApproved(hc::postgres::Tx& tx, const domain::HoursEntry& entry,
                             domain::Time at) const {
  pb::HoursApproved fact;
  fact.set_role_id(entry.role_id);
  fact.set_shift_id(entry.shift_id);
  fact.set_member_id(entry.member_id);
  fact.set_minutes(entry.minutes);
  *fact.mutable_approved_at() = Ts(at);
  hc::outbox::Append(tx, topic_, entry.role_id, fact, {entry.member_id});
}

}  // namespace volunteering::facts

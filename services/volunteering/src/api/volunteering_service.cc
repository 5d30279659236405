#include "services/volunteering/src/api/volunteering_service.h"

#include <random>
#include <set>

#include "libs/convert/time.h"
#include "libs/fieldmask/field_mask.h"
#include "libs/ids/ids.h"
#include "libs/paging/paging.h"
#include "libs/status/status.h"

namespace volunteering::api {
namespace {

constexpr char kRoleKeyPrefix[] = "volunteering:role:v1:";
// Any change anywhere retires every cached listing at once.
constexpr char kListGenerationKey[] = "volunteering:roles:v1:generation";

std::string RoleKey(const std::string& role_id) {
  return kRoleKeyPrefix + hc::ids::Canonical(role_id);
}

using hc::convert::TimeFromProto;
constexpr auto Ts = hc::convert::TimeToProto;

absl::Status CheckId(const char* field, const std::string& id) {
  if (!hc::ids::IsUuid(id)) return hc::InvalidField(field, "must be a UUID");
  return absl::OkStatus();
}

void ToProto(const domain::Shift& s, pb::Shift& out) {
  out.set_shift_id(s.shift_id);
  out.set_role_id(s.role_id);
  *out.mutable_start_time() = Ts(s.start);
  *out.mutable_end_time() = Ts(s.end);
  out.set_time_zone(s.time_zone);
  out.set_slots(s.slots);
  out.set_confirmed_count(s.confirmed_count);
  out.set_waitlist_count(s.waitlist_count);
  out.set_slots_left(s.slots_left());
  out.set_status(static_cast<pb::ShiftStatus>(s.status));
  out.set_pending_count(s.pending_count);
  *out.mutable_updated_at() = Ts(s.updated_at);
}

void ToProto(const domain::Role& r, pb::Role& out) {
  out.set_role_id(r.role_id);
  auto* d = out.mutable_details();
  d->set_title(r.details.title);
  d->set_description(r.details.description);
  for (const auto& tag : r.details.tags) d->add_tags(tag);
  d->set_venue(r.details.venue);
  d->set_online_url(r.details.online_url);
  d->set_event_id(r.details.event_id);
  d->set_min_sober_days(r.details.min_sober_days);
  d->set_max_shifts_per_person(r.details.max_shifts_per_person);
  d->set_requires_approval(r.details.requires_approval);
  out.set_status(static_cast<pb::RoleStatus>(r.status));
  *out.mutable_created_at() = Ts(r.created_at);
  *out.mutable_updated_at() = Ts(r.updated_at);
}

void ToProto(const domain::Signup& g, pb::Signup& out) {
  out.set_shift_id(g.shift_id);
  out.set_member_id(g.member_id);
  out.set_status(static_cast<pb::SignupStatus>(g.status));
  out.set_waitlist_position(g.waitlist_position);
  *out.mutable_created_at() = Ts(g.created_at);
  *out.mutable_updated_at() = Ts(g.updated_at);
}

absl::StatusOr<domain::RoleChanges> ChangesFromMask(const pb::UpdateRoleRequest& req) {
  using hc::field_mask::Assign;
  const pb::RoleDetails& d = req.role();
  domain::RoleChanges c;
  HC_RETURN_IF_ERROR(hc::field_mask::Apply(
      req.update_mask(),
      {{"title", Assign(c.title, d.title())},
       {"description", Assign(c.description, d.description())},
       {"tags", Assign(c.tags, std::vector<std::string>(d.tags().begin(), d.tags().end()))},
       {"venue", Assign(c.venue, d.venue())},
       {"online_url", Assign(c.online_url, d.online_url())},
       {"event_id", Assign(c.event_id, d.event_id())},
       {"min_sober_days", Assign(c.min_sober_days, d.min_sober_days())},
       {"max_shifts_per_person", Assign(c.max_shifts_per_person, d.max_shifts_per_person())},
       {"requires_approval", Assign(c.requires_approval, d.requires_approval())}}));
  return c;
}

std::string RandomGeneration() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return std::to_string(rng());
}

}  // namespace

VolunteeringService::VolunteeringService(
    hc::grpc_server::UnaryRunner& runner, storage::RoleStore& store, storage::HoursStore& hours,
    hc::redis::Cache& cache, const domain::TimeZoneCatalog& zones,
    members::Eligibility& eligibility, members::DisplayNames& names,
    members::InterestCatalogue& catalogue, Options options, Clock clock)
    : runner_(runner),
      store_(store),
      hours_(hours),
      cache_(cache),
      zones_(zones),
      eligibility_(eligibility),
      names_(names),
      catalogue_(catalogue),
      options_(options),
      clock_(std::move(clock)) {}

HC_UNARY_RPC(VolunteeringService, PostRole, DoPost(caller, rq, rs))
HC_UNARY_RPC(VolunteeringService, UpdateRole, DoUpdate(caller, rq, rs))
HC_UNARY_RPC(VolunteeringService, CloseRole, DoClose(caller, rq, rs))
HC_UNARY_RPC_RAW(VolunteeringService, GetRole, FastGet(rq, bytes), DoGet(caller, rq, rs))
HC_UNARY_RPC_RAW(VolunteeringService, ListRoles, FastList(rq, bytes), DoList(caller, rq, rs))
HC_UNARY_RPC(VolunteeringService, AddShift, DoAddShift(caller, rq, rs))
HC_UNARY_RPC(VolunteeringService, UpdateShift, DoUpdateShift(caller, rq, rs))
HC_UNARY_RPC(VolunteeringService, CancelShift, DoCancelShift(caller, rq, rs))
HC_UNARY_RPC(VolunteeringService, SignUp, DoSignUp(caller, rq, rs))
HC_UNARY_RPC(VolunteeringService, Withdraw, DoWithdraw(caller, rq, rs))
HC_UNARY_RPC(VolunteeringService, ListMySignups, DoListMine(caller, rq, rs))
HC_UNARY_RPC(VolunteeringService, ApproveSignup,
             DoReview(caller, rq.shift_id(), rq.member_id(), true, *rs.mutable_signup()))
HC_UNARY_RPC(VolunteeringService, DeclineSignup,
             DoReview(caller, rq.shift_id(), rq.member_id(), false, *rs.mutable_signup()))
HC_UNARY_RPC(VolunteeringService, ListVolunteers, DoListVolunteers(caller, rq, rs))

domain::Time VolunteeringService::Now() const {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(clock_());
}

void VolunteeringService::Invalidate(const std::string& role_id) {
  cache_.Invalidate({RoleKey(role_id), kListGenerationKey});
  // After Redis moved on: a read that raced this invalidation can't keep the old generation.
  std::lock_guard lock(generation_mu_);
  ++generation_epoch_;
  generation_.clear();
}

absl::StatusOr<std::string> VolunteeringService::ListGeneration() {
  uint64_t epoch = 0;
  {
    std::lock_guard lock(generation_mu_);
    if (!generation_.empty() &&
        std::chrono::steady_clock::now() - generation_at_ < options_.list_generation_reuse) {
      return generation_;
    }
    epoch = generation_epoch_;
  }
  HC_ASSIGN_OR_RETURN(
      std::string generation,
      cache_.GetOrLoad(kListGenerationKey, options_.cache_ttl,
                       []() -> absl::StatusOr<std::string> { return RandomGeneration(); }));
  std::lock_guard lock(generation_mu_);
  if (generation_epoch_ == epoch) {
    generation_ = generation;
    generation_at_ = std::chrono::steady_clock::now();
  }
  return generation;
}

absl::Status VolunteeringService::DoPost(const hc::auth::Principal& caller,
                                         const pb::PostRoleRequest& req,
                                         pb::PostRoleResponse& resp) {
  HC_RETURN_IF_ERROR(domain::AuthorizeManage(caller));
  if (!req.has_role()) return hc::InvalidField("role", "is required");
  const pb::RoleDetails& r = req.role();
  domain::RoleDetails d{.title = r.title(),
                        .description = r.description(),
                        .tags = {r.tags().begin(), r.tags().end()},
                        .venue = r.venue(),
                        .online_url = r.online_url(),
                        .event_id = r.event_id(),
                        .min_sober_days = r.min_sober_days(),
                        .max_shifts_per_person = r.max_shifts_per_person(),
                        .requires_approval = r.requires_approval()};
  HC_RETURN_IF_ERROR(domain::ValidateRole(d));
  HC_RETURN_IF_ERROR(catalogue_.Check(d.tags));
  HC_ASSIGN_OR_RETURN(domain::Role role, store_.Post(d, hc::ids::Canonical(caller.subject), Now()));
  Invalidate(role.role_id);
  ToProto(role, *resp.mutable_role());
  return absl::OkStatus();
}

absl::Status VolunteeringService::DoUpdate(const hc::auth::Principal& caller,
                                           const pb::UpdateRoleRequest& req,
                                           pb::UpdateRoleResponse& resp) {
  HC_RETURN_IF_ERROR(domain::AuthorizeManage(caller));
  HC_RETURN_IF_ERROR(CheckId("role_id", req.role_id()));
  HC_ASSIGN_OR_RETURN(domain::RoleChanges changes, ChangesFromMask(req));
  const std::string role_id = hc::ids::Canonical(req.role_id());
  // The catalogue is asked before the role is locked (no lock held while membership answers),
  // and only about tags the role does not have yet: the ones it has may stay though retired.
  std::set<std::string> vetted;
  if (changes.tags) {
    HC_ASSIGN_OR_RETURN(auto current, store_.Get(role_id, Now()));
    std::vector<std::string> added = domain::AddedTags(current.first.details.tags, *changes.tags);
    for (const auto& tag : added) {
      if (!domain::IsTag(tag))
        return hc::InvalidField("tags", "must be catalogue tags (a-z 0-9 -)");
    }
    HC_RETURN_IF_ERROR(catalogue_.Check(added));
    vetted.insert(added.begin(), added.end());
  }
  HC_ASSIGN_OR_RETURN(storage::RoleUpdate update, store_.Update(role_id, changes, vetted, Now()));
  if (!update.changed_fields.empty()) Invalidate(role_id);
  ToProto(update.role, *resp.mutable_role());
  return absl::OkStatus();
}

absl::Status VolunteeringService::DoClose(const hc::auth::Principal& caller,
                                          const pb::CloseRoleRequest& req,
                                          pb::CloseRoleResponse& resp) {
  HC_RETURN_IF_ERROR(domain::AuthorizeManage(caller));
  HC_RETURN_IF_ERROR(CheckId("role_id", req.role_id()));
  HC_ASSIGN_OR_RETURN(domain::Role role, store_.Close(hc::ids::Canonical(req.role_id()), Now()));
  Invalidate(role.role_id);
  ToProto(role, *resp.mutable_role());
  return absl::OkStatus();
}

bool VolunteeringService::FastGet(const pb::GetRoleRequest& req, std::string& bytes) {
  if (!CheckId("role_id", req.role_id()).ok()) return false;
  // As FastList: the entry was parsed in full (DoGet's `valid`) when it came from Redis.
  return cache_.UseIfCached(
      RoleKey(hc::ids::Canonical(req.role_id())), [&](const std::string& cached) {
        if (!hc::grpc_server::WellFormedWire(cached)) return false;
        bytes = hc::grpc_server::AsMessageField(pb::GetRoleResponse::kRoleFieldNumber, cached);
        return true;
      });
}

absl::Status VolunteeringService::DoGet(const hc::auth::Principal& caller,
                                        const pb::GetRoleRequest& req, pb::GetRoleResponse& resp) {
  (void)caller;  // any signed-in member
  HC_RETURN_IF_ERROR(CheckId("role_id", req.role_id()));
  const std::string role_id = hc::ids::Canonical(req.role_id());
  // A cache hit is checked by parsing it into the answer itself: it is parsed once.
  bool parsed = false;
  HC_ASSIGN_OR_RETURN(std::string bytes,
                      cache_.GetOrLoad(
                          RoleKey(role_id), options_.cache_ttl,
                          [&]() -> absl::StatusOr<std::string> {
                            HC_ASSIGN_OR_RETURN(auto found, store_.Get(role_id, Now()));
                            pb::Role proto;
                            ToProto(found.first, proto);
                            for (const auto& s : found.second) ToProto(s, *proto.add_shifts());
                            return proto.SerializeAsString();
                          },
                          [&](const std::string& cached) {
                            parsed = resp.mutable_role()->ParseFromString(cached);
                            return parsed;
                          }));
  if (!parsed && !resp.mutable_role()->ParseFromString(bytes)) {
    return absl::InternalError("corrupt role");
  }
  return absl::OkStatus();
}

absl::StatusOr<VolunteeringService::RoleListing> VolunteeringService::PlanList(
    const pb::ListRolesRequest& req) {
  if (!req.tag().empty() && !domain::IsTag(req.tag())) {
    return hc::InvalidField("tag", "must be a catalogue tag (1-32 of a-z 0-9 -)");
  }
  RoleListing l{.filter = {.tag = req.tag()}};
  storage::RoleFilter& filter = l.filter;
  if (req.has_shifts_from()) {
    HC_ASSIGN_OR_RETURN(filter.from, TimeFromProto("shifts_from", true, req.shifts_from()));
  }
  if (req.has_shifts_until()) {
    HC_ASSIGN_OR_RETURN(filter.until, TimeFromProto("shifts_until", true, req.shifts_until()));
  }
  if (filter.from && filter.until && *filter.until <= *filter.from) {
    return hc::InvalidField("shifts_until", "must be after shifts_from");
  }
  HC_ASSIGN_OR_RETURN(l.page_size, hc::paging::PageSize(req.page_size()));
  // Every filter is in the fingerprint the page token carries and in the cache key. Without a
  // range it is what it was before ranges existed, so tokens given out then still work.
  l.filters = "t=" + req.tag();
  if (filter.from || filter.until) {
    auto ms = [](const std::optional<domain::Time>& t) {
      return t ? std::to_string(t->time_since_epoch().count()) : std::string();
    };
    l.filters += ";f=" + ms(filter.from) + ";u=" + ms(filter.until);
  }
  HC_ASSIGN_OR_RETURN(l.after, hc::paging::DecodePageToken(req.page_token(), l.filters));
  return l;
}

std::string VolunteeringService::RoleListing::Key(const std::string& generation,
                                                  const std::string& page_token) const {
  return "volunteering:roles:v1:" + generation + ":" + filters + ":n=" + std::to_string(page_size) +
         ":t=" + page_token;
}

bool VolunteeringService::FastList(const pb::ListRolesRequest& req, std::string& bytes) {
  auto listing = PlanList(req);
  if (!listing.ok()) return false;
  std::string generation;
  {
    std::lock_guard lock(generation_mu_);
    if (!generation_.empty() &&
        std::chrono::steady_clock::now() - generation_at_ < options_.list_generation_reuse) {
      generation = generation_;
    }
  }
  if (generation.empty()) {
    auto cached = cache_.GetIfCached(kListGenerationKey);
    if (!cached) return false;
    generation = *std::move(cached);
  }
  // A near-cache entry was parsed in full (DoList's `valid`) when it came from Redis, and the
  // bytes have not changed since; the top-level framing check is what a hit still pays.
  return cache_.UseIfCached(listing->Key(generation, req.page_token()),
                            [&](const std::string& page) {
                              if (!hc::grpc_server::WellFormedWire(page)) return false;
                              bytes = page;
                              return true;
                            });
}

absl::Status VolunteeringService::DoList(const hc::auth::Principal& caller,
                                         const pb::ListRolesRequest& req,
                                         pb::ListRolesResponse& resp) {
  (void)caller;  // any signed-in member
  HC_ASSIGN_OR_RETURN(RoleListing listing, PlanList(req));
  const storage::RoleFilter& filter = listing.filter;
  const int page_size = listing.page_size;
  const std::optional<std::string>& after = listing.after;
  const std::string& filters = listing.filters;
  HC_ASSIGN_OR_RETURN(std::string generation, ListGeneration());
  const std::string key = listing.Key(generation, req.page_token());
  // A cache hit is checked by parsing it into the answer itself: it is parsed once.
  bool parsed = false;
  HC_ASSIGN_OR_RETURN(
      std::string bytes,
      cache_.GetOrLoad(
          key, options_.cache_ttl,
          [&]() -> absl::StatusOr<std::string> {
            HC_ASSIGN_OR_RETURN(storage::RolePage page,
                                store_.ListOpen(filter, page_size, after.value_or(""), Now()));
            pb::ListRolesResponse proto;
            for (const auto& r : page.roles) {
              pb::Role* out = proto.add_roles();
              ToProto(r, *out);
              for (const auto& s : page.shifts[r.role_id]) ToProto(s, *out->add_shifts());
            }
            proto.set_next_page_token(hc::paging::EncodePageToken(page.next, filters));
            return proto.SerializeAsString();
          },
          [&](const std::string& cached) {
            parsed = resp.ParseFromString(cached);
            return parsed;
          }));
  if (!parsed && !resp.ParseFromString(bytes)) return absl::InternalError("corrupt listing");
  return absl::OkStatus();
}

absl::Status VolunteeringService::DoAddShift(const hc::auth::Principal& caller,
                                             const pb::AddShiftRequest& req,
                                             pb::AddShiftResponse& resp) {
  HC_RETURN_IF_ERROR(domain::AuthorizeManage(caller));
  HC_RETURN_IF_ERROR(CheckId("role_id", req.role_id()));
  domain::Shift shift{.time_zone = req.time_zone(), .slots = req.slots()};
  HC_ASSIGN_OR_RETURN(shift.start,
                      TimeFromProto("start_time", req.has_start_time(), req.start_time()));
  HC_ASSIGN_OR_RETURN(shift.end, TimeFromProto("end_time", req.has_end_time(), req.end_time()));
  // The fields first: bad input is INVALID_ARGUMENT whether or not the role exists.
  HC_RETURN_IF_ERROR(domain::ValidateShiftFields(shift, zones_, Now()));
  const std::string role_id = hc::ids::Canonical(req.role_id());
  HC_ASSIGN_OR_RETURN(domain::Shift added, store_.AddShift(role_id, shift, zones_, Now()));
  Invalidate(role_id);
  ToProto(added, *resp.mutable_shift());
  return absl::OkStatus();
}

absl::Status VolunteeringService::DoUpdateShift(const hc::auth::Principal& caller,
                                                const pb::UpdateShiftRequest& req,
                                                pb::UpdateShiftResponse& resp) {
  HC_RETURN_IF_ERROR(domain::AuthorizeManage(caller));
  HC_RETURN_IF_ERROR(CheckId("shift_id", req.shift_id()));
  domain::ShiftChanges c;
  auto time = [](const char* field, std::optional<domain::Time>& target, bool has,
                 const google::protobuf::Timestamp& value) -> hc::field_mask::Setter {
    return [field, &target, has, &value]() -> absl::Status {
      HC_ASSIGN_OR_RETURN(target, TimeFromProto(field, has, value));
      return absl::OkStatus();
    };
  };
  HC_RETURN_IF_ERROR(hc::field_mask::Apply(
      req.update_mask(),
      {{"start_time", time("start_time", c.start, req.has_start_time(), req.start_time())},
       {"end_time", time("end_time", c.end, req.has_end_time(), req.end_time())},
       {"time_zone", hc::field_mask::Assign(c.time_zone, req.time_zone())},
       {"slots", hc::field_mask::Assign(c.slots, req.slots())}}));
  HC_ASSIGN_OR_RETURN(domain::Shift shift,
                      store_.UpdateShift(hc::ids::Canonical(req.shift_id()), c, zones_, Now()));
  Invalidate(shift.role_id);
  ToProto(shift, *resp.mutable_shift());
  return absl::OkStatus();
}

absl::Status VolunteeringService::DoCancelShift(const hc::auth::Principal& caller,
                                                const pb::CancelShiftRequest& req,
                                                pb::CancelShiftResponse& resp) {
  HC_RETURN_IF_ERROR(domain::AuthorizeManage(caller));
  HC_RETURN_IF_ERROR(CheckId("shift_id", req.shift_id()));
  HC_ASSIGN_OR_RETURN(domain::Shift shift,
                      store_.CancelShift(hc::ids::Canonical(req.shift_id()), Now()));
  Invalidate(shift.role_id);
  ToProto(shift, *resp.mutable_shift());
  return absl::OkStatus();
}

absl::Status VolunteeringService::DoSignUp(const hc::auth::Principal& caller,
                                           const pb::SignUpRequest& req, pb::SignUpResponse& resp) {
  HC_ASSIGN_OR_RETURN(std::string member_id, domain::MemberOf(caller));
  HC_RETURN_IF_ERROR(CheckId("shift_id", req.shift_id()));
  const std::string shift_id = hc::ids::Canonical(req.shift_id());
  // Asked before the transaction: no lock is held while membership answers.
  HC_ASSIGN_OR_RETURN(domain::Role role, store_.RoleOfShift(shift_id));
  HC_RETURN_IF_ERROR(eligibility_.Check(member_id, role.details.min_sober_days));
  HC_ASSIGN_OR_RETURN(storage::SignupResult result,
                      store_.SignUp(shift_id, member_id, role.details.min_sober_days, Now()));
  if (result.changed) Invalidate(result.shift.role_id);
  ToProto(result.signup, *resp.mutable_signup());
  return absl::OkStatus();
}

absl::Status VolunteeringService::DoWithdraw(const hc::auth::Principal& caller,
                                             const pb::WithdrawRequest& req,
                                             pb::WithdrawResponse& resp) {
  HC_ASSIGN_OR_RETURN(std::string member_id, domain::MemberOf(caller));
  HC_RETURN_IF_ERROR(CheckId("shift_id", req.shift_id()));
  HC_ASSIGN_OR_RETURN(storage::SignupResult result,
                      store_.Withdraw(hc::ids::Canonical(req.shift_id()), member_id, Now(),
                                      options_.withdraw_cutoff));
  if (result.changed) Invalidate(result.shift.role_id);
  ToProto(result.signup, *resp.mutable_signup());
  return absl::OkStatus();
}

absl::Status VolunteeringService::DoListMine(const hc::auth::Principal& caller,
                                             const pb::ListMySignupsRequest& req,
                                             pb::ListMySignupsResponse& resp) {
  HC_ASSIGN_OR_RETURN(std::string member_id, domain::MemberOf(caller));
  HC_ASSIGN_OR_RETURN(int page_size, hc::paging::PageSize(req.page_size()));
  std::string filters = std::string("w=") + (req.include_withdrawn() ? "1" : "0");
  if (req.include_past()) filters += ";p=1";
  HC_ASSIGN_OR_RETURN(std::optional<std::string> after,
                      hc::paging::DecodePageToken(req.page_token(), filters));
  HC_ASSIGN_OR_RETURN(storage::MySignupPage page,
                      store_.ListMine(member_id, req.include_withdrawn(), req.include_past(), Now(),
                                      page_size, after.value_or("")));
  for (const auto& m : page.signups) {
    auto* out = resp.add_signups();
    ToProto(m.signup, *out->mutable_signup());
    ToProto(m.shift, *out->mutable_shift());
    out->set_role_title(m.role_title);
  }
  resp.set_next_page_token(hc::paging::EncodePageToken(page.next, filters));
  return absl::OkStatus();
}

absl::Status VolunteeringService::DoReview(const hc::auth::Principal& caller,
                                           const std::string& shift_id,
                                           const std::string& member_id, bool approve,
                                           pb::Signup& out) {
  HC_RETURN_IF_ERROR(CheckId("shift_id", shift_id));
  HC_RETURN_IF_ERROR(CheckId("member_id", member_id));
  // Coordinators and admins, never on their own sign-up (as for hours).
  HC_RETURN_IF_ERROR(domain::AuthorizeReview(caller, member_id));
  const std::string shift = hc::ids::Canonical(shift_id), member = hc::ids::Canonical(member_id);
  HC_ASSIGN_OR_RETURN(storage::SignupResult result, approve ? store_.Approve(shift, member, Now())
                                                            : store_.Decline(shift, member, Now()));
  if (result.changed) Invalidate(result.shift.role_id);
  ToProto(result.signup, out);
  return absl::OkStatus();
}

absl::Status VolunteeringService::DoListVolunteers(const hc::auth::Principal& caller,
                                                   const pb::ListVolunteersRequest& req,
                                                   pb::ListVolunteersResponse& resp) {
  HC_RETURN_IF_ERROR(domain::AuthorizeManage(caller));
  HC_RETURN_IF_ERROR(CheckId("shift_id", req.shift_id()));
  HC_ASSIGN_OR_RETURN(int page_size, hc::paging::PageSize(req.page_size()));
  const std::string shift_id = hc::ids::Canonical(req.shift_id());
  const std::string filters = "s=" + shift_id;
  HC_ASSIGN_OR_RETURN(std::optional<std::string> after,
                      hc::paging::DecodePageToken(req.page_token(), filters));
  HC_ASSIGN_OR_RETURN(storage::VolunteerPage page,
                      store_.ListVolunteers(shift_id, page_size, after.value_or("")));
  std::vector<std::string> ids;
  for (const auto& g : page.signups) ids.push_back(g.member_id);
  // Names are membership's to give: without them the list is still whole, and says so.
  absl::StatusOr<std::map<std::string, members::DisplayName>> names = names_.Get(ids);
  resp.set_names_unavailable(!names.ok());
  for (const auto& g : page.signups) {
    auto* out = resp.add_volunteers();
    ToProto(g, *out->mutable_signup());
    if (!names.ok()) continue;
    if (auto found = names->find(g.member_id); found != names->end()) {
      out->set_display_name(found->second.hidden ? "" : found->second.name);
      out->set_name_hidden(found->second.hidden);
    }
  }
  resp.set_next_page_token(hc::paging::EncodePageToken(page.next, filters));
  return absl::OkStatus();
}

}  // namespace volunteering::api

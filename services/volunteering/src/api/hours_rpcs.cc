// VolunteeringService's hours and thank-you board RPCs: proto <-> domain, authorisation,
// validation. The rules are in domain/hours.h, the storage and its lock order in
// storage/hours_store.cc. Hours are not part of any GetRole/ListRoles read, so nothing here
// drops cached roles.
#include <algorithm>
#include <limits>

#include "libs/convert/time.h"
#include "libs/ids/ids.h"
#include "libs/paging/paging.h"
#include "libs/status/status.h"
#include "services/volunteering/src/api/volunteering_service.h"
#include "services/volunteering/src/domain/hours.h"

namespace volunteering::api {
namespace {

constexpr auto Ts = hc::convert::TimeToProto;

absl::Status CheckUuid(const char* field, const std::string& id) {
  if (!hc::ids::IsUuid(id)) return hc::InvalidField(field, "must be a UUID");
  return absl::OkStatus();
}

// Totals are kept as 64-bit sums; the proto's fields are 32-bit (4,000 years of minutes).
int32_t Clamp(int64_t value) {
  return static_cast<int32_t>(std::min<int64_t>(value, std::numeric_limits<int32_t>::max()));
}

void ToProto(const domain::HoursEntry& e, pb::HoursEntry& out) {
  out.set_shift_id(e.shift_id);
  out.set_role_id(e.role_id);
  out.set_member_id(e.member_id);
  out.set_minutes(e.minutes);
  out.set_status(static_cast<pb::HoursStatus>(e.status));
  *out.mutable_logged_at() = Ts(e.logged_at);
  if (e.reviewed_at) *out.mutable_reviewed_at() = Ts(*e.reviewed_at);
}

void ToProto(const storage::RoleHours& r, pb::RoleHours& out) {
  out.set_role_id(r.role_id);
  out.set_role_title(r.role_title);
  out.set_approved_minutes(Clamp(r.approved_minutes));
  out.set_shifts(r.shifts);
}

}  // namespace

HC_UNARY_RPC(VolunteeringService, LogHours, DoLogHours(caller, rq, rs))
HC_UNARY_RPC(VolunteeringService, ListHours, DoListHours(caller, rq, rs))
HC_UNARY_RPC(VolunteeringService, GetVolunteerSummary, DoSummary(caller, rq, rs))
HC_UNARY_RPC(VolunteeringService, SetThankYouBoard, DoSetBoard(caller, rq, rs))
HC_UNARY_RPC(VolunteeringService, ListThankYouBoard, DoListBoard(caller, rq, rs))

// Both reviews share one request type, so HC_UNARY_RPC (which names it after the RPC) can't
// define them.
grpc::ServerUnaryReactor* VolunteeringService::ApproveHours(grpc::CallbackServerContext* ctx,
                                                            const pb::ReviewHoursRequest* req,
                                                            pb::ReviewHoursResponse* resp) {
  return runner_.Run(ctx, "ApproveHours", req, resp,
                     [this](const auto& caller, const auto& rq, auto& rs) {
                       return DoReviewHours(caller, rq, domain::HoursDecision::kApprove, rs);
                     });
}

grpc::ServerUnaryReactor* VolunteeringService::RejectHours(grpc::CallbackServerContext* ctx,
                                                           const pb::ReviewHoursRequest* req,
                                                           pb::ReviewHoursResponse* resp) {
  return runner_.Run(ctx, "RejectHours", req, resp,
                     [this](const auto& caller, const auto& rq, auto& rs) {
                       return DoReviewHours(caller, rq, domain::HoursDecision::kReject, rs);
                     });
}

absl::Status VolunteeringService::DoLogHours(const hc::auth::Principal& caller,
                                             const pb::LogHoursRequest& req,
                                             pb::LogHoursResponse& resp) {
  HC_ASSIGN_OR_RETURN(std::string member_id, domain::MemberOf(caller));
  HC_RETURN_IF_ERROR(CheckUuid("shift_id", req.shift_id()));
  // The upper bound is the shift's length, known once it is read; the lower one now.
  if (req.minutes() < 1) return hc::InvalidField("minutes", "must be at least 1");
  HC_ASSIGN_OR_RETURN(domain::HoursEntry entry, hours_.Log(hc::ids::Canonical(req.shift_id()),
                                                           member_id, req.minutes(), Now()));
  ToProto(entry, *resp.mutable_entry());
  return absl::OkStatus();
}

absl::Status VolunteeringService::DoReviewHours(const hc::auth::Principal& caller,
                                                const pb::ReviewHoursRequest& req,
                                                domain::HoursDecision decision,
                                                pb::ReviewHoursResponse& resp) {
  HC_RETURN_IF_ERROR(CheckUuid("shift_id", req.shift_id()));
  HC_RETURN_IF_ERROR(CheckUuid("member_id", req.member_id()));
  HC_RETURN_IF_ERROR(domain::AuthorizeReview(caller, req.member_id()));
  HC_ASSIGN_OR_RETURN(domain::HoursEntry entry,
                      hours_.Review(hc::ids::Canonical(req.shift_id()),
                                    hc::ids::Canonical(req.member_id()), decision, Now()));
  ToProto(entry, *resp.mutable_entry());
  return absl::OkStatus();
}

absl::Status VolunteeringService::DoListHours(const hc::auth::Principal& caller,
                                              const pb::ListHoursRequest& req,
                                              pb::ListHoursResponse& resp) {
  HC_RETURN_IF_ERROR(domain::AuthorizeManage(caller));
  HC_RETURN_IF_ERROR(CheckUuid("role_id", req.role_id()));
  if (!pb::HoursStatus_IsValid(req.status())) {
    return hc::InvalidField("status", "must be an HoursStatus");
  }
  HC_ASSIGN_OR_RETURN(int page_size, hc::paging::PageSize(req.page_size()));
  const std::string role_id = hc::ids::Canonical(req.role_id());
  const std::string filters = "r=" + role_id + ":s=" + std::to_string(req.status());
  HC_ASSIGN_OR_RETURN(std::optional<std::string> after,
                      hc::paging::DecodePageToken(req.page_token(), filters));
  std::optional<domain::HoursStatus> status;
  if (req.status() != pb::HOURS_STATUS_UNSPECIFIED) {
    status = static_cast<domain::HoursStatus>(req.status());
  }
  HC_ASSIGN_OR_RETURN(storage::HoursPage page,
                      hours_.List(role_id, status, page_size, after.value_or("")));
  for (const auto& e : page.entries) ToProto(e, *resp.add_entries());
  resp.set_next_page_token(hc::paging::EncodePageToken(page.next, filters));
  return absl::OkStatus();
}

absl::Status VolunteeringService::DoSummary(const hc::auth::Principal& caller,
                                            const pb::GetVolunteerSummaryRequest& req,
                                            pb::GetVolunteerSummaryResponse& resp) {
  HC_ASSIGN_OR_RETURN(domain::SummaryTarget target,
                      domain::SummaryFor(caller, req.member_id(), req.role_id()));
  if (target.member_id.empty()) {
    HC_ASSIGN_OR_RETURN(storage::RoleTotals totals, hours_.RoleSummary(target.role_id));
    resp.set_approved_minutes(Clamp(totals.hours.approved_minutes));
    resp.set_shifts(totals.hours.shifts);
    resp.set_volunteers(totals.volunteers);
    ToProto(totals.hours, *resp.add_roles());
    return absl::OkStatus();
  }
  HC_ASSIGN_OR_RETURN(storage::MemberHours mine,
                      hours_.MemberSummary(target.member_id, target.role_id));
  resp.set_member_id(target.member_id);
  resp.set_approved_minutes(Clamp(mine.approved_minutes));
  resp.set_shifts(mine.shifts);
  for (const auto& r : mine.roles) ToProto(r, *resp.add_roles());
  // Whether someone else chose the board is theirs to say.
  if (target.own) resp.set_on_thank_you_board(mine.on_thank_you_board);
  return absl::OkStatus();
}

absl::Status VolunteeringService::DoSetBoard(const hc::auth::Principal& caller,
                                             const pb::SetThankYouBoardRequest& req,
                                             pb::SetThankYouBoardResponse& resp) {
  HC_ASSIGN_OR_RETURN(std::string member_id, domain::MemberOf(caller));
  HC_RETURN_IF_ERROR(hours_.SetThankYouBoard(member_id, req.opt_in(), Now()));
  resp.set_opt_in(req.opt_in());
  return absl::OkStatus();
}

absl::Status VolunteeringService::DoListBoard(const hc::auth::Principal& caller,
                                              const pb::ListThankYouBoardRequest& req,
                                              pb::ListThankYouBoardResponse& resp) {
  if (caller.IsService()) return absl::PermissionDeniedError("the board is for members");
  HC_ASSIGN_OR_RETURN(int page_size, hc::paging::PageSize(req.page_size()));
  constexpr char kFilters[] = "board";
  HC_ASSIGN_OR_RETURN(std::optional<std::string> after,
                      hc::paging::DecodePageToken(req.page_token(), kFilters));
  HC_ASSIGN_OR_RETURN(storage::BoardPage page, hours_.Board(page_size, after.value_or("")));
  std::vector<std::string> ids;
  for (const auto& e : page.entries) ids.push_back(e.member_id);
  // Membership decides who is shown by name; when it does not answer, the board still does.
  absl::StatusOr<std::map<std::string, members::DisplayName>> names = names_.Get(ids);
  if (!names.ok()) resp.set_names_unavailable(true);
  for (const auto& e : page.entries) {
    auto* out = resp.add_entries();
    out->set_member_id(e.member_id);
    out->set_approved_minutes(Clamp(e.approved_minutes));
    if (names.ok()) {
      auto found = names->find(e.member_id);
      if (found != names->end() && !found->second.hidden) {
        out->set_display_name(found->second.name);
      }
    }
  }
  resp.set_next_page_token(hc::paging::EncodePageToken(page.next, kFilters));
  return absl::OkStatus();
}

}  // namespace volunteering::api

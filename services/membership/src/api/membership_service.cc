#include "services/membership/src/api/membership_service.h"

#include <google/protobuf/util/time_util.h>

#include "libs/status/status.h"

namespace membership::api {
namespace {

namespace pb = alumni::membership::v1;
using google::protobuf::util::TimeUtil;

std::optional<domain::Date> DateFromProto(const pb::Date& d, bool present) {
  if (!present) return std::nullopt;
  return domain::Date{d.year(), d.month(), d.day()};
}

void ToProto(const domain::Member& m, pb::Member& out) {
  out.set_member_id(m.member_id);
  out.set_first_name(m.first_name);
  out.set_last_name(m.last_name);
  out.set_display_name(m.display_name);
  out.set_email(m.email);
  out.set_phone(m.phone);
  out.set_program(static_cast<pb::Program>(m.program));
  if (m.sobriety_date) {
    out.mutable_sobriety_date()->set_year(m.sobriety_date->year);
    out.mutable_sobriety_date()->set_month(m.sobriety_date->month);
    out.mutable_sobriety_date()->set_day(m.sobriety_date->day);
  }
  for (const auto& i : m.interests) out.add_interests(i);
  out.set_time_zone(m.time_zone);
  for (auto r : m.roles) out.add_roles(static_cast<pb::Role>(r));
  out.set_status(static_cast<pb::MemberStatus>(m.status));
  *out.mutable_created_at() = TimeUtil::MillisecondsToTimestamp(m.created_at_ms);
  *out.mutable_updated_at() = TimeUtil::MillisecondsToTimestamp(m.updated_at_ms);
  out.set_version(m.version);
}

absl::Status CheckMemberId(const std::string& id) {
  if (id.empty()) return hc::InvalidField("member_id", "must not be empty");
  if (!domain::IsUuid(id)) return hc::InvalidField("member_id", "must be a UUID");
  return absl::OkStatus();
}

absl::StatusOr<domain::ProfileChanges> ChangesFromMask(const pb::UpdateProfileRequest& req) {
  if (req.update_mask().paths().empty()) {
    return hc::InvalidField("update_mask", "must name at least one field");
  }
  const pb::Member& m = req.member();
  domain::ProfileChanges c;
  for (const auto& path : req.update_mask().paths()) {
    if (path == "first_name") {
      c.first_name = m.first_name();
    } else if (path == "last_name") {
      c.last_name = m.last_name();
    } else if (path == "display_name") {
      c.display_name = m.display_name();
    } else if (path == "phone") {
      c.phone = m.phone();
    } else if (path == "program") {
      c.program = static_cast<domain::Program>(m.program());
    } else if (path == "sobriety_date") {
      c.sobriety_date = DateFromProto(m.sobriety_date(), m.has_sobriety_date());
    } else if (path == "interests") {
      c.interests = std::vector<std::string>(m.interests().begin(), m.interests().end());
    } else if (path == "time_zone") {
      c.time_zone = m.time_zone();
    } else if (path == "email") {
      return hc::InvalidField("update_mask", "email cannot be changed through UpdateProfile");
    } else {
      return hc::InvalidField("update_mask", "unknown or read-only field \"" + path + "\"");
    }
  }
  return c;
}

}  // namespace

MembershipService::MembershipService(hc::grpc_server::UnaryRunner& runner,
                                     storage::MemberStore& store, hc::redis::Cache& cache,
                                     const domain::TimeZoneCatalog& zones,
                                     std::chrono::seconds cache_ttl, Clock clock)
    : runner_(runner),
      store_(store),
      cache_(cache),
      zones_(zones),
      cache_ttl_(cache_ttl),
      clock_(std::move(clock)) {}

std::string MembershipService::CacheKey(const std::string& member_id) {
  return "membership:member:v1:" + member_id;
}

grpc::ServerUnaryReactor* MembershipService::RegisterMember(grpc::CallbackServerContext* ctx,
                                                            const pb::RegisterMemberRequest* req,
                                                            pb::RegisterMemberResponse* resp) {
  return runner_.Run(ctx, "RegisterMember", req, resp,
                     [this](const auto& caller, const auto& rq, auto& rs) {
                       return DoRegister(caller, rq, rs);
                     });
}

grpc::ServerUnaryReactor* MembershipService::GetMember(grpc::CallbackServerContext* ctx,
                                                       const pb::GetMemberRequest* req,
                                                       pb::GetMemberResponse* resp) {
  return runner_.Run(ctx, "GetMember", req, resp, [this](const auto& caller, const auto& rq, auto& rs) {
    return DoGet(caller, rq, rs);
  });
}

grpc::ServerUnaryReactor* MembershipService::UpdateProfile(grpc::CallbackServerContext* ctx,
                                                           const pb::UpdateProfileRequest* req,
                                                           pb::UpdateProfileResponse* resp) {
  return runner_.Run(ctx, "UpdateProfile", req, resp,
                     [this](const auto& caller, const auto& rq, auto& rs) {
                       return DoUpdate(caller, rq, rs);
                     });
}

absl::Status MembershipService::DoRegister(const hc::auth::Principal& caller,
                                           const pb::RegisterMemberRequest& req,
                                           pb::RegisterMemberResponse& resp) {
  HC_RETURN_IF_ERROR(domain::AuthorizeRegister(caller));
  domain::NewMember n{.first_name = req.first_name(),
                      .last_name = req.last_name(),
                      .email = req.email(),
                      .phone = req.phone(),
                      .program = static_cast<domain::Program>(req.program()),
                      .sobriety_date = DateFromProto(req.sobriety_date(), req.has_sobriety_date()),
                      .interests = {req.interests().begin(), req.interests().end()},
                      .time_zone = req.time_zone()};
  HC_RETURN_IF_ERROR(domain::ValidateNewMember(n, zones_, domain::TodayUtc(clock_())));
  HC_ASSIGN_OR_RETURN(domain::Member created, store_.Register(n));
  ToProto(created, *resp.mutable_member());
  return absl::OkStatus();
}

absl::Status MembershipService::DoGet(const hc::auth::Principal& caller,
                                      const pb::GetMemberRequest& req, pb::GetMemberResponse& resp) {
  HC_RETURN_IF_ERROR(CheckMemberId(req.member_id()));
  HC_RETURN_IF_ERROR(domain::AuthorizeRead(caller, req.member_id()));
  HC_ASSIGN_OR_RETURN(std::string bytes,
                      cache_.GetOrLoad(CacheKey(req.member_id()), cache_ttl_,
                                       [&]() -> absl::StatusOr<std::string> {
                                         HC_ASSIGN_OR_RETURN(domain::Member m,
                                                             store_.Get(req.member_id()));
                                         pb::Member proto;
                                         ToProto(m, proto);
                                         return proto.SerializeAsString();
                                       }));
  if (!resp.mutable_member()->ParseFromString(bytes)) {
    return absl::InternalError("corrupt cache entry");
  }
  return absl::OkStatus();
}

absl::Status MembershipService::DoUpdate(const hc::auth::Principal& caller,
                                         const pb::UpdateProfileRequest& req,
                                         pb::UpdateProfileResponse& resp) {
  HC_RETURN_IF_ERROR(CheckMemberId(req.member_id()));
  HC_RETURN_IF_ERROR(domain::AuthorizeUpdate(caller, req.member_id()));
  HC_ASSIGN_OR_RETURN(domain::ProfileChanges changes, ChangesFromMask(req));
  HC_RETURN_IF_ERROR(domain::ValidateChanges(changes, zones_, domain::TodayUtc(clock_())));
  HC_ASSIGN_OR_RETURN(domain::Member updated, store_.UpdateProfile(req.member_id(), changes));
  // After the commit: dropping it before would let a concurrent reader cache the old row
  // again at once. A reader that loaded before the commit and stores after this can still
  // leave the old row for at most one TTL.
  cache_.Invalidate(CacheKey(req.member_id()));
  ToProto(updated, *resp.mutable_member());
  return absl::OkStatus();
}

}  // namespace membership::api

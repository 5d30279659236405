#include "services/events/src/members/member_names.h"

#include "libs/status/status.h"

namespace events::members {

namespace pb = alumni::membership::v1;

MembershipNames::MembershipNames(std::shared_ptr<grpc::Channel> channel,
                                 hc::grpc_client::ServiceToken::Options token,
                                 std::chrono::milliseconds deadline,
                                 hc::metrics::GrpcClientMetrics* metrics)
    : stub_(pb::MembershipService::NewStub(std::move(channel))),
      token_(std::move(token)),
      deadline_(deadline),
      metrics_(metrics) {}

absl::StatusOr<std::map<std::string, std::string>> MembershipNames::Visible(
    const std::vector<std::string>& member_ids) {
  std::map<std::string, std::string> visible;
  if (member_ids.empty()) return visible;
  HC_ASSIGN_OR_RETURN(std::string token, token_.Get());
  pb::GetDisplayNamesRequest request;
  for (const auto& id : member_ids) request.add_member_ids(id);
  pb::GetDisplayNamesResponse response;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + deadline_);
  ctx.AddMetadata("authorization", "Bearer " + token);
  grpc::Status status = hc::grpc_client::Observed(
      metrics_, pb::MembershipService::service_full_name(), "GetDisplayNames",
      [&] { return stub_->GetDisplayNames(&ctx, request, &response); });
  if (!status.ok()) {
    return absl::UnavailableError("membership GetDisplayNames: " + status.error_message());
  }
  for (const auto& name : response.names()) {
    if (!name.hidden() && !name.display_name().empty()) {
      visible[name.member_id()] = name.display_name();
    }
  }
  return visible;
}

}  // namespace events::members

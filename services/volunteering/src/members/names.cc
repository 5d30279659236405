#include "services/volunteering/src/members/names.h"

#include <algorithm>

#include "libs/ids/ids.h"

namespace volunteering::members {

namespace mpb = alumni::membership::v1;

// GetDisplayNames takes at most this many ids a call.
constexpr size_t kBatch = 500;

MembershipDisplayNames::MembershipDisplayNames(std::shared_ptr<grpc::Channel> channel,
                                               hc::grpc_client::ServiceToken::Options token,
                                               std::chrono::milliseconds deadline,
                                               hc::metrics::GrpcClientMetrics* metrics)
    : stub_(mpb::MembershipService::NewStub(std::move(channel))),
      token_(std::move(token)),
      deadline_(deadline),
      metrics_(metrics) {}

absl::StatusOr<std::map<std::string, DisplayName>> MembershipDisplayNames::Get(
    const std::vector<std::string>& member_ids) {
  std::map<std::string, DisplayName> names;
  if (member_ids.empty()) return names;
  auto token = token_.Get();
  if (!token.ok()) return absl::UnavailableError("no service identity for membership");
  for (size_t from = 0; from < member_ids.size(); from += kBatch) {
    mpb::GetDisplayNamesRequest request;
    const size_t to = std::min(member_ids.size(), from + kBatch);
    for (size_t i = from; i < to; ++i) request.add_member_ids(member_ids[i]);
    mpb::GetDisplayNamesResponse response;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + deadline_);
    ctx.AddMetadata("authorization", "Bearer " + *token);
    grpc::Status status = hc::grpc_client::Observed(
        metrics_, mpb::MembershipService::service_full_name(), "GetDisplayNames",
        [&] { return stub_->GetDisplayNames(&ctx, request, &response); });
    if (!status.ok()) {
      return absl::UnavailableError("membership could not give display names");
    }
    for (const auto& listed : response.names()) {
      names[hc::ids::Canonical(listed.member_id())] = {.name = listed.display_name(),
                                                       .hidden = listed.hidden()};
    }
  }
  return names;
}

}  // namespace volunteering::members

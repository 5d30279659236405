#include "services/volunteering/src/members/eligibility.h"

namespace volunteering::members {

namespace mpb = alumni::membership::v1;

MembershipEligibility::MembershipEligibility(std::shared_ptr<grpc::Channel> channel,
                                             hc::grpc_client::ServiceToken::Options token,
                                             std::chrono::milliseconds deadline,
                                             hc::metrics::GrpcClientMetrics* metrics)
    : stub_(mpb::MembershipService::NewStub(std::move(channel))),
      token_(std::move(token)),
      deadline_(deadline),
      metrics_(metrics) {}

absl::Status MembershipEligibility::Check(const std::string& member_id, int min_sober_days) {
  if (min_sober_days <= 0) return absl::OkStatus();
  auto token = token_.Get();
  if (!token.ok()) return absl::UnavailableError("no service identity for membership");
  mpb::CheckEligibilityRequest request;
  request.set_member_id(member_id);
  request.set_min_sober_days(min_sober_days);
  request.set_purpose("volunteering.signup");
  mpb::CheckEligibilityResponse response;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + deadline_);
  ctx.AddMetadata("authorization", "Bearer " + *token);
  grpc::Status status = hc::grpc_client::Observed(
      metrics_, mpb::MembershipService::service_full_name(), "CheckEligibility",
      [&] { return stub_->CheckEligibility(&ctx, request, &response); });
  if (!status.ok()) {
    // Membership limits how many thresholds one member may be probed for (its message names
    // the field); any other RESOURCE_EXHAUSTED is a busy server, so UNAVAILABLE: try again.
    if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
        status.error_message().rfind("min_sober_days:", 0) == 0) {
      return absl::FailedPreconditionError(
          "this role's sober-time requirement can't be confirmed right now; ask the coordinator");
    }
    return absl::UnavailableError("membership could not check eligibility; try again shortly");
  }
  if (response.eligibility() == mpb::ELIGIBILITY_YES) return absl::OkStatus();
  return absl::FailedPreconditionError(
      "this role asks for more sober time than membership can confirm for you");
}

}  // namespace volunteering::members

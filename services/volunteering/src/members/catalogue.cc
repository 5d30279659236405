#include "services/volunteering/src/members/catalogue.h"

#include "libs/status/status.h"

namespace volunteering::members {

namespace mpb = alumni::membership::v1;

MembershipInterestCatalogue::MembershipInterestCatalogue(
    std::shared_ptr<grpc::Channel> channel, hc::grpc_client::ServiceToken::Options token,
    Options options, Clock clock)
    : stub_(mpb::MembershipService::NewStub(std::move(channel))),
      token_(std::move(token)),
      options_(options),
      clock_(std::move(clock)) {}

absl::StatusOr<std::set<std::string>> MembershipInterestCatalogue::Tags(
    std::chrono::steady_clock::duration max_age) {
  {
    std::lock_guard lock(mu_);
    if (fetched_at_ && clock_() - *fetched_at_ < max_age) return tags_;
  }
  // Asked without holding mu_: a slow membership delays only the callers that need it.
  auto token = token_.Get();
  if (!token.ok()) return absl::UnavailableError("no service identity for membership");
  mpb::ListInterestTagsResponse response;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + options_.deadline);
  ctx.AddMetadata("authorization", "Bearer " + *token);
  grpc::Status status = hc::grpc_client::Observed(
      options_.metrics, mpb::MembershipService::service_full_name(), "ListInterestTags",
      [&] { return stub_->ListInterestTags(&ctx, {}, &response); });
  if (!status.ok()) {
    return absl::UnavailableError("membership could not give its interest tags; try again shortly");
  }
  std::set<std::string> tags(response.tags().begin(), response.tags().end());
  std::lock_guard lock(mu_);
  tags_ = tags;
  fetched_at_ = clock_();
  return tags;
}

absl::Status MembershipInterestCatalogue::Check(const std::vector<std::string>& tags) {
  if (tags.empty()) return absl::OkStatus();
  HC_ASSIGN_OR_RETURN(std::set<std::string> known, Tags(options_.ttl));
  for (const auto& tag : tags) {
    if (known.contains(tag)) continue;
    HC_ASSIGN_OR_RETURN(known, Tags(std::chrono::steady_clock::duration::zero()));
    if (!known.contains(tag)) {
      return hc::InvalidField("tags", "\"" + tag + "\" is not in the interest catalogue");
    }
  }
  return absl::OkStatus();
}

}  // namespace volunteering::members

#include "services/events/src/members/member_names.h"

#include "libs/status/status.h"

namespace events::members {

namespace pb = alumni::membership::v1;

MembershipNames::MembershipNames(Options options)
    : options_(std::move(options)),
      stub_(pb::MembershipService::NewStub(
          grpc::CreateChannel(options_.address, grpc::InsecureChannelCredentials()))) {}

absl::StatusOr<std::string> MembershipNames::Token() {
  if (!options_.service_token.empty()) return options_.service_token;
  if (options_.jwt.algorithm != "HS256") {
    return absl::FailedPreconditionError("no service token for membership (HC_SERVICE_TOKEN_FILE)");
  }
  std::lock_guard lock(mu_);
  const auto now = std::chrono::system_clock::now();
  if (minted_.empty() || now > minted_until_) {
    constexpr std::chrono::seconds kTtl{3600};
    auto token = hc::auth::Mint({.algorithm = "HS256",
                                 .key = options_.jwt.key,
                                 .issuer = options_.jwt.issuer,
                                 .subject = "events",
                                 .roles = {std::string(hc::auth::kRoleService)},
                                 .ttl = kTtl});
    if (!token.ok()) return token.status();
    minted_ = *token;
    minted_until_ = now + kTtl - std::chrono::minutes(5);
  }
  return minted_;
}

absl::StatusOr<std::map<std::string, std::string>> MembershipNames::Visible(
    const std::vector<std::string>& member_ids) {
  std::map<std::string, std::string> visible;
  if (member_ids.empty()) return visible;
  HC_ASSIGN_OR_RETURN(std::string token, Token());
  pb::GetDisplayNamesRequest request;
  for (const auto& id : member_ids) request.add_member_ids(id);
  pb::GetDisplayNamesResponse response;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + options_.deadline);
  ctx.AddMetadata("authorization", "Bearer " + token);
  grpc::Status status = stub_->GetDisplayNames(&ctx, request, &response);
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

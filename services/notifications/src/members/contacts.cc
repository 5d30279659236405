#include "services/notifications/src/members/contacts.h"

namespace notifications::members {

namespace mpb = alumni::membership::v1;

MembershipContacts::MembershipContacts(std::shared_ptr<grpc::Channel> channel,
                                       hc::grpc_client::ServiceToken::Options token,
                                       std::chrono::milliseconds deadline,
                                       hc::metrics::GrpcClientMetrics* metrics)
    : stub_(mpb::MembershipService::NewStub(std::move(channel))),
      token_(std::move(token)),
      deadline_(deadline),
      metrics_(metrics) {}

absl::StatusOr<Contact> MembershipContacts::Get(const std::string& member_id,
                                                const std::string& purpose) {
  auto token = token_.Get();
  if (!token.ok()) return absl::UnavailableError("no service identity for membership");
  mpb::GetContactRequest request;
  request.set_member_id(member_id);
  request.set_purpose(purpose);
  mpb::GetContactResponse response;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + deadline_);
  ctx.AddMetadata("authorization", "Bearer " + *token);
  const grpc::Status status =
      hc::grpc_client::Observed(metrics_, mpb::MembershipService::service_full_name(), "GetContact",
                                [&] { return stub_->GetContact(&ctx, request, &response); });
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    return absl::NotFoundError("membership has no such member");
  }
  if (!status.ok()) {
    // Only the code: membership's message could in principle echo the request.
    return absl::UnavailableError("membership GetContact failed: " +
                                  std::to_string(static_cast<int>(status.error_code())));
  }
  Contact contact;
  contact.display_name = response.display_name();
  contact.time_zone = response.time_zone();
  for (const auto& point : response.contact_points()) {
    if (!point.consent_granted()) continue;
    if (point.channel() == mpb::CONTACT_CHANNEL_EMAIL) contact.email = point.address();
    if (point.channel() == mpb::CONTACT_CHANNEL_SMS) contact.phone = point.address();
  }
  return contact;
}

}  // namespace notifications::members

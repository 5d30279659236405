#pragma once

#include <chrono>
#include <functional>

#include "alumni/membership/v1/membership_service.grpc.pb.h"
#include "libs/crypto/crypto.h"
#include "libs/grpc/server.h"
#include "libs/redis/cache.h"
#include "services/membership/src/domain/member.h"
#include "services/membership/src/storage/member_store.h"

namespace membership::api {

// The gRPC adapter: proto <-> domain, authorisation, validation, caching of GetMember.
// GetMember is registered raw: a cache hit is answered as the opened bytes, less what the caller
// may not see (UnaryRunner::RunRaw).
class MembershipService final
    : public alumni::membership::v1::MembershipService::WithRawCallbackMethod_GetMember<
          alumni::membership::v1::MembershipService::CallbackService> {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  MembershipService(hc::grpc_server::UnaryRunner& runner, storage::MemberStore& store,
                    hc::redis::Cache& cache, const hc::crypto::DataKeys& keys,
                    const domain::TimeZoneCatalog& zones, std::chrono::seconds cache_ttl,
                    Clock clock);

  grpc::ServerUnaryReactor* RegisterMember(
      grpc::CallbackServerContext* ctx, const alumni::membership::v1::RegisterMemberRequest* req,
      alumni::membership::v1::RegisterMemberResponse* resp) override;
  grpc::ServerUnaryReactor* GetMember(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                      grpc::ByteBuffer* resp) override;
  grpc::ServerUnaryReactor* UpdateProfile(
      grpc::CallbackServerContext* ctx, const alumni::membership::v1::UpdateProfileRequest* req,
      alumni::membership::v1::UpdateProfileResponse* resp) override;
  grpc::ServerUnaryReactor* UpdatePrivacy(
      grpc::CallbackServerContext* ctx, const alumni::membership::v1::UpdatePrivacyRequest* req,
      alumni::membership::v1::UpdatePrivacyResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateConsent(
      grpc::CallbackServerContext* ctx, const alumni::membership::v1::UpdateConsentRequest* req,
      alumni::membership::v1::UpdateConsentResponse* resp) override;
  grpc::ServerUnaryReactor* SearchDirectory(
      grpc::CallbackServerContext* ctx, const alumni::membership::v1::SearchDirectoryRequest* req,
      alumni::membership::v1::SearchDirectoryResponse* resp) override;
  grpc::ServerUnaryReactor* AssignRole(grpc::CallbackServerContext* ctx,
                                       const alumni::membership::v1::AssignRoleRequest* req,
                                       alumni::membership::v1::AssignRoleResponse* resp) override;
  grpc::ServerUnaryReactor* RevokeRole(grpc::CallbackServerContext* ctx,
                                       const alumni::membership::v1::RevokeRoleRequest* req,
                                       alumni::membership::v1::RevokeRoleResponse* resp) override;
  grpc::ServerUnaryReactor* DeleteMember(
      grpc::CallbackServerContext* ctx, const alumni::membership::v1::DeleteMemberRequest* req,
      alumni::membership::v1::DeleteMemberResponse* resp) override;
  grpc::ServerUnaryReactor* ListDisclosures(
      grpc::CallbackServerContext* ctx, const alumni::membership::v1::ListDisclosuresRequest* req,
      alumni::membership::v1::ListDisclosuresResponse* resp) override;
  grpc::ServerUnaryReactor* ListInterestTags(
      grpc::CallbackServerContext* ctx, const alumni::membership::v1::ListInterestTagsRequest* req,
      alumni::membership::v1::ListInterestTagsResponse* resp) override;
  grpc::ServerUnaryReactor* AddInterestTag(
      grpc::CallbackServerContext* ctx, const alumni::membership::v1::AddInterestTagRequest* req,
      alumni::membership::v1::AddInterestTagResponse* resp) override;
  grpc::ServerUnaryReactor* RetireInterestTag(
      grpc::CallbackServerContext* ctx, const alumni::membership::v1::RetireInterestTagRequest* req,
      alumni::membership::v1::RetireInterestTagResponse* resp) override;
  grpc::ServerUnaryReactor* GetContact(grpc::CallbackServerContext* ctx,
                                       const alumni::membership::v1::GetContactRequest* req,
                                       alumni::membership::v1::GetContactResponse* resp) override;
  grpc::ServerUnaryReactor* GetDisplayNames(
      grpc::CallbackServerContext* ctx, const alumni::membership::v1::GetDisplayNamesRequest* req,
      alumni::membership::v1::GetDisplayNamesResponse* resp) override;
  grpc::ServerUnaryReactor* ResolveSignIn(
      grpc::CallbackServerContext* ctx, const alumni::membership::v1::ResolveSignInRequest* req,
      alumni::membership::v1::ResolveSignInResponse* resp) override;
  grpc::ServerUnaryReactor* CheckEligibility(
      grpc::CallbackServerContext* ctx, const alumni::membership::v1::CheckEligibilityRequest* req,
      alumni::membership::v1::CheckEligibilityResponse* resp) override;

  // The Redis key of a member's cached profile: the id only, never personal data.
  static std::string CacheKey(const std::string& member_id);

  // The services allowed to call each internal RPC (the token's subject, role "service").
  static constexpr std::string_view kGetContactCallers[] = {"notifications"};
  static constexpr std::string_view kCheckEligibilityCallers[] = {"volunteering"};
  static constexpr std::string_view kGetDisplayNamesCallers[] = {"events", "volunteering"};
  static constexpr std::string_view kResolveSignInCallers[] = {"edge"};

 private:
  // PERMISSION_DENIED unless `caller` is one of the `allowed` services; a refusal is audited
  // against every member the call named.
  absl::Status RequireCaller(const hc::auth::Principal& caller,
                             std::span<const std::string_view> allowed,
                             const std::vector<std::string>& member_ids, const char* rpc);
  absl::Status DoRegister(const hc::auth::Principal& caller,
                          const alumni::membership::v1::RegisterMemberRequest& req,
                          alumni::membership::v1::RegisterMemberResponse& resp);
  // On gRPC's thread (UnaryRunner::RunRaw): answers a cache hit with the GetMemberResponse's
  // bytes in `bytes`, or says no (false); DoGet then runs on the pool as if nothing had been
  // tried.
  bool FastGet(const hc::auth::Principal& caller,
               const alumni::membership::v1::GetMemberRequest& req, std::string& bytes);
  absl::Status DoGet(const hc::auth::Principal& caller,
                     const alumni::membership::v1::GetMemberRequest& req,
                     alumni::membership::v1::GetMemberResponse& resp);
  absl::Status DoUpdate(const hc::auth::Principal& caller,
                        const alumni::membership::v1::UpdateProfileRequest& req,
                        alumni::membership::v1::UpdateProfileResponse& resp);
  absl::Status DoUpdatePrivacy(const hc::auth::Principal& caller,
                               const alumni::membership::v1::UpdatePrivacyRequest& req,
                               alumni::membership::v1::UpdatePrivacyResponse& resp);
  absl::Status DoUpdateConsent(const hc::auth::Principal& caller,
                               const alumni::membership::v1::UpdateConsentRequest& req,
                               alumni::membership::v1::UpdateConsentResponse& resp);
  absl::Status DoSearch(const hc::auth::Principal& caller,
                        const alumni::membership::v1::SearchDirectoryRequest& req,
                        alumni::membership::v1::SearchDirectoryResponse& resp);
  absl::Status DoChangeRole(const hc::auth::Principal& caller, const std::string& member_id,
                            int role, bool assign, google::protobuf::RepeatedField<int>& roles_out);
  absl::Status DoDelete(const hc::auth::Principal& caller,
                        const alumni::membership::v1::DeleteMemberRequest& req);
  absl::Status DoListDisclosures(const hc::auth::Principal& caller,
                                 const alumni::membership::v1::ListDisclosuresRequest& req,
                                 alumni::membership::v1::ListDisclosuresResponse& resp);
  absl::Status DoListInterestTags(const hc::auth::Principal& caller,
                                  alumni::membership::v1::ListInterestTagsResponse& resp);
  absl::Status DoChangeInterestTag(const hc::auth::Principal& caller, const std::string& tag,
                                   bool add);
  absl::Status DoGetContact(const hc::auth::Principal& caller,
                            const alumni::membership::v1::GetContactRequest& req,
                            alumni::membership::v1::GetContactResponse& resp);
  absl::Status DoGetDisplayNames(const hc::auth::Principal& caller,
                                 const alumni::membership::v1::GetDisplayNamesRequest& req,
                                 alumni::membership::v1::GetDisplayNamesResponse& resp);
  absl::Status DoResolveSignIn(const hc::auth::Principal& caller,
                               const alumni::membership::v1::ResolveSignInRequest& req,
                               alumni::membership::v1::ResolveSignInResponse& resp);
  absl::Status DoCheckEligibility(const hc::auth::Principal& caller,
                                  const alumni::membership::v1::CheckEligibilityRequest& req,
                                  alumni::membership::v1::CheckEligibilityResponse& resp);

  hc::grpc_server::UnaryRunner& runner_;
  storage::MemberStore& store_;
  hc::redis::Cache& cache_;
  const hc::crypto::DataKeys& keys_;
  const domain::TimeZoneCatalog& zones_;
  std::chrono::seconds cache_ttl_;
  Clock clock_;
};

}  // namespace membership::api

#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>

#include "alumni/volunteering/v1/volunteering_service.grpc.pb.h"
#include "libs/grpc/server.h"
#include "libs/redis/cache.h"
#include "services/volunteering/src/domain/volunteering.h"
#include "services/volunteering/src/members/catalogue.h"
#include "services/volunteering/src/members/eligibility.h"
#include "services/volunteering/src/members/names.h"
#include "services/volunteering/src/storage/hours_store.h"
#include "services/volunteering/src/storage/role_store.h"

namespace volunteering::api {

namespace pb = alumni::volunteering::v1;

// The gRPC adapter: proto <-> domain, authorisation, validation, caching of GetRole/ListRoles.
// ListRoles and GetRole are registered raw (request and response as bytes) so a cached page or
// role is answered as the bytes the cache holds (UnaryRunner::RunRaw).
class VolunteeringService final : public pb::VolunteeringService::WithRawCallbackMethod_ListRoles<
                                      pb::VolunteeringService::WithRawCallbackMethod_GetRole<
                                          pb::VolunteeringService::CallbackService>> {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  struct Options {
    std::chrono::seconds cache_ttl{30};
    // Withdrawals close this long before a shift starts.
    std::chrono::minutes withdraw_cutoff{24 * 60};
    // How long this process reuses the listing generation it read from Redis (one Redis round
    // trip per ListRoles instead of two). Its own changes drop it at once; another replica's
    // changes show in its listings at most this late. Zero: read it every time.
    std::chrono::milliseconds list_generation_reuse{1000};
  };

  VolunteeringService(hc::grpc_server::UnaryRunner& runner, storage::RoleStore& store,
                      storage::HoursStore& hours, hc::redis::Cache& cache,
                      const domain::TimeZoneCatalog& zones, members::Eligibility& eligibility,
                      members::DisplayNames& names, members::InterestCatalogue& catalogue,
                      Options options, Clock clock);

  grpc::ServerUnaryReactor* PostRole(grpc::CallbackServerContext* ctx,
                                     const pb::PostRoleRequest* req,
                                     pb::PostRoleResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateRole(grpc::CallbackServerContext* ctx,
                                       const pb::UpdateRoleRequest* req,
                                       pb::UpdateRoleResponse* resp) override;
  grpc::ServerUnaryReactor* CloseRole(grpc::CallbackServerContext* ctx,
                                      const pb::CloseRoleRequest* req,
                                      pb::CloseRoleResponse* resp) override;
  grpc::ServerUnaryReactor* GetRole(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                    grpc::ByteBuffer* resp) override;
  grpc::ServerUnaryReactor* ListRoles(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                      grpc::ByteBuffer* resp) override;
  grpc::ServerUnaryReactor* AddShift(grpc::CallbackServerContext* ctx,
                                     const pb::AddShiftRequest* req,
                                     pb::AddShiftResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateShift(grpc::CallbackServerContext* ctx,
                                        const pb::UpdateShiftRequest* req,
                                        pb::UpdateShiftResponse* resp) override;
  grpc::ServerUnaryReactor* CancelShift(grpc::CallbackServerContext* ctx,
                                        const pb::CancelShiftRequest* req,
                                        pb::CancelShiftResponse* resp) override;
  grpc::ServerUnaryReactor* SignUp(grpc::CallbackServerContext* ctx, const pb::SignUpRequest* req,
                                   pb::SignUpResponse* resp) override;
  grpc::ServerUnaryReactor* Withdraw(grpc::CallbackServerContext* ctx,
                                     const pb::WithdrawRequest* req,
                                     pb::WithdrawResponse* resp) override;
  grpc::ServerUnaryReactor* ListMySignups(grpc::CallbackServerContext* ctx,
                                          const pb::ListMySignupsRequest* req,
                                          pb::ListMySignupsResponse* resp) override;
  grpc::ServerUnaryReactor* ApproveSignup(grpc::CallbackServerContext* ctx,
                                          const pb::ApproveSignupRequest* req,
                                          pb::ApproveSignupResponse* resp) override;
  grpc::ServerUnaryReactor* DeclineSignup(grpc::CallbackServerContext* ctx,
                                          const pb::DeclineSignupRequest* req,
                                          pb::DeclineSignupResponse* resp) override;
  grpc::ServerUnaryReactor* ListVolunteers(grpc::CallbackServerContext* ctx,
                                           const pb::ListVolunteersRequest* req,
                                           pb::ListVolunteersResponse* resp) override;
  // Hours and the thank-you board (defined in hours_rpcs.cc).
  grpc::ServerUnaryReactor* LogHours(grpc::CallbackServerContext* ctx,
                                     const pb::LogHoursRequest* req,
                                     pb::LogHoursResponse* resp) override;
  grpc::ServerUnaryReactor* ApproveHours(grpc::CallbackServerContext* ctx,
                                         const pb::ReviewHoursRequest* req,
                                         pb::ReviewHoursResponse* resp) override;
  grpc::ServerUnaryReactor* RejectHours(grpc::CallbackServerContext* ctx,
                                        const pb::ReviewHoursRequest* req,
                                        pb::ReviewHoursResponse* resp) override;
  grpc::ServerUnaryReactor* ListHours(grpc::CallbackServerContext* ctx,
                                      const pb::ListHoursRequest* req,
                                      pb::ListHoursResponse* resp) override;
  grpc::ServerUnaryReactor* GetVolunteerSummary(grpc::CallbackServerContext* ctx,
                                                const pb::GetVolunteerSummaryRequest* req,
                                                pb::GetVolunteerSummaryResponse* resp) override;
  grpc::ServerUnaryReactor* SetThankYouBoard(grpc::CallbackServerContext* ctx,
                                             const pb::SetThankYouBoardRequest* req,
                                             pb::SetThankYouBoardResponse* resp) override;
  grpc::ServerUnaryReactor* ListThankYouBoard(grpc::CallbackServerContext* ctx,
                                              const pb::ListThankYouBoardRequest* req,
                                              pb::ListThankYouBoardResponse* resp) override;

  // Drops the cached reads a change of `role_id` made stale (after its commit).
  void Invalidate(const std::string& role_id);

 private:
  absl::Status DoPost(const hc::auth::Principal& caller, const pb::PostRoleRequest& req,
                      pb::PostRoleResponse& resp);
  absl::Status DoUpdate(const hc::auth::Principal& caller, const pb::UpdateRoleRequest& req,
                        pb::UpdateRoleResponse& resp);
  absl::Status DoClose(const hc::auth::Principal& caller, const pb::CloseRoleRequest& req,
                       pb::CloseRoleResponse& resp);
  // A ListRoles request, checked: what to read and the cache key's parts.
  struct RoleListing {
    storage::RoleFilter filter;
    int page_size = 0;
    std::optional<std::string> after;
    std::string filters;  // the fingerprint page tokens carry
    std::string Key(const std::string& generation, const std::string& page_token) const;
  };
  static absl::StatusOr<RoleListing> PlanList(const pb::ListRolesRequest& req);
  // Fast steps (UnaryRunner::Run): on gRPC's thread, answer a cache hit or say no (false);
  // the Do* method behind each then runs on the pool as if nothing had been tried.
  // FastGet and FastList answer with the cached role's or page's bytes as they are (`bytes`),
  // not parsed.
  bool FastGet(const pb::GetRoleRequest& req, std::string& bytes);
  bool FastList(const pb::ListRolesRequest& req, std::string& bytes);
  absl::Status DoGet(const hc::auth::Principal& caller, const pb::GetRoleRequest& req,
                     pb::GetRoleResponse& resp);
  absl::Status DoList(const hc::auth::Principal& caller, const pb::ListRolesRequest& req,
                      pb::ListRolesResponse& resp);
  absl::Status DoAddShift(const hc::auth::Principal& caller, const pb::AddShiftRequest& req,
                          pb::AddShiftResponse& resp);
  absl::Status DoUpdateShift(const hc::auth::Principal& caller, const pb::UpdateShiftRequest& req,
                             pb::UpdateShiftResponse& resp);
  absl::Status DoCancelShift(const hc::auth::Principal& caller, const pb::CancelShiftRequest& req,
                             pb::CancelShiftResponse& resp);
  absl::Status DoSignUp(const hc::auth::Principal& caller, const pb::SignUpRequest& req,
                        pb::SignUpResponse& resp);
  absl::Status DoWithdraw(const hc::auth::Principal& caller, const pb::WithdrawRequest& req,
                          pb::WithdrawResponse& resp);
  absl::Status DoListMine(const hc::auth::Principal& caller, const pb::ListMySignupsRequest& req,
                          pb::ListMySignupsResponse& resp);
  // Approve (true) or decline a pending sign-up.
  absl::Status DoReview(const hc::auth::Principal& caller, const std::string& shift_id,
                        const std::string& member_id, bool approve, pb::Signup& out);
  absl::Status DoListVolunteers(const hc::auth::Principal& caller,
                                const pb::ListVolunteersRequest& req,
                                pb::ListVolunteersResponse& resp);
  absl::Status DoLogHours(const hc::auth::Principal& caller, const pb::LogHoursRequest& req,
                          pb::LogHoursResponse& resp);
  absl::Status DoReviewHours(const hc::auth::Principal& caller, const pb::ReviewHoursRequest& req,
                             domain::HoursDecision decision, pb::ReviewHoursResponse& resp);
  absl::Status DoListHours(const hc::auth::Principal& caller, const pb::ListHoursRequest& req,
                           pb::ListHoursResponse& resp);
  absl::Status DoSummary(const hc::auth::Principal& caller,
                         const pb::GetVolunteerSummaryRequest& req,
                         pb::GetVolunteerSummaryResponse& resp);
  absl::Status DoSetBoard(const hc::auth::Principal& caller, const pb::SetThankYouBoardRequest& req,
                          pb::SetThankYouBoardResponse& resp);
  absl::Status DoListBoard(const hc::auth::Principal& caller,
                           const pb::ListThankYouBoardRequest& req,
                           pb::ListThankYouBoardResponse& resp);
  domain::Time Now() const;

  hc::grpc_server::UnaryRunner& runner_;
  storage::RoleStore& store_;
  storage::HoursStore& hours_;
  hc::redis::Cache& cache_;
  const domain::TimeZoneCatalog& zones_;
  members::Eligibility& eligibility_;
  members::DisplayNames& names_;
  // Membership's interest tags, which a role's new tags must be among.
  members::InterestCatalogue& catalogue_;
  Options options_;
  Clock clock_;
  // The listing generation as last read (see Options::list_generation_reuse). `epoch` counts
  // this process's invalidations: a generation read before one of them is never kept.
  absl::StatusOr<std::string> ListGeneration();
  std::mutex generation_mu_;
  std::string generation_;                                 // guarded by generation_mu_
  std::chrono::steady_clock::time_point generation_at_{};  // guarded by generation_mu_
  uint64_t generation_epoch_ = 0;                          // guarded by generation_mu_
};

}  // namespace volunteering::api

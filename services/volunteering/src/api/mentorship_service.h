#pragma once

#include <chrono>
#include <functional>

#include "alumni/volunteering/v1/mentorship_service.grpc.pb.h"
#include "libs/grpc/server.h"
#include "libs/tz/time_zones.h"
#include "services/volunteering/src/members/eligibility.h"
#include "services/volunteering/src/members/names.h"
#include "services/volunteering/src/storage/mentorship_store.h"

namespace volunteering::api {

namespace pb = alumni::volunteering::v1;

// The gRPC adapter of peer mentorship: proto <-> domain, authorisation (a member acts only on
// their own profile, requests and matches), validation naming the field.
class MentorshipService final : public pb::MentorshipService::CallbackService {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  struct Options {
    // How long a chosen mentor has to answer (HC_MENTOR_RESPONSE_HOURS).
    std::chrono::hours response_window{72};
  };

  MentorshipService(hc::grpc_server::UnaryRunner& runner, storage::MentorshipStore& store,
                    const hc::tz::SystemTimeZones& zones, members::Eligibility& eligibility,
                    members::DisplayNames& names, Options options, Clock clock);

  grpc::ServerUnaryReactor* UpsertMentorProfile(grpc::CallbackServerContext* ctx,
                                                const pb::UpsertMentorProfileRequest* req,
                                                pb::UpsertMentorProfileResponse* resp) override;
  grpc::ServerUnaryReactor* GetMentorProfile(grpc::CallbackServerContext* ctx,
                                             const pb::GetMentorProfileRequest* req,
                                             pb::GetMentorProfileResponse* resp) override;
  grpc::ServerUnaryReactor* RequestMentor(grpc::CallbackServerContext* ctx,
                                          const pb::RequestMentorRequest* req,
                                          pb::RequestMentorResponse* resp) override;
  grpc::ServerUnaryReactor* ChooseMentor(grpc::CallbackServerContext* ctx,
                                         const pb::ChooseMentorRequest* req,
                                         pb::ChooseMentorResponse* resp) override;
  grpc::ServerUnaryReactor* RespondToRequest(grpc::CallbackServerContext* ctx,
                                             const pb::RespondToRequestRequest* req,
                                             pb::RespondToRequestResponse* resp) override;
  grpc::ServerUnaryReactor* GetMyMentorship(grpc::CallbackServerContext* ctx,
                                            const pb::GetMyMentorshipRequest* req,
                                            pb::GetMyMentorshipResponse* resp) override;
  grpc::ServerUnaryReactor* EndMentorship(grpc::CallbackServerContext* ctx,
                                          const pb::EndMentorshipRequest* req,
                                          pb::EndMentorshipResponse* resp) override;
  grpc::ServerUnaryReactor* LogCheckIn(grpc::CallbackServerContext* ctx,
                                       const pb::LogCheckInRequest* req,
                                       pb::LogCheckInResponse* resp) override;
  grpc::ServerUnaryReactor* ListCheckIns(grpc::CallbackServerContext* ctx,
                                         const pb::ListCheckInsRequest* req,
                                         pb::ListCheckInsResponse* resp) override;
  grpc::ServerUnaryReactor* ReportConcern(grpc::CallbackServerContext* ctx,
                                          const pb::ReportConcernRequest* req,
                                          pb::ReportConcernResponse* resp) override;
  grpc::ServerUnaryReactor* GetMentorshipOverview(grpc::CallbackServerContext* ctx,
                                                  const pb::GetMentorshipOverviewRequest* req,
                                                  pb::GetMentorshipOverviewResponse* resp) override;

 private:
  absl::Status DoLogCheckIn(const hc::auth::Principal& caller, const pb::LogCheckInRequest& req,
                            pb::LogCheckInResponse& resp);
  absl::Status DoListCheckIns(const hc::auth::Principal& caller, const pb::ListCheckInsRequest& req,
                              pb::ListCheckInsResponse& resp);
  absl::Status DoReportConcern(const hc::auth::Principal& caller,
                               const pb::ReportConcernRequest& req,
                               pb::ReportConcernResponse& resp);
  absl::Status DoOverview(const hc::auth::Principal& caller,
                          const pb::GetMentorshipOverviewRequest& req,
                          pb::GetMentorshipOverviewResponse& resp);
  absl::Status DoUpsert(const hc::auth::Principal& caller,
                        const pb::UpsertMentorProfileRequest& req,
                        pb::UpsertMentorProfileResponse& resp);
  absl::Status DoGetProfile(const hc::auth::Principal& caller, const pb::GetMentorProfileRequest&,
                            pb::GetMentorProfileResponse& resp);
  absl::Status DoRequest(const hc::auth::Principal& caller, const pb::RequestMentorRequest& req,
                         pb::RequestMentorResponse& resp);
  absl::Status DoChoose(const hc::auth::Principal& caller, const pb::ChooseMentorRequest& req,
                        pb::ChooseMentorResponse& resp);
  absl::Status DoRespond(const hc::auth::Principal& caller, const pb::RespondToRequestRequest& req,
                         pb::RespondToRequestResponse& resp);
  absl::Status DoMine(const hc::auth::Principal& caller, const pb::GetMyMentorshipRequest&,
                      pb::GetMyMentorshipResponse& resp);
  absl::Status DoEnd(const hc::auth::Principal& caller, const pb::EndMentorshipRequest& req,
                     pb::EndMentorshipResponse& resp);
  absl::Time Now() const;

  hc::grpc_server::UnaryRunner& runner_;
  storage::MentorshipStore& store_;
  const hc::tz::SystemTimeZones& zones_;
  members::Eligibility& eligibility_;
  members::DisplayNames& names_;
  Options options_;
  Clock clock_;
};

}  // namespace volunteering::api

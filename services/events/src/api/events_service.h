#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "alumni/events/v1/events_service.grpc.pb.h"
#include "libs/grpc/server.h"
#include "libs/redis/cache.h"
#include "libs/tz/time_zones.h"
#include "services/events/src/domain/calendar.h"
#include "services/events/src/domain/event.h"
#include "services/events/src/members/member_names.h"
#include "services/events/src/storage/event_store.h"

namespace events::api {

namespace pb = alumni::events::v1;

// The gRPC adapter: proto <-> domain, authorisation, validation, caching of event reads.
// ListEvents and GetEvent are registered raw (request and response as bytes) so a cached page
// or event is answered as the bytes the cache holds (UnaryRunner::RunRaw).
class EventsService final
    : public pb::EventsService::WithRawCallbackMethod_ListEvents<
          pb::EventsService::WithRawCallbackMethod_GetEvent<pb::EventsService::CallbackService>> {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  EventsService(hc::grpc_server::UnaryRunner& runner, storage::EventStore& store,
                hc::redis::Cache& cache, const hc::tz::SystemTimeZones& zones,
                members::MemberNames& names, std::chrono::seconds cache_ttl, Clock clock,
                domain::CalendarOptions calendar = {});

  grpc::ServerUnaryReactor* CreateEvent(grpc::CallbackServerContext* ctx,
                                        const pb::CreateEventRequest* req,
                                        pb::CreateEventResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateEvent(grpc::CallbackServerContext* ctx,
                                        const pb::UpdateEventRequest* req,
                                        pb::UpdateEventResponse* resp) override;
  grpc::ServerUnaryReactor* CancelEvent(grpc::CallbackServerContext* ctx,
                                        const pb::CancelEventRequest* req,
                                        pb::CancelEventResponse* resp) override;
  grpc::ServerUnaryReactor* CancelSeries(grpc::CallbackServerContext* ctx,
                                         const pb::CancelSeriesRequest* req,
                                         pb::CancelSeriesResponse* resp) override;
  grpc::ServerUnaryReactor* ListEvents(grpc::CallbackServerContext* ctx,
                                       const grpc::ByteBuffer* req,
                                       grpc::ByteBuffer* resp) override;
  grpc::ServerUnaryReactor* ListMyRsvps(grpc::CallbackServerContext* ctx,
                                        const pb::ListMyRsvpsRequest* req,
                                        pb::ListMyRsvpsResponse* resp) override;
  grpc::ServerUnaryReactor* ListAttendees(grpc::CallbackServerContext* ctx,
                                          const pb::ListAttendeesRequest* req,
                                          pb::ListAttendeesResponse* resp) override;
  grpc::ServerUnaryReactor* CheckIn(grpc::CallbackServerContext* ctx, const pb::CheckInRequest* req,
                                    pb::CheckInResponse* resp) override;
  grpc::ServerUnaryReactor* ExportCalendar(grpc::CallbackServerContext* ctx,
                                           const pb::ExportCalendarRequest* req,
                                           pb::ExportCalendarResponse* resp) override;
  grpc::ServerUnaryReactor* GetEvent(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                     grpc::ByteBuffer* resp) override;
  grpc::ServerUnaryReactor* Rsvp(grpc::CallbackServerContext* ctx, const pb::RsvpRequest* req,
                                 pb::RsvpResponse* resp) override;
  grpc::ServerUnaryReactor* CancelRsvp(grpc::CallbackServerContext* ctx,
                                       const pb::CancelRsvpRequest* req,
                                       pb::CancelRsvpResponse* resp) override;

  // Drops the cached reads of an event and every cached listing. Call it after a commit that
  // changed the event or its counts: before the commit, a concurrent reader could cache the
  // old counts again at once.
  void Invalidate(const std::string& event_id);

  // Redis key of an event's cached read: its id only.
  static std::string EventCacheKey(const std::string& event_id);
  // Redis key of the generation of cached listings. Every change to any event or its counts
  // drops it; listings are cached under the current generation, so a change retires them all.
  // The most events one calendar export holds (soonest first): with the longest texts that is
  // under a megabyte, within HC_MAX_MESSAGE_BYTES.
  static constexpr int kMaxCalendarEvents = 40;
  static constexpr char kListGenerationKey[] = "events:list:v1:generation";

 private:
  absl::Status DoCreate(const hc::auth::Principal& caller, const pb::CreateEventRequest& req,
                        pb::CreateEventResponse& resp);
  absl::Status DoUpdate(const hc::auth::Principal& caller, const pb::UpdateEventRequest& req,
                        pb::UpdateEventResponse& resp);
  absl::Status DoCancel(const hc::auth::Principal& caller, const pb::CancelEventRequest& req,
                        pb::CancelEventResponse& resp);
  absl::Status DoCancelSeries(const hc::auth::Principal& caller, const pb::CancelSeriesRequest& req,
                              pb::CancelSeriesResponse& resp);
  absl::Status DoList(const hc::auth::Principal& caller, const pb::ListEventsRequest& req,
                      pb::ListEventsResponse& resp);
  absl::Status DoListMyRsvps(const hc::auth::Principal& caller, const pb::ListMyRsvpsRequest& req,
                             pb::ListMyRsvpsResponse& resp);
  absl::Status DoListAttendees(const hc::auth::Principal& caller,
                               const pb::ListAttendeesRequest& req,
                               pb::ListAttendeesResponse& resp);
  absl::Status DoCheckIn(const hc::auth::Principal& caller, const pb::CheckInRequest& req,
                         pb::CheckInResponse& resp);
  absl::Status DoExport(const hc::auth::Principal& caller, const pb::ExportCalendarRequest& req,
                        pb::ExportCalendarResponse& resp);
  // A ListEvents request, checked: what to read and the cache key's parts.
  struct EventListing {
    storage::EventQuery query;
    std::string filters;  // the fingerprint page tokens carry
    std::string Key(const std::string& generation, const std::string& page_token) const;
  };
  absl::StatusOr<EventListing> PlanList(const hc::auth::Principal& caller,
                                        const pb::ListEventsRequest& req) const;
  // Fast steps (UnaryRunner::Run): on gRPC's thread, answer a cache hit or say no (false);
  // the Do* method behind each then runs on the pool as if nothing had been tried.
  // FastGet and FastList answer with the cached event's or page's bytes as they are
  // (`bytes`), not parsed.
  bool FastGet(const pb::GetEventRequest& req, std::string& bytes);
  bool FastList(const hc::auth::Principal& caller, const pb::ListEventsRequest& req,
                std::string& bytes);
  absl::Status DoGet(const hc::auth::Principal& caller, const pb::GetEventRequest& req,
                     pb::GetEventResponse& resp);
  absl::Status DoRsvp(const hc::auth::Principal& caller, const pb::RsvpRequest& req,
                      pb::RsvpResponse& resp);
  absl::Status DoCancelRsvp(const hc::auth::Principal& caller, const pb::CancelRsvpRequest& req,
                            pb::CancelRsvpResponse& resp);

  domain::Time Now() const;

  hc::grpc_server::UnaryRunner& runner_;
  storage::EventStore& store_;
  hc::redis::Cache& cache_;
  const hc::tz::SystemTimeZones& zones_;
  members::MemberNames& names_;
  std::chrono::seconds cache_ttl_;
  Clock clock_;
  domain::CalendarOptions calendar_;
};

}  // namespace events::api

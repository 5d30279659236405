#include "services/events/src/api/events_service.h"

#include <google/protobuf/util/time_util.h>

#include "libs/status/status.h"
#include "services/events/src/api/convert.h"

namespace events::api {

EventsService::EventsService(hc::grpc_server::UnaryRunner& runner, storage::EventStore& store,
                             hc::redis::Cache& cache, const domain::TimeZoneCatalog& zones,
                             std::chrono::seconds cache_ttl, Clock clock)
    : runner_(runner),
      store_(store),
      cache_(cache),
      zones_(zones),
      cache_ttl_(cache_ttl),
      clock_(std::move(clock)) {}

std::string EventsService::EventCacheKey(const std::string& event_id) {
  return "events:event:v1:" + event_id;
}

domain::Time EventsService::Now() const {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(clock_());
}

void EventsService::Invalidate(const std::string& event_id) {
  cache_.Invalidate(EventCacheKey(event_id));
}

#define HC_EVENTS_RPC(Method, Handler)                                                    \
  grpc::ServerUnaryReactor* EventsService::Method(grpc::CallbackServerContext* ctx,       \
                                                  const pb::Method##Request* req,         \
                                                  pb::Method##Response* resp) {           \
    return runner_.Run(ctx, #Method, req, resp,                                           \
                       [this](const auto& caller, const auto& rq, auto& rs) {             \
                         return Handler(caller, rq, rs);                                  \
                       });                                                                \
  }

HC_EVENTS_RPC(CreateEvent, DoCreate)
HC_EVENTS_RPC(GetEvent, DoGet)
HC_EVENTS_RPC(Rsvp, DoRsvp)
HC_EVENTS_RPC(CancelRsvp, DoCancelRsvp)

#undef HC_EVENTS_RPC

absl::Status EventsService::DoCreate(const hc::auth::Principal& caller,
                                     const pb::CreateEventRequest& req,
                                     pb::CreateEventResponse& resp) {
  HC_RETURN_IF_ERROR(domain::AuthorizeManage(caller));
  if (!req.has_event()) return hc::InvalidField("event", "is required");
  HC_ASSIGN_OR_RETURN(domain::EventDetails details, DetailsFromProto(req.event()));
  const domain::Time now = Now();
  HC_RETURN_IF_ERROR(domain::ValidateNewEvent(details, zones_, now));
  if (req.has_recurrence()) {
    return hc::InvalidField("recurrence", "recurring series are not supported yet");
  }
  HC_ASSIGN_OR_RETURN(std::vector<domain::Event> created,
                      store_.Create({details}, caller.subject, "", now));
  ToProto(created.front(), *resp.mutable_event());
  for (const auto& e : created) resp.add_event_ids(e.event_id);
  return absl::OkStatus();
}

absl::Status EventsService::DoGet(const hc::auth::Principal&, const pb::GetEventRequest& req,
                                  pb::GetEventResponse& resp) {
  HC_RETURN_IF_ERROR(CheckId("event_id", req.event_id()));
  HC_ASSIGN_OR_RETURN(std::string bytes,
                      cache_.GetOrLoad(EventCacheKey(req.event_id()), cache_ttl_,
                                       [&]() -> absl::StatusOr<std::string> {
                                         HC_ASSIGN_OR_RETURN(domain::Event e,
                                                             store_.Get(req.event_id()));
                                         pb::Event proto;
                                         ToProto(e, proto);
                                         return proto.SerializeAsString();
                                       }));
  if (!resp.mutable_event()->ParseFromString(bytes)) {
    return absl::InternalError("corrupt cache entry");
  }
  return absl::OkStatus();
}

absl::Status EventsService::DoRsvp(const hc::auth::Principal& caller, const pb::RsvpRequest& req,
                                   pb::RsvpResponse& resp) {
  HC_RETURN_IF_ERROR(CheckId("event_id", req.event_id()));
  HC_ASSIGN_OR_RETURN(std::string member_id, domain::MemberOf(caller));
  HC_ASSIGN_OR_RETURN(storage::RsvpResult result, store_.Rsvp(req.event_id(), member_id, Now()));
  if (result.changed) Invalidate(req.event_id());
  ToProto(result.rsvp, *resp.mutable_rsvp());
  return absl::OkStatus();
}

absl::Status EventsService::DoCancelRsvp(const hc::auth::Principal& caller,
                                         const pb::CancelRsvpRequest& req,
                                         pb::CancelRsvpResponse& resp) {
  HC_RETURN_IF_ERROR(CheckId("event_id", req.event_id()));
  HC_ASSIGN_OR_RETURN(std::string member_id, domain::MemberOf(caller));
  HC_ASSIGN_OR_RETURN(storage::RsvpResult result,
                      store_.CancelRsvp(req.event_id(), member_id, Now()));
  if (result.changed) Invalidate(req.event_id());
  ToProto(result.rsvp, *resp.mutable_rsvp());
  return absl::OkStatus();
}

}  // namespace events::api

#include "services/events/src/api/events_service.h"

#include <spdlog/spdlog.h>

#include <random>
#include <set>

#include "absl/strings/str_join.h"
#include "libs/fieldmask/field_mask.h"
#include "libs/ids/ids.h"
#include "libs/paging/paging.h"
#include "libs/status/status.h"
#include "services/events/src/api/convert.h"
#include "services/events/src/api/page_token.h"
#include "services/events/src/domain/recurrence.h"

namespace events::api {

EventsService::EventsService(hc::grpc_server::UnaryRunner& runner, storage::EventStore& store,
                             hc::redis::Cache& cache, const hc::tz::SystemTimeZones& zones,
                             members::MemberNames& names, std::chrono::seconds cache_ttl,
                             Clock clock, domain::CalendarOptions calendar)
    : runner_(runner),
      store_(store),
      cache_(cache),
      zones_(zones),
      names_(names),
      cache_ttl_(cache_ttl),
      clock_(std::move(clock)),
      calendar_(std::move(calendar)) {}

std::string EventsService::EventCacheKey(const std::string& event_id) {
  return "events:event:v1:" + hc::ids::Canonical(event_id);
}

domain::Time EventsService::Now() const {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(clock_());
}

void EventsService::Invalidate(const std::string& event_id) {
  cache_.Invalidate({EventCacheKey(event_id), kListGenerationKey});
}

namespace {

absl::StatusOr<domain::EventChanges> ChangesFromMask(const pb::UpdateEventRequest& req) {
  using hc::field_mask::Assign;
  const pb::EventDetails& d = req.event();
  domain::EventChanges c;
  auto time = [](const char* field, std::optional<domain::Time>& target, bool has,
                 const google::protobuf::Timestamp& value) -> hc::field_mask::Setter {
    return [field, &target, has, &value]() -> absl::Status {
      HC_ASSIGN_OR_RETURN(target, TimeFromProto(field, has, value));
      return absl::OkStatus();
    };
  };
  HC_RETURN_IF_ERROR(hc::field_mask::Apply(
      req.update_mask(),
      {{"title", Assign(c.title, d.title())},
       {"description", Assign(c.description, d.description())},
       {"kind", Assign(c.kind, static_cast<domain::EventKind>(d.kind()))},
       {"start_time", time("start_time", c.start, d.has_start_time(), d.start_time())},
       {"end_time", time("end_time", c.end, d.has_end_time(), d.end_time())},
       {"time_zone", Assign(c.time_zone, d.time_zone())},
       {"venue", Assign(c.venue, d.venue())},
       {"online_url", Assign(c.online_url, d.online_url())},
       {"capacity", Assign(c.capacity, d.capacity())},
       {"waitlist_enabled", Assign(c.waitlist_enabled, d.waitlist_enabled())},
       {"visibility", Assign(c.visibility, static_cast<domain::Visibility>(d.visibility()))}}));
  return c;
}

std::string RandomGeneration() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return std::to_string(rng());
}

}  // namespace

HC_UNARY_RPC(EventsService, CreateEvent, DoCreate(caller, rq, rs))
HC_UNARY_RPC(EventsService, UpdateEvent, DoUpdate(caller, rq, rs))
HC_UNARY_RPC(EventsService, CancelEvent, DoCancel(caller, rq, rs))
HC_UNARY_RPC(EventsService, CancelSeries, DoCancelSeries(caller, rq, rs))
HC_UNARY_RPC_RAW(EventsService, ListEvents, FastList(caller, rq, bytes), DoList(caller, rq, rs))
HC_UNARY_RPC(EventsService, ListMyRsvps, DoListMyRsvps(caller, rq, rs))
HC_UNARY_RPC(EventsService, ListAttendees, DoListAttendees(caller, rq, rs))
HC_UNARY_RPC(EventsService, CheckIn, DoCheckIn(caller, rq, rs))
HC_UNARY_RPC(EventsService, ExportCalendar, DoExport(caller, rq, rs))
HC_UNARY_RPC_RAW(EventsService, GetEvent, FastGet(rq, bytes), DoGet(caller, rq, rs))
HC_UNARY_RPC(EventsService, Rsvp, DoRsvp(caller, rq, rs))
HC_UNARY_RPC(EventsService, CancelRsvp, DoCancelRsvp(caller, rq, rs))

absl::Status EventsService::DoCreate(const hc::auth::Principal& caller,
                                     const pb::CreateEventRequest& req,
                                     pb::CreateEventResponse& resp) {
  HC_RETURN_IF_ERROR(domain::AuthorizeManage(caller));
  if (!req.has_event()) return hc::InvalidField("event", "is required");
  HC_ASSIGN_OR_RETURN(domain::EventDetails details, DetailsFromProto(req.event()));
  const domain::Time now = Now();
  HC_RETURN_IF_ERROR(domain::ValidateNewEvent(details, zones_, now));
  std::vector<domain::EventDetails> occurrences = {details};
  std::optional<domain::Recurrence> recurrence;
  if (req.has_recurrence()) {
    recurrence = domain::Recurrence{
        .frequency = static_cast<domain::Frequency>(req.recurrence().frequency()),
        .count = req.recurrence().count()};
    HC_RETURN_IF_ERROR(domain::ValidateRecurrence(*recurrence));
    auto zone = zones_.Load(details.time_zone);
    if (!zone) return hc::InvalidField("time_zone", "must be an IANA time zone");
    occurrences = domain::Occurrences(details, *recurrence, *zone);
    for (const auto& occurrence : occurrences) {
      if (absl::Status s = domain::ValidateNewEvent(occurrence, zones_, now); !s.ok()) {
        return hc::InvalidField("recurrence.count", "the series would end too far ahead (" +
                                                        std::string(s.message()) + ")");
      }
    }
  }
  HC_ASSIGN_OR_RETURN(
      std::vector<domain::Event> created,
      store_.Create(occurrences, recurrence, hc::ids::Canonical(caller.subject), now));
  // New events belong in listings at once.
  cache_.Invalidate(kListGenerationKey);
  ToProto(created.front(), *resp.mutable_event());
  resp.set_series_id(created.front().series_id);
  for (const auto& e : created) resp.add_event_ids(e.event_id);
  return absl::OkStatus();
}

absl::Status EventsService::DoCancelSeries(const hc::auth::Principal& caller,
                                           const pb::CancelSeriesRequest& req,
                                           pb::CancelSeriesResponse& resp) {
  HC_RETURN_IF_ERROR(domain::AuthorizeManage(caller));
  HC_RETURN_IF_ERROR(CheckId("series_id", req.series_id()));
  const domain::Time now = Now();
  domain::Time from = now;
  if (req.has_from()) {
    HC_ASSIGN_OR_RETURN(from, TimeFromProto("from", true, req.from()));
  }
  HC_ASSIGN_OR_RETURN(std::vector<std::string> cancelled,
                      store_.CancelSeries(req.series_id(), from, now));
  for (const auto& id : cancelled) {
    Invalidate(id);
    resp.add_cancelled_event_ids(id);
  }
  return absl::OkStatus();
}

absl::Status EventsService::DoUpdate(const hc::auth::Principal& caller,
                                     const pb::UpdateEventRequest& req,
                                     pb::UpdateEventResponse& resp) {
  HC_RETURN_IF_ERROR(domain::AuthorizeManage(caller));
  HC_RETURN_IF_ERROR(CheckId("event_id", req.event_id()));
  HC_ASSIGN_OR_RETURN(domain::EventChanges changes, ChangesFromMask(req));
  HC_ASSIGN_OR_RETURN(storage::EventChangeResult result,
                      store_.Update(req.event_id(), changes, zones_, Now()));
  if (!result.changed_fields.empty()) Invalidate(req.event_id());
  ToProto(result.event, *resp.mutable_event());
  for (const auto& m : result.promoted_member_ids) resp.add_promoted_member_ids(m);
  return absl::OkStatus();
}

absl::Status EventsService::DoCancel(const hc::auth::Principal& caller,
                                     const pb::CancelEventRequest& req,
                                     pb::CancelEventResponse& resp) {
  HC_RETURN_IF_ERROR(domain::AuthorizeManage(caller));
  HC_RETURN_IF_ERROR(CheckId("event_id", req.event_id()));
  HC_ASSIGN_OR_RETURN(storage::EventChangeResult result, store_.Cancel(req.event_id(), Now()));
  if (!result.changed_fields.empty()) Invalidate(req.event_id());
  ToProto(result.event, *resp.mutable_event());
  return absl::OkStatus();
}

absl::StatusOr<EventsService::EventListing> EventsService::PlanList(
    const hc::auth::Principal& caller, const pb::ListEventsRequest& req) const {
  EventListing l;
  storage::EventQuery& q = l.query;
  std::set<int> kinds;
  for (int kind : req.kinds()) {
    if (kind < 1 || kind > 5) return hc::InvalidField("kinds", "must be event kinds");
    kinds.insert(kind);
  }
  for (int kind : kinds) q.kinds.push_back(static_cast<domain::EventKind>(kind));
  if (req.has_start_from()) {
    HC_ASSIGN_OR_RETURN(q.start_from, TimeFromProto("start_from", true, req.start_from()));
  }
  if (req.has_start_before()) {
    HC_ASSIGN_OR_RETURN(q.start_before, TimeFromProto("start_before", true, req.start_before()));
  }
  if (q.start_from && q.start_before && *q.start_before <= *q.start_from) {
    return hc::InvalidField("start_before", "must be after start_from");
  }
  HC_ASSIGN_OR_RETURN(q.page_size, hc::paging::PageSize(req.page_size()));
  q.include_unlisted = domain::SeesUnlisted(caller);
  auto ms = [](const std::optional<domain::Time>& t) {
    return t ? std::to_string(t->time_since_epoch().count()) : std::string("-");
  };
  l.filters =
      "k=" + absl::StrJoin(kinds, ",") + ":f=" + ms(q.start_from) + ":b=" + ms(q.start_before);
  HC_ASSIGN_OR_RETURN(q.after, DecodePageToken(req.page_token(), l.filters, false));
  return l;
}

std::string EventsService::EventListing::Key(const std::string& generation,
                                             const std::string& page_token) const {
  return "events:list:v1:" + generation + ":" + (query.include_unlisted ? "staff" : "member") +
         ":" + filters + ":n=" + std::to_string(query.page_size) + ":t=" + page_token;
}

bool EventsService::FastList(const hc::auth::Principal& caller, const pb::ListEventsRequest& req,
                             std::string& bytes) {
  auto listing = PlanList(caller, req);
  if (!listing.ok()) return false;
  auto generation = cache_.GetIfCached(kListGenerationKey);
  if (!generation) return false;
  // A near-cache entry was parsed in full (DoList's `valid`) when it came from Redis, and the
  // bytes have not changed since; the top-level framing check is what a hit still pays.
  return cache_.UseIfCached(listing->Key(*generation, req.page_token()),
                            [&](const std::string& page) {
                              if (!hc::grpc_server::WellFormedWire(page)) return false;
                              bytes = page;
                              return true;
                            });
}

absl::Status EventsService::DoList(const hc::auth::Principal& caller,
                                   const pb::ListEventsRequest& req, pb::ListEventsResponse& resp) {
  HC_ASSIGN_OR_RETURN(EventListing listing, PlanList(caller, req));
  storage::EventQuery& q = listing.query;
  const std::string& filters = listing.filters;
  q.now = Now();

  // Cached per generation: any change anywhere retires every cached listing at once.
  HC_ASSIGN_OR_RETURN(std::string generation, cache_.GetOrLoad(kListGenerationKey, cache_ttl_,
                                                               []() -> absl::StatusOr<std::string> {
                                                                 return RandomGeneration();
                                                               }));
  const std::string key = listing.Key(generation, req.page_token());
  // A cache hit is checked by parsing it into the answer itself: it is parsed once.
  bool parsed = false;
  HC_ASSIGN_OR_RETURN(std::string bytes,
                      cache_.GetOrLoad(
                          key, cache_ttl_,
                          [&]() -> absl::StatusOr<std::string> {
                            HC_ASSIGN_OR_RETURN(storage::EventPage page, store_.List(q));
                            pb::ListEventsResponse proto;
                            for (const auto& e : page.events) ToProto(e, *proto.add_events());
                            if (page.next) {
                              proto.set_next_page_token(EncodePageToken(*page.next, filters));
                            }
                            return proto.SerializeAsString();
                          },
                          [&](const std::string& cached) {
                            parsed = resp.ParseFromString(cached);
                            return parsed;
                          }));
  if (!parsed && !resp.ParseFromString(bytes)) return absl::InternalError("corrupt cache entry");
  return absl::OkStatus();
}

absl::Status EventsService::DoListMyRsvps(const hc::auth::Principal& caller,
                                          const pb::ListMyRsvpsRequest& req,
                                          pb::ListMyRsvpsResponse& resp) {
  HC_ASSIGN_OR_RETURN(std::string member_id, domain::MemberOf(caller));
  storage::MyRsvpQuery q{.member_id = member_id,
                         .include_cancelled = req.include_cancelled(),
                         .include_past = req.include_past(),
                         .now = Now()};
  HC_ASSIGN_OR_RETURN(q.page_size, hc::paging::PageSize(req.page_size()));
  const std::string filters =
      std::string("c=") + (q.include_cancelled ? "1" : "0") + ":p=" + (q.include_past ? "1" : "0");
  HC_ASSIGN_OR_RETURN(q.after, DecodePageToken(req.page_token(), filters, true));
  HC_ASSIGN_OR_RETURN(storage::MyRsvpPage page, store_.ListMyRsvps(q));
  for (const auto& [rsvp, event] : page.rsvps) {
    pb::MyRsvp* out = resp.add_rsvps();
    ToProto(rsvp, *out->mutable_rsvp());
    ToProto(event, *out->mutable_event());
  }
  if (page.next) resp.set_next_page_token(EncodePageToken(*page.next, filters));
  return absl::OkStatus();
}

absl::Status EventsService::DoListAttendees(const hc::auth::Principal& caller,
                                            const pb::ListAttendeesRequest& req,
                                            pb::ListAttendeesResponse& resp) {
  HC_RETURN_IF_ERROR(domain::AuthorizeManage(caller));
  HC_RETURN_IF_ERROR(CheckId("event_id", req.event_id()));
  storage::AttendeeQuery q{.event_id = req.event_id(),
                           .include_cancelled = req.include_cancelled()};
  HC_ASSIGN_OR_RETURN(q.page_size, hc::paging::PageSize(req.page_size()));
  const std::string filters = "e=" + req.event_id() + ":c=" + (req.include_cancelled() ? "1" : "0");
  HC_ASSIGN_OR_RETURN(q.after, DecodePageToken(req.page_token(), filters, true));
  HC_ASSIGN_OR_RETURN(storage::AttendeePage page, store_.ListAttendees(q));
  std::vector<std::string> member_ids;
  for (const auto& r : page.attendees) {
    ToProto(r, *resp.add_attendees());
    member_ids.push_back(r.member_id);
  }
  if (page.next) resp.set_next_page_token(EncodePageToken(*page.next, filters));
  // Names come from membership, which leaves out members who hide theirs. Without membership
  // the list still answers, without names.
  if (auto names = names_.Visible(member_ids); names.ok()) {
    resp.mutable_display_names()->insert(names->begin(), names->end());
  } else {
    spdlog::warn("attendee names unavailable: {}", names.status().ToString());
    resp.set_names_unavailable(true);
  }
  return absl::OkStatus();
}

absl::Status EventsService::DoCheckIn(const hc::auth::Principal& caller,
                                      const pb::CheckInRequest& req, pb::CheckInResponse& resp) {
  HC_RETURN_IF_ERROR(domain::AuthorizeManage(caller));
  HC_RETURN_IF_ERROR(CheckId("event_id", req.event_id()));
  HC_RETURN_IF_ERROR(CheckId("member_id", req.member_id()));
  HC_ASSIGN_OR_RETURN(storage::RsvpResult result,
                      store_.CheckIn(hc::ids::Canonical(req.event_id()),
                                     hc::ids::Canonical(req.member_id()), req.undo(), Now()));
  ToProto(result.rsvp, *resp.mutable_rsvp());
  return absl::OkStatus();
}

absl::Status EventsService::DoExport(const hc::auth::Principal& caller,
                                     const pb::ExportCalendarRequest& req,
                                     pb::ExportCalendarResponse& resp) {
  const domain::Time now = Now();
  std::vector<domain::Event> events;
  domain::CalendarMethod method = domain::CalendarMethod::kPublish;
  switch (req.scope_case()) {
    case pb::ExportCalendarRequest::kEventId: {
      HC_RETURN_IF_ERROR(CheckId("event_id", req.event_id()));
      HC_ASSIGN_OR_RETURN(domain::Event e, store_.Get(req.event_id()));
      if (e.status == domain::EventStatus::kCancelled) method = domain::CalendarMethod::kCancel;
      resp.set_filename("event-" + e.event_id + ".ics");
      events.push_back(std::move(e));
      break;
    }
    case pb::ExportCalendarRequest::kMyRsvps: {
      if (!req.my_rsvps()) return hc::InvalidField("my_rsvps", "must be true when set");
      HC_ASSIGN_OR_RETURN(std::string member_id, domain::MemberOf(caller));
      // Going and waitlisted, events not yet ended: what belongs in a personal calendar.
      HC_ASSIGN_OR_RETURN(
          storage::MyRsvpPage page,
          store_.ListMyRsvps(
              {.member_id = member_id, .page_size = kMaxCalendarEvents, .now = now}));
      for (auto& [rsvp, event] : page.rsvps) events.push_back(std::move(event));
      resp.set_filename("my-events.ics");
      break;
    }
    case pb::ExportCalendarRequest::SCOPE_NOT_SET:
      return hc::InvalidField("scope", "set event_id or my_rsvps");
  }
  resp.set_ics(domain::RenderCalendar(events, method, now, calendar_));
  resp.set_content_type("text/calendar; charset=utf-8");
  return absl::OkStatus();
}

bool EventsService::FastGet(const pb::GetEventRequest& req, std::string& bytes) {
  if (!CheckId("event_id", req.event_id()).ok()) return false;
  // As FastList: the entry was parsed in full (DoGet's `valid`) when it came from Redis.
  return cache_.UseIfCached(EventCacheKey(req.event_id()), [&](const std::string& cached) {
    if (!hc::grpc_server::WellFormedWire(cached)) return false;
    bytes = hc::grpc_server::AsMessageField(pb::GetEventResponse::kEventFieldNumber, cached);
    return true;
  });
}

absl::Status EventsService::DoGet(const hc::auth::Principal&, const pb::GetEventRequest& req,
                                  pb::GetEventResponse& resp) {
  HC_RETURN_IF_ERROR(CheckId("event_id", req.event_id()));
  // A cache hit is checked by parsing it into the answer itself: it is parsed once.
  bool parsed = false;
  HC_ASSIGN_OR_RETURN(std::string bytes,
                      cache_.GetOrLoad(
                          EventCacheKey(req.event_id()), cache_ttl_,
                          [&]() -> absl::StatusOr<std::string> {
                            HC_ASSIGN_OR_RETURN(domain::Event e, store_.Get(req.event_id()));
                            pb::Event proto;
                            ToProto(e, proto);
                            return proto.SerializeAsString();
                          },
                          [&](const std::string& cached) {
                            parsed = resp.mutable_event()->ParseFromString(cached);
                            return parsed;
                          }));
  if (!parsed && !resp.mutable_event()->ParseFromString(bytes)) {
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
                      store_.CancelRsvp(hc::ids::Canonical(req.event_id()), member_id, Now()));
  if (result.changed) Invalidate(req.event_id());
  ToProto(result.rsvp, *resp.mutable_rsvp());
  return absl::OkStatus();
}

}  // namespace events::api

#include "services/notifications/src/clients/subject_details.h"

#include "absl/time/time.h"

namespace notifications::clients {
namespace {

namespace epb = alumni::events::v1;
namespace vpb = alumni::volunteering::v1;

absl::Time ToAbsl(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

// Fills in what `from` knows (an event and a role may both add to one message).
void Merge(const domain::Details& from, domain::Details& into) {
  if (!from.event_title.empty()) into.event_title = from.event_title;
  if (from.start_time) into.start_time = from.start_time;
  if (!from.venue.empty()) into.venue = from.venue;
  into.online = into.online || from.online;
  if (!from.role_title.empty()) into.role_title = from.role_title;
  if (from.shift_start) into.shift_start = from.shift_start;
}

// Keeps the kept answers bounded: past this many, the whole map starts afresh.
constexpr size_t kMaxKept = 4096;

}  // namespace

ServiceSubjectDetails::ServiceSubjectDetails(std::shared_ptr<grpc::Channel> events,
                                             std::shared_ptr<grpc::Channel> volunteering,
                                             hc::grpc_client::ServiceToken::Options token,
                                             Options options)
    : events_(events ? epb::EventsService::NewStub(std::move(events)) : nullptr),
      volunteering_(volunteering ? vpb::VolunteeringService::NewStub(std::move(volunteering))
                                 : nullptr),
      token_(std::move(token)),
      options_(options) {}

domain::Details ServiceSubjectDetails::Lookup(const storage::Delivery& delivery) {
  domain::Details details;
  if (!delivery.event_id.empty()) AddEvent(delivery.event_id, details);
  if (!delivery.role_id.empty()) AddRole(delivery.role_id, delivery.shift_id, details);
  if (delivery.answer_by) details.answer_by = absl::FromChrono(*delivery.answer_by);
  return details;
}

void ServiceSubjectDetails::Cached(const std::string& key, domain::Details& details,
                                   const std::function<bool(domain::Details&)>& fetch) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = kept_.find(key);
    if (it != kept_.end() && now - it->second.at < options_.ttl) {
      Merge(it->second.details, details);
      return;
    }
  }
  domain::Details fetched;
  if (!fetch(fetched)) return;
  Merge(fetched, details);
  std::lock_guard<std::mutex> lock(mu_);
  if (kept_.size() >= kMaxKept) kept_.clear();
  kept_[key] = {std::move(fetched), now};
}

void ServiceSubjectDetails::AddEvent(const std::string& event_id, domain::Details& details) {
  if (!events_) return;
  Cached("event:" + event_id, details, [&](domain::Details& out) {
    auto token = token_.Get();
    if (!token.ok()) return false;
    epb::GetEventRequest request;
    request.set_event_id(event_id);
    epb::GetEventResponse response;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + options_.deadline);
    ctx.AddMetadata("authorization", "Bearer " + *token);
    const grpc::Status status = hc::grpc_client::Observed(
        options_.metrics, epb::EventsService::service_full_name(), "GetEvent",
        [&] { return events_->GetEvent(&ctx, request, &response); });
    if (!status.ok()) return false;
    const epb::Event& e = response.event();
    out.event_title = e.title();
    out.start_time = ToAbsl(e.start_time());
    out.venue = e.venue();
    out.online = e.location_case() == epb::Event::kOnlineUrl;
    return true;
  });
}

void ServiceSubjectDetails::AddRole(const std::string& role_id, const std::string& shift_id,
                                    domain::Details& details) {
  if (!volunteering_) return;
  Cached("role:" + role_id + ":" + shift_id, details, [&](domain::Details& out) {
    auto token = token_.Get();
    if (!token.ok()) return false;
    vpb::GetRoleRequest request;
    request.set_role_id(role_id);
    vpb::GetRoleResponse response;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + options_.deadline);
    ctx.AddMetadata("authorization", "Bearer " + *token);
    const grpc::Status status = hc::grpc_client::Observed(
        options_.metrics, vpb::VolunteeringService::service_full_name(), "GetRole",
        [&] { return volunteering_->GetRole(&ctx, request, &response); });
    if (!status.ok()) return false;
    const vpb::Role& role = response.role();
    out.role_title = role.details().title();
    out.venue = role.details().venue();
    out.online = !role.details().online_url().empty();
    for (const auto& shift : role.shifts()) {
      if (shift.shift_id() == shift_id) out.shift_start = ToAbsl(shift.start_time());
    }
    return true;
  });
}

}  // namespace notifications::clients

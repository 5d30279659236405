#pragma once

#include <span>
#include <string_view>

// THE list of RPCs a browser may call through the edge. Everything not named here (internal
// RPCs such as GetContact, CheckEligibility, GetDisplayNames, ResolveSignIn, any RPC added
// later, any misspelling) answers 404 `unimplemented` without reaching a service: a new RPC
// is private until someone adds it here on purpose.
//
// The services check every caller themselves; `kStaff` is checked again at the edge so that
// an alumnus's request for a coordinator action never reaches a backend at all.
namespace edge::gateway {

enum class Access {
  kMember,  // any signed-in member (the service decides what they may see)
  kStaff,   // coordinators and admins only (403 permission_denied at the edge otherwise)
};

enum class Backend { kMembership, kEvents, kVolunteering, kNotifications };

struct PublicRpc {
  std::string_view full_name;  // "alumni.events.v1.EventsService.Rsvp"
  Backend backend;
  Access access;
};

// The allow-listed unary RPC `service`.`method` ("alumni.events.v1.EventsService", "Rsvp"),
// or nullptr.
const PublicRpc* FindPublicRpc(std::string_view service, std::string_view method);

// Every entry, for the README and tests.
std::span<const PublicRpc> AllPublicRpcs();

}  // namespace edge::gateway

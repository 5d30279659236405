#include "services/edge/src/gateway/allow_list.h"

#include <array>
#include <string>

namespace edge::gateway {
namespace {

using enum Access;
using enum Backend;

// Keep sorted by service, then as the .proto lists the methods. Staff-only entries match the
// services' own "Coordinators and admins only" (AssignRole/RevokeRole are admin-only at
// membership, which refuses a coordinator itself).
constexpr std::array kPublicRpcs = {
    PublicRpc{"alumni.membership.v1.MembershipService.RegisterMember", kMembership, kStaff},
    PublicRpc{"alumni.membership.v1.MembershipService.GetMember", kMembership, kMember},
    PublicRpc{"alumni.membership.v1.MembershipService.UpdateProfile", kMembership, kMember},
    PublicRpc{"alumni.membership.v1.MembershipService.UpdatePrivacy", kMembership, kMember},
    PublicRpc{"alumni.membership.v1.MembershipService.UpdateConsent", kMembership, kMember},
    PublicRpc{"alumni.membership.v1.MembershipService.SearchDirectory", kMembership, kMember},
    PublicRpc{"alumni.membership.v1.MembershipService.AssignRole", kMembership, kStaff},
    PublicRpc{"alumni.membership.v1.MembershipService.RevokeRole", kMembership, kStaff},
    PublicRpc{"alumni.membership.v1.MembershipService.DeleteMember", kMembership, kMember},
    PublicRpc{"alumni.membership.v1.MembershipService.ListDisclosures", kMembership, kMember},
    PublicRpc{"alumni.membership.v1.MembershipService.ListInterestTags", kMembership, kMember},
    PublicRpc{"alumni.membership.v1.MembershipService.AddInterestTag", kMembership, kStaff},
    PublicRpc{"alumni.membership.v1.MembershipService.RetireInterestTag", kMembership, kStaff},

    PublicRpc{"alumni.events.v1.EventsService.CreateEvent", kEvents, kStaff},
    PublicRpc{"alumni.events.v1.EventsService.UpdateEvent", kEvents, kStaff},
    PublicRpc{"alumni.events.v1.EventsService.CancelEvent", kEvents, kStaff},
    PublicRpc{"alumni.events.v1.EventsService.CancelSeries", kEvents, kStaff},
    PublicRpc{"alumni.events.v1.EventsService.GetEvent", kEvents, kMember},
    PublicRpc{"alumni.events.v1.EventsService.ListEvents", kEvents, kMember},
    PublicRpc{"alumni.events.v1.EventsService.Rsvp", kEvents, kMember},
    PublicRpc{"alumni.events.v1.EventsService.CancelRsvp", kEvents, kMember},
    PublicRpc{"alumni.events.v1.EventsService.ListMyRsvps", kEvents, kMember},
    PublicRpc{"alumni.events.v1.EventsService.ListAttendees", kEvents, kStaff},
    PublicRpc{"alumni.events.v1.EventsService.CheckIn", kEvents, kStaff},
    PublicRpc{"alumni.events.v1.EventsService.ExportCalendar", kEvents, kMember},

    PublicRpc{"alumni.volunteering.v1.VolunteeringService.PostRole", kVolunteering, kStaff},
    PublicRpc{"alumni.volunteering.v1.VolunteeringService.UpdateRole", kVolunteering, kStaff},
    PublicRpc{"alumni.volunteering.v1.VolunteeringService.CloseRole", kVolunteering, kStaff},
    PublicRpc{"alumni.volunteering.v1.VolunteeringService.GetRole", kVolunteering, kMember},
    PublicRpc{"alumni.volunteering.v1.VolunteeringService.ListRoles", kVolunteering, kMember},
    PublicRpc{"alumni.volunteering.v1.VolunteeringService.AddShift", kVolunteering, kStaff},
    PublicRpc{"alumni.volunteering.v1.VolunteeringService.UpdateShift", kVolunteering, kStaff},
    PublicRpc{"alumni.volunteering.v1.VolunteeringService.CancelShift", kVolunteering, kStaff},
    PublicRpc{"alumni.volunteering.v1.VolunteeringService.SignUp", kVolunteering, kMember},
    PublicRpc{"alumni.volunteering.v1.VolunteeringService.Withdraw", kVolunteering, kMember},
    PublicRpc{"alumni.volunteering.v1.VolunteeringService.ListMySignups", kVolunteering, kMember},
    PublicRpc{"alumni.volunteering.v1.VolunteeringService.ApproveSignup", kVolunteering, kStaff},
    PublicRpc{"alumni.volunteering.v1.VolunteeringService.DeclineSignup", kVolunteering, kStaff},
    PublicRpc{"alumni.volunteering.v1.VolunteeringService.ListVolunteers", kVolunteering, kStaff},
    PublicRpc{"alumni.volunteering.v1.VolunteeringService.LogHours", kVolunteering, kMember},
    PublicRpc{"alumni.volunteering.v1.VolunteeringService.ApproveHours", kVolunteering, kStaff},
    PublicRpc{"alumni.volunteering.v1.VolunteeringService.RejectHours", kVolunteering, kStaff},
    PublicRpc{"alumni.volunteering.v1.VolunteeringService.ListHours", kVolunteering, kStaff},
    // A member's own summary, or (staff) anyone's: the service decides.
    PublicRpc{"alumni.volunteering.v1.VolunteeringService.GetVolunteerSummary", kVolunteering,
              kMember},
    PublicRpc{"alumni.volunteering.v1.VolunteeringService.SetThankYouBoard", kVolunteering,
              kMember},
    PublicRpc{"alumni.volunteering.v1.VolunteeringService.ListThankYouBoard", kVolunteering,
              kMember},

    // Mentorship (served by the volunteering process): the service acts only on the caller's own
    // profile, requests and matches, so these are member-level; the overview is staff-only.
    PublicRpc{"alumni.volunteering.v1.MentorshipService.UpsertMentorProfile", kVolunteering,
              kMember},
    PublicRpc{"alumni.volunteering.v1.MentorshipService.GetMentorProfile", kVolunteering, kMember},
    PublicRpc{"alumni.volunteering.v1.MentorshipService.RequestMentor", kVolunteering, kMember},
    PublicRpc{"alumni.volunteering.v1.MentorshipService.ChooseMentor", kVolunteering, kMember},
    PublicRpc{"alumni.volunteering.v1.MentorshipService.RespondToRequest", kVolunteering, kMember},
    PublicRpc{"alumni.volunteering.v1.MentorshipService.GetMyMentorship", kVolunteering, kMember},
    PublicRpc{"alumni.volunteering.v1.MentorshipService.EndMentorship", kVolunteering, kMember},
    PublicRpc{"alumni.volunteering.v1.MentorshipService.LogCheckIn", kVolunteering, kMember},
    PublicRpc{"alumni.volunteering.v1.MentorshipService.ListCheckIns", kVolunteering, kMember},
    PublicRpc{"alumni.volunteering.v1.MentorshipService.ReportConcern", kVolunteering, kMember},
    PublicRpc{"alumni.volunteering.v1.MentorshipService.GetMentorshipOverview", kVolunteering,
              kStaff},

    PublicRpc{"alumni.notifications.v1.NotificationsService.GetPreferences", kNotifications,
              kMember},
    PublicRpc{"alumni.notifications.v1.NotificationsService.UpdatePreferences", kNotifications,
              kMember},
    PublicRpc{"alumni.notifications.v1.NotificationsService.ListInbox", kNotifications, kMember},
    PublicRpc{"alumni.notifications.v1.NotificationsService.MarkRead", kNotifications, kMember},
    PublicRpc{"alumni.notifications.v1.NotificationsService.UnreadCount", kNotifications, kMember},
    // StreamInbox is server-streaming: only GET /stream/inbox reaches it, never a unary POST.
};

}  // namespace

const PublicRpc* FindPublicRpc(std::string_view service, std::string_view method) {
  if (service.empty() || method.empty()) return nullptr;
  for (const PublicRpc& rpc : kPublicRpcs) {
    const std::string_view name = rpc.full_name;
    if (name.size() == service.size() + 1 + method.size() && name.starts_with(service) &&
        name[service.size()] == '.' && name.ends_with(method)) {
      return &rpc;
    }
  }
  return nullptr;
}

std::span<const PublicRpc> AllPublicRpcs() { return kPublicRpcs; }

}  // namespace edge::gateway

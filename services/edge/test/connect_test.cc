#include "services/edge/src/gateway/connect.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "services/edge/src/gateway/allow_list.h"
#include "services/edge/src/gateway/transcoder.h"
#include "services/edge/src/http/edge_server.h"
#include "services/edge/src/http/origin.h"

namespace edge::gateway {
namespace {

TEST(ConnectMapping, EveryGrpcCodeHasConnectsNameAndStatus) {
  const std::pair<grpc::StatusCode, std::pair<std::string_view, int>> expected[] = {
      {grpc::StatusCode::CANCELLED, {"canceled", 499}},
      {grpc::StatusCode::UNKNOWN, {"unknown", 500}},
      {grpc::StatusCode::INVALID_ARGUMENT, {"invalid_argument", 400}},
      {grpc::StatusCode::DEADLINE_EXCEEDED, {"deadline_exceeded", 504}},
      {grpc::StatusCode::NOT_FOUND, {"not_found", 404}},
      {grpc::StatusCode::ALREADY_EXISTS, {"already_exists", 409}},
      {grpc::StatusCode::PERMISSION_DENIED, {"permission_denied", 403}},
      {grpc::StatusCode::RESOURCE_EXHAUSTED, {"resource_exhausted", 429}},
      {grpc::StatusCode::FAILED_PRECONDITION, {"failed_precondition", 400}},
      {grpc::StatusCode::ABORTED, {"aborted", 409}},
      {grpc::StatusCode::OUT_OF_RANGE, {"out_of_range", 400}},
      {grpc::StatusCode::UNIMPLEMENTED, {"unimplemented", 501}},
      {grpc::StatusCode::INTERNAL, {"internal", 500}},
      {grpc::StatusCode::UNAVAILABLE, {"unavailable", 503}},
      {grpc::StatusCode::DATA_LOSS, {"data_loss", 500}},
      {grpc::StatusCode::UNAUTHENTICATED, {"unauthenticated", 401}},
  };
  for (const auto& [code, want] : expected) {
    EXPECT_EQ(ConnectCodeName(code), want.first) << code;
    EXPECT_EQ(ConnectHttpStatus(code), want.second) << code;
  }
}

TEST(ConnectMapping, CallersMistakesKeepTheMessageSystemFailuresDont) {
  const ConnectError invalid =
      ToConnectError(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "title is required"));
  EXPECT_EQ(invalid.http_status, 400);
  EXPECT_EQ(nlohmann::json::parse(invalid.body),
            (nlohmann::json{{"code", "invalid_argument"}, {"message", "title is required"}}));

  const ConnectError internal =
      ToConnectError(grpc::Status(grpc::StatusCode::INTERNAL, "pqxx: relation rsvps broke"));
  EXPECT_EQ(internal.http_status, 500);
  EXPECT_EQ(nlohmann::json::parse(internal.body)["code"], "internal");
  EXPECT_EQ(internal.body.find("pqxx"), std::string::npos);
}

TEST(ConnectMapping, TimeoutHeaderIsCappedAndValidated) {
  using std::chrono::milliseconds;
  EXPECT_EQ(CallTimeout("", milliseconds(10000), milliseconds(30000)), milliseconds(10000));
  EXPECT_EQ(CallTimeout("250", milliseconds(10000), milliseconds(30000)), milliseconds(250));
  EXPECT_EQ(CallTimeout("99999999", milliseconds(10000), milliseconds(30000)), milliseconds(30000));
  EXPECT_EQ(CallTimeout("0", milliseconds(10000), milliseconds(30000)), std::nullopt);
  EXPECT_EQ(CallTimeout("-5", milliseconds(10000), milliseconds(30000)), std::nullopt);
  EXPECT_EQ(CallTimeout("12345678901", milliseconds(10000), milliseconds(30000)), std::nullopt);
  EXPECT_EQ(CallTimeout("1e3", milliseconds(10000), milliseconds(30000)), std::nullopt);
}

TEST(AllowList, InternalRpcsAreNotPublic) {
  EXPECT_EQ(FindPublicRpc("alumni.membership.v1.MembershipService", "GetContact"), nullptr);
  EXPECT_EQ(FindPublicRpc("alumni.membership.v1.MembershipService", "CheckEligibility"), nullptr);
  EXPECT_EQ(FindPublicRpc("alumni.membership.v1.MembershipService", "GetDisplayNames"), nullptr);
  EXPECT_EQ(FindPublicRpc("alumni.membership.v1.MembershipService", "ResolveSignIn"), nullptr);
  EXPECT_EQ(FindPublicRpc("alumni.notifications.v1.NotificationsService", "StreamInbox"), nullptr);
  EXPECT_EQ(FindPublicRpc("grpc.health.v1.Health", "Check"), nullptr);
  // Near misses don't match a public entry.
  EXPECT_EQ(FindPublicRpc("alumni.events.v1.EventsService", "rsvp"), nullptr);
  EXPECT_EQ(FindPublicRpc("alumni.events.v1.EventsServic", "eRsvp"), nullptr);
  EXPECT_EQ(FindPublicRpc("", "Rsvp"), nullptr);
}

TEST(AllowList, CoordinatorActionsAreStaffOnlyAndMemberActionsAreNot) {
  for (std::string_view method :
       {"CreateEvent", "UpdateEvent", "CancelEvent", "CancelSeries", "ListAttendees", "CheckIn"}) {
    const PublicRpc* rpc = FindPublicRpc("alumni.events.v1.EventsService", method);
    ASSERT_NE(rpc, nullptr) << method;
    EXPECT_EQ(rpc->access, Access::kStaff) << method;
    EXPECT_EQ(rpc->backend, Backend::kEvents);
  }
  for (std::string_view method :
       {"GetEvent", "ListEvents", "Rsvp", "CancelRsvp", "ListMyRsvps", "ExportCalendar"}) {
    const PublicRpc* rpc = FindPublicRpc("alumni.events.v1.EventsService", method);
    ASSERT_NE(rpc, nullptr) << method;
    EXPECT_EQ(rpc->access, Access::kMember) << method;
  }
  const PublicRpc* post = FindPublicRpc("alumni.volunteering.v1.VolunteeringService", "PostRole");
  ASSERT_NE(post, nullptr);
  EXPECT_EQ(post->access, Access::kStaff);
  EXPECT_EQ(post->backend, Backend::kVolunteering);
}

TEST(AllowList, MentorshipGoesToVolunteeringAndOnlyTheOverviewIsStaffOnly) {
  constexpr std::string_view kService = "alumni.volunteering.v1.MentorshipService";
  for (std::string_view method : {"UpsertMentorProfile", "GetMentorProfile", "RequestMentor",
                                  "ChooseMentor", "RespondToRequest", "GetMyMentorship",
                                  "EndMentorship", "LogCheckIn", "ListCheckIns", "ReportConcern"}) {
    const PublicRpc* rpc = FindPublicRpc(kService, method);
    ASSERT_NE(rpc, nullptr) << method;
    EXPECT_EQ(rpc->access, Access::kMember) << method;
    EXPECT_EQ(rpc->backend, Backend::kVolunteering) << method;
  }
  const PublicRpc* overview = FindPublicRpc(kService, "GetMentorshipOverview");
  ASSERT_NE(overview, nullptr);
  EXPECT_EQ(overview->access, Access::kStaff);
  EXPECT_EQ(overview->backend, Backend::kVolunteering);
  // Mentorship's methods are not reachable under the volunteering service's name.
  EXPECT_EQ(FindPublicRpc("alumni.volunteering.v1.VolunteeringService", "RequestMentor"), nullptr);
}

TEST(AllowList, EveryEntryIsAUnaryMethodOfTheLinkedProtos) {
  EXPECT_TRUE(Transcoder::CheckAllowList().ok()) << Transcoder::CheckAllowList();
  std::set<std::string_view> names;
  for (const PublicRpc& rpc : AllPublicRpcs()) {
    EXPECT_TRUE(names.insert(rpc.full_name).second) << "listed twice: " << rpc.full_name;
  }
}

TEST(CrossCutting, CookieValueFindsTheNamedCookieOnly) {
  EXPECT_EQ(http::CookieValue("a=1; hc_session=s3cret; b=2", "hc_session"), "s3cret");
  EXPECT_EQ(http::CookieValue("xhc_session=no", "hc_session"), "");
  EXPECT_EQ(http::CookieValue("__Host-hc_session=yes", "__Host-hc_session"), "yes");
  EXPECT_EQ(http::CookieValue("", "hc_session"), "");
}

TEST(CrossCutting, SameOriginMeansThePublicOriginNotTheHostHeader) {
  const std::string origin = http::OriginOf("https://home.example.org");
  EXPECT_TRUE(http::IsSameOrigin(std::nullopt, std::nullopt, origin));
  EXPECT_TRUE(http::IsSameOrigin("https://home.example.org", "same-origin", origin));
  EXPECT_FALSE(http::IsSameOrigin(std::nullopt, "cross-site", origin));
  EXPECT_FALSE(http::IsSameOrigin(std::nullopt, "same-site", origin));
  EXPECT_FALSE(http::IsSameOrigin("https://evil.example", std::nullopt, origin));
  // Whatever Host the request names (a DNS-rebinding page names its own).
  EXPECT_FALSE(http::IsSameOrigin("http://127.0.0.1:17080", "same-origin", origin));
  // A matching Origin does not excuse a cross-site Sec-Fetch-Site.
  EXPECT_FALSE(http::IsSameOrigin("https://home.example.org", "cross-site", origin));
  EXPECT_FALSE(http::IsSameOrigin("null", std::nullopt, origin));
  // The sign-in link's page (no-referrer) posts with Origin: null, and the browser says
  // same-origin; a null origin from anywhere else is refused.
  EXPECT_TRUE(http::IsSameOrigin("null", "same-origin", origin));
  EXPECT_FALSE(http::IsSameOrigin("null", "cross-site", origin));
  // No public origin configured: no Origin header matches it.
  EXPECT_FALSE(http::IsSameOrigin("https://home.example.org", std::nullopt, ""));
}

TEST(CrossCutting, RequestIdKeepsPlainIdsAndReplacesOthers) {
  EXPECT_EQ(http::RequestId("abc-123"), "abc-123");
  const std::string fresh = http::RequestId("evil\r\nheader");
  EXPECT_EQ(fresh.size(), 24u);
  EXPECT_NE(fresh, http::RequestId(""));
}

}  // namespace
}  // namespace edge::gateway

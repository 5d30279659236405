// Attendee names across services: events asks membership (a real in-process membership
// service on its own database) for names, and membership leaves out members who hide theirs.
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "alumni/events/v1/events_service.grpc.pb.h"
#include "alumni/membership/v1/membership_service.grpc.pb.h"
#include "libs/auth/auth.h"
#include "libs/grpc/client.h"
#include "libs/ids/ids.h"
#include "libs/kafka/kafka.h"
#include "libs/testing/testing.h"
#include "services/events/src/app.h"
#include "services/membership/src/app.h"

namespace events {
namespace {

namespace epb = alumni::events::v1;
namespace mpb = alumni::membership::v1;
using google::protobuf::util::TimeUtil;

const std::string kSecret = "attendee-names-test-secret-0123456789abcdef";

std::string Token(const std::string& subject, std::vector<std::string> roles) {
  return *hc::auth::Mint({.algorithm = "HS256",
                          .key = kSecret,
                          .issuer = "hc-test",
                          .subject = subject,
                          .roles = std::move(roles)});
}

std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

hc::config::ServiceSettings Common(const std::string& db_url, const std::string& redis) {
  hc::config::ServiceSettings s;
  s.server.address = "127.0.0.1:0";
  s.metrics_address = "127.0.0.1:0";
  s.database_url = db_url;
  s.redis_address = redis;
  s.kafka_brokers = hc::testing::KafkaBrokers();
  s.jwt = {.algorithm = "HS256", .key = kSecret, .issuer = "hc-test"};
  s.workers = 4;
  return s;
}

class AttendeeNamesTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(nullptr); }

  // With `certs`, membership serves mTLS only and events reaches it with its own certificate.
  void Start(const hc::testing::TestCertificates* certs) {
    ASSERT_TRUE(hc::kafka::EnsureTopics(hc::testing::KafkaBrokers(),
                                        {"alumni.membership.v1", events_topic_}, 3,
                                        std::chrono::seconds(30))
                    .ok());
    redis_.Start();
    membership::Settings m;
    m.service = Common(membership_db_.url(), redis_.address());
    m.data_key_hex = std::string(64, 'e');
    if (certs) {
      m.service.server.tls_cert_pem = certs->server_cert_pem();
      m.service.server.tls_key_pem = certs->server_key_pem();
      m.service.server.tls_client_ca_pem = certs->ca_pem();
    }
    membership_ = std::make_unique<membership::App>(m);
    ASSERT_TRUE(membership_->Start().ok());

    Settings e;
    e.service = Common(events_db_.url(), redis_.address());
    e.events_topic = events_topic_;
    e.consumer_group = hc::testing::UniqueName("events-names");
    const std::string membership_address = "127.0.0.1:" + std::to_string(membership_->grpc_port());
    e.membership_address = membership_address;
    hc::grpc_client::ChannelOptions to_membership{.address = membership_address};
    if (certs) {
      e.service.client = {.tls_ca_pem = certs->ca_pem(),
                          .tls_cert_pem = certs->client_cert_pem(),
                          .tls_key_pem = certs->client_key_pem()};
      to_membership = e.service.client;
      to_membership.address = membership_address;
    }
    events_ = std::make_unique<App>(e);
    ASSERT_TRUE(events_->Start().ok());

    members_ = mpb::MembershipService::NewStub(*hc::grpc_client::MakeChannel(to_membership));
    events_stub_ = epb::EventsService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(events_->grpc_port()), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (events_) events_->Shutdown();
    if (membership_) membership_->Shutdown();
  }

  std::string Register(const std::string& first, const std::string& last) {
    mpb::RegisterMemberRequest r;
    r.set_first_name(first);
    r.set_last_name(last);
    r.set_email(hc::testing::UniqueName(first) + "@example.org");
    r.set_time_zone("America/Chicago");
    mpb::RegisterMemberResponse resp;
    EXPECT_TRUE(members_->RegisterMember(Ctx(staff_).get(), r, &resp).ok());
    return resp.member().member_id();
  }

  epb::ListAttendeesResponse Attendees(const std::string& event_id) {
    epb::ListAttendeesRequest req;
    req.set_event_id(event_id);
    epb::ListAttendeesResponse resp;
    grpc::Status s = events_stub_->ListAttendees(Ctx(staff_).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  hc::testing::TestDatabase membership_db_{"names_membership"};
  hc::testing::TestDatabase events_db_{"names_events"};
  hc::testing::RedisServer redis_;
  std::string events_topic_ = hc::testing::UniqueName("alumni.events.v1.names");
  std::unique_ptr<membership::App> membership_;
  std::unique_ptr<App> events_;
  std::unique_ptr<mpb::MembershipService::Stub> members_;
  std::unique_ptr<epb::EventsService::Stub> events_stub_;
  std::string staff_ = Token("staff-1", {"coordinator"});

  // Ana shows her name, Ben hides his; both RSVP; then membership goes away.
  void ShowsNamesExceptHidden();
};

TEST_F(AttendeeNamesTest, AttendeeListsShowNamesExceptForMembersWhoHideThem) {
  ShowsNamesExceptHidden();
}

class AttendeeNamesOverMtlsTest : public AttendeeNamesTest {
 protected:
  void SetUp() override { Start(&certs_); }
  hc::testing::TestCertificates certs_{"events"};
};

TEST_F(AttendeeNamesOverMtlsTest, EventsReachesMembershipOverMutualTls) {
  // Plaintext to membership is refused now; events still gets the names.
  auto plain = mpb::MembershipService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(membership_->grpc_port()), grpc::InsecureChannelCredentials()));
  mpb::GetDisplayNamesRequest req;
  req.add_member_ids(hc::ids::NewUuid());
  mpb::GetDisplayNamesResponse resp;
  EXPECT_EQ(
      plain->GetDisplayNames(Ctx(Token("events", {"service"})).get(), req, &resp).error_code(),
      grpc::StatusCode::UNAVAILABLE);
  ShowsNamesExceptHidden();
}

void AttendeeNamesTest::ShowsNamesExceptHidden() {
  const std::string ana = Register("Ana", "Martinez");
  const std::string ben = Register("Ben", "Okafor");
  mpb::UpdatePrivacyRequest hide;
  hide.set_member_id(ben);
  hide.mutable_privacy()->set_directory_visibility(mpb::DIRECTORY_VISIBILITY_HIDDEN);
  hide.mutable_privacy()->set_hide_name_in_lists(true);
  mpb::UpdatePrivacyResponse hidden;
  ASSERT_TRUE(members_->UpdatePrivacy(Ctx(Token(ben, {})).get(), hide, &hidden).ok());

  epb::CreateEventRequest create;
  auto start = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now() +
                                                        std::chrono::hours(24 * 7));
  auto* d = create.mutable_event();
  d->set_title("Sober bowling night");
  d->set_kind(epb::EVENT_KIND_SOBER_SOCIAL);
  *d->mutable_start_time() =
      TimeUtil::TimeTToTimestamp(std::chrono::system_clock::to_time_t(start));
  *d->mutable_end_time() = TimeUtil::TimeTToTimestamp(
      std::chrono::system_clock::to_time_t(start + std::chrono::hours(2)));
  d->set_time_zone("America/Chicago");
  d->set_venue("Lucky Lanes");
  d->set_capacity(10);
  d->set_visibility(epb::VISIBILITY_MEMBERS);
  epb::CreateEventResponse created;
  ASSERT_TRUE(events_stub_->CreateEvent(Ctx(staff_).get(), create, &created).ok());
  const std::string event_id = created.event().event_id();
  for (const auto& member : {ana, ben}) {
    epb::RsvpRequest rsvp;
    rsvp.set_event_id(event_id);
    epb::RsvpResponse resp;
    ASSERT_TRUE(events_stub_->Rsvp(Ctx(Token(member, {"alumnus"})).get(), rsvp, &resp).ok());
  }

  epb::ListAttendeesResponse list = Attendees(event_id);
  ASSERT_EQ(list.attendees_size(), 2);
  EXPECT_FALSE(list.names_unavailable());
  ASSERT_TRUE(list.display_names().contains(ana));
  EXPECT_EQ(list.display_names().at(ana), "Ana M.");
  EXPECT_FALSE(list.display_names().contains(ben)) << "Ben hides his name in lists";

  // Membership away: the list still answers, and says the names are missing.
  membership_->Shutdown();
  epb::ListAttendeesResponse without = Attendees(event_id);
  EXPECT_EQ(without.attendees_size(), 2);
  EXPECT_TRUE(without.names_unavailable());
  EXPECT_TRUE(without.display_names().empty());
}

TEST_F(AttendeeNamesTest, OnlyAServiceIdentityMayAskMembershipForNames) {
  const std::string ana = Register("Ana", "Martinez");
  mpb::GetDisplayNamesRequest req;
  req.add_member_ids(ana);
  mpb::GetDisplayNamesResponse resp;
  EXPECT_EQ(members_->GetDisplayNames(Ctx(staff_).get(), req, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(members_->GetDisplayNames(Ctx(Token("events", {"service"})).get(), req, &resp).ok());
  ASSERT_EQ(resp.names_size(), 1);
  EXPECT_EQ(resp.names(0).display_name(), "Ana M.");
  req.add_member_ids("not-a-uuid");
  grpc::Status bad = members_->GetDisplayNames(Ctx(Token("events", {"service"})).get(), req, &resp);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(bad.error_message().rfind("member_ids:", 0), 0u);
}

}  // namespace
}  // namespace events

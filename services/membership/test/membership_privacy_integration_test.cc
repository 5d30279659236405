// Issue 3's promises about personal data, through the real server and database.
#include <future>
#include <pqxx/pqxx>
#include <thread>

#include "libs/crypto/crypto.h"
#include "libs/ids/ids.h"
#include "libs/postgres/pool.h"
#include "services/membership/src/domain/sobriety.h"
#include "services/membership/src/storage/member_store.h"
#include "services/membership/test/membership_fixture.h"

namespace membership {
namespace {

using namespace membership::testing;  // NOLINT: the fixture and its names
using ::testing::HasSubstr;

class PrivacyTest : public MembershipTest {
 protected:
  grpc::Status SetPrivacy(const std::string& id, pb::DirectoryVisibility visibility,
                          std::vector<pb::DirectoryField> fields, bool milestones = false) {
    pb::UpdatePrivacyRequest req;
    req.set_member_id(id);
    req.mutable_privacy()->set_directory_visibility(visibility);
    for (auto f : fields) req.mutable_privacy()->add_visible_fields(f);
    req.mutable_privacy()->set_celebrate_milestones(milestones);
    pb::UpdatePrivacyResponse resp;
    return stub_->UpdatePrivacy(Ctx(Token(id, {"alumnus"})).get(), req, &resp);
  }

  pb::Member RegisterWith(const std::string& first, const std::string& last,
                          const std::string& email, std::optional<domain::Date> sober = {}) {
    pb::RegisterMemberRequest r = NewMember(email);
    r.set_first_name(first);
    r.set_last_name(last);
    r.clear_sobriety_date();
    if (sober) {
      r.mutable_sobriety_date()->set_year(sober->year);
      r.mutable_sobriety_date()->set_month(sober->month);
      r.mutable_sobriety_date()->set_day(sober->day);
    }
    pb::RegisterMemberResponse resp;
    grpc::Status s = stub_->RegisterMember(Ctx(coordinator_).get(), r, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.member();
  }

  std::vector<pb::DirectoryEntry> SearchAll(const std::string& prefix, const std::string& interest,
                                            const std::string& as) {
    std::vector<pb::DirectoryEntry> all;
    std::string token;
    for (int pages = 0; pages < 100; ++pages) {
      pb::SearchDirectoryRequest req;
      req.set_name_prefix(prefix);
      req.set_interest(interest);
      req.set_page_size(100);
      req.set_page_token(token);
      pb::SearchDirectoryResponse resp;
      grpc::Status s = stub_->SearchDirectory(Ctx(Token(as, {"alumnus"})).get(), req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      all.insert(all.end(), resp.entries().begin(), resp.entries().end());
      token = resp.next_page_token();
      if (token.empty()) break;
    }
    return all;
  }

  std::string Sql(const std::string& query) {
    pqxx::connection conn(db_.url());
    pqxx::nontransaction tx(conn);
    auto rows = tx.exec(query);
    std::string out;
    for (const auto& row : rows) {
      for (const auto& f : row) out += (f.is_null() ? "NULL" : f.c_str()) + std::string("|");
      out += "\n";
    }
    return out;
  }

  std::string service_ = Token("notifications", {"service"});
};

// Member i's privacy choice, by i % 5.
enum class Choice { kHidden, kBare, kNameAndInterests, kEverything, kListedThenDeleted };

TEST_F(PrivacyTest, ThousandMembersDirectoryNeverShowsAHiddenMemberOrField) {
  constexpr int kMembers = 1000;
  const std::vector<std::string> first_names = {"Ana", "Ben", "Cleo", "Dev", "Eli"};
  std::vector<pb::Member> members(kMembers);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kMembers; i += 8) {
        members[i] = RegisterWith(first_names[i % 5], "Zq" + std::to_string(i),
                                  "dir" + std::to_string(i) + "@example.org");
        auto choice = static_cast<Choice>(i % 5);
        grpc::Status s;
        switch (choice) {
          case Choice::kHidden:
            break;
          case Choice::kBare:
            s = SetPrivacy(members[i].member_id(), pb::DIRECTORY_VISIBILITY_ALUMNI, {});
            break;
          case Choice::kNameAndInterests:
            s = SetPrivacy(members[i].member_id(), pb::DIRECTORY_VISIBILITY_ALUMNI,
                           {pb::DIRECTORY_FIELD_FULL_NAME, pb::DIRECTORY_FIELD_INTERESTS});
            break;
          case Choice::kEverything:
          case Choice::kListedThenDeleted:
            s = SetPrivacy(members[i].member_id(), pb::DIRECTORY_VISIBILITY_ALUMNI,
                           {pb::DIRECTORY_FIELD_FULL_NAME, pb::DIRECTORY_FIELD_INTERESTS,
                            pb::DIRECTORY_FIELD_PROGRAM, pb::DIRECTORY_FIELD_TIME_ZONE});
            break;
        }
        EXPECT_TRUE(s.ok()) << s.error_message();
        if (choice == Choice::kListedThenDeleted) {
          pb::DeleteMemberRequest del;
          del.set_member_id(members[i].member_id());
          pb::DeleteMemberResponse resp;
          EXPECT_TRUE(
              stub_->DeleteMember(Ctx(Token(members[i].member_id(), {})).get(), del, &resp).ok());
        }
      }
    });
  }
  for (auto& t : threads) t.join();

  std::map<std::string, int> index;
  for (int i = 0; i < kMembers; ++i) index[members[i].member_id()] = i;
  auto check = [&](const std::vector<pb::DirectoryEntry>& entries) {
    for (const auto& e : entries) {
      ASSERT_TRUE(index.contains(e.member_id()));
      int i = index[e.member_id()];
      auto choice = static_cast<Choice>(i % 5);
      EXPECT_NE(choice, Choice::kHidden) << "hidden member " << i << " listed";
      EXPECT_NE(choice, Choice::kListedThenDeleted) << "deleted member " << i << " listed";
      bool names = choice == Choice::kNameAndInterests || choice == Choice::kEverything;
      EXPECT_EQ(e.last_name().empty(), !names) << i;
      EXPECT_EQ(e.interests().empty(), !names) << i;
      EXPECT_EQ(e.time_zone().empty(), choice != Choice::kEverything) << i;
      EXPECT_EQ(e.program() == pb::PROGRAM_UNSPECIFIED, choice != Choice::kEverything) << i;
      EXPECT_EQ(e.display_name(), first_names[i % 5] + " Z.");
    }
  };
  const std::string reader = members[1].member_id();
  auto everyone = SearchAll("", "", reader);
  EXPECT_EQ(everyone.size(), 3u * kMembers / 5);  // bare, name+interests, everything
  check(everyone);
  std::set<std::string> unique;
  for (const auto& e : everyone) unique.insert(e.member_id());
  EXPECT_EQ(unique.size(), everyone.size()) << "paging returned someone twice";

  // A last-name search finds only those who show their last name: it must not reveal it.
  auto by_last = SearchAll("zq1", "", reader);
  check(by_last);
  for (const auto& e : by_last) EXPECT_THAT(e.last_name(), ::testing::StartsWith("Zq1"));
  EXPECT_FALSE(by_last.empty());
  // An interest search matches only members who show their interests.
  auto by_interest = SearchAll("", "hiking", reader);
  check(by_interest);
  EXPECT_EQ(by_interest.size(), 2u * kMembers / 5);
  // A display-name prefix works for everyone listed.
  auto anas = SearchAll("ana", "", reader);
  check(anas);
  for (const auto& e : anas) EXPECT_EQ(e.display_name().substr(0, 3), "Ana");
}

TEST_F(PrivacyTest, SearchRejectsBadPagingInput) {
  pb::Member me = Register(hc::testing::UniqueName("p") + "@example.org");
  pb::SearchDirectoryRequest req;
  req.set_page_size(1000);
  pb::SearchDirectoryResponse resp;
  grpc::Status s = stub_->SearchDirectory(Ctx(Token(me.member_id(), {})).get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("page_size:"));
  req.set_page_size(10);
  req.set_page_token("!!!not-a-token");
  s = stub_->SearchDirectory(Ctx(Token(me.member_id(), {})).get(), req, &resp);
  EXPECT_THAT(s.error_message(), HasSubstr("page_token:"));
}

TEST_F(PrivacyTest, DeleteMemberErasesPersonalDataPurgesTheCacheAndIsIdempotent) {
  const std::string email = hc::testing::UniqueName("erase") + "@example.org";
  pb::Member me = RegisterWith("Erin", "Vanish", email, domain::Date{2019, 4, 17});
  const std::string id = me.member_id();
  const std::string token = Token(id, {"alumnus"});
  ASSERT_TRUE(Get(token, id).ok());  // cached now
  ASSERT_TRUE(
      SetPrivacy(id, pb::DIRECTORY_VISIBILITY_ALUMNI, {pb::DIRECTORY_FIELD_FULL_NAME}, true).ok());
  pb::UpdateConsentRequest consent;
  consent.set_member_id(id);
  consent.set_channel(pb::CONTACT_CHANNEL_EMAIL);
  consent.set_granted(true);
  pb::UpdateConsentResponse consent_resp;
  ASSERT_TRUE(stub_->UpdateConsent(Ctx(token).get(), consent, &consent_resp).ok());
  ASSERT_TRUE(Get(token, id).ok());

  pb::DeleteMemberRequest del;
  del.set_member_id(id);
  pb::DeleteMemberResponse resp;
  // Another member can't; the member can, twice.
  EXPECT_EQ(stub_->DeleteMember(Ctx(Token(hc::ids::NewUuid(), {})).get(), del, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->DeleteMember(Ctx(token).get(), del, &resp).ok());
  ASSERT_TRUE(stub_->DeleteMember(Ctx(token).get(), del, &resp).ok());

  // Nothing personal left in membership's tables: only the id and bookkeeping.
  std::string row =
      Sql("SELECT first_name, last_name, display_name, email_fingerprint, "
          "email_sealed, phone_sealed, sobriety_sealed, interests, time_zone, "
          "status FROM members WHERE member_id = '" +
          id + "'");
  EXPECT_EQ(row, "|||NULL|NULL|NULL|NULL|{}||2|\n");
  EXPECT_EQ(Sql("SELECT count(*) FROM member_consents WHERE member_id = '" + id + "'"), "0|\n");
  std::string everything = Sql("SELECT m::text FROM members m") +
                           Sql("SELECT c::text FROM member_consents c") +
                           Sql("SELECT a::text FROM access_audit a") +
                           Sql("SELECT encode(payload, 'escape') FROM outbox");
  for (const std::string& secret : {email, std::string("Vanish"), std::string("Erin"),
                                    std::string("+15551234567"), std::string("2019-04-17")}) {
    EXPECT_EQ(everything.find(secret), std::string::npos) << secret;
  }
  // Redis holds no entry for the member any more (only the entry's version, a counter that
  // keeps a racing read from caching the profile again: see libs/redis/cache.cc).
  EXPECT_EQ(hc::testing::RedisKeys(redis_.address(), "membership:*" + id + "*"),
            std::vector<std::string>{});
  EXPECT_EQ(hc::testing::RedisKeys(redis_.address(), "*" + id + "*"),
            std::vector<std::string>{"cache-version:membership:member:v1:" + id});
  EXPECT_EQ(Get(coordinator_, id).error_code(), grpc::StatusCode::NOT_FOUND);
  // One MemberDeleted, not two.
  auto deleted = hc::testing::ReadTopic(
      hc::testing::KafkaBrokers(), "alumni.membership.v1", 1, std::chrono::seconds(15),
      [&](const hc::kafka::Message& m) {
        return m.key == id && m.Header("ce_type") == "alumni.membership.v1.MemberDeleted";
      });
  EXPECT_EQ(deleted.size(), 1u);
  // The person may come back with the same address.
  RegisterWith("Erin", "Again", email);
  // Unknown members: NOT_FOUND.
  del.set_member_id(hc::ids::NewUuid());
  EXPECT_EQ(stub_->DeleteMember(Ctx(Token("admin-1", {"admin"})).get(), del, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(PrivacyTest, InternalRpcsNeedAServiceIdentityAndEveryReadIsAudited) {
  pb::Member me = RegisterWith("Gia", "Contact", hc::testing::UniqueName("c") + "@example.org",
                               domain::Date{2020, 1, 1});
  const std::string id = me.member_id();
  pb::GetContactRequest contact;
  contact.set_member_id(id);
  contact.set_purpose("notifications.rsvp_confirmed");
  pb::GetContactResponse contact_resp;
  for (const auto& token : {Token(id, {"alumnus"}), Token("a", {"admin", "coordinator"})}) {
    EXPECT_EQ(stub_->GetContact(Ctx(token).get(), contact, &contact_resp).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  pb::CheckEligibilityRequest eligibility;
  eligibility.set_member_id(id);
  eligibility.set_min_sober_days(90);
  eligibility.set_purpose("volunteering.signup");
  pb::CheckEligibilityResponse eligibility_resp;
  EXPECT_EQ(stub_->CheckEligibility(Ctx(Token(id, {"admin"})).get(), eligibility, &eligibility_resp)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Sql("SELECT count(*) FROM access_audit"), "0|\n");

  ASSERT_TRUE(stub_->GetContact(Ctx(service_).get(), contact, &contact_resp).ok());
  EXPECT_EQ(contact_resp.display_name(), "Gia C.");
  ASSERT_GE(contact_resp.contact_points_size(), 2);
  EXPECT_EQ(contact_resp.contact_points(0).address(), me.email());
  EXPECT_EQ(contact_resp.contact_points(1).address(), "+15551234567");
  EXPECT_FALSE(contact_resp.contact_points(0).consent_granted());  // never granted
  ASSERT_TRUE(stub_->CheckEligibility(Ctx(service_).get(), eligibility, &eligibility_resp).ok());
  EXPECT_EQ(eligibility_resp.eligibility(), pb::ELIGIBILITY_YES);
  eligibility.set_min_sober_days(36000);
  ASSERT_TRUE(stub_->CheckEligibility(Ctx(service_).get(), eligibility, &eligibility_resp).ok());
  EXPECT_EQ(eligibility_resp.eligibility(), pb::ELIGIBILITY_NO);
  // The answer is yes/no only: the response type has no room for a date, and says nothing else.
  EXPECT_EQ(eligibility_resp.ByteSizeLong(), 2u);

  EXPECT_EQ(Sql("SELECT accessed_by, purpose, what FROM access_audit ORDER BY id"),
            "notifications|notifications.rsvp_confirmed|contact|\n"
            "notifications|volunteering.signup|eligibility|\n"
            "notifications|volunteering.signup|eligibility|\n");
  pb::ListDisclosuresRequest list;
  list.set_member_id(id);
  list.set_page_size(2);
  pb::ListDisclosuresResponse list_resp;
  ASSERT_TRUE(stub_->ListDisclosures(Ctx(Token(id, {})).get(), list, &list_resp).ok());
  ASSERT_EQ(list_resp.disclosures_size(), 2);
  EXPECT_EQ(list_resp.disclosures(0).what(), "eligibility");
  ASSERT_FALSE(list_resp.next_page_token().empty());
  list.set_page_token(list_resp.next_page_token());
  ASSERT_TRUE(stub_->ListDisclosures(Ctx(Token(id, {})).get(), list, &list_resp).ok());
  ASSERT_EQ(list_resp.disclosures_size(), 1);
  EXPECT_EQ(list_resp.disclosures(0).purpose(), "notifications.rsvp_confirmed");
  EXPECT_EQ(stub_->ListDisclosures(Ctx(coordinator_).get(), list, &list_resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  contact.set_purpose("Because!");
  grpc::Status s = stub_->GetContact(Ctx(service_).get(), contact, &contact_resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("purpose:"));
}

TEST_F(PrivacyTest, ConsentChangesArePublishedOnceAndShownToNotifications) {
  pb::Member me = Register(hc::testing::UniqueName("consent") + "@example.org");
  const std::string id = me.member_id();
  auto set = [&](pb::ContactChannel channel, bool granted) {
    pb::UpdateConsentRequest req;
    req.set_member_id(id);
    req.set_channel(channel);
    req.set_granted(granted);
    pb::UpdateConsentResponse resp;
    EXPECT_TRUE(stub_->UpdateConsent(Ctx(Token(id, {})).get(), req, &resp).ok());
    return resp;
  };
  set(pb::CONTACT_CHANNEL_SMS, true);
  set(pb::CONTACT_CHANNEL_SMS, false);
  auto last = set(pb::CONTACT_CHANNEL_SMS, false);  // no change: no event
  ASSERT_EQ(last.consents_size(), 1);
  EXPECT_FALSE(last.consents(0).granted());
  pb::UpdateConsentRequest bad;
  bad.set_member_id(id);
  pb::UpdateConsentResponse bad_resp;
  grpc::Status s = stub_->UpdateConsent(Ctx(Token(id, {})).get(), bad, &bad_resp);
  EXPECT_THAT(s.error_message(), HasSubstr("channel:"));

  auto events = hc::testing::ReadTopic(
      hc::testing::KafkaBrokers(), "alumni.membership.v1", 2, std::chrono::seconds(15),
      [&](const hc::kafka::Message& m) {
        return m.key == id && m.Header("ce_type") == "alumni.membership.v1.MemberConsentChanged";
      });
  ASSERT_EQ(events.size(), 2u);
  pb::MemberConsentChanged revoked;
  ASSERT_TRUE(revoked.ParseFromString(events[1].value));
  EXPECT_EQ(revoked.channel(), pb::CONTACT_CHANNEL_SMS);
  EXPECT_FALSE(revoked.granted());

  pb::GetContactRequest contact;
  contact.set_member_id(id);
  contact.set_purpose("notifications.reminder");
  pb::GetContactResponse contact_resp;
  ASSERT_TRUE(stub_->GetContact(Ctx(service_).get(), contact, &contact_resp).ok());
  EXPECT_FALSE(contact_resp.contact_points(1).consent_granted());
}

TEST_F(PrivacyTest, OnlyAdminsAssignAndRevokeRoles) {
  pb::Member me = Register(hc::testing::UniqueName("role") + "@example.org");
  pb::AssignRoleRequest assign;
  assign.set_member_id(me.member_id());
  assign.set_role(pb::ROLE_PEER_MENTOR);
  pb::AssignRoleResponse resp;
  EXPECT_EQ(stub_->AssignRole(Ctx(coordinator_).get(), assign, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const std::string admin = Token("admin-1", {"admin"});
  ASSERT_TRUE(stub_->AssignRole(Ctx(admin).get(), assign, &resp).ok());
  EXPECT_THAT(resp.roles(), ::testing::ElementsAre(pb::ROLE_ALUMNUS, pb::ROLE_PEER_MENTOR));
  pb::RevokeRoleRequest revoke;
  revoke.set_member_id(me.member_id());
  revoke.set_role(pb::ROLE_ALUMNUS);
  pb::RevokeRoleResponse revoke_resp;
  ASSERT_TRUE(stub_->RevokeRole(Ctx(admin).get(), revoke, &revoke_resp).ok());
  EXPECT_THAT(revoke_resp.roles(), ::testing::ElementsAre(pb::ROLE_PEER_MENTOR));
  assign.set_role(static_cast<pb::Role>(42));
  EXPECT_THAT(stub_->AssignRole(Ctx(admin).get(), assign, &resp).error_message(),
              HasSubstr("role:"));
  auto events = hc::testing::ReadTopic(
      hc::testing::KafkaBrokers(), "alumni.membership.v1", 2, std::chrono::seconds(15),
      [&](const hc::kafka::Message& m) {
        return m.key == me.member_id() && m.Header("ce_type").find("Role") != std::string::npos;
      });
  ASSERT_EQ(events.size(), 2u);
  pb::MemberRoleAssigned assigned;
  ASSERT_TRUE(assigned.ParseFromString(events[0].value));
  EXPECT_EQ(assigned.role(), "peer_mentor");
  EXPECT_EQ(assigned.assigned_by(), "admin-1");
}

TEST_F(PrivacyTest, EachMilestoneIsAnnouncedOnceAcrossRunsAndReplicas) {
  const domain::Date today = domain::TodayUtc(std::chrono::system_clock::now());
  pb::Member thirty = RegisterWith("Tia", "T", "m30@example.org", domain::AddDays(today, -30));
  pb::Member year =
      RegisterWith("Yan", "Y", "m1y@example.org",
                   domain::Date{today.year - 1, today.month, std::min(today.day, 28)});
  pb::Member quiet = RegisterWith("Qin", "Q", "mq@example.org", domain::AddDays(today, -30));
  ASSERT_TRUE(SetPrivacy(thirty.member_id(), pb::DIRECTORY_VISIBILITY_HIDDEN, {}, true).ok());
  ASSERT_TRUE(SetPrivacy(year.member_id(), pb::DIRECTORY_VISIBILITY_HIDDEN, {}, true).ok());
  // `quiet` never opted in.

  // Two "replicas": separate connection pools and stores on the same database, racing.
  auto keys = *hc::crypto::DataKeys::FromHex(std::string(64, 'c'));
  hc::postgres::Pool pool_a({.url = db_.url()}), pool_b({.url = db_.url()});
  storage::MemberStore a(pool_a, keys), b(pool_b, keys);
  const domain::Date from = domain::AddDays(today, -7);
  auto run_a = std::async(std::launch::async, [&] { return a.AnnounceMilestones(from, today); });
  auto run_b = std::async(std::launch::async, [&] { return b.AnnounceMilestones(from, today); });
  int first = *run_a.get() + *run_b.get();
  int again = *a.AnnounceMilestones(from, today) + *b.AnnounceMilestones(from, today);
  EXPECT_EQ(first, 2);
  EXPECT_EQ(again, 0);

  auto events = hc::testing::ReadTopic(
      hc::testing::KafkaBrokers(), "alumni.membership.v1", 2, std::chrono::seconds(20),
      [&](const hc::kafka::Message& m) {
        return m.Header("ce_type") == "alumni.membership.v1.SobrietyMilestoneReached" &&
               (m.key == thirty.member_id() || m.key == year.member_id() ||
                m.key == quiet.member_id());
      });
  ASSERT_EQ(events.size(), 2u);
  std::map<std::string, pb::SobrietyMilestoneReached> by_member;
  for (const auto& m : events) by_member[m.key].ParseFromString(m.value);
  EXPECT_EQ(by_member[thirty.member_id()].milestone(), pb::MILESTONE_30_DAYS);
  EXPECT_EQ(by_member[year.member_id()].milestone(), pb::MILESTONE_YEARS);
  EXPECT_EQ(by_member[year.member_id()].years(), 1);

  // Starting over: a new sobriety date brings the 30-day milestone again, and nothing on
  // Kafka says the date changed.
  pb::UpdateProfileRequest restart;
  restart.set_member_id(thirty.member_id());
  const domain::Date new_start = domain::AddDays(today, -31);
  restart.mutable_member()->mutable_sobriety_date()->set_year(new_start.year);
  restart.mutable_member()->mutable_sobriety_date()->set_month(new_start.month);
  restart.mutable_member()->mutable_sobriety_date()->set_day(new_start.day);
  restart.mutable_update_mask()->add_paths("sobriety_date");
  pb::UpdateProfileResponse restarted;
  ASSERT_TRUE(
      stub_->UpdateProfile(Ctx(Token(thirty.member_id(), {})).get(), restart, &restarted).ok());
  EXPECT_EQ(*a.AnnounceMilestones(from, today), 1);
  auto after = hc::testing::ReadTopic(
      hc::testing::KafkaBrokers(), "alumni.membership.v1", 2, std::chrono::seconds(20),
      [&](const hc::kafka::Message& m) {
        return m.key == thirty.member_id() &&
               (m.Header("ce_type") == "alumni.membership.v1.SobrietyMilestoneReached" ||
                m.Header("ce_type") == "alumni.membership.v1.MemberProfileUpdated");
      });
  ASSERT_EQ(after.size(), 2u);
  for (const auto& m : after) {
    EXPECT_EQ(m.Header("ce_type"), "alumni.membership.v1.SobrietyMilestoneReached");
  }
}

}  // namespace
}  // namespace membership

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
                          const std::string& email, std::optional<domain::Date> sober = {},
                          const std::string& zone = "America/Chicago") {
    pb::RegisterMemberRequest r = NewMember(email);
    r.set_time_zone(zone);
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
  std::string volunteering_ = Token("volunteering", {"service"});
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

TEST_F(PrivacyTest, NamePrefixSearchFoldsCaseBeyondAscii) {
  pb::Member oscar =
      RegisterWith("Óscar", "Ibáñez", hc::testing::UniqueName("o1") + "@example.org");
  pb::Member siggi =
      RegisterWith("Siggi", "Ólafsson", hc::testing::UniqueName("o2") + "@example.org");
  pb::Member plain = RegisterWith("Oscar", "Plain", hc::testing::UniqueName("o3") + "@example.org");
  ASSERT_TRUE(SetPrivacy(oscar.member_id(), pb::DIRECTORY_VISIBILITY_ALUMNI, {}).ok());
  ASSERT_TRUE(SetPrivacy(siggi.member_id(), pb::DIRECTORY_VISIBILITY_ALUMNI,
                         {pb::DIRECTORY_FIELD_FULL_NAME})
                  .ok());
  ASSERT_TRUE(SetPrivacy(plain.member_id(), pb::DIRECTORY_VISIBILITY_ALUMNI, {}).ok());
  auto found = [&](const std::string& prefix) {
    std::set<std::string> ids;
    for (const auto& e : SearchAll(prefix, "", oscar.member_id())) ids.insert(e.member_id());
    return ids;
  };
  using Ids = std::set<std::string>;
  // "ó" finds Óscar by display name and Siggi by the last name he shows.
  EXPECT_EQ(found("ó"), (Ids{oscar.member_id(), siggi.member_id()}));
  EXPECT_EQ(found("Ó"), (Ids{oscar.member_id(), siggi.member_id()}));
  EXPECT_EQ(found("ós"), Ids{oscar.member_id()});
  EXPECT_EQ(found(" ÓLA"), Ids{siggi.member_id()});
  // Case is folded, accents are not: "o" is Oscar, not Óscar.
  EXPECT_EQ(found("o"), Ids{plain.member_id()});
}

TEST_F(PrivacyTest, NameSearchPagesDisplayAndShownNameMatchesInOneKeyOrder) {
  // Display-name matches and shown-last-name matches come from different indexes; small pages
  // must still list them once each, merged in display-name key order (ICU-folded, byte order:
  // "É" after "z"), and a hidden last name must not be found.
  auto listed = [&](const std::string& first, const std::string& last, bool full_name) {
    pb::Member m = RegisterWith(first, last, hc::testing::UniqueName("k") + "@example.org");
    std::vector<pb::DirectoryField> fields;
    if (full_name) fields.push_back(pb::DIRECTORY_FIELD_FULL_NAME);
    EXPECT_TRUE(SetPrivacy(m.member_id(), pb::DIRECTORY_VISIBILITY_ALUMNI, fields).ok());
    return m;
  };
  for (const char* first : {"Quillb", "Quilla", "Quilld", "Quillc"}) listed(first, "Smith", false);
  for (const char* first : {"Zed", "Émile", "Bea", "Ada", "Cy"}) listed(first, "Quillon", true);
  pb::Member hidden = listed("Hal", "Quillman", false);
  std::vector<std::string> names;
  std::string token;
  for (int pages = 0; pages < 10; ++pages) {
    pb::SearchDirectoryRequest req;
    req.set_name_prefix("QUILL");
    req.set_page_size(3);
    req.set_page_token(token);
    pb::SearchDirectoryResponse resp;
    grpc::Status s =
        stub_->SearchDirectory(Ctx(Token(hidden.member_id(), {"alumnus"})).get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_LE(resp.entries_size(), 3);
    for (const auto& e : resp.entries()) names.push_back(e.display_name());
    token = resp.next_page_token();
    if (token.empty()) break;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"Ada Q.", "Bea Q.", "Cy Q.", "Quilla S.", "Quillb S.",
                                             "Quillc S.", "Quilld S.", "Zed Q.", "Émile Q."}));
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
  // The member's token is refused from then on; an admin's second deletion changes nothing.
  EXPECT_EQ(stub_->DeleteMember(Ctx(token).get(), del, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(stub_->DeleteMember(Ctx(Token("admin-1", {"admin"})).get(), del, &resp).ok());

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
  // A service outside an RPC's list is refused too, and every refusal is audited.
  EXPECT_EQ(stub_->GetContact(Ctx(Token("events", {"service"})).get(), contact, &contact_resp)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(
      stub_->CheckEligibility(Ctx(service_).get(), eligibility, &eligibility_resp).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Sql("SELECT accessed_by, what FROM access_audit ORDER BY id"),
            id + "|refused GetContact|\na|refused GetContact|\n" + id +
                "|refused CheckEligibility|\nevents|refused GetContact|\n"
                "notifications|refused CheckEligibility|\n");
  Sql("DELETE FROM access_audit");

  ASSERT_TRUE(stub_->GetContact(Ctx(service_).get(), contact, &contact_resp).ok());
  EXPECT_EQ(contact_resp.display_name(), "Gia C.");
  ASSERT_GE(contact_resp.contact_points_size(), 2);
  EXPECT_FALSE(contact_resp.contact_points(0).consent_granted());  // never granted
  EXPECT_EQ(contact_resp.contact_points(0).address(), "");
  ASSERT_TRUE(
      stub_->CheckEligibility(Ctx(volunteering_).get(), eligibility, &eligibility_resp).ok());
  EXPECT_EQ(eligibility_resp.eligibility(), pb::ELIGIBILITY_YES);
  eligibility.set_min_sober_days(99 * 365);
  ASSERT_TRUE(
      stub_->CheckEligibility(Ctx(volunteering_).get(), eligibility, &eligibility_resp).ok());
  EXPECT_EQ(eligibility_resp.eligibility(), pb::ELIGIBILITY_NO);
  // The answer is yes/no only: the response type has no room for a date, and says nothing else.
  EXPECT_EQ(eligibility_resp.ByteSizeLong(), 2u);

  EXPECT_EQ(Sql("SELECT accessed_by, purpose, what FROM access_audit ORDER BY id"),
            "notifications|notifications.rsvp_confirmed|contact|\n"
            "volunteering|volunteering.signup|eligibility|\n"
            "volunteering|volunteering.signup|eligibility|\n");
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

TEST_F(PrivacyTest, EligibilityAnswersLadderThresholdsOnlyAndFewDistinctOnesPerCaller) {
  pb::Member me = RegisterWith("Eva", "Probe", hc::testing::UniqueName("probe") + "@example.org",
                               domain::Date{2020, 1, 1});
  const std::string id = me.member_id();
  const std::string volunteering = Token("volunteering", {"service"});
  auto ask = [&](int days) {
    pb::CheckEligibilityRequest req;
    req.set_member_id(id);
    req.set_min_sober_days(days);
    req.set_purpose("volunteering.signup");
    pb::CheckEligibilityResponse resp;
    return stub_->CheckEligibility(Ctx(volunteering).get(), req, &resp);
  };
  grpc::Status odd = ask(1000);
  EXPECT_EQ(odd.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(odd.error_message(), HasSubstr("min_sober_days:"));
  for (int days : {30, 90, 365, 30, 90}) {
    grpc::Status s = ask(days);
    EXPECT_TRUE(s.ok()) << days << ": " << s.error_message();
  }
  // A fourth distinct threshold is one too many; one asked before is still answered.
  grpc::Status fourth = ask(730);
  EXPECT_EQ(fourth.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(fourth.error_message(), HasSubstr("min_sober_days"));
  EXPECT_TRUE(ask(365).ok());
  // The refusal is on the member's record of disclosures.
  EXPECT_EQ(Sql("SELECT accessed_by, what, min_sober_days FROM access_audit "
                "WHERE what <> 'eligibility' AND member_id = '" +
                id + "'"),
            "volunteering|eligibility_refused|730|\n");

  // The count lives in PostgreSQL: another replica (its own pool and store) refuses too, while
  // another caller has its own allowance.
  auto keys = *hc::crypto::DataKeys::FromHex(std::string(64, 'c'));
  hc::postgres::Pool pool({.url = db_.url()});
  storage::MemberStore replica(pool, keys);
  const domain::Date today = domain::TodayUtc(std::chrono::system_clock::now());
  EXPECT_EQ(replica.CheckEligibility(id, 1825, today, "volunteering", "volunteering.signup")
                .status()
                .code(),
            absl::StatusCode::kResourceExhausted);
  auto other = replica.CheckEligibility(id, 1825, today, "events", "events.check");
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(*other, domain::Eligibility::kYes);
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

TEST_F(PrivacyTest, GetContactGivesAnAddressOnlyForChannelsWithConsentGranted) {
  pb::Member me = Register(hc::testing::UniqueName("reach") + "@example.org");
  const std::string id = me.member_id();
  auto consent = [&](pb::ContactChannel channel, bool granted) {
    pb::UpdateConsentRequest req;
    req.set_member_id(id);
    req.set_channel(channel);
    req.set_granted(granted);
    pb::UpdateConsentResponse resp;
    ASSERT_TRUE(stub_->UpdateConsent(Ctx(Token(id, {})).get(), req, &resp).ok());
  };
  auto addresses = [&] {
    pb::GetContactRequest req;
    req.set_member_id(id);
    req.set_purpose("notifications.reminder");
    pb::GetContactResponse resp;
    grpc::Status s = stub_->GetContact(Ctx(service_).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::map<pb::ContactChannel, std::string> out;
    for (const auto& p : resp.contact_points()) out[p.channel()] = p.address();
    return out;
  };
  using Addresses = std::map<pb::ContactChannel, std::string>;
  // Never asked: no address at all.
  EXPECT_EQ(addresses(), (Addresses{{pb::CONTACT_CHANNEL_EMAIL, ""},
                                    {pb::CONTACT_CHANNEL_SMS, ""},
                                    {pb::CONTACT_CHANNEL_PUSH, ""}}));
  consent(pb::CONTACT_CHANNEL_EMAIL, true);
  EXPECT_EQ(addresses(), (Addresses{{pb::CONTACT_CHANNEL_EMAIL, me.email()},
                                    {pb::CONTACT_CHANNEL_SMS, ""},
                                    {pb::CONTACT_CHANNEL_PUSH, ""}}));
  consent(pb::CONTACT_CHANNEL_SMS, true);
  consent(pb::CONTACT_CHANNEL_EMAIL, false);
  EXPECT_EQ(addresses(), (Addresses{{pb::CONTACT_CHANNEL_EMAIL, ""},
                                    {pb::CONTACT_CHANNEL_SMS, "+15551234567"},
                                    {pb::CONTACT_CHANNEL_PUSH, ""}}));
}

TEST_F(PrivacyTest, ProgramIsSealedAtRestAndOldPlainValuesAreSealedAtStart) {
  pb::Member me = Register(hc::testing::UniqueName("prog") + "@example.org");  // PROGRAM_IOP
  const std::string id = me.member_id();
  const std::string where = " FROM members WHERE member_id = '" + id + "'";
  EXPECT_EQ(Sql("SELECT program, octet_length(program_sealed) > 24" + where), "0|t|\n");
  pb::Member read;
  ASSERT_TRUE(Get(Token(id, {}), id, &read).ok());
  EXPECT_EQ(read.program(), pb::PROGRAM_IOP);

  // A row written before sealing (plain column set, nothing sealed) is sealed by the start-up
  // backfill, once, and reads the same.
  Sql("UPDATE members SET program = 3, program_sealed = NULL WHERE member_id = '" + id + "'");
  auto keys = *hc::crypto::DataKeys::FromHex(std::string(64, 'c'));
  hc::postgres::Pool pool({.url = db_.url()});
  storage::MemberStore store(pool, keys);
  EXPECT_EQ(*store.SealPlainPrograms(), 1);
  EXPECT_EQ(*store.SealPlainPrograms(), 0);
  EXPECT_EQ(Sql("SELECT program, octet_length(program_sealed) > 24" + where), "0|t|\n");
  auto loaded = store.Get(id);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->program, domain::Program::kPhp);
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
  pb::Member thirty =
      RegisterWith("Tia", "T", "m30@example.org", domain::AddDays(today, -30), "UTC");
  pb::Member year =
      RegisterWith("Yan", "Y", "m1y@example.org",
                   domain::Date{today.year - 1, today.month, std::min(today.day, 28)}, "UTC");
  pb::Member quiet = RegisterWith("Qin", "Q", "mq@example.org", domain::AddDays(today, -30), "UTC");
  ASSERT_TRUE(SetPrivacy(thirty.member_id(), pb::DIRECTORY_VISIBILITY_HIDDEN, {}, true).ok());
  ASSERT_TRUE(SetPrivacy(year.member_id(), pb::DIRECTORY_VISIBILITY_HIDDEN, {}, true).ok());
  // `quiet` never opted in. The others did a week ago (the 1-year milestone may have been
  // yesterday).
  Sql("UPDATE members SET celebrating_since = now() - interval '7 days' WHERE "
      "celebrate_milestones");

  // Two "replicas": separate connection pools and stores on the same database, racing.
  auto keys = *hc::crypto::DataKeys::FromHex(std::string(64, 'c'));
  hc::postgres::Pool pool_a({.url = db_.url()}), pool_b({.url = db_.url()});
  storage::MemberStore a(pool_a, keys), b(pool_b, keys);
  const auto now = std::chrono::system_clock::now();
  auto run_a = std::async(std::launch::async, [&] { return a.AnnounceMilestones(now); });
  auto run_b = std::async(std::launch::async, [&] { return b.AnnounceMilestones(now); });
  int first = *run_a.get() + *run_b.get();
  int again = *a.AnnounceMilestones(now) + *b.AnnounceMilestones(now);
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
  EXPECT_EQ(*a.AnnounceMilestones(now), 1);
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

// With an injected clock: milestones fall on the member's own calendar day, and one missed by an
// outage longer than any look-back is still announced once, the latest one.
TEST_F(PrivacyTest, MilestonesFollowTheMembersTimeZoneAndSurviveALongOutage) {
  using namespace std::chrono;
  // 10:30 UTC three days from now: already tomorrow in Kiritimati (UTC+14), still yesterday in
  // Pago Pago (UTC-11).
  const auto now = floor<days>(system_clock::now()) + days{3} + hours{10} + minutes{30};
  const domain::Date day = domain::TodayUtc(now);
  auto member = [&](const std::string& name, domain::Date since, const std::string& zone,
                    system_clock::time_point opted_in) {
    pb::Member m =
        RegisterWith(name, "M", hc::testing::UniqueName(name) + "@example.org", since, zone);
    EXPECT_TRUE(SetPrivacy(m.member_id(), pb::DIRECTORY_VISIBILITY_HIDDEN, {}, true).ok());
    Sql("UPDATE members SET celebrating_since = to_timestamp(" +
        std::to_string(duration_cast<seconds>(opted_in.time_since_epoch()).count()) +
        ") WHERE member_id = '" + m.member_id() + "'");
    return m.member_id();
  };
  // Day 30 by Kiritimati's calendar, day 29 by UTC's.
  const std::string east =
      member("East", domain::AddDays(day, 1 - 30), "Pacific/Kiritimati", now - days{1});
  // Day 30 by UTC's calendar, day 29 by Pago Pago's.
  const std::string west =
      member("West", domain::AddDays(day, -30), "Pacific/Pago_Pago", now - days{1});
  // Opted in long ago; the job was down from before day 30 until after day 90.
  const std::string outage = member("Out", domain::AddDays(day, -100), "UTC", now - days{95});
  // Day 30 came before the member chose to celebrate.
  const std::string late = member("Late", domain::AddDays(day, -35), "UTC", now - days{2});

  auto keys = *hc::crypto::DataKeys::FromHex(std::string(64, 'c'));
  hc::postgres::Pool pool({.url = db_.url()});
  storage::MemberStore store(pool, keys);
  auto announced = [&] {
    return Sql("SELECT member_id, milestone FROM member_milestones ORDER BY member_id");
  };
  auto row = [](const std::string& id, const std::string& milestone) {
    return id + "|" + milestone + "|\n";
  };
  EXPECT_EQ(*store.AnnounceMilestones(now), 2);
  std::map<std::string, std::string> want = {{east, "30d"}, {outage, "90d"}};
  std::string expected;
  for (const auto& [id, milestone] : want) expected += row(id, milestone);
  EXPECT_EQ(announced(), expected);
  EXPECT_EQ(*store.AnnounceMilestones(now), 0);
  // A day later it is day 30 in Pago Pago too; nothing else is due.
  EXPECT_EQ(*store.AnnounceMilestones(now + days{1}), 1);
  want[west] = "30d";
  expected.clear();
  for (const auto& [id, milestone] : want) expected += row(id, milestone);
  EXPECT_EQ(announced(), expected);
  EXPECT_EQ(Sql("SELECT count(*) FROM member_milestones WHERE member_id = '" + late + "'"), "0|\n");
}

TEST_F(PrivacyTest, ResolveSignInAnswersOnlyTheEdgeAndNeverFindsAnErasedMember) {
  const std::string email = hc::testing::UniqueName("signin") + "@example.org";
  pb::Member me = RegisterWith("Sid", "Inn", email);
  pb::ResolveSignInRequest by_email;
  // Addresses are compared normalised: case and surrounding spaces don't matter.
  std::string shouted = email;
  for (char& c : shouted) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  by_email.set_email("  " + shouted + " ");
  pb::ResolveSignInResponse resp;

  // Only the edge's service identity: not a member, staff, or another service.
  for (const std::string& token :
       {Token(me.member_id(), {"alumnus"}), Token("admin-1", {"admin"}),
        Token("notifications", {"service"}), Token("edge", {"alumnus"})}) {
    EXPECT_EQ(stub_->ResolveSignIn(Ctx(token).get(), by_email, &resp).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  const std::string edge = Token("edge", {"service"});
  ASSERT_TRUE(stub_->ResolveSignIn(Ctx(edge).get(), by_email, &resp).ok());
  EXPECT_TRUE(resp.found());
  EXPECT_EQ(resp.member_id(), me.member_id());
  EXPECT_EQ(resp.display_name(), "Sid I.");
  EXPECT_THAT(resp.roles(), ::testing::ElementsAre(pb::ROLE_ALUMNUS));

  // Roles are the current ones, by id too.
  pb::AssignRoleRequest assign;
  assign.set_member_id(me.member_id());
  assign.set_role(pb::ROLE_COORDINATOR);
  pb::AssignRoleResponse assigned;
  ASSERT_TRUE(stub_->AssignRole(Ctx(Token("admin-1", {"admin"})).get(), assign, &assigned).ok());
  pb::ResolveSignInRequest by_id;
  by_id.set_member_id(me.member_id());
  ASSERT_TRUE(stub_->ResolveSignIn(Ctx(edge).get(), by_id, &resp).ok());
  EXPECT_TRUE(resp.found());
  EXPECT_THAT(resp.roles(), ::testing::ElementsAre(pb::ROLE_ALUMNUS, pb::ROLE_COORDINATOR));

  pb::ResolveSignInRequest stranger;
  stranger.set_email(hc::testing::UniqueName("nobody") + "@example.org");
  ASSERT_TRUE(stub_->ResolveSignIn(Ctx(edge).get(), stranger, &resp).ok());
  EXPECT_FALSE(resp.found());
  EXPECT_TRUE(resp.member_id().empty());

  pb::ResolveSignInRequest neither;
  EXPECT_EQ(stub_->ResolveSignIn(Ctx(edge).get(), neither, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  pb::ResolveSignInRequest bad_id;
  bad_id.set_member_id("not-a-uuid");
  EXPECT_EQ(stub_->ResolveSignIn(Ctx(edge).get(), bad_id, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // Erased: found by neither address nor id.
  pb::DeleteMemberRequest del;
  del.set_member_id(me.member_id());
  pb::DeleteMemberResponse deleted;
  ASSERT_TRUE(stub_->DeleteMember(Ctx(Token("admin-1", {"admin"})).get(), del, &deleted).ok());
  ASSERT_TRUE(stub_->ResolveSignIn(Ctx(edge).get(), by_email, &resp).ok());
  EXPECT_FALSE(resp.found());
  ASSERT_TRUE(stub_->ResolveSignIn(Ctx(edge).get(), by_id, &resp).ok());
  EXPECT_FALSE(resp.found());
  EXPECT_TRUE(resp.roles().empty());
}

}  // namespace
}  // namespace membership

// MentorshipStore against the real PostgreSQL: capacity under concurrent accepts, the choice's
// deadline, sealing, and erasure.
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>

#include "alumni/volunteering/v1/volunteering_events.pb.h"
#include "libs/ids/ids.h"
#include "libs/service/runtime.h"
#include "libs/testing/testing.h"
#include "services/volunteering/src/messaging/mentorship_poller.h"
#include "services/volunteering/src/storage/mentorship_store.h"
#include "services/volunteering/test/test_support.h"

const std::vector<hc::postgres::Migration>& volunteering_lib_migrations();

namespace volunteering::storage {
namespace {

namespace pb = alumni::volunteering::v1;
using mentorship::MatchStatus;

const absl::Time kNow = absl::FromCivil(absl::CivilHour(2027, 1, 11, 9), absl::UTCTimeZone());

mentorship::Availability Evenings() {
  mentorship::Availability a{.time_zone = "Europe/Berlin"};
  for (int d = 0; d < 7; ++d) a.windows.push_back({d, 18 * 60, 21 * 60});
  return a;
}

class MentorshipStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    settings_ = test_support::Common(db_.url(), "127.0.0.1:1", 8);
    ASSERT_TRUE(hc::service::Runtime::Migrate(settings_, volunteering_lib_migrations(), true).ok());
    pool_ = std::make_unique<hc::postgres::Pool>(hc::postgres::PoolOptions{
        .url = db_.url(), .size = 16, .acquire_timeout = std::chrono::seconds(30)});
    store_ = std::make_unique<MentorshipStore>(*pool_, keys_, facts_, zones_);
  }

  std::string Mentor(int capacity, const std::string& language, const std::string& intro = "") {
    MentorProfileRecord p{.mentor = {.member_id = hc::ids::NewUuid(),
                                     .capacity = capacity,
                                     .accepting = true,
                                     .programs = {"outpatient"},
                                     .interests = {"running"},
                                     .languages = {language},
                                     .availability = Evenings()},
                          .introduction = intro};
    auto saved = store_->UpsertProfile(p, kNow);
    EXPECT_TRUE(saved.ok()) << saved.status();
    return p.mentor.member_id;
  }

  struct Asked {
    std::string mentee_id;
    std::string request_id;
  };
  // A new mentee's request in `language`.
  Asked Ask(const std::string& language) {
    mentorship::MenteeRequest r{.member_id = hc::ids::NewUuid(),
                                .programs = {"outpatient"},
                                .language = language,
                                .availability = Evenings()};
    auto requested = store_->Request(r, "", kNow);
    EXPECT_TRUE(requested.ok()) << requested.status();
    return {r.member_id, requested->request_id};
  }

  mentorship::Match Choose(const Asked& asked, const std::string& mentor) {
    auto chosen =
        store_->Choose(asked.mentee_id, asked.request_id, mentor, kNow, kNow + absl::Hours(72));
    EXPECT_TRUE(chosen.ok()) << chosen.status();
    return *chosen;
  }

  // A new mentee's request in `language`, and their choice of `mentor`.
  mentorship::Match Chosen(const std::string& mentor, const std::string& language) {
    return Choose(Ask(language), mentor);
  }

  int Count(const std::string& sql) {
    pqxx::connection conn(db_.url());
    pqxx::nontransaction tx(conn);
    return tx.exec1(sql)[0].as<int>();
  }

  hc::testing::TestDatabase db_{"mentorship"};
  hc::config::ServiceSettings settings_;
  hc::crypto::DataKeys keys_ = *hc::crypto::DataKeys::FromHex(std::string(64, 'a'));
  facts::MentorshipFacts facts_{"alumni.volunteering.v1"};
  hc::tz::SystemTimeZones zones_;
  std::unique_ptr<hc::postgres::Pool> pool_;
  std::unique_ptr<MentorshipStore> store_;
};

TEST_F(MentorshipStoreTest, FiftyConcurrentAcceptsForTenPlacesMakeTenMatches) {
  // Five mentors of capacity 5 with 3 places taken each: 10 places left, 10 choices waiting
  // for each mentor, all 50 accepted at once.
  std::vector<std::string> mentors;
  std::vector<mentorship::Match> waiting;
  for (int i = 0; i < 5; ++i) {
    const std::string language = "l" + std::to_string(i);
    mentors.push_back(Mentor(5, language));
    // Asked before any choice: a mentor's waiting choices count as load in the ranking, so
    // later requests would no longer be shown a mentor with 5 choices waiting.
    std::vector<Asked> asked;
    for (int j = 0; j < 13; ++j) asked.push_back(Ask(language));
    std::vector<mentorship::Match> mine;
    for (const auto& a : asked) mine.push_back(Choose(a, mentors.back()));
    for (int j = 0; j < 3; ++j) {
      auto r = store_->Respond(mentors.back(), mine[j].match_id, true, kNow);
      ASSERT_TRUE(r.ok() && r->status.ok());
    }
    waiting.insert(waiting.end(), mine.begin() + 3, mine.end());
  }
  ASSERT_EQ(waiting.size(), 50u);
  std::atomic<int> started = 0, full = 0, other = 0;
  std::latch go(static_cast<std::ptrdiff_t>(waiting.size()));
  std::vector<std::thread> threads;
  for (const auto& m : waiting) {
    threads.emplace_back([&, m] {
      go.arrive_and_wait();
      auto r = store_->Respond(m.mentor_id, m.match_id, true, kNow + absl::Minutes(1));
      if (r.ok() && r->status.ok() && r->match.status == MatchStatus::kActive) {
        ++started;
      } else if (r.ok() && absl::IsFailedPrecondition(r->status)) {
        ++full;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(started.load(), 10);
  EXPECT_EQ(full.load(), 40);
  EXPECT_EQ(other.load(), 0);
  for (const auto& mentor : mentors) {
    EXPECT_EQ(Count("SELECT count(*)::int FROM mentorship_matches WHERE status = 2 AND "
                    "mentor_id = '" +
                    mentor + "'"),
              5);
  }
  EXPECT_EQ(Count("SELECT count(*)::int FROM outbox WHERE ce_type LIKE '%MentorshipStarted'"), 25);
}

TEST_F(MentorshipStoreTest, AnAnswerAfterTheDeadlineExpiresTheChoice) {
  const std::string mentor = Mentor(2, "en");
  auto m = Chosen(mentor, "en");
  auto late = store_->Respond(mentor, m.match_id, true, kNow + absl::Hours(73));
  ASSERT_TRUE(late.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(late->status));
  EXPECT_EQ(late->match.status, MatchStatus::kExpired);
  EXPECT_EQ(Count("SELECT count(*)::int FROM mentorship_matches WHERE status = 4"), 1);
  // The mentee may pick again, but not the one who let it lapse.
  auto again = store_->Choose(m.mentee_id, m.request_id, mentor, kNow, kNow + absl::Hours(72));
  EXPECT_TRUE(absl::IsFailedPrecondition(again.status())) << again.status();
}

TEST_F(MentorshipStoreTest, OnlyTheChosenMentorAnswersAndOnlyTheMenteeChooses) {
  const std::string mentor = Mentor(2, "en");
  auto m = Chosen(mentor, "en");
  EXPECT_TRUE(
      absl::IsNotFound(store_->Respond(hc::ids::NewUuid(), m.match_id, true, kNow).status()));
  EXPECT_TRUE(absl::IsNotFound(
      store_->Choose(hc::ids::NewUuid(), m.request_id, mentor, kNow, kNow).status()));
}

TEST_F(MentorshipStoreTest, IntroductionIsSealedAndShownToTheMatchedMentee) {
  const std::string mentor = Mentor(2, "en", "Ten years sober, happy to walk with you.");
  EXPECT_EQ(Count("SELECT count(*)::int FROM mentor_profiles WHERE position(convert_to('Ten "
                  "years', 'UTF8') in "
                  "introduction) > 0"),
            0);
  auto m = Chosen(mentor, "en");
  auto before = store_->Mine(m.mentee_id);
  ASSERT_TRUE(before.ok());
  EXPECT_TRUE(before->introductions.empty()) << "not before the mentor said yes";
  ASSERT_TRUE(store_->Respond(mentor, m.match_id, true, kNow)->status.ok());
  auto after = store_->Mine(m.mentee_id);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->introductions.at(mentor), "Ten years sober, happy to walk with you.");
  EXPECT_EQ(after->as_mentee.size(), 1u);
  auto as_mentor = store_->Mine(mentor);
  EXPECT_EQ(as_mentor->as_mentor.size(), 1u);
}

TEST_F(MentorshipStoreTest, SameGenderMatchesTheNormalisedFingerprintOnly) {
  MentorProfileRecord p{.mentor = {.member_id = hc::ids::NewUuid(),
                                   .capacity = 2,
                                   .accepting = true,
                                   .languages = {"en"},
                                   .availability = Evenings()},
                        .gender = "Non-binary"};
  ASSERT_TRUE(store_->UpsertProfile(p, kNow).ok());
  Mentor(2, "en");  // no gender given
  mentorship::MenteeRequest r{.member_id = hc::ids::NewUuid(),
                              .language = "en",
                              .availability = Evenings(),
                              .same_gender = true};
  auto got = store_->Request(r, "  non-BINARY ", kNow);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->proposals.size(), 1u);
  EXPECT_EQ(got->proposals[0].mentor_id, p.mentor.member_id);
  EXPECT_EQ(store_->GetProfile(p.mentor.member_id)->gender, "Non-binary");
}

TEST_F(MentorshipStoreTest, ErasureEndsMatchesFreesThePlaceAndNamesOnlyTheOtherParty) {
  const std::string mentor = Mentor(1, "en");
  auto m = Chosen(mentor, "en");
  ASSERT_TRUE(store_->Respond(mentor, m.match_id, true, kNow)->status.ok());
  ASSERT_TRUE(pool_
                  ->InTransaction([&](hc::postgres::Tx& tx) {
                    store_->EraseMemberIn(tx, m.mentee_id, kNow);
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(Count("SELECT count(*)::int FROM mentorship_matches"), 0);
  EXPECT_EQ(Count("SELECT count(*)::int FROM mentorship_requests WHERE mentee_id = '" +
                  m.mentee_id + "'"),
            0);
  // The place is free again: a new mentee's choice can be accepted.
  auto next = Chosen(mentor, "en");
  EXPECT_TRUE(store_->Respond(mentor, next.match_id, true, kNow)->status.ok());
  // The MentorshipEnded fact names the mentor only.
  pqxx::connection conn(db_.url());
  pqxx::nontransaction tx(conn);
  auto rows =
      tx.exec("SELECT payload FROM outbox WHERE ce_type LIKE '%MentorshipEnded' ORDER BY seq");
  ASSERT_EQ(rows.size(), 1u);
  const std::string payload = pqxx::binarystring(rows[0][0]).str();
  EXPECT_NE(payload.find(mentor), std::string::npos);
  EXPECT_EQ(payload.find(m.mentee_id), std::string::npos);
}

TEST_F(MentorshipStoreTest, CheckInNotesAreSealedAndShownOnlyToTheirAuthor) {
  const std::string mentor = Mentor(2, "en");
  auto m = Chosen(mentor, "en");
  EXPECT_TRUE(absl::IsFailedPrecondition(
      store_->LogCheckIn(m.mentee_id, m.match_id, absl::CivilDay(2027, 1, 11), "", kNow).status()))
      << "not before the mentor said yes";
  ASSERT_TRUE(store_->Respond(mentor, m.match_id, true, kNow)->status.ok());
  ASSERT_TRUE(store_
                  ->LogCheckIn(m.mentee_id, m.match_id, absl::CivilDay(2027, 1, 11),
                               "Talked about my first month back at work", kNow)
                  .ok());
  ASSERT_TRUE(
      store_->LogCheckIn(mentor, m.match_id, absl::CivilDay(2027, 1, 12), "Went well", kNow).ok());
  EXPECT_TRUE(absl::IsNotFound(
      store_->LogCheckIn(hc::ids::NewUuid(), m.match_id, absl::CivilDay(2027, 1, 12), "", kNow)
          .status()));
  EXPECT_EQ(Count("SELECT count(*)::int FROM mentorship_check_ins WHERE position(convert_to('first "
                  "month', 'UTF8') in "
                  "note) > 0"),
            0);
  auto as_mentee = store_->ListCheckIns(m.mentee_id, m.match_id);
  ASSERT_TRUE(as_mentee.ok());
  ASSERT_EQ(as_mentee->size(), 2u);
  EXPECT_EQ((*as_mentee)[0].note, "Talked about my first month back at work");
  EXPECT_EQ((*as_mentee)[1].note, "") << "the mentor's note is the mentor's";
  auto as_mentor = store_->ListCheckIns(mentor, m.match_id);
  EXPECT_EQ((*as_mentor)[0].note, "");
  EXPECT_EQ((*as_mentor)[1].note, "Went well");
  EXPECT_TRUE(absl::IsNotFound(store_->ListCheckIns(hc::ids::NewUuid(), m.match_id).status()));
}

TEST_F(MentorshipStoreTest, AConcernPausesTheMatchAndABlockedPairIsNeverProposedAgain) {
  const std::string mentor = Mentor(2, "en");
  auto m = Chosen(mentor, "en");
  ASSERT_TRUE(store_->Respond(mentor, m.match_id, true, kNow)->status.ok());
  auto paused = store_->ReportConcern(m.mentee_id, m.match_id, 2, /*block=*/true, kNow);
  ASSERT_TRUE(paused.ok()) << paused.status();
  EXPECT_EQ(paused->status, MatchStatus::kPaused);
  auto overview = store_->Overview(kNow);
  EXPECT_EQ(overview->paused, 1);
  EXPECT_EQ(overview->active, 0);
  ASSERT_TRUE(store_->End(m.mentee_id, m.match_id, mentorship::EndReason::kNotAFit, kNow).ok());
  mentorship::MenteeRequest again{
      .member_id = m.mentee_id, .language = "en", .availability = Evenings()};
  auto asked = store_->Request(again, "", kNow);
  ASSERT_TRUE(asked.ok()) << asked.status();
  EXPECT_TRUE(asked->proposals.empty()) << "the only mentor is blocked";
  // The fact names no member.
  pqxx::connection conn(db_.url());
  pqxx::nontransaction tx(conn);
  auto rows = tx.exec(
      "SELECT payload FROM outbox WHERE ce_type LIKE '%MentorshipConcernReported' ORDER BY seq");
  ASSERT_EQ(rows.size(), 1u);
  const std::string payload = pqxx::binarystring(rows[0][0]).str();
  EXPECT_EQ(payload.find(mentor), std::string::npos);
  EXPECT_EQ(payload.find(m.mentee_id), std::string::npos);
}

TEST_F(MentorshipStoreTest, PollerExpiresUnansweredChoicesAndRemindsQuietMatchesOnce) {
  const std::string mentor = Mentor(3, "en");
  auto unanswered = Chosen(mentor, "en");
  auto active = Chosen(mentor, "en");
  ASSERT_TRUE(store_->Respond(mentor, active.match_id, true, kNow)->status.ok());
  EXPECT_EQ(*store_->ExpireChoices(kNow + absl::Hours(71), 100), 0);
  EXPECT_EQ(*store_->ExpireChoices(kNow + absl::Hours(73), 100), 1);
  EXPECT_EQ(*store_->ExpireChoices(kNow + absl::Hours(74), 100), 0);
  EXPECT_EQ(
      Count("SELECT status FROM mentorship_matches WHERE match_id = '" + unanswered.match_id + "'"),
      4);
  const absl::Duration month = absl::Hours(24 * 30);
  EXPECT_EQ(*store_->MarkCheckInsDue(kNow + absl::Hours(24 * 29), month, 100), 0);
  EXPECT_EQ(*store_->MarkCheckInsDue(kNow + absl::Hours(24 * 31), month, 100), 1);
  EXPECT_EQ(*store_->MarkCheckInsDue(kNow + absl::Hours(24 * 40), month, 100), 0) << "once";
  ASSERT_TRUE(store_
                  ->LogCheckIn(active.mentee_id, active.match_id, absl::CivilDay(2027, 2, 20), "",
                               kNow + absl::Hours(24 * 41))
                  .ok());
  EXPECT_EQ(*store_->MarkCheckInsDue(kNow + absl::Hours(24 * 60), month, 100), 0);
  EXPECT_EQ(*store_->MarkCheckInsDue(kNow + absl::Hours(24 * 72), month, 100), 1);
  EXPECT_EQ(Count("SELECT count(*)::int FROM outbox WHERE ce_type LIKE '%MentorCheckInDue'"), 2);
  EXPECT_EQ(Count("SELECT count(*)::int FROM outbox WHERE ce_type LIKE '%MentorChoiceLapsed'"), 1);
}

// The fact of `type` in the outbox, newest last, parsed.
template <typename Fact>
std::vector<Fact> OutboxFacts(const std::string& url) {
  pqxx::connection conn(url);
  pqxx::nontransaction tx(conn);
  std::vector<Fact> out;
  for (const auto& row : tx.exec("SELECT payload FROM outbox WHERE ce_type = '" +
                                 Fact::descriptor()->full_name() + "' ORDER BY seq")) {
    Fact fact;
    EXPECT_TRUE(fact.ParseFromString(pqxx::binarystring(row[0]).str()));
    out.push_back(std::move(fact));
  }
  return out;
}

TEST_F(MentorshipStoreTest, MentorshipStartedCarriesEachPartysSharingChoiceAsBooleansOnly) {
  // The mentor shares their email (profile), the first mentee nothing, the second their phone.
  MentorProfileRecord p{.mentor = {.member_id = hc::ids::NewUuid(),
                                   .capacity = 2,
                                   .accepting = true,
                                   .programs = {"outpatient"},
                                   .languages = {"en"},
                                   .availability = Evenings()},
                        .share_contact = {.email = true}};
  ASSERT_TRUE(store_->UpsertProfile(p, kNow).ok());
  const std::string mentor = p.mentor.member_id;
  EXPECT_EQ(store_->GetProfile(mentor)->share_contact,
            (mentorship::ContactSharing{.email = true, .phone = false}));
  auto quiet = Chosen(mentor, "en");
  mentorship::MenteeRequest r{.member_id = hc::ids::NewUuid(),
                              .programs = {"outpatient"},
                              .language = "en",
                              .availability = Evenings(),
                              .share_contact = {.phone = true}};
  auto requested = store_->Request(r, "", kNow);
  ASSERT_TRUE(requested.ok()) << requested.status();
  auto sharing = Choose({r.member_id, requested->request_id}, mentor);
  ASSERT_TRUE(store_->Respond(mentor, quiet.match_id, true, kNow)->status.ok());
  ASSERT_TRUE(store_->Respond(mentor, sharing.match_id, true, kNow)->status.ok());

  const auto started = OutboxFacts<pb::MentorshipStarted>(db_.url());
  ASSERT_EQ(started.size(), 2u);
  EXPECT_EQ(started[0].match_id(), quiet.match_id);
  EXPECT_FALSE(started[0].mentee_shares_email());
  EXPECT_FALSE(started[0].mentee_shares_phone());
  EXPECT_TRUE(started[0].mentor_shares_email());
  EXPECT_FALSE(started[0].mentor_shares_phone());
  EXPECT_EQ(started[1].match_id(), sharing.match_id);
  EXPECT_FALSE(started[1].mentee_shares_email());
  EXPECT_TRUE(started[1].mentee_shares_phone());
  EXPECT_TRUE(started[1].mentor_shares_email());
  // Booleans only: no address anywhere in the outbox (none is known to volunteering).
  EXPECT_EQ(Count("SELECT count(*)::int FROM outbox WHERE position('@'::bytea in payload) > 0"), 0);
}

TEST_F(MentorshipStoreTest, MentorshipEndedNamesWhoEndedItAndNobodyWhenAConcernEndsAChoice) {
  const std::string mentor = Mentor(2, "en");
  auto active = Chosen(mentor, "en");
  ASSERT_TRUE(store_->Respond(mentor, active.match_id, true, kNow)->status.ok());
  ASSERT_TRUE(
      store_->End(active.mentee_id, active.match_id, mentorship::EndReason::kCompleted, kNow).ok());
  // Ending again answers as it stands and records nothing more.
  ASSERT_TRUE(store_->End(mentor, active.match_id, mentorship::EndReason::kNoTime, kNow).ok());
  auto awaited = Chosen(mentor, "en");
  ASSERT_TRUE(store_->ReportConcern(mentor, awaited.match_id, 1, false, kNow).ok());

  const auto ended = OutboxFacts<pb::MentorshipEnded>(db_.url());
  ASSERT_EQ(ended.size(), 2u);
  EXPECT_EQ(ended[0].match_id(), active.match_id);
  EXPECT_EQ(ended[0].ended_by(), active.mentee_id);
  EXPECT_EQ(ended[1].match_id(), awaited.match_id);
  EXPECT_EQ(ended[1].ended_by(), "");
}

// The poller's loop, not just its batches: a clock the test moves, and rows the loop must
// change on its own.
class MentorshipPollerLoopTest : public MentorshipStoreTest {
 protected:
  messaging::MentorshipPoller::Clock TestClock() {
    return [this] {
      calls_.fetch_add(1);
      std::lock_guard lock(mu_);
      return now_;
    };
  }
  void SetNow(absl::Time t) {
    std::lock_guard lock(mu_);
    now_ = t;
  }
  int MatchesWithStatus(int status) {
    return Count("SELECT count(*)::int FROM mentorship_matches WHERE status = " +
                 std::to_string(status));
  }
  int Facts(const std::string& type) {
    return Count("SELECT count(*)::int FROM outbox WHERE ce_type LIKE '%" + type + "'");
  }

  std::mutex mu_;
  absl::Time now_ = kNow;  // guarded by mu_
  std::atomic<int> calls_{0};
};

TEST_F(MentorshipPollerLoopTest, LoopRunsBothJobsOnItsIntervalAndDrainsBatches) {
  const std::string mentor = Mentor(5, "en");
  for (int i = 0; i < 3; ++i) Chosen(mentor, "en");
  auto active = Chosen(mentor, "en");
  ASSERT_TRUE(store_->Respond(mentor, active.match_id, true, kNow)->status.ok());

  // Batches of one: three lapsed choices need the round to keep taking batches.
  messaging::MentorshipPoller poller(
      *store_, TestClock(),
      {.interval = std::chrono::milliseconds(20), .quiet = absl::Hours(24 * 30), .batch = 1});
  poller.Start();
  // Several rounds at kNow: nothing is due yet, so nothing changes.
  ASSERT_TRUE(hc::testing::WaitFor([&] { return calls_.load() >= 6; }, std::chrono::seconds(10)));
  EXPECT_EQ(MatchesWithStatus(4), 0);
  EXPECT_EQ(Facts("MentorCheckInDue"), 0);

  // Past the 72-hour answer window: a later round expires all three, and only them.
  SetNow(kNow + absl::Hours(73));
  EXPECT_TRUE(hc::testing::WaitFor([&] { return Facts("MentorChoiceLapsed") == 3; },
                                   std::chrono::seconds(10)));
  EXPECT_EQ(MatchesWithStatus(4), 3);
  EXPECT_EQ(Facts("MentorCheckInDue"), 0);

  // Thirty quiet days on: the active match gets its reminder, once, however many rounds run.
  SetNow(kNow + absl::Hours(24 * 31));
  EXPECT_TRUE(hc::testing::WaitFor([&] { return Facts("MentorCheckInDue") == 1; },
                                   std::chrono::seconds(10)));
  const int seen = calls_.load();
  ASSERT_TRUE(
      hc::testing::WaitFor([&] { return calls_.load() >= seen + 6; }, std::chrono::seconds(10)));
  poller.Stop();
  EXPECT_EQ(Facts("MentorCheckInDue"), 1);
  EXPECT_EQ(Facts("MentorChoiceLapsed"), 3);
}

TEST_F(MentorshipPollerLoopTest, FirstRoundRunsAtStartThenWaitsAndStopIsPrompt) {
  const std::string mentor = Mentor(2, "en");
  auto unanswered = Chosen(mentor, "en");
  SetNow(kNow + absl::Hours(73));

  // An hour between rounds: the first runs at once, the second never comes before Stop.
  messaging::MentorshipPoller poller(
      *store_, TestClock(),
      {.interval = std::chrono::hours(1), .quiet = absl::Hours(24 * 30), .batch = 100});
  poller.Start();
  ASSERT_TRUE(hc::testing::WaitFor([&] { return Facts("MentorChoiceLapsed") == 1; },
                                   std::chrono::seconds(10)));
  const auto before = std::chrono::steady_clock::now();
  poller.Stop();
  const auto took = std::chrono::steady_clock::now() - before;
  EXPECT_LT(took, std::chrono::seconds(2)) << "Stop waited for the interval";
  // One round of one batch: the loop slept on its interval instead of spinning.
  EXPECT_EQ(calls_.load(), 1);
  EXPECT_EQ(MatchesWithStatus(4), 1);
}

}  // namespace
}  // namespace volunteering::storage

// Peer mentorship's rules alone: eligibility, the score, DST-correct overlap, and the matching
// property of issue 12 over synthetic mentors and requests.
#include "services/volunteering/src/domain/mentorship.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "absl/strings/match.h"

namespace volunteering::mentorship {
namespace {

const hc::tz::SystemTimeZones kZones;

absl::Time Utc(int y, int mo, int d, int h = 0) {
  return absl::FromCivil(absl::CivilHour(y, mo, d, h), absl::UTCTimeZone());
}

// Every day 18:00-21:00 in `zone`.
Availability Evenings(std::string zone) {
  Availability a{.time_zone = std::move(zone)};
  for (int d = 0; d < 7; ++d) a.windows.push_back({d, 18 * 60, 21 * 60});
  return a;
}

MentorCandidate Mentor(std::string id, int capacity = 3, int load = 0) {
  return {.member_id = std::move(id),
          .capacity = capacity,
          .load = load,
          .accepting = true,
          .programs = {"outpatient"},
          .interests = {"running", "cooking"},
          .languages = {"en"},
          .availability = Evenings("Europe/Berlin")};
}

MenteeRequest Request() {
  return {.member_id = "mentee",
          .programs = {"outpatient"},
          .interests = {"running"},
          .language = "en",
          .availability = Evenings("Europe/Berlin")};
}

const absl::Time kNow = Utc(2027, 1, 11);  // a Monday, far from any DST change

TEST(MentorshipScore, AddsFocusInterestsOverlapAndFreePlaces) {
  ScoreBreakdown s = Score(Request(), Mentor("a", 4, 1), 7 * 180);
  EXPECT_EQ(s.shared_programs, 1);
  EXPECT_EQ(s.shared_interests, 1);
  EXPECT_EQ(s.focus_points, 30);
  EXPECT_EQ(s.interest_points, 10);
  EXPECT_EQ(s.overlap_points, 30);  // 21 h a week: capped at 10 hours beyond the 2 required
  EXPECT_EQ(s.load_points, 30);     // 3 of 4 places free
  EXPECT_EQ(s.total, 100);
}

// The worked example of services/volunteering/README.md ("why mentor A before B").
TEST(MentorshipScore, ReadmeExampleRanksAOverB) {
  MenteeRequest r = Request();
  r.interests = {"running", "music"};
  r.availability = Evenings("Europe/London");
  MentorCandidate a = Mentor("a", 4, 0);
  a.interests = {"running"};
  MentorCandidate b = Mentor("b", 2, 1);
  b.interests = {"running", "music"};
  b.availability = Evenings("Europe/London");
  auto ranked = Rank(r, {b, a}, kNow, kZones);
  ASSERT_EQ(ranked.size(), 2u);
  EXPECT_EQ(ranked[0].mentor_id, "a");
  EXPECT_EQ(ranked[0].score, (ScoreBreakdown{.shared_programs = 1,
                                             .shared_interests = 1,
                                             .overlap_minutes = 840,
                                             .focus_points = 30,
                                             .interest_points = 10,
                                             .overlap_points = 30,
                                             .load_points = 40,
                                             .total = 110}));
  EXPECT_EQ(ranked[1].score, (ScoreBreakdown{.shared_programs = 1,
                                             .shared_interests = 2,
                                             .overlap_minutes = 1260,
                                             .focus_points = 30,
                                             .interest_points = 20,
                                             .overlap_points = 30,
                                             .load_points = 20,
                                             .total = 100}));
}

TEST(MentorshipScore, LessLoadedMentorRanksFirstWhenAllElseIsEqual) {
  auto ranked = Rank(Request(), {Mentor("a", 3, 2), Mentor("b", 3, 0)}, kNow, kZones);
  ASSERT_EQ(ranked.size(), 2u);
  EXPECT_EQ(ranked[0].mentor_id, "b");
  EXPECT_GT(ranked[0].score.load_points, ranked[1].score.load_points);
}

TEST(MentorshipScore, TiesGoToTheLowerIdWhateverTheInputOrder) {
  auto one = Rank(Request(), {Mentor("c"), Mentor("a"), Mentor("b")}, kNow, kZones);
  auto two = Rank(Request(), {Mentor("b"), Mentor("c"), Mentor("a")}, kNow, kZones);
  ASSERT_EQ(one.size(), 3u);
  EXPECT_EQ(one, two);
  EXPECT_EQ(one[0].mentor_id, "a");
  EXPECT_EQ(one[2].mentor_id, "c");
}

TEST(MentorshipScore, ProposesAtMostThree) {
  std::vector<MentorCandidate> many;
  for (char c = 'a'; c <= 'h'; ++c) many.push_back(Mentor(std::string(1, c)));
  EXPECT_EQ(Rank(Request(), many, kNow, kZones).size(), 3u);
}

TEST(MentorshipEligibility, NamesTheFirstRuleThatSaysNo) {
  MenteeRequest r = Request();
  EXPECT_EQ(CheckBasics(r, Mentor("mentee")), Ineligible::kSelf);
  MentorCandidate paused = Mentor("p");
  paused.accepting = false;
  EXPECT_EQ(CheckBasics(r, paused), Ineligible::kNotAccepting);
  EXPECT_EQ(CheckBasics(r, Mentor("f", 2, 2)), Ineligible::kFull);
  EXPECT_EQ(CheckBasics(r, Mentor("f", 2, 1)), Ineligible::kNone);
  r.blocked = {"b"};
  EXPECT_EQ(CheckBasics(r, Mentor("b")), Ineligible::kBlocked);
  r.language = "de";
  EXPECT_EQ(CheckBasics(r, Mentor("l")), Ineligible::kLanguage);
}

TEST(MentorshipEligibility, SameGenderNeedsEqualFingerprints) {
  MenteeRequest r = Request();
  r.same_gender = true;
  r.gender_fingerprint = "fp-1";
  MentorCandidate none = Mentor("n");
  MentorCandidate other = Mentor("o");
  other.gender_fingerprint = "fp-2";
  MentorCandidate same = Mentor("s");
  same.gender_fingerprint = "fp-1";
  EXPECT_EQ(CheckBasics(r, none), Ineligible::kGender);
  EXPECT_EQ(CheckBasics(r, other), Ineligible::kGender);
  EXPECT_EQ(CheckBasics(r, same), Ineligible::kNone);
  r.same_gender = false;
  EXPECT_EQ(CheckBasics(r, other), Ineligible::kNone);
}

TEST(MentorshipEligibility, FullMentorsAndBlockedPairsAreNeverProposed) {
  MenteeRequest r = Request();
  r.blocked = {"b"};
  auto ranked = Rank(r, {Mentor("full", 1, 1), Mentor("b"), Mentor("ok")}, kNow, kZones);
  ASSERT_EQ(ranked.size(), 1u);
  EXPECT_EQ(ranked[0].mentor_id, "ok");
}

TEST(MentorshipOverlap, AcrossZonesCountsOnlyTheSharedHours) {
  // 18-21 Berlin (17-20 UTC in winter) against 18-21 London (18-21 UTC): 2 hours a day.
  EXPECT_EQ(
      WeeklyOverlapMinutes(Evenings("Europe/Berlin"), Evenings("Europe/London"), kNow, kZones),
      7 * 120);
  // Tokyo's evening is Berlin's morning: nothing.
  EXPECT_EQ(WeeklyOverlapMinutes(Evenings("Europe/Berlin"), Evenings("Asia/Tokyo"), kNow, kZones),
            0);
}

TEST(MentorshipOverlap, DstChangeInOneZoneOnlyShrinksTheOverlap) {
  // Mondays 13-15 in New York, 18-20 in London: the same UTC hours while both are on standard
  // time (or both on summer time). New York moves to summer time on 14 March 2027, London only
  // on 28 March: in between, New York's window is an hour earlier in UTC.
  Availability ny{.time_zone = "America/New_York", .windows = {{0, 13 * 60, 15 * 60}}};
  Availability london{.time_zone = "Europe/London", .windows = {{0, 18 * 60, 20 * 60}}};
  const absl::Time before = Utc(2027, 3, 8);  // Monday 8 March
  EXPECT_EQ(WeeklyOverlapMinutes(ny, london, before, kZones), 120);
  EXPECT_EQ(WeeklyOverlapMinutes(ny, london, before + absl::Hours(24 * 7), kZones), 60);
  EXPECT_EQ(CommonOverlapMinutes(ny, london, before, kZones), 60);
  // After both changed, the windows line up again.
  EXPECT_EQ(WeeklyOverlapMinutes(ny, london, Utc(2027, 3, 29), kZones), 120);

  MenteeRequest r = Request();
  r.availability = ny;
  MentorCandidate m = Mentor("m");
  m.availability = london;
  EXPECT_TRUE(Rank(r, {m}, before, kZones).empty()) << "1 hour in the second week is too little";
  EXPECT_EQ(Rank(r, {m}, Utc(2027, 3, 29), kZones).size(), 1u);
}

TEST(MentorshipValidation, NamesTheField) {
  EXPECT_EQ(ValidateProfileShape(0, {}, {}, {"en"}).message(), "capacity: must be 1 to 5");
  EXPECT_EQ(ValidateProfileShape(6, {}, {}, {"en"}).message(), "capacity: must be 1 to 5");
  EXPECT_TRUE(ValidateProfileShape(5, {}, {}, {"en"}).ok());
  EXPECT_TRUE(absl::StartsWith(ValidateProfileShape(2, {}, {}, {}).message(), "languages"));
  Availability bad{.time_zone = "Mars/Olympus", .windows = {{0, 0, 60}}};
  EXPECT_TRUE(absl::StartsWith(ValidateAvailability(bad, kZones, "availability").message(),
                               "availability.time_zone"));
  bad.time_zone = "Europe/Paris";
  bad.windows = {{7, 0, 60}};
  EXPECT_TRUE(absl::StartsWith(ValidateAvailability(bad, kZones, "availability").message(),
                               "availability.windows"));
  EXPECT_EQ(NormaliseGender("  Non-Binary \t person "), "non-binary person");
}

// The property of issue 12: 200 mentors, 1,000 requests, 12 zones. Each request takes its top
// proposal (the mentor accepts), as a busy day of real use would.
const std::vector<std::string> kTwelveZones = {
    "America/Los_Angeles", "America/Denver", "America/Chicago",  "America/New_York",
    "America/Sao_Paulo",   "Europe/London",  "Europe/Berlin",    "Europe/Helsinki",
    "Asia/Kolkata",        "Asia/Tokyo",     "Australia/Sydney", "Pacific/Auckland"};
const std::vector<std::string> kPrograms = {"residential", "outpatient", "twelve-step",
                                            "smart-recovery"};
const std::vector<std::string> kInterests = {"running",   "cooking", "music",  "faith",
                                             "parenting", "art",     "hiking", "books"};

struct World {
  std::vector<MentorCandidate> mentors;
  std::vector<MenteeRequest> requests;
};

World Synthetic() {
  std::mt19937 rng(12);
  auto pick = [&](const std::vector<std::string>& from) { return from[rng() % from.size()]; };
  World w;
  for (int i = 0; i < 200; ++i) {
    MentorCandidate m;
    char id[16];
    std::snprintf(id, sizeof id, "mentor-%03d", i);
    m.member_id = id;
    m.capacity = 1 + static_cast<int>(rng() % 5);
    m.accepting = rng() % 10 != 0;  // one in ten paused
    m.programs = {pick(kPrograms)};
    m.interests = {pick(kInterests), pick(kInterests)};
    m.languages = {"en"};
    if (i % 4 == 0) m.languages.push_back("es");
    m.availability.time_zone = kTwelveZones[i % kTwelveZones.size()];
    // Evenings on weekdays and the weekend's daytime: what volunteers tend to offer.
    for (int d = 0; d < 5; ++d) m.availability.windows.push_back({d, 17 * 60, 22 * 60});
    m.availability.windows.push_back({5, 8 * 60, 20 * 60});
    m.availability.windows.push_back({6, 8 * 60, 20 * 60});
    m.gender_fingerprint = (i % 3 == 0) ? "fp-a" : "fp-b";
    w.mentors.push_back(std::move(m));
  }
  for (int i = 0; i < 1000; ++i) {
    MenteeRequest r;
    r.member_id = "mentee-" + std::to_string(i);
    r.programs = {pick(kPrograms)};
    r.interests = {pick(kInterests)};
    r.language = (i % 10 == 0) ? "es" : "en";
    r.availability.time_zone = kTwelveZones[(i * 7) % kTwelveZones.size()];
    for (int d = 0; d < 7; ++d) r.availability.windows.push_back({d, 7 * 60, 23 * 60});
    r.same_gender = i % 9 == 0;
    r.gender_fingerprint = (i % 2 == 0) ? "fp-a" : "fp-b";
    if (i % 13 == 0) r.blocked = {w.mentors[(i / 13) % 200].member_id};
    w.requests.push_back(std::move(r));
  }
  return w;
}

struct Outcome {
  std::vector<std::vector<Proposal>> proposals;
  std::map<std::string, int> load;
};

Outcome PlaceAll(World w) {
  Outcome out;
  std::map<std::string, MentorCandidate*> by_id;
  for (auto& m : w.mentors) by_id[m.member_id] = &m;
  for (const auto& r : w.requests) {
    auto ranked = Rank(r, w.mentors, kNow, kZones);
    for (const auto& p : ranked) {
      const MentorCandidate& m = *by_id.at(p.mentor_id);
      EXPECT_LT(m.load, m.capacity) << p.mentor_id;
      EXPECT_TRUE(m.accepting);
      EXPECT_NE(p.mentor_id, r.member_id);
      EXPECT_FALSE(r.blocked.contains(p.mentor_id));
      EXPECT_NE(std::find(m.languages.begin(), m.languages.end(), r.language), m.languages.end());
      if (r.same_gender) {
        EXPECT_EQ(m.gender_fingerprint, r.gender_fingerprint);
      }
      EXPECT_GE(CommonOverlapMinutes(r.availability, m.availability, kNow, kZones),
                kMinOverlapMinutes);
      EXPECT_EQ(p.score.overlap_minutes,
                CommonOverlapMinutes(r.availability, m.availability, kNow, kZones));
    }
    if (!ranked.empty()) {
      MentorCandidate& chosen = *by_id.at(ranked[0].mentor_id);
      ++chosen.load;
      ++out.load[chosen.member_id];
    }
    out.proposals.push_back(std::move(ranked));
  }
  for (const auto& m : w.mentors) EXPECT_LE(m.load, m.capacity) << m.member_id;
  return out;
}

TEST(MentorshipProperty, TwoHundredMentorsThousandRequestsTwelveZones) {
  const World world = Synthetic();
  const Outcome first = PlaceAll(world);
  int open_capacity = 0;
  for (const auto& m : world.mentors) open_capacity += m.accepting ? m.capacity : 0;
  int placed = 0;
  for (const auto& [id, n] : first.load) placed += n;
  // More requests than places: every place an eligible request can reach ends up taken.
  ASSERT_GT(placed, open_capacity * 9 / 10) << "placed " << placed << " of " << open_capacity;

  // Spread: among accepting mentors, load relative to capacity, max over mean.
  double sum = 0, max = 0;
  int n = 0;
  for (const auto& m : world.mentors) {
    if (!m.accepting) continue;
    const double share =
        static_cast<double>(first.load.contains(m.member_id) ? first.load.at(m.member_id) : 0) /
        m.capacity;
    sum += share;
    max = std::max(max, share);
    ++n;
  }
  RecordProperty("max_over_mean", std::to_string(max / (sum / n)));
  RecordProperty("placed", std::to_string(placed) + " of " + std::to_string(open_capacity));
  EXPECT_LE(max / (sum / n), 1.5);

  // The same ranking on a rerun.
  EXPECT_EQ(PlaceAll(world).proposals, first.proposals);
}

// Spreading while places remain: after the first 200 requests (about a third of the places), no
// mentor holds much more than the mean share of their places. A mentor of capacity 1 with one
// mentee is a share of 1.0 against a mean near 0.5, so the bound here is 2.1 (measured: 2.01);
// filling the best-scoring mentors first would reach 1.0 / 0.37 = 2.7 and more.
TEST(MentorshipProperty, SpreadsMenteesBeforeFillingAnyone) {
  World world = Synthetic();
  world.requests.resize(200);
  const Outcome out = PlaceAll(world);
  double sum = 0, max = 0;
  int n = 0;
  for (const auto& m : world.mentors) {
    if (!m.accepting) continue;
    const double share =
        static_cast<double>(out.load.contains(m.member_id) ? out.load.at(m.member_id) : 0) /
        m.capacity;
    sum += share;
    max = std::max(max, share);
    ++n;
  }
  RecordProperty("max_over_mean", std::to_string(max / (sum / n)));
  EXPECT_LE(max / (sum / n), 2.1) << "max share " << max << ", mean " << sum / n;
}

}  // namespace
}  // namespace volunteering::mentorship

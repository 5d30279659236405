// RequestMentor's proposal path (candidates read, ranked, the request and its proposals
// written) with many mentors, beside its ceiling measured in the same run: the bare read of the
// same candidate rows, which any ranking must do first.
//
//   scripts/stack.sh up --profile test
//   export HC_TEST_PG_URL_BASE=postgresql://postgres@127.0.0.1:25432
//   build/bench/mentorship_bench [mentors (10000)] [requests (40)]
//
// Uses a fresh database on the test stack's PostgreSQL, dropped at the end. Mentors are spread
// over 12 time zones, 3 programs and 4 interests, all speaking English, capacities 1-5; each
// request is a new mentee asking in English. Prints p50/p99 of both and their ratio.
#include <absl/time/clock.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "libs/ids/ids.h"
#include "libs/service/runtime.h"
#include "libs/testing/testing.h"
#include "services/volunteering/src/storage/mentorship_store.h"

const std::vector<hc::postgres::Migration>& volunteering_lib_migrations();

namespace {

using volunteering::mentorship::Availability;

struct Percentiles {
  double p50 = 0;
  double p99 = 0;
};

Percentiles Of(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 99 / 100)]};
}

Availability Evenings() {
  Availability a{.time_zone = "Europe/Berlin"};
  for (int d = 0; d < 7; ++d) a.windows.push_back({d, 18 * 60, 21 * 60});
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  const int mentors = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int requests = argc > 2 ? std::atoi(argv[2]) : 40;
  if (mentors <= 0 || requests <= 0) {
    std::fprintf(stderr, "usage: mentorship_bench [mentors] [requests]\n");
    return 2;
  }
  hc::testing::TestDatabase db("mentorship_bench");
  hc::config::ServiceSettings settings;
  settings.database_url = db.url();
  if (auto migrated = hc::service::Runtime::Migrate(settings, volunteering_lib_migrations(), true);
      !migrated.ok()) {
    std::fprintf(stderr, "migrations: %s\n", migrated.ToString().c_str());
    return 1;
  }
  hc::postgres::Pool pool(hc::postgres::PoolOptions{.url = db.url(), .size = 4});
  const hc::crypto::DataKeys keys = *hc::crypto::DataKeys::FromHex(std::string(64, 'a'));
  const volunteering::facts::MentorshipFacts facts("alumni.volunteering.v1");
  const hc::tz::SystemTimeZones zones;
  volunteering::storage::MentorshipStore store(pool, keys, facts, zones);

  pqxx::connection conn(db.url());
  {
    pqxx::nontransaction tx(conn);
    // Windows: Monday to Friday 17:00-22:00, weekends 08:00-20:00, each in the mentor's zone
    // (day, start minute, end minute triples).
    tx.exec_params(
        "INSERT INTO mentor_profiles (member_id, capacity, accepting, programs, interests, "
        "languages, time_zone, windows, updated_at) SELECT gen_random_uuid(), 1 + i % 5, true, "
        "ARRAY[(ARRAY['outpatient','residential','twelve-step'])[1 + i % 3]], "
        "ARRAY[(ARRAY['running','music','books','art'])[1 + i % 4]], '{en}', "
        "(ARRAY['America/Los_Angeles','America/Denver','America/Chicago','America/New_York',"
        "'America/Sao_Paulo','Europe/London','Europe/Berlin','Europe/Helsinki','Asia/Kolkata',"
        "'Asia/Tokyo','Australia/Sydney','Pacific/Auckland'])[1 + i % 12], "
        "'{0,1020,1320,1,1020,1320,2,1020,1320,3,1020,1320,4,1020,1320,5,480,1200,6,480,1200}', "
        "now() FROM generate_series(1, $1) i",
        mentors);
    tx.exec("ANALYZE mentor_profiles");
  }

  const absl::Time now = absl::Now();
  std::vector<double> ceiling_ms, request_ms;
  for (int i = 0; i < requests; ++i) {
    // The ceiling: every candidate row, read and dropped.
    absl::Time start = absl::Now();
    {
      pqxx::nontransaction tx(conn);
      const pqxx::result rows =
          tx.exec("SELECT * FROM mentor_profiles WHERE accepting AND 'en' = ANY(languages)");
      if (rows.size() != static_cast<size_t>(mentors)) return 1;
    }
    ceiling_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));

    volunteering::mentorship::MenteeRequest r{.member_id = hc::ids::NewUuid(),
                                              .programs = {"outpatient"},
                                              .interests = {"music"},
                                              .language = "en",
                                              .availability = Evenings()};
    start = absl::Now();
    auto got = store.Request(r, "", now);
    request_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
    if (!got.ok() || got->proposals.empty()) {
      std::fprintf(stderr, "RequestMentor failed: %s\n",
                   got.ok() ? "no proposal" : got.status().ToString().c_str());
      return 1;
    }
  }
  const Percentiles ceiling = Of(ceiling_ms), request = Of(request_ms);
  std::printf("%d mentors, %d requests\n%-44s %9s %9s\n", mentors, requests, "", "p50 ms",
              "p99 ms");
  std::printf("%-44s %9.1f %9.1f\n", "ceiling: read every candidate row", ceiling.p50, ceiling.p99);
  std::printf("%-44s %9.1f %9.1f\n", "RequestMentor (read, rank, write proposals)", request.p50,
              request.p99);
  std::printf("RequestMentor p50 / ceiling p50: %.2f\n", request.p50 / ceiling.p50);
  return 0;
}

// One paged read through a service's gRPC at a fixed modest rate, for bench/scale.sh (see
// bench/README.md, "scale.sh"): prints "p50_ms p99_ms calls errors".
//
//   scale_client RPC ADDR KEY_FILE ISSUER RATE SECONDS MEMBERS [EVENT_ID]
//   scale_client seal DATA_KEY_FILE MEMBERS
//
// RPC is search, list_events, attendees, my_rsvps, list_roles or inbox. Every call is a cache
// miss on purpose: the caller is a different seeded member each call (ids as scale.sh seeds
// them: the uuid whose last 12 hex digits are 1..MEMBERS), and the request's own parameters
// (prefix, start, page size, tag) cycle over more values than a second's worth of calls, so
// with scale.sh's HC_CACHE_TTL_SECONDS=1 no two calls share a cached page. What is measured is
// the database's work as the tables grow, which is the question; a cache hit does not grow.
//
// `seal` prints, for COPY's text format, "member_id\t\\x<hex>" for members 1..MEMBERS: each
// one's sobriety date sealed with the data key exactly as membership seals it (associated data
// "<member_id>:sobriety_date"), so the milestone job can be timed over rows seeded with SQL.
// The dates spread over the last ten years, one day apart member by member.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "alumni/events/v1/events_service.grpc.pb.h"
#include "alumni/membership/v1/membership_service.grpc.pb.h"
#include "alumni/notifications/v1/notifications_service.grpc.pb.h"
#include "alumni/volunteering/v1/volunteering_service.grpc.pb.h"
#include "bench/bench_client.h"
#include "libs/crypto/crypto.h"

namespace {

using Clock = std::chrono::steady_clock;

int Fail(const std::string& what) {
  std::fprintf(stderr, "scale_client: %s\n", what.c_str());
  return 2;
}

// Call number `n` of `rpc`: its status. `stub_channel` is shared by every call.
grpc::Status Call(const std::string& rpc, const std::shared_ptr<grpc::Channel>& channel,
                  grpc::ClientContext& ctx, int64_t n, const std::string& event_id) {
  const int page_size = 20 + static_cast<int>(n % 31);
  if (rpc == "search") {
    alumni::membership::v1::SearchDirectoryRequest req;
    alumni::membership::v1::SearchDirectoryResponse resp;
    // "member 1".."member 99": a prefix matching a small share, as people type names.
    req.set_name_prefix("member " + std::to_string(1 + n % 99));
    req.set_page_size(page_size);
    return alumni::membership::v1::MembershipService::NewStub(channel)->SearchDirectory(&ctx, req,
                                                                                        &resp);
  }
  if (rpc == "list_events") {
    alumni::events::v1::ListEventsRequest req;
    alumni::events::v1::ListEventsResponse resp;
    // From a different minute of the coming weeks each call.
    const auto from = std::chrono::system_clock::now() + std::chrono::minutes(n % 40000);
    req.mutable_start_from()->set_seconds(
        std::chrono::duration_cast<std::chrono::seconds>(from.time_since_epoch()).count());
    req.set_page_size(page_size);
    return alumni::events::v1::EventsService::NewStub(channel)->ListEvents(&ctx, req, &resp);
  }
  if (rpc == "attendees") {
    alumni::events::v1::ListAttendeesRequest req;
    alumni::events::v1::ListAttendeesResponse resp;
    req.set_event_id(event_id);
    req.set_page_size(page_size);
    req.set_include_cancelled(n % 2 == 0);
    return alumni::events::v1::EventsService::NewStub(channel)->ListAttendees(&ctx, req, &resp);
  }
  if (rpc == "my_rsvps") {
    alumni::events::v1::ListMyRsvpsRequest req;
    alumni::events::v1::ListMyRsvpsResponse resp;
    req.set_page_size(page_size);
    return alumni::events::v1::EventsService::NewStub(channel)->ListMyRsvps(&ctx, req, &resp);
  }
  if (rpc == "list_roles") {
    static const char* kTags[] = {"",      "art",     "cooking", "crafts",       "faith",
                                  "film",  "fitness", "games",   "gardening",    "hiking",
                                  "music", "yoga",    "reading", "peer-support", "writing"};
    alumni::volunteering::v1::ListRolesRequest req;
    alumni::volunteering::v1::ListRolesResponse resp;
    req.set_tag(kTags[n % 15]);
    req.set_page_size(page_size);
    return alumni::volunteering::v1::VolunteeringService::NewStub(channel)->ListRoles(&ctx, req,
                                                                                      &resp);
  }
  if (rpc == "inbox") {
    alumni::notifications::v1::ListInboxRequest req;
    alumni::notifications::v1::ListInboxResponse resp;
    req.set_page_size(page_size);
    return alumni::notifications::v1::NotificationsService::NewStub(channel)->ListInbox(&ctx, req,
                                                                                        &resp);
  }
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "unknown rpc " + rpc);
}

// The `seal` mode (see the header).
int Seal(const std::string& key_file, int64_t members) {
  std::ifstream in(key_file, std::ios::binary);
  if (!in) return Fail("cannot read " + key_file);
  std::stringstream hex;
  hex << in.rdbuf();
  auto keys = hc::crypto::DataKeys::FromHex(hex.str());
  if (!keys.ok()) return Fail(std::string(keys.status().message()));
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  std::string line;
  for (int64_t i = 1; i <= members; ++i) {
    const std::chrono::year_month_day since{today - std::chrono::days(1 + (i * 37) % 3650)};
    char date[16];
    std::snprintf(date, sizeof date, "%04d-%02u-%02u", static_cast<int>(since.year()),
                  static_cast<unsigned>(since.month()), static_cast<unsigned>(since.day()));
    const std::string id = hc::bench::SeededMemberId(i);
    const std::string sealed = keys->Seal(date, id + ":sobriety_date");
    line = id + "\t\\\\x";
    for (unsigned char c : sealed) {
      static const char kHex[] = "0123456789abcdef";
      line += kHex[c >> 4];
      line += kHex[c & 15];
    }
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "seal") {
    const int64_t members = std::atoll(argv[3]);
    if (members <= 0) return Fail("MEMBERS must be > 0");
    return Seal(argv[2], members);
  }
  if (argc < 8) {
    return Fail(
        "usage: scale_client RPC ADDR KEY_FILE ISSUER RATE SECONDS MEMBERS [EVENT_ID]\n"
        "  RPC: search | list_events | attendees | my_rsvps | list_roles | inbox");
  }
  const std::string rpc = argv[1], addr = argv[2], key_file = argv[3], issuer = argv[4];
  const int rate = std::atoi(argv[5]), seconds = std::atoi(argv[6]);
  const int64_t members = std::atoll(argv[7]);
  const std::string event_id = argc > 8 ? argv[8] : "";
  if (rate <= 0 || seconds <= 0 || members <= 0) return Fail("RATE, SECONDS, MEMBERS must be > 0");
  const auto minter =
      hc::bench::TokenMinter::FromKeyFile(key_file, issuer, {"alumnus", "coordinator"});
  if (!minter) return Fail("cannot read " + key_file);

  const int64_t total = static_cast<int64_t>(rate) * seconds;
  // Tokens first, so minting is not in the measured calls. Members spread over the whole range.
  std::vector<std::string> tokens;
  tokens.reserve(static_cast<size_t>(total));
  for (int64_t n = 0; n < total; ++n) {
    const int64_t member = 1 + (n * 7919) % members;
    auto token = minter->For(member);
    if (!token.ok()) return Fail("minting: " + std::string(token.status().message()));
    tokens.push_back(*token);
  }
  auto channel = grpc::CreateChannel(addr, grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    return Fail("cannot connect to " + addr);
  }

  std::vector<double> ms;
  ms.reserve(static_cast<size_t>(total));
  int64_t errors = 0;
  std::string first_error;
  const auto start = Clock::now();
  const auto every = std::chrono::nanoseconds(1'000'000'000LL / rate);
  for (int64_t n = 0; n < total; ++n) {
    std::this_thread::sleep_until(start + every * n);  // a fixed rate, not a closed loop
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx.AddMetadata("authorization", "Bearer " + tokens[static_cast<size_t>(n)]);
    const auto t0 = Clock::now();
    grpc::Status status = Call(rpc, channel, ctx, n, event_id);
    const double took = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (status.ok()) {
      ms.push_back(took);
    } else {
      ++errors;
      if (first_error.empty()) {
        first_error = std::to_string(status.error_code()) + " " + status.error_message();
      }
    }
  }
  if (!first_error.empty())
    std::fprintf(stderr, "scale_client: first error: %s\n", first_error.c_str());
  if (ms.empty()) return Fail("no call succeeded");
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(q * static_cast<double>(ms.size())))];
  };
  std::printf("%.2f %.2f %lld %lld\n", at(0.50), at(0.99), static_cast<long long>(total),
              static_cast<long long>(errors));
  return errors * 100 > total ? 1 : 0;
}

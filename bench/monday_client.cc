// The load of bench/monday.sh ("Monday morning", see bench/README.md): RSVPERS members RSVP to
// one event within SECONDS while BROWSERS other members browse.
//
//   monday_client ADDR KEY_FILE ISSUER EVENT_ID RSVPERS SECONDS BROWSERS BROWSE_RATE SHAPE
//
// Members are the uuids whose last 12 hex digits are 1..RSVPERS (the RSVPers, one RSVP each,
// each with a token of their own) and RSVPERS+1..RSVPERS+BROWSERS (the browsers), as monday.sh
// seeds them. Tokens are minted before the clock starts.
//
// RSVPs are an open loop: each is sent at its scheduled time through gRPC's callback API,
// whether or not earlier ones were answered, so a slow server shows as latency, not as a
// slower sender. SHAPE `even` spaces them evenly over SECONDS; `surge` front-loads them as an
// announcement does (arrival rate decaying exponentially with a 15 s time constant, the
// last one still inside SECONDS). Each browser calls GetEvent (EVENT_ID), ListEvents and
// ListMyRsvps in turn at BROWSE_RATE calls a second for the same SECONDS.
//
// Prints, one line each:
//   rsvp SENT OK GOING WAITLISTED P50 P99 P99.9 MAX   (ms, of the OK calls)
//   rsvp_status CODE COUNT                            (one line per status code seen)
//   rsvp_send_lag_ms MAX                              (how late the latest send left)
//   browse RPC CALLS ERRORS P50 P99                   (ms, of the OK calls)
// and exits 0 if every call got an answer (OK or not), 1 otherwise.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "alumni/events/v1/events_service.grpc.pb.h"
#include "bench/bench_client.h"

namespace {

namespace epb = alumni::events::v1;
using hc::bench::Ms;
using hc::bench::Quantile;
using Clock = std::chrono::steady_clock;

int Fail(const std::string& what) {
  std::fprintf(stderr, "monday_client: %s\n", what.c_str());
  return 2;
}

// Seconds after the start at which RSVP i of n leaves.
double Offset(const std::string& shape, int64_t i, int64_t n, double seconds) {
  const double u = static_cast<double>(i) / static_cast<double>(n);
  if (shape == "surge") {
    constexpr double kTau = 15;
    return -kTau * std::log(1 - u * (1 - std::exp(-seconds / kTau)));
  }
  return u * seconds;
}

struct RsvpCall {
  grpc::ClientContext ctx;
  epb::RsvpRequest req;
  epb::RsvpResponse resp;
  Clock::time_point sent;
  double ms = 0;
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
};

// One browser: GetEvent, ListEvents, ListMyRsvps in turn at `rate` a second until `end`.
void Browse(const std::shared_ptr<grpc::Channel>& channel, const std::string& token,
            const std::string& event_id, int rate, Clock::time_point start, Clock::time_point end,
            std::vector<std::vector<double>>& ms, std::vector<int64_t>& errors) {
  auto stub = epb::EventsService::NewStub(channel);
  const auto every = std::chrono::nanoseconds(1'000'000'000LL / rate);
  for (int64_t n = 0; start + every * n < end; ++n) {
    std::this_thread::sleep_until(start + every * n);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx.AddMetadata("authorization", "Bearer " + token);
    const int which = static_cast<int>(n % 3);
    const auto t0 = Clock::now();
    grpc::Status status;
    if (which == 0) {
      epb::GetEventRequest req;
      epb::GetEventResponse resp;
      req.set_event_id(event_id);
      status = stub->GetEvent(&ctx, req, &resp);
    } else if (which == 1) {
      epb::ListEventsRequest req;
      epb::ListEventsResponse resp;
      req.set_page_size(20);
      status = stub->ListEvents(&ctx, req, &resp);
    } else {
      epb::ListMyRsvpsRequest req;
      epb::ListMyRsvpsResponse resp;
      req.set_page_size(20);
      status = stub->ListMyRsvps(&ctx, req, &resp);
    }
    if (status.ok()) {
      ms[which].push_back(Ms(Clock::now() - t0));
    } else {
      ++errors[which];
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 10) {
    return Fail(
        "usage: monday_client ADDR KEY_FILE ISSUER EVENT_ID RSVPERS SECONDS BROWSERS "
        "BROWSE_RATE SHAPE\n  SHAPE: even | surge");
  }
  const std::string addr = argv[1], key_file = argv[2], issuer = argv[3], event_id = argv[4];
  const int64_t rsvpers = std::atoll(argv[5]);
  const int seconds = std::atoi(argv[6]), browsers = std::atoi(argv[7]);
  const int browse_rate = std::atoi(argv[8]);
  const std::string shape = argv[9];
  if (rsvpers <= 0 || seconds <= 0 || browsers < 0 || browse_rate <= 0) {
    return Fail("RSVPERS, SECONDS, BROWSE_RATE must be > 0, BROWSERS >= 0");
  }
  if (shape != "even" && shape != "surge") return Fail("SHAPE must be even or surge");
  const auto minter = hc::bench::TokenMinter::FromKeyFile(key_file, issuer, {"alumnus"});
  if (!minter) return Fail("cannot read " + key_file);

  std::vector<std::unique_ptr<RsvpCall>> calls;
  calls.reserve(static_cast<size_t>(rsvpers));
  for (int64_t i = 0; i < rsvpers; ++i) {
    auto token = minter->For(1 + i);
    if (!token.ok()) return Fail("minting: " + std::string(token.status().message()));
    auto call = std::make_unique<RsvpCall>();
    call->req.set_event_id(event_id);
    call->ctx.AddMetadata("authorization", "Bearer " + *token);
    calls.push_back(std::move(call));
  }
  std::vector<std::string> browser_tokens;
  for (int b = 0; b < browsers; ++b) {
    auto token = minter->For(rsvpers + 1 + b);
    if (!token.ok()) return Fail("minting: " + std::string(token.status().message()));
    browser_tokens.push_back(*token);
  }

  // A few connections, as many phones and browsers reach the service over many; a distinct
  // channel argument keeps gRPC from sharing one subchannel between them.
  constexpr int kConnections = 4;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<epb::EventsService::Stub>> stubs;
  for (int c = 0; c < kConnections; ++c) {
    grpc::ChannelArguments args;
    args.SetInt("hc.monday.connection", c);
    channels.push_back(grpc::CreateCustomChannel(addr, grpc::InsecureChannelCredentials(), args));
    if (!channels.back()->WaitForConnected(std::chrono::system_clock::now() +
                                           std::chrono::seconds(10))) {
      return Fail("cannot connect to " + addr);
    }
    stubs.push_back(epb::EventsService::NewStub(channels.back()));
  }

  const auto start = Clock::now() + std::chrono::milliseconds(100);
  const auto end = start + std::chrono::seconds(seconds);
  std::vector<std::vector<std::vector<double>>> browse_ms(static_cast<size_t>(browsers),
                                                          std::vector<std::vector<double>>(3));
  std::vector<std::vector<int64_t>> browse_errors(static_cast<size_t>(browsers),
                                                  std::vector<int64_t>(3, 0));
  std::vector<std::thread> browser_threads;
  for (int b = 0; b < browsers; ++b) {
    browser_threads.emplace_back(Browse, channels[static_cast<size_t>(b % kConnections)],
                                 browser_tokens[static_cast<size_t>(b)], event_id, browse_rate,
                                 start, end, std::ref(browse_ms[static_cast<size_t>(b)]),
                                 std::ref(browse_errors[static_cast<size_t>(b)]));
  }

  std::mutex mu;
  std::condition_variable answered_cv;
  int64_t answered = 0;
  double max_lag_ms = 0;
  for (int64_t i = 0; i < rsvpers; ++i) {
    const auto at = start + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(Offset(shape, i, rsvpers, seconds)));
    std::this_thread::sleep_until(at);
    RsvpCall* call = calls[static_cast<size_t>(i)].get();
    call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    call->sent = Clock::now();
    max_lag_ms = std::max(max_lag_ms, Ms(call->sent - at));
    stubs[static_cast<size_t>(i % kConnections)]->async()->Rsvp(
        &call->ctx, &call->req, &call->resp, [call, &mu, &answered, &answered_cv](grpc::Status s) {
          call->ms = Ms(Clock::now() - call->sent);
          call->code = s.error_code();
          std::lock_guard<std::mutex> lock(mu);
          ++answered;
          answered_cv.notify_one();
        });
  }
  bool all_answered;
  {
    std::unique_lock<std::mutex> lock(mu);
    // Every call has a 10 s deadline, so each is answered, one way or the other, by then.
    all_answered =
        answered_cv.wait_for(lock, std::chrono::seconds(30), [&] { return answered == rsvpers; });
  }
  for (auto& t : browser_threads) t.join();
  if (!all_answered) {
    std::fprintf(stderr, "monday_client: only %lld of %lld RSVPs answered\n",
                 static_cast<long long>(answered), static_cast<long long>(rsvpers));
    std::fflush(stdout);
    std::_Exit(1);  // the unanswered calls still reference `calls`
  }

  std::vector<double> ok_ms;
  std::map<std::string, int64_t> by_code;
  int64_t going = 0, waitlisted = 0;
  static const char* kCodes[] = {"OK",
                                 "CANCELLED",
                                 "UNKNOWN",
                                 "INVALID_ARGUMENT",
                                 "DEADLINE_EXCEEDED",
                                 "NOT_FOUND",
                                 "ALREADY_EXISTS",
                                 "PERMISSION_DENIED",
                                 "RESOURCE_EXHAUSTED",
                                 "FAILED_PRECONDITION",
                                 "ABORTED",
                                 "OUT_OF_RANGE",
                                 "UNIMPLEMENTED",
                                 "INTERNAL",
                                 "UNAVAILABLE",
                                 "DATA_LOSS",
                                 "UNAUTHENTICATED"};
  for (const auto& call : calls) {
    const int code = static_cast<int>(call->code);
    ++by_code[code >= 0 && code <= 16 ? kCodes[code] : std::to_string(code)];
    if (call->code != grpc::StatusCode::OK) continue;
    ok_ms.push_back(call->ms);
    if (call->resp.rsvp().status() == epb::RSVP_STATUS_GOING) ++going;
    if (call->resp.rsvp().status() == epb::RSVP_STATUS_WAITLISTED) ++waitlisted;
  }
  std::sort(ok_ms.begin(), ok_ms.end());
  std::printf("rsvp %lld %zu %lld %lld %.2f %.2f %.2f %.2f\n", static_cast<long long>(rsvpers),
              ok_ms.size(), static_cast<long long>(going), static_cast<long long>(waitlisted),
              Quantile(ok_ms, 0.50), Quantile(ok_ms, 0.99), Quantile(ok_ms, 0.999),
              ok_ms.empty() ? std::nan("") : ok_ms.back());
  for (const auto& [code, count] : by_code) {
    std::printf("rsvp_status %s %lld\n", code.c_str(), static_cast<long long>(count));
  }
  std::printf("rsvp_send_lag_ms %.2f\n", max_lag_ms);
  static const char* kRpcs[] = {"GetEvent", "ListEvents", "ListMyRsvps"};
  for (size_t r = 0; r < 3; ++r) {
    std::vector<double> ms;
    int64_t errors = 0;
    for (int b = 0; b < browsers; ++b) {
      ms.insert(ms.end(), browse_ms[static_cast<size_t>(b)][r].begin(),
                browse_ms[static_cast<size_t>(b)][r].end());
      errors += browse_errors[static_cast<size_t>(b)][r];
    }
    std::sort(ms.begin(), ms.end());
    std::printf("browse %s %lld %lld %.2f %.2f\n", kRpcs[r],
                static_cast<long long>(ms.size()) + static_cast<long long>(errors),
                static_cast<long long>(errors), Quantile(ms, 0.50), Quantile(ms, 0.99));
  }
  return 0;
}

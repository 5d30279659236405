// The gRPC side of the write benchmarks (bench/events_rsvp_bench.sh,
// bench/volunteering_signup_bench.sh): RSVPs or volunteer sign-ups by many members, each call
// to its own target, shaped as pgbench's side of the comparison is (a random member and a
// random target per transaction).
//
//   write_load ADDR KEY_FILE ISSUER KIND IDS_FILE MEMBERS CONCURRENCY SECONDS [RATE]
//
//   KIND         rsvp (EventsService.Rsvp, ids are event ids) or signup
//                (VolunteeringService.SignUp, ids are shift ids)
//   IDS_FILE     one id a line; call i goes to line i (the script shuffles them), so no two
//                calls share a target and every OK call makes one row. Running out of ids
//                stops the run early (and says so).
//   MEMBERS      distinct members (bench_client.h's seeded ids 1..MEMBERS), each with a token
//                of its own minted before the clock starts; call i is made by a member drawn
//                at random (a fixed seed), as pgbench draws one per transaction.
//   CONCURRENCY  calls in flight (closed loop: a call leaves as soon as one is answered)
//   RATE         when given, an open loop instead: RATE calls a second, each sent at its time
//                whether or not earlier ones were answered (a slow server shows as latency)
//
// Why not ghz: ghz sends one set of metadata with every call (one member, so one caller holds
// every row: a hot index page and a hot advisory lock pgbench's side never has) and spends
// more CPU per call than the service does, on the same two cores (see bench/README.md).
//
// Prints one line, `calls SENT OK ERRORS RPS P50 P99 P99.9` (ms, of the OK calls; RPS is OK
// calls per second of the run), one `status CODE COUNT` line per status code seen, and, when
// the ids ran out, `ids_exhausted`. Exits 0 when every call was answered, 1 otherwise.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "alumni/events/v1/events_service.grpc.pb.h"
#include "alumni/volunteering/v1/volunteering_service.grpc.pb.h"
#include "bench/bench_client.h"

namespace {

namespace epb = alumni::events::v1;
using hc::bench::Ms;
using hc::bench::Quantile;
namespace vpb = alumni::volunteering::v1;
using Clock = std::chrono::steady_clock;

int Fail(const std::string& what) {
  std::fprintf(stderr, "write_load: %s\n", what.c_str());
  return 2;
}

// One call of either kind; the response is kept only to be received.
struct Call {
  grpc::ClientContext ctx;
  epb::RsvpRequest rsvp_req;
  epb::RsvpResponse rsvp_resp;
  std::unique_ptr<grpc::ClientAsyncResponseReader<epb::RsvpResponse>> rsvp;
  vpb::SignUpRequest signup_req;
  vpb::SignUpResponse signup_resp;
  std::unique_ptr<grpc::ClientAsyncResponseReader<vpb::SignUpResponse>> signup;
  grpc::Status status;
  Clock::time_point sent;
  double ms = 0;
};

constexpr int kConnections = 4;

// The calls go out and come back on one thread, through one completion queue that the same
// thread polls (gRPC's asynchronous API). The callback API (this tool until 2026-12-01) ran
// each answer on a thread of gRPC's own and cost 200-300 us of CPU per call, as much as half
// the service's: on a machine whose two cores the service, PostgreSQL and this tool share, the
// tool's own cost was taken from the service's throughput.
class Load {
 public:
  Load(bool rsvp, std::vector<std::string> ids, std::vector<std::string> tokens)
      : rsvp_(rsvp), ids_(std::move(ids)), tokens_(std::move(tokens)) {}

  bool Connect(const std::string& addr) {
    for (int c = 0; c < kConnections; ++c) {
      grpc::ChannelArguments args;
      args.SetInt("hc.write_load.connection", c);  // one subchannel each, not one shared
      auto channel = grpc::CreateCustomChannel(addr, grpc::InsecureChannelCredentials(), args);
      if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
        return false;
      }
      events_.push_back(epb::EventsService::NewStub(channel));
      volunteering_.push_back(vpb::VolunteeringService::NewStub(channel));
    }
    return true;
  }

  void Prepare() {
    calls_.reserve(ids_.size());
    for (size_t i = 0; i < ids_.size(); ++i) calls_.push_back(std::make_unique<Call>());
  }

  // Sends the next call (false when the ids have run out).
  bool Send() {
    if (sent_ >= ids_.size()) {
      refused_ = true;
      return false;
    }
    const size_t i = sent_++;
    std::uniform_int_distribution<size_t> pick(0, tokens_.size() - 1);
    Call* call = calls_[i].get();
    call->ctx.AddMetadata("authorization", "Bearer " + tokens_[pick(rng_)]);
    call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    const size_t conn = i % kConnections;
    call->sent = Clock::now();
    if (rsvp_) {
      call->rsvp_req.set_event_id(ids_[i]);
      call->rsvp = events_[conn]->AsyncRsvp(&call->ctx, call->rsvp_req, &cq_);
      call->rsvp->Finish(&call->rsvp_resp, &call->status, call);
    } else {
      call->signup_req.set_shift_id(ids_[i]);
      call->signup = volunteering_[conn]->AsyncSignUp(&call->ctx, call->signup_req, &cq_);
      call->signup->Finish(&call->signup_resp, &call->status, call);
    }
    return true;
  }

  // Waits until `deadline` for one answer; true when one came (and is recorded).
  bool AwaitOne(Clock::time_point deadline) {
    void* tag = nullptr;
    bool ok = false;
    const auto wait = std::chrono::system_clock::now() +
                      std::chrono::duration_cast<std::chrono::system_clock::duration>(
                          std::max(Clock::duration::zero(), deadline - Clock::now()));
    if (cq_.AsyncNext(&tag, &ok, wait) != grpc::CompletionQueue::GOT_EVENT) return false;
    auto* call = static_cast<Call*>(tag);
    call->ms = Ms(Clock::now() - call->sent);
    ++answered_;
    return true;
  }

  // The queue must be shut down and drained before it goes (once every call is answered).
  ~Load() {
    cq_.Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (cq_.Next(&tag, &ok)) {
    }
  }
  Load(const Load&) = delete;
  Load& operator=(const Load&) = delete;

  size_t sent() const { return sent_; }
  size_t answered() const { return answered_; }
  // Whether a call was not sent because the ids had run out.
  bool exhausted() const { return refused_; }
  const std::vector<std::unique_ptr<Call>>& calls() const { return calls_; }

 private:
  const bool rsvp_;
  const std::vector<std::string> ids_;
  const std::vector<std::string> tokens_;
  std::vector<std::unique_ptr<Call>> calls_;
  std::vector<std::unique_ptr<epb::EventsService::Stub>> events_;
  std::vector<std::unique_ptr<vpb::VolunteeringService::Stub>> volunteering_;
  grpc::CompletionQueue cq_;
  std::mt19937_64 rng_{20261130};
  size_t sent_ = 0;
  size_t answered_ = 0;
  bool refused_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 9 && argc != 10) {
    return Fail(
        "usage: write_load ADDR KEY_FILE ISSUER KIND IDS_FILE MEMBERS CONCURRENCY SECONDS "
        "[RATE]\n  KIND: rsvp | signup");
  }
  const std::string addr = argv[1], key_file = argv[2], issuer = argv[3], kind = argv[4];
  const int64_t members = std::atoll(argv[6]);
  const int concurrency = std::atoi(argv[7]), seconds = std::atoi(argv[8]);
  const double rate = argc == 10 ? std::atof(argv[9]) : 0;
  if (kind != "rsvp" && kind != "signup") return Fail("KIND must be rsvp or signup");
  if (members <= 0 || concurrency <= 0 || seconds <= 0 || (argc == 10 && rate <= 0)) {
    return Fail("MEMBERS, CONCURRENCY, SECONDS and RATE must be > 0");
  }
  std::vector<std::string> ids;
  {
    std::ifstream in(argv[5]);
    if (!in) return Fail(std::string("cannot read ") + argv[5]);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) ids.push_back(line);
    }
  }
  if (ids.empty()) return Fail(std::string("no ids in ") + argv[5]);
  const auto minter = hc::bench::TokenMinter::FromKeyFile(key_file, issuer, {"alumnus"});
  if (!minter) return Fail("cannot read " + key_file);
  std::vector<std::string> tokens;
  for (int64_t m = 1; m <= members; ++m) {
    auto token = minter->For(m);
    if (!token.ok()) return Fail("minting: " + std::string(token.status().message()));
    tokens.push_back(*token);
  }

  Load load(kind == "rsvp", std::move(ids), std::move(tokens));
  load.Prepare();
  if (!load.Connect(addr)) return Fail("cannot connect to " + addr);

  const auto start = Clock::now();
  const auto end = start + std::chrono::seconds(seconds);
  // Every call has a 10 s deadline, so each is answered, one way or the other, by then.
  const auto give_up = end + std::chrono::seconds(15);
  if (rate == 0) {
    // Closed loop: each answer sends the next call until the time is up.
    for (int c = 0; c < concurrency && load.Send(); ++c) {
    }
    while (load.answered() < load.sent() && load.AwaitOne(give_up)) {
      if (Clock::now() < end) load.Send();
    }
  } else {
    // Open loop: call i leaves at start + i / RATE, answered or not; answers are taken while
    // waiting for the next departure.
    const auto every = std::chrono::duration<double>(1.0 / rate);
    for (size_t i = 0;; ++i) {
      const auto at = start + std::chrono::duration_cast<Clock::duration>(every * i);
      if (at >= end) break;
      while (Clock::now() < at && load.AwaitOne(at)) {
      }
      if (!load.Send()) break;
    }
    while (load.answered() < load.sent() && load.AwaitOne(give_up)) {
    }
  }
  const double elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
  const size_t next = load.sent();
  const bool exhausted = load.exhausted();
  if (load.answered() < next) {
    std::fprintf(stderr, "write_load: only %zu of %zu calls answered\n", load.answered(), next);
    std::fflush(stdout);
    std::_Exit(1);  // the unanswered calls still reference `load`
  }
  std::vector<double> ok_ms;
  std::map<int, int64_t> by_code;
  for (size_t i = 0; i < next; ++i) {
    const Call& call = *load.calls()[i];
    ++by_code[static_cast<int>(call.status.error_code())];
    if (call.status.ok()) ok_ms.push_back(call.ms);
  }
  std::sort(ok_ms.begin(), ok_ms.end());
  // The run lasted until the last answer (the closed loop stops sending at `end`).
  std::printf("calls %zu %zu %zu %.0f %.2f %.2f %.2f\n", next, ok_ms.size(), next - ok_ms.size(),
              static_cast<double>(ok_ms.size()) / std::max(elapsed_s, 1e-9), Quantile(ok_ms, 0.50),
              Quantile(ok_ms, 0.99), Quantile(ok_ms, 0.999));
  for (const auto& [code, count] : by_code) {
    std::printf("status %d %lld\n", code, static_cast<long long>(count));
  }
  if (exhausted) std::printf("ids_exhausted\n");
  return 0;
}

// What a request's rate limits cost the edge: the per-address and per-session buckets counted
// as main counted them before issue 13 (two round trips, an INCR+EXPIRE pipeline per bucket)
// against RedisRateLimiter::FirstRefused (both buckets in one EVALSHA), each on `threads`
// threads (the edge's HTTP workers) for `seconds`, with the machine's idle share during each.
//
//   build/bench/edge_limits_bench [host:port=127.0.0.1:26379] [threads=8] [seconds=5]
#include <prometheus/registry.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "libs/redis/connection.h"
#include "services/edge/src/http/redis_rate_limiter.h"

namespace {

using Clock = std::chrono::steady_clock;

// Idle and total jiffies of all cores, from /proc/stat.
std::pair<long long, long long> CpuTimes() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  long long value = 0, idle = 0, total = 0;
  stat >> cpu;
  for (int i = 0; i < 8 && stat >> value; ++i) {
    total += value;
    if (i == 3 || i == 4) idle += value;  // idle, iowait
  }
  return {idle, total};
}

struct Figure {
  double per_second = 0;
  double idle_percent = 0;
};

// Runs `op` on `threads` threads for `seconds`.
Figure Rate(int threads, int seconds, const std::function<std::function<void()>(int)>& make_op) {
  std::atomic<bool> stop{false};
  std::atomic<long long> calls{0};
  std::vector<std::thread> workers;
  const auto [idle_before, total_before] = CpuTimes();
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      auto op = make_op(t);
      long long n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        op();
        ++n;
      }
      calls += n;
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& w : workers) w.join();
  const auto [idle_after, total_after] = CpuTimes();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  return {.per_second = static_cast<double>(calls.load()) / elapsed,
          .idle_percent = 100.0 * static_cast<double>(idle_after - idle_before) /
                          static_cast<double>(std::max(1LL, total_after - total_before))};
}

void Print(const char* what, int threads, const Figure& f) {
  std::printf("%-44s threads=%-2d %9.0f req/s %8.1f us/req  idle %4.1f%%\n", what, threads,
              f.per_second, 1e6 * threads / f.per_second, f.idle_percent);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string address = argc > 1 ? argv[1] : "127.0.0.1:26379";
  const int threads = argc > 2 ? std::stoi(argv[2]) : 8;
  const int seconds = argc > 3 ? std::stoi(argv[3]) : 5;
  const std::string run = std::to_string(::getpid());
  const hc::redis::ConnectionOptions connection{.address = address};
  constexpr long long kWindow = 60;
  constexpr int kHuge = 1 << 30;  // nothing is refused: the cost of counting is measured

  hc::redis::Pool pool(connection, 64, std::chrono::milliseconds(1000));
  if (!pool.Run({{"PING"}}, true)) {
    std::fprintf(stderr, "no Redis at %s: %s\n", address.c_str(), pool.last_error().c_str());
    return 1;
  }
  prometheus::Registry registry;
  edge::http::RedisRateLimiter limiter({.connection = connection}, registry);

  for (int n : {1, threads}) {
    // main before issue 13: Allow("ip") in the pre-routing handler, Allow("session") in the
    // handler, each an INCR+EXPIRE pipeline on a pooled connection.
    const Figure two = Rate(n, seconds, [&](int t) {
      return [&, t] {
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
        const std::string suffix = ":" + std::to_string(now - now % kWindow);
        const std::string ip = "hc:edge:rl:ip:bench" + run + suffix;
        const std::string session =
            "hc:edge:rl:session:bench" + run + "-" + std::to_string(t) + suffix;
        for (const std::string& key : {ip, session}) {
          auto replies = pool.Run({{"INCR", key}, {"EXPIRE", key, std::to_string(kWindow + 1)}});
          if (!replies) std::abort();
        }
      };
    });
    Print("two round trips (INCR+EXPIRE per bucket)", n, two);
    const Figure one = Rate(n, seconds, [&](int t) {
      return [&, t, session = "bench" + run + "-" + std::to_string(t)] {
        const std::string ip = "bench" + run;
        const edge::http::Limit limits[] = {{.bucket = "ip", .key = ip, .limit = kHuge},
                                            {.bucket = "session", .key = session, .limit = kHuge}};
        if (limiter.FirstRefused(limits).has_value()) std::abort();
      };
    });
    Print("one round trip (FirstRefused, one EVALSHA)", n, one);
    std::printf("  one/two throughput ratio at %d threads: %.2f\n", n,
                one.per_second / two.per_second);
  }
  return 0;
}

// Cache hot path against its ceiling in the same run: GetOrLoad answered from Redis (one MGET,
// the version check, the tag) against a bare hiredis GET of the same bytes, each with the same
// number of threads, one connection per thread, for `seconds` alternating seconds each.
//
//   build/bench/cache_bench 127.0.0.1:26379 [threads=8] [seconds=5] [value_bytes=600]
#include <hiredis/hiredis.h>
#include <prometheus/registry.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "libs/redis/cache.h"

namespace {

using Clock = std::chrono::steady_clock;

// Runs `op` on `threads` threads for `seconds`; calls per second.
template <typename MakeOp>
double Rate(int threads, int seconds, MakeOp make_op) {
  std::atomic<bool> stop{false};
  std::atomic<long long> calls{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      auto op = make_op();
      long long n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        op();
        ++n;
      }
      calls += n;
    });
  }
  const auto start = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& w : workers) w.join();
  return static_cast<double>(calls.load()) /
         std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s host:port [threads] [seconds] [value_bytes]\n", argv[0]);
    return 2;
  }
  const std::string address = argv[1];
  const int threads = argc > 2 ? std::stoi(argv[2]) : 8;
  const int seconds = argc > 3 ? std::stoi(argv[3]) : 5;
  const std::string value(argc > 4 ? std::stoul(argv[4]) : 600, 'x');
  const std::string key = "bench:cache:" + std::to_string(::getpid());
  const auto colon = address.rfind(':');
  const std::string host = address.substr(0, colon);
  const int port = std::stoi(address.substr(colon + 1));

  prometheus::Registry registry;
  hc::redis::Cache cache(
      {.connection = {.address = address}, .pool_size = static_cast<size_t>(threads)}, registry,
      "bench");
  auto load = [&]() -> absl::StatusOr<std::string> { return value; };
  if (!cache.GetOrLoad(key, std::chrono::seconds(600), load).ok()) return 1;

  // The two alternate second by second, so load from elsewhere on the machine falls on both.
  double ceiling = 0;
  double hits = 0;
  std::atomic<long long> loads{0};
  for (int round = 0; round < seconds; ++round) {
    ceiling += Rate(threads, 1, [&] {
      std::shared_ptr<redisContext> ctx(redisConnect(host.c_str(), port), redisFree);
      return [ctx, &key] {
        freeReplyObject(redisCommand(ctx.get(), "GET %b", key.data(), key.size()));
      };
    });
    hits += Rate(threads, 1, [&] {
      return [&] {
        (void)cache.GetOrLoad(key, std::chrono::seconds(600), [&]() -> absl::StatusOr<std::string> {
          ++loads;
          return value;
        });
      };
    });
  }
  ceiling /= seconds;
  hits /= seconds;
  cache.Invalidate(key);
  std::printf("threads=%d seconds=%d value_bytes=%zu\n", threads, seconds, value.size());
  std::printf("bare GET           %10.0f /s\n", ceiling);
  std::printf("GetOrLoad (hit)    %10.0f /s  ratio %.2f  (loads during the run: %lld)\n", hits,
              hits / ceiling, loads.load());
  return 0;
}

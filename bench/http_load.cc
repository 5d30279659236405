// A small HTTP/1.1 load generator for edge_bench.sh: JSON POSTs over keep-alive connections,
// either as fast as the server answers (closed loop, --rate 0) or at a fixed rate (open loop:
// each request has a scheduled start and its latency counts from then, so a slow server can't
// hide its queueing by slowing the sender down). Prints one JSON line:
//   {"requests":N,"errors":E,"rps":R,"p50_ms":A,"p90_ms":B,"p99_ms":C}
//
//   http_load --host 127.0.0.1 --port 17080 --path /pkg.Service/Method --body '{...}'
//             [--header 'Name: value']... [--connections 8] [--seconds 10] [--rate 0]
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 17080;
  std::string path;
  std::string body = "{}";
  httplib::Headers headers;
  int connections = 8;
  int seconds = 10;
  double rate = 0;  // requests per second over all connections; 0 = closed loop
};

[[noreturn]] void Usage(const std::string& why) {
  std::cerr << "http_load: " << why
            << "\nusage: http_load --port P --path /pkg.Service/Method [--host H] [--body JSON]"
               " [--header 'N: v']... [--connections C] [--seconds S] [--rate R]\n";
  std::exit(2);
}

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) Usage(flag + " needs a value");
    std::string value = argv[++i];
    if (flag == "--host") {
      o.host = value;
    } else if (flag == "--port") {
      o.port = std::atoi(value.c_str());
    } else if (flag == "--path") {
      o.path = value;
    } else if (flag == "--body") {
      o.body = value;
    } else if (flag == "--header") {
      const auto colon = value.find(':');
      if (colon == std::string::npos) Usage("a header is 'Name: value'");
      std::string v = value.substr(colon + 1);
      v.erase(0, v.find_first_not_of(' '));
      o.headers.emplace(value.substr(0, colon), v);
    } else if (flag == "--connections") {
      o.connections = std::atoi(value.c_str());
    } else if (flag == "--seconds") {
      o.seconds = std::atoi(value.c_str());
    } else if (flag == "--rate") {
      o.rate = std::atof(value.c_str());
    } else {
      Usage("unknown flag " + flag);
    }
  }
  if (o.path.empty() || o.port <= 0 || o.connections <= 0 || o.seconds <= 0 || o.rate < 0) {
    Usage("--path, a positive --port, --connections and --seconds are required");
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  std::mutex mu;
  std::vector<double> latencies_ms;
  std::atomic<long> errors{0};
  const Clock::time_point start = Clock::now();
  const Clock::time_point end = start + std::chrono::seconds(o.seconds);

  std::vector<std::thread> threads;
  for (int c = 0; c < o.connections; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client client(o.host, o.port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      client.set_read_timeout(10, 0);
      std::vector<double> mine;
      // Open loop: connection c sends requests c, c+C, c+2C, ... of a schedule of `rate` per
      // second shared by all connections.
      const std::chrono::duration<double> gap =
          o.rate > 0 ? std::chrono::duration<double>(o.connections / o.rate)
                     : std::chrono::duration<double>(0);
      Clock::time_point due =
          start + std::chrono::duration_cast<Clock::duration>(gap * c / o.connections);
      while (true) {
        Clock::time_point sent = Clock::now();
        if (o.rate > 0) {
          if (due >= end) break;
          std::this_thread::sleep_until(due);
          sent = due;
          due += std::chrono::duration_cast<Clock::duration>(gap);
        } else if (sent >= end) {
          break;
        }
        auto res = client.Post(o.path, o.headers, o.body, "application/json");
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - sent).count();
        if (!res || res->status != 200) {
          errors.fetch_add(1);
          if (!res) client.stop();
          continue;
        }
        mine.push_back(ms);
      }
      std::lock_guard<std::mutex> lock(mu);
      latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    if (latencies_ms.empty()) return 0.0;
    return latencies_ms[std::min(
        latencies_ms.size() - 1,
        static_cast<size_t>(p * static_cast<double>(latencies_ms.size())))];
  };
  std::printf(
      "{\"requests\":%zu,\"errors\":%ld,\"rps\":%.0f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,"
      "\"p99_ms\":%.3f}\n",
      latencies_ms.size(), errors.load(), static_cast<double>(latencies_ms.size()) / elapsed,
      pct(0.50), pct(0.90), pct(0.99));
  return latencies_ms.empty() ? 1 : 0;
}

// The outbox relay's latency at light load beside Kafka's own, and its backlog drain rate beside
// the peak write rate, all in one run (bench/relay_bench.sh runs it; see bench/README.md).
//
//   relay_bench [--rate R] [--seconds S] [--backlog N] [--keys K] [--peak-seconds P]
//               [--peak-connections C]
//
// 1. Kafka's own latency: a bare producer (acks=all, idempotence, linger.ms=0) sends R messages a
//    second for S seconds to a fresh 3-partition topic; a consumer assigned every partition (no
//    rebalance to wait for, librdkafka's defaults otherwise, as libs/kafka's Consumer) reads
//    them. Latency: produce() called -> message consumed.
// 2. The relay's latency: a fresh database, one outbox::Relay with its default options, and a
//    writer committing one outbox row (a MemberProfileUpdated, 64 keys) per transaction at R a
//    second for S seconds; latency: COMMIT returned -> the fact consumed (matched by ce_id).
//    That is what an RSVP's caller waits for beyond its answer before a consumer sees the fact.
//    One second at the same rate goes first in both, unmeasured (connections, metadata).
// 3. Peak write rate: C connections commit one-row outbox transactions as fast as they can for
//    P seconds while the relay runs: an upper bound on any service's write rate on this
//    machine (an RSVP does more in its transaction).
// 4. Drain: N rows over K keys inserted at once, then a new Relay with its default options;
//    rows/s is N over the time from Start() until hc_outbox_published_total reaches N.
// All clocks are this process's steady clock. Settings from the test stack's stack.env:
// HC_PG_URL_BASE, HC_KAFKA_BROKERS. Leaves its topics behind (the test stack is disposable);
// drops its database. The last lines are "key value" pairs for the script.
#include <librdkafka/rdkafkacpp.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "alumni/membership/v1/membership_events.pb.h"
#include "libs/kafka/kafka.h"
#include "libs/outbox/outbox.h"
#include "libs/postgres/migrations.h"
#include "libs/postgres/pool.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    std::cerr << name << " is not set: source the test stack's stack.env\n";
    std::exit(2);
  }
  return value;
}

[[noreturn]] void Die(const std::string& what) {
  std::cerr << "relay_bench: " << what << "\n";
  std::exit(1);
}

std::string RandomSuffix() {
  std::mt19937_64 rng(std::random_device{}());
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

int64_t Nanos(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

double Counter(prometheus::Registry& registry, const std::string& name) {
  for (const auto& family : registry.Collect()) {
    if (family.name == name && !family.metric.empty()) return family.metric[0].counter.value;
  }
  return 0;
}

struct Percentiles {
  double p50 = 0, p99 = 0;
  size_t count = 0;
};

Percentiles Summarize(std::vector<double> ms) {
  Percentiles out;
  out.count = ms.size();
  if (ms.empty()) return out;
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(p * static_cast<double>(ms.size())))];
  };
  out.p50 = pct(0.50);
  out.p99 = pct(0.99);
  return out;
}

// A consumer assigned every partition of `topic` from the beginning; `on_message` gets each
// message with the time it arrived, until `done` returns true or `give_up` passes.
std::unique_ptr<RdKafka::KafkaConsumer> NewConsumer(const std::string& brokers,
                                                    const std::string& topic, int partitions) {
  std::string error;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  if (conf->set("bootstrap.servers", brokers, error) != RdKafka::Conf::CONF_OK ||
      conf->set("group.id", "relay-bench", error) != RdKafka::Conf::CONF_OK ||
      conf->set("enable.auto.commit", "false", error) != RdKafka::Conf::CONF_OK) {
    Die(error);
  }
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer) Die("consumer: " + error);
  std::vector<RdKafka::TopicPartition*> assignment;
  for (int p = 0; p < partitions; ++p) {
    assignment.push_back(
        RdKafka::TopicPartition::create(topic, p, RdKafka::Topic::OFFSET_BEGINNING));
  }
  if (consumer->assign(assignment) != RdKafka::ERR_NO_ERROR) Die("assign failed");
  RdKafka::TopicPartition::destroy(assignment);
  return consumer;
}

// Calls `send(i, measured)` for the warm-up second and then `seconds` at `rate` a second, paced
// by schedule (not a fixed gap after each send), so the rate holds whatever a send costs.
template <typename Send>
void Paced(int rate, int seconds, Send send) {
  const int warmup = rate;
  const int total = warmup + rate * seconds;
  const auto start = Clock::now();
  const auto gap = std::chrono::nanoseconds(1'000'000'000 / rate);
  for (int i = 0; i < total; ++i) {
    std::this_thread::sleep_until(start + i * gap);
    send(i, i >= warmup);
  }
}

Percentiles KafkaLatency(const std::string& brokers, const std::string& topic, int rate,
                         int seconds) {
  auto consumer = NewConsumer(brokers, topic, 3);
  std::string error;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  for (const auto& [name, value] : std::map<std::string, std::string>{
           {"bootstrap.servers", brokers},
           {"enable.idempotence", "true"},
           {"acks", "all"},
           {"linger.ms", "0"},
       }) {
    if (conf->set(name, value, error) != RdKafka::Conf::CONF_OK) Die(error);
  }
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), error));
  if (!producer) Die("producer: " + error);

  const int total = rate * (seconds + 1);
  std::vector<double> latencies;
  std::atomic<bool> producing{true};
  std::thread reader([&] {
    int seen = 0;
    auto give_up = Clock::time_point::max();
    while (seen < total && Clock::now() < give_up) {
      if (!producing && give_up == Clock::time_point::max()) {
        give_up = Clock::now() + std::chrono::seconds(10);
      }
      std::unique_ptr<RdKafka::Message> m(consumer->consume(100));
      if (m->err() != RdKafka::ERR_NO_ERROR) continue;
      const int64_t received = Nanos(Clock::now());
      ++seen;
      // value: "<steady ns at produce> <1 when measured>"
      const std::string value(static_cast<const char*>(m->payload()), m->len());
      if (value.back() == '1') {
        latencies.push_back(static_cast<double>(received - std::stoll(value)) / 1e6);
      }
    }
  });
  Paced(rate, seconds, [&](int i, bool measured) {
    const std::string value = std::to_string(Nanos(Clock::now())) + (measured ? " 1" : " 0");
    const std::string key = "probe-" + std::to_string(i % 64);
    RdKafka::ErrorCode e;
    while ((e = producer->produce(topic, RdKafka::Topic::PARTITION_UA,
                                  RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(value.data()),
                                  value.size(), key.data(), key.size(), 0, nullptr)) ==
           RdKafka::ERR__QUEUE_FULL) {
      producer->poll(10);
    }
    if (e != RdKafka::ERR_NO_ERROR) Die("produce: " + RdKafka::err2str(e));
    producer->poll(0);
  });
  producer->flush(30000);
  producing = false;
  reader.join();
  consumer->close();
  return Summarize(std::move(latencies));
}

alumni::membership::v1::MemberProfileUpdated Event(int i) {
  alumni::membership::v1::MemberProfileUpdated event;
  event.set_member_id("member-" + std::to_string(i % 64));
  event.set_version(i);
  event.add_changed_fields("display_name");
  return event;
}

Percentiles RelayLatency(const std::string& brokers, hc::postgres::Pool& pool,
                         const std::string& topic, int rate, int seconds) {
  auto consumer = NewConsumer(brokers, topic, 3);
  std::mutex mu;
  std::map<std::string, int64_t> committed;  // ce_id -> COMMIT returned, measured rows only
  std::map<std::string, int64_t> consumed;   // ce_id -> consumed
  const int total = rate * (seconds + 1);
  std::atomic<bool> writing{true};
  std::thread reader([&] {
    int seen = 0;
    auto give_up = Clock::time_point::max();
    while (seen < total && Clock::now() < give_up) {
      if (!writing && give_up == Clock::time_point::max()) {
        give_up = Clock::now() + std::chrono::seconds(30);
      }
      std::unique_ptr<RdKafka::Message> m(consumer->consume(100));
      if (m->err() != RdKafka::ERR_NO_ERROR) continue;
      const int64_t received = Nanos(Clock::now());
      ++seen;
      const std::string id = hc::kafka::FromRdKafka(*m).Header(hc::kafka::kCeId);
      std::lock_guard<std::mutex> lock(mu);
      consumed.emplace(id, received);
    }
  });
  auto conn = pool.Connect();
  Paced(rate, seconds, [&](int i, bool measured) {
    pqxx::work tx(*conn);
    const std::string id =
        hc::outbox::Append(tx, topic, "member-" + std::to_string(i % 64), Event(i));
    tx.commit();
    const int64_t now = Nanos(Clock::now());
    if (measured) {
      std::lock_guard<std::mutex> lock(mu);
      committed.emplace(id, now);
    }
  });
  writing = false;
  reader.join();
  consumer->close();
  std::vector<double> latencies;
  size_t missing = 0;
  for (const auto& [id, at] : committed) {
    auto it = consumed.find(id);
    if (it == consumed.end()) {
      ++missing;
      continue;
    }
    latencies.push_back(static_cast<double>(it->second - at) / 1e6);
  }
  if (missing > 0) std::cerr << "relay_bench: " << missing << " facts never consumed\n";
  return Summarize(std::move(latencies));
}

// One-row outbox transactions from `connections` threads for `seconds`; transactions a second.
double PeakWriteRate(hc::postgres::Pool& pool, const std::string& topic, int connections,
                     int seconds, long long& written) {
  std::atomic<long long> count{0};
  std::vector<std::thread> threads;
  const auto until = Clock::now() + std::chrono::seconds(seconds);
  const auto start = Clock::now();
  for (int t = 0; t < connections; ++t) {
    threads.emplace_back([&, t] {
      auto conn = pool.Connect();
      for (int i = t; Clock::now() < until; i += connections) {
        pqxx::work tx(*conn);
        hc::outbox::Append(tx, topic, "member-" + std::to_string(i % 64), Event(i));
        tx.commit();
        ++count;
      }
    });
  }
  for (auto& t : threads) t.join();
  written = count;
  return static_cast<double>(count) / std::chrono::duration<double>(Clock::now() - start).count();
}

void WaitForCounter(prometheus::Registry& registry, double target, const char* what) {
  const auto deadline = Clock::now() + std::chrono::minutes(10);
  while (Counter(registry, "hc_outbox_published_total") < target) {
    if (Clock::now() > deadline) Die(std::string("the relay did not publish ") + what);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

int main(int argc, char** argv) {
  int rate = 100, seconds = 10, backlog = 100000, keys = 1000, peak_seconds = 5, peak_conns = 8;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&] {
      if (i + 1 >= argc) Die("missing value after " + arg);
      return std::atoi(argv[++i]);
    };
    if (arg == "--rate") {
      rate = next();
    } else if (arg == "--seconds") {
      seconds = next();
    } else if (arg == "--backlog") {
      backlog = next();
    } else if (arg == "--keys") {
      keys = next();
    } else if (arg == "--peak-seconds") {
      peak_seconds = next();
    } else if (arg == "--peak-connections") {
      peak_conns = next();
    } else {
      std::cerr << "usage: relay_bench [--rate R] [--seconds S] [--backlog N] [--keys K] "
                   "[--peak-seconds P] [--peak-connections C]\n";
      return 2;
    }
  }
  if (rate <= 0 || seconds <= 0 || backlog <= 0 || keys <= 0 || peak_seconds <= 0 ||
      peak_conns <= 0) {
    Die("every setting must be positive");
  }
  const std::string pg_base = Env("HC_PG_URL_BASE");
  const std::string brokers = Env("HC_KAFKA_BROKERS");
  const std::string suffix = RandomSuffix();
  const std::string db = "bench_relay_" + suffix;
  const std::string kafka_topic = "bench-relay-" + suffix + "-kafka";
  const std::string relay_topic = "bench-relay-" + suffix + "-relay";
  const std::string drain_topic = "bench-relay-" + suffix + "-drain";
  if (auto s = hc::kafka::EnsureTopics(brokers, {kafka_topic, relay_topic, drain_topic}, 3,
                                       std::chrono::seconds(30));
      !s.ok()) {
    Die(std::string(s.message()));
  }

  std::fprintf(stderr, "relay_bench: Kafka's own latency, %d/s for %d s\n", rate, seconds);
  const Percentiles kafka = KafkaLatency(brokers, kafka_topic, rate, seconds);

  {
    pqxx::connection admin(pg_base + "/postgres");
    pqxx::nontransaction tx(admin);
    tx.exec("CREATE DATABASE " + tx.quote_name(db));
  }
  const std::string url = pg_base + "/" + db;
  Percentiles relay_latency;
  double peak = 0, drain = 0;
  long long peak_rows = 0;
  {
    if (auto migrated = hc::postgres::Migrate(url, hc::outbox::Migrations()); !migrated.ok()) {
      Die(std::string(migrated.message()));
    }
    hc::postgres::Pool pool({.url = url, .size = static_cast<size_t>(peak_conns) + 4});
    {
      prometheus::Registry registry;
      hc::outbox::Relay relay({.brokers = brokers, .service = "bench"}, pool, registry);
      relay.Start();
      std::fprintf(stderr, "relay_bench: outbox commit -> consumed, %d/s for %d s\n", rate,
                   seconds);
      relay_latency = RelayLatency(brokers, pool, relay_topic, rate, seconds);
      std::fprintf(stderr, "relay_bench: peak write rate, %d connections for %d s\n", peak_conns,
                   peak_seconds);
      peak = PeakWriteRate(pool, relay_topic, peak_conns, peak_seconds, peak_rows);
      WaitForCounter(registry, static_cast<double>(rate * (seconds + 1) + peak_rows),
                     "the peak run's rows");
      relay.Stop();
    }
    {
      pqxx::connection conn(url);
      pqxx::work tx(conn);
      const std::string payload = Event(7).SerializeAsString();
      pqxx::binarystring bytes(payload.data(), payload.size());
      tx.exec_params(
          "INSERT INTO outbox (topic, msg_key, ce_type, payload) "
          "SELECT $1, 'member-' || lpad((g % $3)::text, 29, '0'), "
          "'alumni.membership.v1.MemberProfileUpdated', $2 FROM generate_series(1, $4) g",
          drain_topic, bytes, keys, backlog);
      tx.commit();
      pqxx::nontransaction analyze(conn);
      analyze.exec("VACUUM ANALYZE outbox");
    }
    std::fprintf(stderr, "relay_bench: draining %d rows\n", backlog);
    prometheus::Registry registry;
    hc::outbox::Relay relay({.brokers = brokers, .service = "bench"}, pool, registry);
    const auto start = Clock::now();
    relay.Start();
    WaitForCounter(registry, backlog, "the backlog");
    drain = backlog / std::chrono::duration<double>(Clock::now() - start).count();
    relay.Stop();
  }
  {
    pqxx::connection admin(pg_base + "/postgres");
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(db) + " WITH (FORCE)");
  }
  std::printf("kafka_p50_ms %.3f\nkafka_p99_ms %.3f\nkafka_count %zu\n", kafka.p50, kafka.p99,
              kafka.count);
  std::printf("relay_p50_ms %.3f\nrelay_p99_ms %.3f\nrelay_count %zu\n", relay_latency.p50,
              relay_latency.p99, relay_latency.count);
  std::printf("expected_count %d\n", rate * seconds);
  std::printf("peak_write_per_s %.0f\ndrain_rows_per_s %.0f\nbacklog_rows %d\n", peak, drain,
              backlog);
  return 0;
}

// Outbox relay throughput against Kafka's own producer, measured in the same run.
//
//   outbox_relay_bench [--rows N] [--keys K] [--skip-ceiling] [--skip-standby]
//
// 1. Ceiling: Kafka's ProducerPerformance (org.apache.kafka.tools, from HC_KAFKA_CLASSPATH)
//    sends N records of the size of one relayed message (value + key + CloudEvents headers)
//    with acks=all and idempotence, to a fresh 3-partition topic.
// 2. Relay: a fresh database holds a backlog of N outbox rows (K keys, a MemberProfileUpdated
//    each); a Relay with its default options drains it to another fresh topic; rows/s is N
//    over the time from Start until hc_outbox_published_total reaches N.
// 3. Standby: a second Relay stands by for 10 s; PostgreSQL sessions it opened per second
//    (pg_stat_database.sessions).
// Prints the figures and relay/ceiling. Settings from the test stack's stack.env:
// HC_PG_URL_BASE, HC_KAFKA_BROKERS, HC_KAFKA_CLASSPATH. Leaves its topics behind (the test
// stack is disposable); drops its database.
//
// Built against the relay before issue 7 too (compile with -DHC_BENCH_OLD_OUTBOX, which has
// only the first migration): see bench/README.md.
#include <prometheus/registry.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <pqxx/pqxx>
#include <random>
#include <string>
#include <thread>

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

std::string RandomSuffix() {
  std::mt19937_64 rng(std::random_device{}());
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

double Counter(prometheus::Registry& registry, const std::string& name) {
  for (const auto& family : registry.Collect()) {
    if (family.name == name && !family.metric.empty()) return family.metric[0].counter.value;
  }
  return 0;
}

// Runs Kafka's ProducerPerformance; its records/s, or 0 when it failed.
double Ceiling(const std::string& classpath, const std::string& brokers, const std::string& topic,
               int records, int record_size) {
  const std::string command = "java -Xmx512m -cp '" + classpath +
                              "' org.apache.kafka.tools.ProducerPerformance --topic " + topic +
                              " --num-records " + std::to_string(records) + " --record-size " +
                              std::to_string(record_size) +
                              " --throughput -1 --producer-props bootstrap.servers=" + brokers +
                              " acks=all enable.idempotence=true linger.ms=5 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return 0;
  std::string last, line;
  char buf[4096];
  while (std::fgets(buf, sizeof(buf), pipe)) {
    line = buf;
    if (line.find("records sent") != std::string::npos) last = line;
  }
  pclose(pipe);
  // "50000 records sent, 41736.227045 records/sec (9.95 MB/sec), ..."
  auto comma = last.find(", ");
  if (comma == std::string::npos) return 0;
  return std::atof(last.c_str() + comma + 2);
}

}  // namespace

int main(int argc, char** argv) {
  int rows = 50000;
  int keys = 1000;
  bool ceiling = true;
  bool standby = true;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--rows" && i + 1 < argc) {
      rows = std::atoi(argv[++i]);
    } else if (arg == "--keys" && i + 1 < argc) {
      keys = std::atoi(argv[++i]);
    } else if (arg == "--skip-ceiling") {
      ceiling = false;
    } else if (arg == "--skip-standby") {
      standby = false;
    } else {
      std::cerr << "usage: outbox_relay_bench [--rows N] [--keys K] [--skip-ceiling] "
                   "[--skip-standby]\n";
      return 2;
    }
  }
  const std::string pg_base = Env("HC_PG_URL_BASE");
  const std::string brokers = Env("HC_KAFKA_BROKERS");
  const std::string suffix = RandomSuffix();
  const std::string db = "bench_outbox_" + suffix;
  const std::string topic = "bench-outbox-" + suffix;
  const std::string ceiling_topic = topic + "-ceiling";

  alumni::membership::v1::MemberProfileUpdated event;
  event.set_member_id("3f0c9d7e-4b8a-4e21-9c55-0d6f1b2a7e90");
  event.set_version(7);
  event.add_changed_fields("display_name");
  event.add_changed_fields("interests");
  const std::string payload = event.SerializeAsString();
  // value + key + the six CloudEvents headers (names and values) of one relayed message
  const int record_size =
      static_cast<int>(payload.size()) + 36 +
      static_cast<int>(std::string("ce_specversion1.0ce_id").size()) + 36 +
      static_cast<int>(std::string("ce_typealumni.membership.v1.MemberProfileUpdated").size()) +
      static_cast<int>(std::string("ce_source/homecoming/bench").size()) +
      static_cast<int>(std::string("ce_time2026-01-01T00:00:00.000000Z").size()) +
      static_cast<int>(std::string("content-typeapplication/protobuf").size());

  if (auto s =
          hc::kafka::EnsureTopics(brokers, {topic, ceiling_topic}, 3, std::chrono::seconds(30));
      !s.ok()) {
    std::cerr << s << "\n";
    return 1;
  }
  double ceiling_rps = 0;
  if (ceiling) {
    ceiling_rps = Ceiling(Env("HC_KAFKA_CLASSPATH"), brokers, ceiling_topic, rows, record_size);
  }

  {
    pqxx::connection admin(pg_base + "/postgres");
    pqxx::nontransaction tx(admin);
    tx.exec("CREATE DATABASE " + tx.quote_name(db));
  }
  const std::string url = pg_base + "/" + db;
  double relay_rps = 0, standby_sessions_per_s = -1;
  {
#ifdef HC_BENCH_OLD_OUTBOX
    auto migrated = hc::postgres::Migrate(url, {hc::outbox::Migration()});
#else
    auto migrated = hc::postgres::Migrate(url, hc::outbox::Migrations());
#endif
    if (!migrated.ok()) {
      std::cerr << migrated << "\n";
      return 1;
    }
    {
      pqxx::connection conn(url);
      pqxx::work tx(conn);
      pqxx::binarystring bytes(payload.data(), payload.size());
      tx.exec_params(
          "INSERT INTO outbox (topic, msg_key, ce_type, payload) "
          "SELECT $1, 'member-' || lpad((g % $3)::text, 29, '0'), "
          "'alumni.membership.v1.MemberProfileUpdated', $2 FROM generate_series(1, $4) g",
          topic, bytes, keys, rows);
      tx.commit();
    }
    hc::postgres::Pool pool({.url = url, .size = 2});
    prometheus::Registry registry;
    hc::outbox::Relay relay({.brokers = brokers, .service = "bench"}, pool, registry);
    const auto start = Clock::now();
    relay.Start();
    while (Counter(registry, "hc_outbox_published_total") < rows) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (Clock::now() - start > std::chrono::minutes(10)) {
        std::cerr << "the relay did not drain the backlog in 10 minutes\n";
        return 1;
      }
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    relay_rps = rows / seconds;

    if (standby) {
      prometheus::Registry standby_registry;
      hc::outbox::Relay second({.brokers = brokers, .service = "bench"}, pool, standby_registry);
      pqxx::connection watcher(url);
      auto sessions = [&] {
        pqxx::nontransaction tx(watcher);
        return tx
            .exec1("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")[0]
            .as<double>();
      };
      second.Start();
      // Sessions are counted up to a second late; the standby connects within its first try.
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      const double before = sessions();
      std::this_thread::sleep_for(std::chrono::seconds(10));
      standby_sessions_per_s = (sessions() - before) / 10.0;
      second.Stop();
    }
    relay.Stop();
  }
  {
    pqxx::connection admin(pg_base + "/postgres");
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(db) + " WITH (FORCE)");
  }

  std::printf("backlog               %d rows, %d keys, %d bytes a message (value+key+headers)\n",
              rows, keys, record_size);
  if (ceiling) {
    std::printf(
        "kafka ceiling         %10.0f records/s (ProducerPerformance, acks=all, "
        "idempotent)\n",
        ceiling_rps);
  }
  std::printf("relay drain           %10.0f rows/s\n", relay_rps);
  if (ceiling && ceiling_rps > 0) {
    std::printf("relay / ceiling       %10.2f\n", relay_rps / ceiling_rps);
  }
  if (standby)
    std::printf("standby sessions      %10.2f new PostgreSQL sessions/s\n", standby_sessions_per_s);
  return 0;
}

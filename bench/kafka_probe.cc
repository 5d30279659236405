// Kafka's own latency, and one fact for notifications_bench.sh (see bench/README.md).
//
//   kafka_probe latency BROKERS TOPIC PARTITIONS RATE SECONDS
//     Produces RATE messages a second for SECONDS to TOPIC (a fresh topic of the run) with the
//     producer every relay uses (hc::kafka::NewIdempotentProducer: acks=all, idempotence,
//     linger.ms=5), each carrying its wall-clock send time, and consumes them meanwhile;
//     prints "p50_ms p99_ms received sent" of produce -> consume. The consumer is assigned
//     every partition from the beginning (no group rebalance to wait for), with librdkafka's
//     defaults otherwise, as libs/kafka's Consumer has.
//   kafka_probe role-posted BROKERS TOPIC ROLE_ID TAG EVENT_ID
//     Produces one VolunteerRolePosted of ROLE_ID for EVENT_ID with tag TAG, CloudEvents headers as
//     volunteering's relay sends them, and waits for the broker's ack.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "alumni/volunteering/v1/volunteering_events.pb.h"
#include "libs/ids/ids.h"
#include "libs/kafka/kafka.h"

namespace {

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "kafka_probe: %s\n", what.c_str());
  return 1;
}

int Latency(const std::string& brokers, const std::string& topic, int partitions, int rate,
            int seconds) {
  std::string error;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  if (conf->set("bootstrap.servers", brokers, error) != RdKafka::Conf::CONF_OK ||
      conf->set("group.id", "kafka-probe", error) != RdKafka::Conf::CONF_OK ||
      conf->set("enable.auto.commit", "false", error) != RdKafka::Conf::CONF_OK) {
    return Fail(error);
  }
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer) return Fail("consumer: " + error);
  std::vector<RdKafka::TopicPartition*> assignment;
  for (int p = 0; p < partitions; ++p) {
    assignment.push_back(
        RdKafka::TopicPartition::create(topic, p, RdKafka::Topic::OFFSET_BEGINNING));
  }
  if (consumer->assign(assignment) != RdKafka::ERR_NO_ERROR) return Fail("assign failed");
  RdKafka::TopicPartition::destroy(assignment);

  auto producer = hc::kafka::NewIdempotentProducer(brokers, nullptr, "kafka-probe");
  if (!producer.ok()) return Fail(std::string(producer.status().message()));

  const int total = rate * seconds;
  std::vector<double> latencies_ms;
  latencies_ms.reserve(total);
  std::atomic<bool> producing{true};
  // Consumes until every message arrived, or 10 s after the last one was sent.
  std::thread reader([&] {
    auto give_up = std::chrono::steady_clock::time_point::max();
    while (static_cast<int>(latencies_ms.size()) < total) {
      if (!producing && give_up == std::chrono::steady_clock::time_point::max()) {
        give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      }
      if (std::chrono::steady_clock::now() > give_up) break;
      std::unique_ptr<RdKafka::Message> m(consumer->consume(100));
      if (m->err() != RdKafka::ERR_NO_ERROR) continue;
      const int64_t received = NowMicros();
      const std::string value(static_cast<const char*>(m->payload()), m->len());
      latencies_ms.push_back(static_cast<double>(received - std::stoll(value)) / 1000.0);
    }
  });

  // Paced by schedule, not by sleeping a fixed gap, so the rate holds whatever a send costs.
  const auto start = std::chrono::steady_clock::now();
  const auto gap = std::chrono::nanoseconds(1'000'000'000 / rate);
  for (int i = 0; i < total; ++i) {
    std::this_thread::sleep_until(start + i * gap);
    const std::string value = std::to_string(NowMicros());
    const std::string key = "probe-" + std::to_string(i % 64);
    RdKafka::ErrorCode e;
    while ((e = (*producer)->produce(topic, RdKafka::Topic::PARTITION_UA,
                                     RdKafka::Producer::RK_MSG_COPY,
                                     const_cast<char*>(value.data()), value.size(), key.data(),
                                     key.size(), 0, nullptr)) == RdKafka::ERR__QUEUE_FULL) {
      (*producer)->poll(10);
    }
    if (e != RdKafka::ERR_NO_ERROR) return Fail("produce: " + RdKafka::err2str(e));
    (*producer)->poll(0);
  }
  (*producer)->flush(30000);
  producing = false;
  reader.join();
  consumer->close();
  if (latencies_ms.empty()) return Fail("nothing consumed");
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    return latencies_ms[std::min(
        latencies_ms.size() - 1,
        static_cast<size_t>(p * static_cast<double>(latencies_ms.size())))];
  };
  std::printf("%.2f %.2f %zu %d\n", pct(0.50), pct(0.99), latencies_ms.size(), total);
  return 0;
}

int RolePosted(const std::string& brokers, const std::string& topic, const std::string& role_id,
               const std::string& tag, const std::string& event_id) {
  alumni::volunteering::v1::VolunteerRolePosted fact;
  fact.set_role_id(role_id);
  fact.add_tags(tag);
  fact.set_event_id(event_id);
  const int64_t now = NowMicros();
  fact.mutable_posted_at()->set_seconds(now / 1'000'000);
  auto producer = hc::kafka::NewIdempotentProducer(brokers, nullptr, "kafka-probe");
  if (!producer.ok()) return Fail(std::string(producer.status().message()));
  const std::string value = fact.SerializeAsString();
  RdKafka::Headers* headers =
      hc::kafka::NewHeaders({{hc::kafka::kCeId, hc::ids::NewUuid()},
                             {hc::kafka::kCeType, fact.GetDescriptor()->full_name()},
                             {hc::kafka::kCeSource, "/homecoming/bench"},
                             {hc::kafka::kCeSpecVersion, "1.0"}});
  const RdKafka::ErrorCode e =
      (*producer)->produce(topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                           const_cast<char*>(value.data()), value.size(), role_id.data(),
                           role_id.size(), 0, headers, nullptr);
  if (e != RdKafka::ERR_NO_ERROR) {
    delete headers;  // produce() takes them only when it succeeds
    return Fail("produce: " + RdKafka::err2str(e));
  }
  if ((*producer)->flush(30000) != RdKafka::ERR_NO_ERROR) return Fail("flush timed out");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 6 && args[0] == "latency") {
    const int partitions = std::atoi(args[3].c_str());
    const int rate = std::atoi(args[4].c_str());
    const int seconds = std::atoi(args[5].c_str());
    if (partitions < 1 || rate < 1 || seconds < 1) return Fail("bad numbers");
    return Latency(args[1], args[2], partitions, rate, seconds);
  }
  if (args.size() == 6 && args[0] == "role-posted") {
    return RolePosted(args[1], args[2], args[3], args[4], args[5]);
  }
  std::fprintf(stderr,
               "usage: kafka_probe latency BROKERS TOPIC PARTITIONS RATE SECONDS\n"
               "       kafka_probe role-posted BROKERS TOPIC ROLE_ID TAG EVENT_ID\n");
  return 2;
}

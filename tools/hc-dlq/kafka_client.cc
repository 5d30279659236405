#include "tools/hc-dlq/kafka_client.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <set>

#include "libs/kafka/kafka.h"
#include "libs/kafka/security.h"

namespace hc::dlq {
namespace {

absl::Status Set(RdKafka::Conf& conf, const std::string& name, const std::string& value) {
  std::string error;
  if (conf.set(name, value, error) != RdKafka::Conf::CONF_OK) {
    return absl::InvalidArgumentError("kafka setting " + name + ": " + error);
  }
  return absl::OkStatus();
}

absl::Status SetAll(RdKafka::Conf& conf, const std::map<std::string, std::string>& settings) {
  for (const auto& [name, value] : settings) {
    if (auto status = Set(conf, name, value); !status.ok()) return status;
  }
  return absl::OkStatus();
}

// A produced message's outcome, filled by its delivery report.
struct Delivery {
  bool done = false;
  RdKafka::ErrorCode error = RdKafka::ERR_NO_ERROR;
};

int Ms(std::chrono::milliseconds d) { return static_cast<int>(d.count()); }

}  // namespace

absl::Status ApplyKafkaSecurity(RdKafka::Conf& conf, const Env& env) {
  std::string protocol = env("HC_KAFKA_SECURITY_PROTOCOL");
  std::transform(protocol.begin(), protocol.end(), protocol.begin(), ::tolower);
  kafka::Security security;
  if (protocol.empty() || protocol == "plaintext") return kafka::ApplySecurity(conf, security);
  if (protocol != "ssl") {
    return absl::InvalidArgumentError("HC_KAFKA_SECURITY_PROTOCOL: plaintext or ssl, not '" +
                                      protocol + "'");
  }
  security.protocol = kafka::Security::Protocol::kSsl;
  for (const auto& [variable, file] :
       std::map<std::string, std::string*>{{"HC_KAFKA_SSL_CA_FILE", &security.ca_file},
                                           {"HC_KAFKA_SSL_CERT_FILE", &security.cert_file},
                                           {"HC_KAFKA_SSL_KEY_FILE", &security.key_file}}) {
    *file = env(variable);
    if (file->empty()) {
      return absl::InvalidArgumentError(variable +
                                        " is required when HC_KAFKA_SECURITY_PROTOCOL=ssl");
    }
  }
  return kafka::ApplySecurity(conf, security);
}

void DlqClient::DeliveryReports::dr_cb(RdKafka::Message& message) {
  auto* delivery = static_cast<Delivery*>(message.msg_opaque());
  if (!delivery) return;
  delivery->error = message.err();
  delivery->done = true;
}

absl::StatusOr<std::unique_ptr<DlqClient>> DlqClient::Open(const Options& options, const Env& env) {
  std::unique_ptr<DlqClient> client(new DlqClient(options));
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  if (auto s = SetAll(*conf, {{"bootstrap.servers", options.brokers},
                              {"client.id", "hc-dlq"},
                              {"group.id", options.group},
                              // Replay positions are committed by hand, one per delivered replay.
                              {"enable.auto.commit", "false"},
                              {"enable.auto.offset.store", "false"},
                              {"enable.partition.eof", "true"},
                              // A purge racing a read: start at what is left.
                              {"auto.offset.reset", "earliest"}});
      !s.ok()) {
    return s;
  }
  if (auto s = ApplyKafkaSecurity(*conf, env); !s.ok()) return s;
  std::string error;
  client->consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!client->consumer_) return absl::InvalidArgumentError("kafka consumer: " + error);

  client->producer_conf_.reset(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  if (auto s = SetAll(*client->producer_conf_,
                      {{"bootstrap.servers", options.brokers},
                       {"client.id", "hc-dlq"},
                       // As libs/kafka's producers: no duplicates or reordering on retry, and the
                       // same murmur2 key partitioning, so a replay lands where the relay put it.
                       {"enable.idempotence", "true"},
                       {"acks", "all"},
                       {"partitioner", "murmur2_random"},
                       {"message.timeout.ms", std::to_string(options.timeout.count())}});
      !s.ok()) {
    return s;
  }
  if (auto s = ApplyKafkaSecurity(*client->producer_conf_, env); !s.ok()) return s;
  if (client->producer_conf_->set("dr_cb", &client->reports_, error) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError("kafka dr_cb: " + error);
  }
  return client;
}

DlqClient::~DlqClient() {
  if (consumer_) consumer_->close();
  if (producer_) producer_->flush(Ms(options_.timeout));
}

absl::Status DlqClient::EnsureProducer() {
  if (producer_) return absl::OkStatus();
  std::string error;
  producer_.reset(RdKafka::Producer::create(producer_conf_.get(), error));
  if (!producer_) return absl::InvalidArgumentError("kafka producer: " + error);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<PartitionState>> DlqClient::Partitions() {
  std::string error;
  std::unique_ptr<RdKafka::Topic> handle(
      RdKafka::Topic::create(consumer_.get(), options_.topic, nullptr, error));
  if (!handle) return absl::InternalError("kafka topic handle: " + error);
  RdKafka::Metadata* raw = nullptr;
  RdKafka::ErrorCode err = consumer_->metadata(false, handle.get(), &raw, Ms(options_.timeout));
  if (err != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError("kafka metadata for " + options_.topic + ": " +
                                  RdKafka::err2str(err));
  }
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  std::vector<PartitionState> out;
  for (const RdKafka::TopicMetadata* topic : *metadata->topics()) {
    if (topic->topic() != options_.topic) continue;
    if (topic->err() == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART || topic->partitions()->empty()) {
      return absl::NotFoundError("topic " + options_.topic + " does not exist");
    }
    if (topic->err() != RdKafka::ERR_NO_ERROR) {
      return absl::UnavailableError("kafka metadata for " + options_.topic + ": " +
                                    RdKafka::err2str(topic->err()));
    }
    for (const RdKafka::PartitionMetadata* p : *topic->partitions()) {
      PartitionState state{.partition = p->id()};
      err = consumer_->query_watermark_offsets(options_.topic, p->id(), &state.low, &state.high,
                                               Ms(options_.timeout));
      if (err != RdKafka::ERR_NO_ERROR) {
        return absl::UnavailableError("kafka offsets of " + options_.topic + ":" +
                                      std::to_string(p->id()) + ": " + RdKafka::err2str(err));
      }
      out.push_back(state);
    }
  }
  if (out.empty()) return absl::NotFoundError("topic " + options_.topic + " does not exist");
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.partition < b.partition; });

  std::vector<RdKafka::TopicPartition*> committed;
  for (const auto& state : out) {
    committed.push_back(RdKafka::TopicPartition::create(options_.topic, state.partition));
  }
  err = consumer_->committed(committed, Ms(options_.timeout));
  for (size_t i = 0; i < out.size(); ++i) {
    if (committed[i]->err() == RdKafka::ERR_NO_ERROR && committed[i]->offset() >= 0) {
      out[i].replayed_below = committed[i]->offset();
    }
  }
  RdKafka::TopicPartition::destroy(committed);
  if (err != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError("kafka committed offsets of group " + options_.group + ": " +
                                  RdKafka::err2str(err));
  }
  return out;
}

absl::StatusOr<std::vector<DeadLetter>> DlqClient::Read(
    const std::vector<PartitionState>& partitions) {
  std::vector<RdKafka::TopicPartition*> assignment;
  // The partitions still to read up to their high watermark, by id.
  std::map<int32_t, int64_t> pending;
  for (const auto& state : partitions) {
    if (state.low >= state.high) continue;
    assignment.push_back(
        RdKafka::TopicPartition::create(options_.topic, state.partition, state.low));
    pending[state.partition] = state.high;
  }
  std::vector<DeadLetter> out;
  if (assignment.empty()) return out;
  RdKafka::ErrorCode err = consumer_->assign(assignment);
  RdKafka::TopicPartition::destroy(assignment);
  if (err != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError("kafka assign: " + RdKafka::err2str(err));
  }
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  absl::Status status = absl::OkStatus();
  while (!pending.empty()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      status = absl::DeadlineExceededError("reading " + options_.topic + " took longer than " +
                                           std::to_string(options_.timeout.count() / 1000) + " s");
      break;
    }
    std::unique_ptr<RdKafka::Message> m(consumer_->consume(200));
    if (!m || m->err() == RdKafka::ERR__TIMED_OUT) continue;
    if (m->err() == RdKafka::ERR__PARTITION_EOF) {
      pending.erase(m->partition());
      continue;
    }
    if (m->err() != RdKafka::ERR_NO_ERROR) {
      status = absl::UnavailableError("reading " + options_.topic + ": " + m->errstr());
      break;
    }
    auto it = pending.find(m->partition());
    if (it == pending.end() || m->offset() >= it->second) continue;  // newer than the snapshot
    DeadLetter letter{.topic = options_.topic,
                      .partition = m->partition(),
                      .offset = m->offset(),
                      .timestamp_ms = m->timestamp().type ==
                                              RdKafka::MessageTimestamp::MSG_TIMESTAMP_NOT_AVAILABLE
                                          ? -1
                                          : m->timestamp().timestamp};
    if (m->key()) letter.key = *m->key();
    if (m->payload()) letter.value.assign(static_cast<const char*>(m->payload()), m->len());
    if (RdKafka::Headers* headers = m->headers()) {
      for (const auto& h : headers->get_all()) {
        letter.headers.emplace_back(
            h.key(), h.value() ? std::string(static_cast<const char*>(h.value()), h.value_size())
                               : std::string());
      }
    }
    out.push_back(std::move(letter));
    if (m->offset() + 1 >= it->second) pending.erase(it);
  }
  consumer_->unassign();
  if (!status.ok()) return status;
  std::sort(out.begin(), out.end(), [](const DeadLetter& a, const DeadLetter& b) {
    return std::tie(a.partition, a.offset) < std::tie(b.partition, b.offset);
  });
  return out;
}

absl::Status DlqClient::Produce(const std::string& topic, const std::string& key,
                                const std::string& value, const Headers& headers) {
  if (auto s = EnsureProducer(); !s.ok()) return s;
  RdKafka::Headers* rd_headers = RdKafka::Headers::create();
  for (const auto& [name, v] : headers) rd_headers->add(name, v.data(), v.size());
  Delivery delivery;
  RdKafka::ErrorCode err =
      producer_->produce(topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                         const_cast<char*>(value.data()), value.size(),
                         key.empty() ? nullptr : key.data(), key.size(), 0, rd_headers, &delivery);
  if (err != RdKafka::ERR_NO_ERROR) {
    delete rd_headers;  // librdkafka owns them only when produce succeeds
    return absl::UnavailableError("produce to " + topic + ": " + RdKafka::err2str(err));
  }
  // message.timeout.ms (the --timeout) bounds this: the delivery report always comes.
  while (!delivery.done) producer_->poll(100);
  if (delivery.error != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError("delivery to " + topic + ": " + RdKafka::err2str(delivery.error));
  }
  return absl::OkStatus();
}

absl::Status DlqClient::CommitReplayed(int32_t partition, int64_t next) {
  std::vector<RdKafka::TopicPartition*> offsets = {
      RdKafka::TopicPartition::create(options_.topic, partition, next)};
  RdKafka::ErrorCode err = consumer_->commitSync(offsets);
  if (err == RdKafka::ERR_NO_ERROR) err = offsets.front()->err();
  RdKafka::TopicPartition::destroy(offsets);
  if (err != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError("commit to group " + options_.group + ": " +
                                  RdKafka::err2str(err));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> DlqClient::DeleteRecordsBefore(int32_t partition, int64_t before) {
  if (auto s = EnsureProducer(); !s.ok()) return s;
  rd_kafka_t* rk = producer_->c_ptr();
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, options_.topic.c_str(), partition)->offset = before;
  rd_kafka_DeleteRecords_t* request = rd_kafka_DeleteRecords_new(list);
  rd_kafka_topic_partition_list_destroy(list);
  char errstr[512];
  rd_kafka_AdminOptions_t* admin = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DELETERECORDS);
  rd_kafka_AdminOptions_set_request_timeout(admin, Ms(options_.timeout), errstr, sizeof(errstr));
  rd_kafka_AdminOptions_set_operation_timeout(admin, Ms(options_.timeout), errstr, sizeof(errstr));
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_DeleteRecords(rk, &request, 1, admin, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, Ms(options_.timeout) + 1000);
  absl::StatusOr<int64_t> result = absl::UnavailableError("kafka: no answer to DeleteRecords");
  if (event && rd_kafka_event_error(event)) {
    result = absl::UnavailableError(std::string("kafka DeleteRecords: ") +
                                    rd_kafka_event_error_string(event));
  } else if (event) {
    const rd_kafka_topic_partition_list_t* offsets =
        rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(event));
    if (!offsets || offsets->cnt != 1) {
      result = absl::InternalError("kafka DeleteRecords: no result for the partition");
    } else if (offsets->elems[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      result = absl::UnavailableError(std::string("kafka DeleteRecords: ") +
                                      rd_kafka_err2str(offsets->elems[0].err));
    } else {
      result = offsets->elems[0].offset;
    }
  }
  if (event) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_AdminOptions_destroy(admin);
  rd_kafka_DeleteRecords_destroy(request);
  return result;
}

}  // namespace hc::dlq

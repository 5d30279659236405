#include "libs/kafka/kafka.h"

#include <librdkafka/rdkafka.h>

#include <utility>

namespace hc::kafka {
namespace {

absl::Status Set(RdKafka::Conf& conf, const std::string& name, const std::string& value) {
  std::string error;
  if (conf.set(name, value, error) != RdKafka::Conf::CONF_OK) {
    return absl::InvalidArgumentError("kafka setting " + name + ": " + error);
  }
  return absl::OkStatus();
}

// librdkafka's names for `security`, in the order they are set.
std::vector<std::pair<std::string, std::string>> SecuritySettings(const Security& security) {
  if (security.protocol == Security::Protocol::kPlaintext) {
    return {{"security.protocol", "plaintext"}};
  }
  // librdkafka verifies the broker's host name against its certificate by default
  // (ssl.endpoint.identification.algorithm=https); that stays on.
  return {{"security.protocol", "ssl"},
          {"ssl.ca.location", security.ca_file},
          {"ssl.certificate.location", security.cert_file},
          {"ssl.key.location", security.key_file}};
}

}  // namespace

absl::Status ApplySecurity(RdKafka::Conf& conf, const Security& security) {
  for (const auto& [name, value] : SecuritySettings(security)) {
    if (auto s = Set(conf, name, value); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RdKafka::Producer>> NewIdempotentProducer(
    const std::string& brokers, RdKafka::DeliveryReportCb* delivery_reports,
    const std::string& client_id, std::chrono::milliseconds message_timeout,
    const Security& security) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  for (const auto& [name, value] : std::map<std::string, std::string>{
           {"bootstrap.servers", brokers},
           {"client.id", client_id},
           {"enable.idempotence", "true"},
           {"acks", "all"},
           {"message.timeout.ms", std::to_string(message_timeout.count())},
           {"partitioner", "murmur2_random"},
           {"linger.ms", "5"},
           {"reconnect.backoff.max.ms", "2000"},
       }) {
    if (auto s = Set(*conf, name, value); !s.ok()) return s;
  }
  if (auto s = ApplySecurity(*conf, security); !s.ok()) return s;
  std::string error;
  if (delivery_reports && conf->set("dr_cb", delivery_reports, error) != RdKafka::Conf::CONF_OK) {
    return absl::InvalidArgumentError("kafka dr_cb: " + error);
  }
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), error));
  if (!producer) return absl::InvalidArgumentError("kafka producer: " + error);
  return producer;
}

RdKafka::Headers* NewHeaders(const std::map<std::string, std::string>& headers) {
  RdKafka::Headers* out = RdKafka::Headers::create();
  for (const auto& [name, value] : headers) out->add(name, value);
  return out;
}

Message FromRdKafka(RdKafka::Message& message) {
  Message out;
  out.topic = message.topic_name();
  out.partition = message.partition();
  out.offset = message.offset();
  if (message.key()) out.key = *message.key();
  if (message.payload()) {
    out.value.assign(static_cast<const char*>(message.payload()), message.len());
  }
  if (RdKafka::Headers* headers = message.headers()) {
    for (const auto& h : headers->get_all()) {
      out.headers[h.key()] =
          h.value() ? std::string(static_cast<const char*>(h.value()), h.value_size()) : "";
    }
  }
  return out;
}

absl::Status EnsureTopics(const std::string& brokers, const std::vector<std::string>& topics,
                          int partitions, std::chrono::milliseconds timeout,
                          const Security& security) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  auto settings = SecuritySettings(security);
  settings.insert(settings.begin(), {"bootstrap.servers", brokers});
  for (const auto& [name, value] : settings) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof(errstr)) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError("kafka setting " + name + ": " + errstr);
    }
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk) return absl::InternalError(errstr);
  std::vector<rd_kafka_NewTopic_t*> new_topics;
  for (const auto& t : topics) {
    new_topics.push_back(rd_kafka_NewTopic_new(t.c_str(), partitions, 1, errstr, sizeof(errstr)));
  }
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_request_timeout(options, static_cast<int>(timeout.count()), errstr,
                                            sizeof(errstr));
  rd_kafka_CreateTopics(rk, new_topics.data(), new_topics.size(), options, queue);
  absl::Status status = absl::OkStatus();
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, static_cast<int>(timeout.count()) + 1000);
  if (!event) {
    status = absl::UnavailableError("kafka: no answer to CreateTopics");
  } else if (rd_kafka_event_error(event)) {
    status = absl::UnavailableError(std::string("kafka CreateTopics: ") +
                                    rd_kafka_event_error_string(event));
  } else {
    size_t count = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
    for (size_t i = 0; i < count; ++i) {
      rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        status = absl::UnavailableError(std::string("kafka CreateTopics ") +
                                        rd_kafka_topic_result_name(results[i]) + ": " +
                                        rd_kafka_err2str(err));
      }
    }
  }
  if (event) rd_kafka_event_destroy(event);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_NewTopic_destroy_array(new_topics.data(), new_topics.size());
  rd_kafka_queue_destroy(queue);
  rd_kafka_destroy(rk);
  return status;
}

}  // namespace hc::kafka

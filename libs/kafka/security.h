#pragma once

#include <string>

namespace hc::kafka {

// How every librdkafka client a service makes reaches the brokers. Plain data with no
// librdkafka types, so libs/config can read it without linking Kafka. Plaintext (the default)
// keeps the loopback stack's behaviour; a managed Kafka (Strimzi, a cloud service) is reached
// over TLS and authenticates this service by its client certificate (mTLS). SASL/SCRAM is
// deliberately absent: Debian 12's librdkafka 2.0.2 cannot log in to Kafka 4.x with it.
struct Security {
  enum class Protocol { kPlaintext, kSsl };
  Protocol protocol = Protocol::kPlaintext;
  std::string ca_file;    // PEM CA that signed the brokers' certificates
  std::string cert_file;  // PEM client certificate (this service's identity)
  std::string key_file;   // PEM client key
};

}  // namespace hc::kafka

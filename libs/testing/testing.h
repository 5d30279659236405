#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/kafka/kafka.h"

namespace hc::testing {

// Settings of the test stack that scripts/test.sh starts (scripts/stack.sh --profile test).
// A missing one fails the test with a message saying how to start the stack.
std::string PgUrlBase();     // HC_TEST_PG_URL_BASE, e.g. postgresql://postgres@127.0.0.1:25432
std::string RedisAddress();  // HC_TEST_REDIS_ADDR
std::string KafkaBrokers();  // HC_TEST_KAFKA_BROKERS
// The stack's mTLS listener (HC_TEST_KAFKA_SSL_BROKERS) and the client certificate it accepts
// (HC_TEST_KAFKA_SSL_CA_FILE, HC_TEST_KAFKA_SSL_CERT_FILE, HC_TEST_KAFKA_SSL_KEY_FILE).
std::string KafkaSslBrokers();
kafka::Security KafkaSslSecurity();
std::string KafkaClasspath();  // HC_KAFKA_CLASSPATH (the broker's jars, for private brokers)

// A name no other test run uses: prefix + random hex.
std::string UniqueName(const std::string& prefix);
// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();
// Polls `condition` until it holds or `timeout` passes; returns whether it held.
bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
             std::chrono::milliseconds every = std::chrono::milliseconds(20));

// A fresh PostgreSQL database on the test server, dropped when this goes.
class TestDatabase {
 public:
  explicit TestDatabase(const std::string& prefix = "t");
  ~TestDatabase();
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::string url_;
};

// A child process with its output in a log file; stopped (SIGTERM, then SIGKILL) on Stop or
// destruction.
class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  void Start(const std::vector<std::string>& argv, const std::string& log_path);
  // Waits for the process to exit by itself (stopping it after `timeout`); its wait status.
  int Wait(std::chrono::milliseconds timeout);
  // SIGTERM, wait up to `grace`, then SIGKILL. Returns the wait status.
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(20));
  bool running() const { return pid_ > 0; }
  // Whether the process has exited by itself (reaping it if so); never waits.
  bool Exited();
  void Signal(int signal_number);

 private:
  pid_t pid_ = -1;
};

// The ports a service binary bound when started with HC_GRPC_ADDR and HC_METRICS_ADDR on port 0,
// as its log's "serving gRPC on port N and metrics on port M" line reports them. Port 0 leaves
// no moment between choosing a free port and binding it for another process to take the port.
struct ServingPorts {
  int grpc = 0;
  int metrics = 0;
};
// Waits up to `timeout` for that line in `log_path`. If the process exits first, or the time
// passes, the error quotes the end of the log.
absl::StatusOr<ServingPorts> WaitForServing(ChildProcess& process, const std::string& log_path,
                                            std::chrono::milliseconds timeout);

// How a private redis-server is reached (defaults: plaintext, no AUTH).
struct RedisServerOptions {
  // TLS only (no plaintext port) when set: the server's certificate and key, and the CA its
  // clients' certificates must chain to.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_ca_file;
  bool tls_client_certificates_required = false;  // tls-auth-clients yes (else optional)
  // AUTH required when set: as ACL user `username` (the default user then switched off), or
  // the default user's password (requirepass) when `username` is empty.
  std::string username;
  std::string password;
};

// A private redis-server on a free port, for tests that stop and restart it.
class RedisServer {
 public:
  explicit RedisServer(RedisServerOptions options = {});
  void Start();
  void Stop();
  // Freezes (SIGSTOP) and thaws the server: it keeps its data but stops answering.
  void Pause();
  void Resume();
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  RedisServerOptions options_;
  int port_;
  ChildProcess process_;
};

// A private single-node Kafka (KRaft) broker from the jars in HC_KAFKA_CLASSPATH, for tests
// that stop and restart the broker. Keeps its data across Stop/Start.
class KafkaBroker {
 public:
  KafkaBroker();
  ~KafkaBroker();
  // Starts the broker and waits until it answers metadata requests.
  void Start();
  void Stop();
  std::string brokers() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  std::string dir_;
  int port_;
  int controller_port_;
  bool formatted_ = false;
  ChildProcess process_;
};

// Reads `topic` from the beginning with a fresh group until `count` messages arrived or
// `timeout` passed, then lingers half a second more to catch any extra (duplicate) message:
// ask for the number expected and compare the size, and an extra one shows.
// Only messages for which `keep` is true are collected and counted.
std::vector<kafka::Message> ReadTopic(
    const std::string& brokers, const std::string& topic, size_t count,
    std::chrono::milliseconds timeout,
    const std::function<bool(const kafka::Message&)>& keep = nullptr);

// Produces one fact to `topic` as a service's relay would: `key`, the CloudEvents headers
// (ce_id, ce_type = `type`, e.g. the message's full name, a test source, spec version 1.0) and
// `value` (the serialised message), through an idempotent producer, flushed before it returns.
absl::Status ProduceFact(const std::string& brokers, const std::string& topic,
                         const std::string& key, const std::string& type, const std::string& value,
                         const std::string& ce_id);

// Commits the current end of every partition of `topic` for consumer group `group`, so a
// consumer of that group starts with what is produced from now on (not the topic's history).
void StartGroupAtEnd(const std::string& brokers, const std::string& group,
                     const std::string& topic);

// Redis keys matching `pattern` (KEYS), sorted.
std::vector<std::string> RedisKeys(const std::string& address, const std::string& pattern);

// A CA and, signed by it, a server certificate for localhost/127.0.0.1 and a client
// certificate (CN `client_name`), made with openssl in a temporary directory removed with it.
class TestCertificates {
 public:
  explicit TestCertificates(const std::string& client_name = "client");
  ~TestCertificates();
  std::string ca_pem() const { return Read("ca.pem"); }
  std::string server_cert_pem() const { return Read("server.pem"); }
  std::string server_key_pem() const { return Read("server.key"); }
  std::string client_cert_pem() const { return Read("client.pem"); }
  std::string client_key_pem() const { return Read("client.key"); }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string Read(const std::string& name) const;
  std::string dir_;
};

// The body of http://127.0.0.1:<port><path>, or "" when nothing answers.
std::string HttpGet(int port, const std::string& path);
// The value of one series of http://127.0.0.1:<port>/metrics, named as the text format writes
// it (`name{label="value",...}`), or 0 when it is not there.
double MetricValue(int port, const std::string& series);

}  // namespace hc::testing

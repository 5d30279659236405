#include "libs/testing/testing.h"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <librdkafka/rdkafkacpp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace hc::testing {
namespace {

std::string Required(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    throw std::runtime_error(std::string(name) +
                             " is not set: run the tests through scripts/test.sh, or start "
                             "`scripts/stack.sh up --profile test` and source its stack.env");
  }
  return value;
}

std::string RandomHex(int bytes) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < bytes; ++i) {
    auto b = static_cast<unsigned>(rng() & 0xff);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

}  // namespace

std::string PgUrlBase() { return Required("HC_TEST_PG_URL_BASE"); }
std::string RedisAddress() { return Required("HC_TEST_REDIS_ADDR"); }
std::string KafkaSslBrokers() { return Required("HC_TEST_KAFKA_SSL_BROKERS"); }
kafka::Security KafkaSslSecurity() {
  return {.protocol = kafka::Security::Protocol::kSsl,
          .ca_file = Required("HC_TEST_KAFKA_SSL_CA_FILE"),
          .cert_file = Required("HC_TEST_KAFKA_SSL_CERT_FILE"),
          .key_file = Required("HC_TEST_KAFKA_SSL_KEY_FILE")};
}
std::string KafkaBrokers() { return Required("HC_TEST_KAFKA_BROKERS"); }
std::string KafkaClasspath() { return Required("HC_KAFKA_CLASSPATH"); }

std::string UniqueName(const std::string& prefix) { return prefix + "_" + RandomHex(6); }

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    throw std::runtime_error("bind failed");
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
             std::chrono::milliseconds every) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(every);
  }
}

TestDatabase::TestDatabase(const std::string& prefix) : name_(UniqueName(prefix)) {
  const std::string base = PgUrlBase();
  pqxx::connection admin(base + "/postgres");
  pqxx::nontransaction tx(admin);
  tx.exec("CREATE DATABASE " + tx.quote_name(name_));
  url_ = base + "/" + name_;
}

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection admin(PgUrlBase() + "/postgres");
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
  } catch (const std::exception&) {
    // Leaving a database behind is harmless; the test stack is thrown away.
  }
}

ChildProcess::~ChildProcess() {
  if (running()) Stop(std::chrono::seconds(5));
}

void ChildProcess::Start(const std::vector<std::string>& argv, const std::string& log_path) {
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    // The child gets the default signal handling back even if the test blocked signals.
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, nullptr);
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  pid_ = pid;
}

bool ChildProcess::Exited() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
  pid_ = -1;
  return true;
}

absl::StatusOr<ServingPorts> WaitForServing(ChildProcess& process, const std::string& log_path,
                                            std::chrono::milliseconds timeout) {
  static const std::regex kServing("serving gRPC on port ([0-9]+) and metrics on port ([0-9]+)");
  const auto read_log = [&] {
    std::ifstream in(log_path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  };
  const auto tail = [](const std::string& log) {
    constexpr size_t kTail = 4000;
    return log.size() > kTail ? "..." + log.substr(log.size() - kTail) : log;
  };
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    // Checked before the log is read, so a line written just before the exit is still seen.
    const bool exited = process.Exited();
    const std::string log = read_log();
    std::smatch found;
    if (std::regex_search(log, found, kServing)) {
      return ServingPorts{.grpc = std::stoi(found[1].str()), .metrics = std::stoi(found[2].str())};
    }
    if (exited) {
      return absl::UnavailableError("exited before serving; the end of " + log_path + ":\n" +
                                    tail(log));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return absl::DeadlineExceededError("not serving after " + std::to_string(timeout.count()) +
                                         " ms; the end of " + log_path + ":\n" + tail(log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void ChildProcess::Signal(int signal_number) {
  if (pid_ > 0) kill(pid_, signal_number);
}

int ChildProcess::Wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) return Stop(std::chrono::seconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
  return status;
}

int ChildProcess::Stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  kill(pid_, SIGCONT);  // a paused process must wake to see the SIGTERM
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
  return status;
}

RedisServer::RedisServer(RedisServerOptions options)
    : options_(std::move(options)), port_(FreePort()) {}

void RedisServer::Start() {
  std::vector<std::string> args = {"redis-server", "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no"};
  if (options_.tls_cert_file.empty()) {
    args.insert(args.end(), {"--port", std::to_string(port_)});
  } else {
    args.insert(args.end(), {"--port", "0", "--tls-port", std::to_string(port_), "--tls-cert-file",
                             options_.tls_cert_file, "--tls-key-file", options_.tls_key_file,
                             "--tls-ca-cert-file", options_.tls_ca_file, "--tls-auth-clients",
                             options_.tls_client_certificates_required ? "yes" : "optional"});
  }
  if (!options_.password.empty() && !options_.username.empty()) {
    // redis-server joins the words after --user into one `user` configuration line.
    args.insert(args.end(), {"--user", options_.username, "on", ">" + options_.password, "~*", "&*",
                             "+@all", "--user", "default", "off"});
  } else if (!options_.password.empty()) {
    args.insert(args.end(), {"--requirepass", options_.password});
  }
  process_.Start(args, "/tmp/" + UniqueName("hc-test-redis") + ".log");
  bool up = WaitFor(
      [&] {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<uint16_t>(port_));
        bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
        close(fd);
        return ok;
      },
      std::chrono::seconds(10));
  if (!up) throw std::runtime_error("redis-server did not start");
}

void RedisServer::Stop() { process_.Stop(); }
void RedisServer::Pause() { process_.Signal(SIGSTOP); }
void RedisServer::Resume() { process_.Signal(SIGCONT); }

KafkaBroker::KafkaBroker()
    : dir_((std::filesystem::temp_directory_path() / UniqueName("hc-test-kafka")).string()),
      port_(FreePort()),
      controller_port_(FreePort()) {
  std::filesystem::create_directories(dir_ + "/data");
  std::ofstream props(dir_ + "/server.properties");
  props << "process.roles=broker,controller\n"
        << "node.id=1\n"
        << "controller.quorum.voters=1@127.0.0.1:" << controller_port_ << "\n"
        << "listeners=PLAINTEXT://127.0.0.1:" << port_
        << ",CONTROLLER://127.0.0.1:" << controller_port_ << "\n"
        << "advertised.listeners=PLAINTEXT://127.0.0.1:" << port_ << "\n"
        << "controller.listener.names=CONTROLLER\n"
        << "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\n"
        << "log.dirs=" << dir_ << "/data\n"
        << "num.partitions=3\n"
        << "offsets.topic.replication.factor=1\n"
        << "offsets.topic.num.partitions=3\n"
        << "transaction.state.log.replication.factor=1\n"
        << "transaction.state.log.min.isr=1\n"
        << "group.initial.rebalance.delay.ms=0\n"
        << "auto.create.topics.enable=false\n";
  // Kafka 4 logs through log4j2.
  std::ofstream log4j(dir_ + "/log4j2.properties");
  log4j << "status = warn\n"
        << "appender.file.type = File\n"
        << "appender.file.name = file\n"
        << "appender.file.fileName = " << dir_ << "/broker.log\n"
        << "appender.file.layout.type = PatternLayout\n"
        << "appender.file.layout.pattern = [%d] %p %m (%c)%n\n"
        << "rootLogger.level = warn\n"
        << "rootLogger.appenderRef.file.ref = file\n";
}

KafkaBroker::~KafkaBroker() {
  Stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void KafkaBroker::Start() {
  const std::string classpath = KafkaClasspath();
  const std::string log4j = "-Dlog4j2.configurationFile=" + dir_ + "/log4j2.properties";
  if (!formatted_) {
    ChildProcess format;
    format.Start(
        {"java", "-Xmx256m", log4j, "-cp", classpath, "kafka.tools.StorageTool", "format", "-t",
         "hc" + RandomHex(10), "-c", dir_ + "/server.properties", "--ignore-formatted"},
        dir_ + "/format.log");
    int status = format.Wait(std::chrono::seconds(120));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      throw std::runtime_error("Kafka storage format failed; see " + dir_ + "/format.log");
    }
    formatted_ = true;
  }
  process_.Start({"java", "-Xms128m", "-Xmx512m", "-XX:+UseG1GC", log4j, "-cp", classpath,
                  "kafka.Kafka", dir_ + "/server.properties"},
                 dir_ + "/stdout.log");
  std::string error;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", brokers(), error);
  std::unique_ptr<RdKafka::Producer> probe(RdKafka::Producer::create(conf.get(), error));
  bool up = WaitFor(
      [&] {
        RdKafka::Metadata* metadata = nullptr;
        if (probe->metadata(true, nullptr, &metadata, 1000) != RdKafka::ERR_NO_ERROR) {
          return false;
        }
        bool has_broker = !metadata->brokers()->empty();
        delete metadata;
        return has_broker;
      },
      std::chrono::seconds(90), std::chrono::milliseconds(200));
  if (!up) throw std::runtime_error("Kafka broker did not start; see " + dir_);
}

absl::Status ProduceFact(const std::string& brokers, const std::string& topic,
                         const std::string& key, const std::string& type, const std::string& value,
                         const std::string& ce_id) {
  auto producer = kafka::NewIdempotentProducer(brokers, nullptr, "test");
  if (!producer.ok()) return producer.status();
  RdKafka::Headers* headers = kafka::NewHeaders({{kafka::kCeId, ce_id},
                                                 {kafka::kCeType, type},
                                                 {kafka::kCeSource, "/homecoming/test"},
                                                 {kafka::kCeSpecVersion, "1.0"}});
  const RdKafka::ErrorCode produced =
      (*producer)->produce(topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                           const_cast<char*>(value.data()), value.size(),
                           const_cast<char*>(key.data()), key.size(), 0, headers, nullptr);
  if (produced != RdKafka::ERR_NO_ERROR) {
    delete headers;  // not taken over by a produce that failed
    return absl::UnavailableError("produce: " + RdKafka::err2str(produced));
  }
  if (const RdKafka::ErrorCode flushed = (*producer)->flush(10000);
      flushed != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError("flush: " + RdKafka::err2str(flushed));
  }
  return absl::OkStatus();
}

std::vector<kafka::Message> ReadTopic(const std::string& brokers, const std::string& topic,
                                      size_t count, std::chrono::milliseconds timeout,
                                      const std::function<bool(const kafka::Message&)>& keep) {
  std::string error;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", brokers, error);
  conf->set("group.id", UniqueName("hc-test-reader"), error);
  conf->set("auto.offset.reset", "earliest", error);
  conf->set("enable.auto.commit", "false", error);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer) throw std::runtime_error("test consumer: " + error);
  consumer->subscribe({topic});
  std::vector<kafka::Message> out;
  auto take = [&](int wait_ms) {
    std::unique_ptr<RdKafka::Message> m(consumer->consume(wait_ms));
    if (!m || m->err() != RdKafka::ERR_NO_ERROR) return;
    kafka::Message message = kafka::FromRdKafka(*m);
    if (!keep || keep(message)) out.push_back(std::move(message));
  };
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < count && std::chrono::steady_clock::now() < deadline) take(200);
  // Linger briefly so that extra (duplicate) messages would be seen too.
  auto linger = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  while (std::chrono::steady_clock::now() < linger) take(100);
  consumer->close();
  return out;
}

void StartGroupAtEnd(const std::string& brokers, const std::string& group,
                     const std::string& topic) {
  std::string error;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", brokers, error);
  conf->set("group.id", group, error);
  conf->set("enable.auto.commit", "false", error);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer) throw std::runtime_error("StartGroupAtEnd: " + error);
  std::unique_ptr<RdKafka::Topic> handle(
      RdKafka::Topic::create(consumer.get(), topic, nullptr, error));
  RdKafka::Metadata* raw = nullptr;
  if (consumer->metadata(false, handle.get(), &raw, 10000) != RdKafka::ERR_NO_ERROR) {
    throw std::runtime_error("StartGroupAtEnd: no metadata for " + topic);
  }
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  std::vector<RdKafka::TopicPartition*> ends;
  for (const auto* t : *metadata->topics()) {
    for (const auto* p : *t->partitions()) {
      int64_t low = 0, high = 0;
      // A broker started a moment ago may not have elected the partition's leader yet: ask
      // again until it answers, for up to 30 s.
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (consumer->query_watermark_offsets(topic, p->id(), &low, &high, 10000) !=
             RdKafka::ERR_NO_ERROR) {
        if (std::chrono::steady_clock::now() >= deadline) {
          throw std::runtime_error("StartGroupAtEnd: no offsets for " + topic);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
      ends.push_back(RdKafka::TopicPartition::create(topic, p->id(), high));
    }
  }
  RdKafka::ErrorCode committed = consumer->commitSync(ends);
  RdKafka::TopicPartition::destroy(ends);
  consumer->close();
  if (committed != RdKafka::ERR_NO_ERROR) {
    throw std::runtime_error("StartGroupAtEnd: commit failed: " + RdKafka::err2str(committed));
  }
}

std::vector<std::string> RedisKeys(const std::string& address, const std::string& pattern) {
  auto colon = address.rfind(':');
  redisContext* ctx =
      redisConnect(address.substr(0, colon).c_str(), std::stoi(address.substr(colon + 1)));
  if (ctx == nullptr || ctx->err) {
    if (ctx) redisFree(ctx);
    throw std::runtime_error("cannot reach Redis at " + address);
  }
  auto* reply = static_cast<redisReply*>(redisCommand(ctx, "KEYS %s", pattern.c_str()));
  std::vector<std::string> keys;
  if (reply && reply->type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i < reply->elements; ++i) keys.emplace_back(reply->element[i]->str);
  }
  if (reply) freeReplyObject(reply);
  redisFree(ctx);
  std::sort(keys.begin(), keys.end());
  return keys;
}

TestCertificates::TestCertificates(const std::string& client_name) {
  dir_ = (std::filesystem::temp_directory_path() / UniqueName("hc-certs-")).string();
  std::filesystem::create_directories(dir_);
  const std::string script =
      "set -e; cd " + dir_ +
      "; exec >openssl.log 2>&1;"
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=hc-test-ca"
      " -keyout ca.key -out ca.pem;"
      "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1' > san.ext;"
      "openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout server.key"
      " -out server.csr;"
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1"
      " -extfile san.ext -out server.pem;"
      "openssl req -newkey rsa:2048 -nodes -subj /CN=" +
      client_name +
      " -keyout client.key -out client.csr;"
      "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1"
      " -out client.pem;";
  if (std::system(("bash -c '" + script + "'").c_str()) != 0) {
    throw std::runtime_error("openssl could not make test certificates: " + Read("openssl.log"));
  }
}

TestCertificates::~TestCertificates() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string TestCertificates::Read(const std::string& name) const {
  std::ifstream in(dir_ + "/" + name);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string HttpGet(int port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "";
  }
  const std::string request =
      "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (write(fd, request.data(), request.size()) < 0) {
    close(fd);
    return "";
  }
  std::string response;
  char buf[8192];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) response.append(buf, static_cast<size_t>(n));
  close(fd);
  auto body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

void KafkaBroker::Stop() { process_.Stop(std::chrono::seconds(30)); }

double MetricValue(int port, const std::string& series) {
  const std::string metrics = HttpGet(port, "/metrics");
  const std::string line = "\n" + series + " ";
  auto at = metrics.find(line);
  return at == std::string::npos ? 0 : std::stod(metrics.substr(at + line.size()));
}

}  // namespace hc::testing

#include "libs/redis/connection.h"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hc::redis {
namespace {

using Clock = std::chrono::steady_clock;

std::string OpenSslError() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

// OpenSSL writes to the socket with write(2): a peer that has closed would raise SIGPIPE and
// kill the process. Block it on this thread around each TLS call and swallow what it raised.
class NoSigpipe {
 public:
  NoSigpipe() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~NoSigpipe() {
    if (!was_pending_) {
      sigset_t pending;
      sigemptyset(&pending);
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        const timespec zero{};
        while (sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
        }
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  NoSigpipe(const NoSigpipe&) = delete;
  NoSigpipe& operator=(const NoSigpipe&) = delete;

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
};

// Waits until `fd` is ready for `events` or the deadline passes.
absl::Status Await(int fd, short events, Clock::time_point deadline) {
  while (true) {
    // Rounded up: poll() counts whole milliseconds, and a wait cut short of the deadline would
    // report a timeout before it (WaitReadable tells a timeout from a failure by the clock).
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return absl::UnavailableError("Redis did not answer in time");
    pollfd p{.fd = fd, .events = events, .revents = 0};
    const int n = poll(&p, 1, static_cast<int>(left));
    if (n > 0) return absl::OkStatus();
    if (n < 0 && errno != EINTR) {
      return absl::UnavailableError(std::string("poll: ") + std::strerror(errno));
    }
  }
}

// After a TLS call returned `result`: OK to retry (once the socket is ready), or the failure.
absl::Status TlsRetry(ssl_st* ssl, int result, int fd, Clock::time_point deadline,
                      const char* what) {
  const int error = SSL_get_error(ssl, result);
  if (error == SSL_ERROR_WANT_READ) return Await(fd, POLLIN, deadline);
  if (error == SSL_ERROR_WANT_WRITE) return Await(fd, POLLOUT, deadline);
  if (error == SSL_ERROR_ZERO_RETURN) return absl::UnavailableError("Redis closed the connection");
  if (error == SSL_ERROR_SYSCALL) {
    ERR_clear_error();
    return absl::UnavailableError(std::string(what) + ": connection lost");
  }
  return absl::UnavailableError(std::string(what) + ": " + OpenSslError());
}

Reply Convert(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Convert(r->element[i]));
      break;
    default:
      out.type = Reply::Type::kNil;
  }
  return out;
}

bool IsIpLiteral(const std::string& host) {
  in6_addr buf;
  return inet_pton(AF_INET, host.c_str(), &buf) == 1 ||
         inet_pton(AF_INET6, host.c_str(), &buf) == 1;
}

}  // namespace

Connection::Connection(int fd, ssl_st* ssl, std::chrono::milliseconds command_timeout)
    : fd_(fd), ssl_(ssl), reader_(redisReaderCreate()), command_timeout_(command_timeout) {}

Connection::~Connection() {
  // No close_notify: it could block on a dead peer, and Redis needs none.
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (fd_ >= 0) close(fd_);
  if (reader_ != nullptr) redisReaderFree(reader_);
}

absl::Status Connection::WriteAll(const std::string& data, Clock::time_point deadline) {
  size_t done = 0;
  while (done < data.size()) {
    if (ssl_ != nullptr) {
      NoSigpipe guard;
      // Without partial writes SSL_write sends it all or asks to be called again with the
      // same arguments.
      const int n = SSL_write(ssl_, data.data() + done, static_cast<int>(data.size() - done));
      if (n > 0) {
        done += static_cast<size_t>(n);
        continue;
      }
      if (absl::Status retry = TlsRetry(ssl_, n, fd_, deadline, "TLS write"); !retry.ok()) {
        return retry;
      }
      continue;
    }
    const ssize_t n = send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (absl::Status ready = Await(fd_, POLLOUT, deadline); !ready.ok()) return ready;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return absl::UnavailableError(std::string("send: ") + std::strerror(errno));
    }
  }
  return absl::OkStatus();
}

absl::Status Connection::ReadSome(Clock::time_point deadline) {
  char buf[16 * 1024];
  while (true) {
    if (ssl_ != nullptr) {
      NoSigpipe guard;
      const int n = SSL_read(ssl_, buf, sizeof(buf));
      if (n > 0) {
        redisReaderFeed(reader_, buf, static_cast<size_t>(n));
        return absl::OkStatus();
      }
      if (absl::Status retry = TlsRetry(ssl_, n, fd_, deadline, "TLS read"); !retry.ok()) {
        return retry;
      }
      continue;
    }
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      redisReaderFeed(reader_, buf, static_cast<size_t>(n));
      return absl::OkStatus();
    }
    if (n == 0) return absl::UnavailableError("Redis closed the connection");
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (absl::Status ready = Await(fd_, POLLIN, deadline); !ready.ok()) return ready;
    } else if (errno != EINTR) {
      return absl::UnavailableError(std::string("recv: ") + std::strerror(errno));
    }
  }
}

absl::Status Connection::Break(absl::Status status) {
  if (ssl_ != nullptr) SSL_free(ssl_);
  ssl_ = nullptr;
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  return status;
}

absl::Status Connection::Format(const std::vector<std::vector<std::string>>& commands,
                                std::string& out) {
  for (const auto& args : commands) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    argv.reserve(args.size());
    lens.reserve(args.size());
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    char* formatted = nullptr;
    const int len =
        redisFormatCommandArgv(&formatted, static_cast<int>(args.size()), argv.data(), lens.data());
    if (len < 0 || formatted == nullptr) return absl::InternalError("cannot format a command");
    out.append(formatted, static_cast<size_t>(len));
    redisFreeCommand(formatted);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Reply>> Connection::RoundTrip(
    const std::vector<std::vector<std::string>>& commands, Clock::time_point deadline) {
  if (fd_ < 0 || reader_ == nullptr) return absl::FailedPreconditionError("connection is broken");
  std::string out;
  if (absl::Status formatted = Format(commands, out); !formatted.ok()) return formatted;
  if (absl::Status written = WriteAll(out, deadline); !written.ok()) return Break(written);
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  while (replies.size() < commands.size()) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
      return Break(absl::InternalError(std::string("Redis protocol error: ") + reader_->errstr));
    }
    if (raw == nullptr) {
      if (absl::Status read = ReadSome(deadline); !read.ok()) return Break(read);
      continue;
    }
    replies.push_back(Convert(static_cast<redisReply*>(raw)));
    freeReplyObject(raw);
  }
  return replies;
}

absl::StatusOr<std::vector<Reply>> Connection::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  return RoundTrip(commands, Clock::now() + command_timeout_);
}

absl::StatusOr<std::vector<Reply>> Connection::Pipeline(
    const std::vector<std::vector<std::string>>& commands, Clock::time_point deadline) {
  return RoundTrip(commands, deadline);
}

absl::Status Connection::Send(const std::vector<std::string>& args, Clock::time_point deadline) {
  if (fd_ < 0 || reader_ == nullptr) return absl::FailedPreconditionError("connection is broken");
  std::string out;
  if (absl::Status formatted = Format({args}, out); !formatted.ok()) return formatted;
  if (absl::Status written = WriteAll(out, deadline); !written.ok()) return Break(written);
  return absl::OkStatus();
}

bool Connection::Buffered() const {
  if (reader_ == nullptr) return false;
  return reader_->pos < reader_->len || reader_->ridx >= 0 ||
         (ssl_ != nullptr && SSL_pending(ssl_) > 0);
}

absl::StatusOr<bool> Connection::WaitReadable(Clock::time_point deadline) {
  if (fd_ < 0) return absl::FailedPreconditionError("connection is broken");
  absl::Status ready = Await(fd_, POLLIN, deadline);
  if (ready.ok()) return true;
  if (Clock::now() >= deadline) return false;
  return ready;
}

absl::StatusOr<Reply> Connection::Receive(Clock::time_point deadline) {
  if (fd_ < 0 || reader_ == nullptr) return absl::FailedPreconditionError("connection is broken");
  while (true) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
      return Break(absl::InternalError(std::string("Redis protocol error: ") + reader_->errstr));
    }
    if (raw != nullptr) {
      Reply reply = Convert(static_cast<redisReply*>(raw));
      freeReplyObject(raw);
      return reply;
    }
    if (absl::Status read = ReadSome(deadline); !read.ok()) return Break(read);
  }
}

absl::StatusOr<Reply> Connection::Command(const std::vector<std::string>& args) {
  auto replies = Pipeline({args});
  if (!replies.ok()) return replies.status();
  return std::move(replies->front());
}

absl::StatusOr<std::shared_ptr<const Connector>> Connector::Create(ConnectionOptions options) {
  std::shared_ptr<Connector> c(new Connector(std::move(options)));
  const std::string& address = c->options_.address;
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    return absl::InvalidArgumentError("Redis address " + address + " is not host:port");
  }
  c->host_ = address.substr(0, colon);
  c->port_ = address.substr(colon + 1);
  if (c->host_.size() > 2 && c->host_.front() == '[' && c->host_.back() == ']') {
    c->host_ = c->host_.substr(1, c->host_.size() - 2);
  }
  if (!c->options_.tls) return c;

  if (c->options_.tls_server_name.empty()) c->options_.tls_server_name = c->host_;
  if (c->options_.tls_ca_file.empty()) {
    return absl::InvalidArgumentError("Redis TLS needs a CA file");
  }
  if (c->options_.tls_cert_file.empty() != c->options_.tls_key_file.empty()) {
    return absl::InvalidArgumentError("Redis TLS client certificate and key go together");
  }
  c->ssl_ctx_ = SSL_CTX_new(TLS_client_method());
  if (c->ssl_ctx_ == nullptr) return absl::InternalError("SSL_CTX_new: " + OpenSslError());
  SSL_CTX_set_min_proto_version(c->ssl_ctx_, TLS1_2_VERSION);
  SSL_CTX_set_verify(c->ssl_ctx_, SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(c->ssl_ctx_, c->options_.tls_ca_file.c_str(), nullptr) != 1) {
    return absl::InvalidArgumentError("CA file " + c->options_.tls_ca_file + ": " + OpenSslError());
  }
  if (!c->options_.tls_cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(c->ssl_ctx_, c->options_.tls_cert_file.c_str()) != 1) {
      return absl::InvalidArgumentError("certificate file " + c->options_.tls_cert_file + ": " +
                                        OpenSslError());
    }
    if (SSL_CTX_use_PrivateKey_file(c->ssl_ctx_, c->options_.tls_key_file.c_str(),
                                    SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(c->ssl_ctx_) != 1) {
      return absl::InvalidArgumentError("key file " + c->options_.tls_key_file + ": " +
                                        OpenSslError());
    }
  }
  return c;
}

Connector::~Connector() {
  if (ssl_ctx_ != nullptr) SSL_CTX_free(ssl_ctx_);
}

absl::StatusOr<std::unique_ptr<Connection>> Connector::Connect() const {
  const Clock::time_point deadline = Clock::now() + options_.connect_timeout;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host_.c_str(), port_.c_str(), &hints, &found); rc != 0) {
    return absl::UnavailableError("cannot resolve " + host_ + ": " + gai_strerror(rc));
  }
  int fd = -1;
  absl::Status failure = absl::UnavailableError("no address for " + host_);
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int rc = connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc < 0 && errno == EINPROGRESS) {
      failure = Await(fd, POLLOUT, deadline);
      int error = 0;
      socklen_t len = sizeof(error);
      if (failure.ok() && getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == 0 && error != 0) {
        failure =
            absl::UnavailableError("connect to " + options_.address + ": " + std::strerror(error));
      }
      rc = failure.ok() ? 0 : -1;
    } else if (rc < 0) {
      failure =
          absl::UnavailableError("connect to " + options_.address + ": " + std::strerror(errno));
    }
    if (rc < 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) return failure;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

  ssl_st* ssl = nullptr;
  if (options_.tls) {
    ssl = SSL_new(ssl_ctx_);
    if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
      if (ssl != nullptr) SSL_free(ssl);
      close(fd);
      return absl::InternalError("SSL_new: " + OpenSslError());
    }
    const std::string& name = options_.tls_server_name;
    bool named = false;
    if (IsIpLiteral(name)) {
      named = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) == 1;
    } else {
      named = SSL_set_tlsext_host_name(ssl, name.c_str()) == 1 && SSL_set1_host(ssl, name.c_str());
    }
    if (!named) {
      SSL_free(ssl);
      close(fd);
      return absl::InternalError("cannot set the TLS server name " + name);
    }
    while (true) {
      int rc = 0;
      {
        NoSigpipe guard;
        rc = SSL_connect(ssl);
      }
      if (rc == 1) break;
      const int error = SSL_get_error(ssl, rc);
      absl::Status retry = TlsRetry(ssl, rc, fd, deadline, "TLS handshake");
      if (!retry.ok()) {
        const long verified = SSL_get_verify_result(ssl);
        SSL_free(ssl);
        close(fd);
        if (error == SSL_ERROR_SSL) {
          return absl::UnauthenticatedError(
              "TLS handshake with " + options_.address + " failed" +
              (verified != X509_V_OK ? std::string(": ") + X509_verify_cert_error_string(verified)
                                     : ": " + std::string(retry.message())));
        }
        return retry;
      }
    }
  }
  std::unique_ptr<Connection> connection(new Connection(fd, ssl, options_.command_timeout));
  if (!options_.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!options_.username.empty()) auth.push_back(options_.username);
    auth.push_back(options_.password);
    auto replies = connection->Pipeline({auth});
    if (!replies.ok()) return replies.status();
    if (replies->front().type == Reply::Type::kError) {
      // Redis's message names no secret ("WRONGPASS invalid username-password pair ...").
      return absl::UnauthenticatedError("Redis refused AUTH: " + replies->front().str);
    }
  }
  return connection;
}

Pool::Pool(ConnectionOptions options, size_t max_idle, std::chrono::milliseconds retry_after)
    : max_idle_(max_idle), retry_after_(retry_after) {
  auto connector = Connector::Create(std::move(options));
  if (connector.ok()) {
    connector_ = *std::move(connector);
  } else {
    connector_status_ = connector.status();
    last_error_ = connector_status_.ToString();
  }
}

std::unique_ptr<Connection> Pool::Borrow(bool always) {
  {
    std::lock_guard lock(mu_);
    if (!always && Clock::now() < down_until_) return nullptr;
    if (!idle_.empty()) {
      std::unique_ptr<Connection> c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  if (connector_ == nullptr) return nullptr;
  auto connected = connector_->Connect();
  if (!connected.ok()) {
    Return(nullptr, false, connected.status().ToString());
    return nullptr;
  }
  return *std::move(connected);
}

void Pool::Return(std::unique_ptr<Connection> connection, bool healthy, const std::string& error) {
  std::lock_guard lock(mu_);
  if (!healthy) {
    down_until_ = Clock::now() + retry_after_;
    last_error_ = error;
    return;  // `connection` closes here
  }
  if (idle_.size() < max_idle_) idle_.push_back(std::move(connection));
}

std::optional<std::vector<Reply>> Pool::Run(const std::vector<std::vector<std::string>>& commands,
                                            bool always) {
  std::unique_ptr<Connection> connection = Borrow(always);
  if (connection == nullptr) return std::nullopt;
  auto replies = connection->Pipeline(commands);
  if (!replies.ok()) {
    Return(std::move(connection), false, replies.status().ToString());
    return std::nullopt;
  }
  for (const Reply& reply : *replies) {
    if (reply.type == Reply::Type::kError) {
      Return(std::move(connection), false, "Redis error reply: " + reply.str);
      return std::nullopt;
    }
  }
  Return(std::move(connection), true, "");
  return *std::move(replies);
}

std::optional<std::vector<Reply>> Pool::RunKeepingErrors(
    const std::vector<std::vector<std::string>>& commands, bool always) {
  std::unique_ptr<Connection> connection = Borrow(always);
  if (connection == nullptr) return std::nullopt;
  auto replies = connection->Pipeline(commands);
  if (!replies.ok()) {
    Return(std::move(connection), false, replies.status().ToString());
    return std::nullopt;
  }
  Return(std::move(connection), true, "");
  return *std::move(replies);
}

std::string Pool::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

std::string ScriptSha(std::string_view script) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(script.data(), script.size(), digest, &size, EVP_sha1(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

}  // namespace hc::redis

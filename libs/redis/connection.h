#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct ssl_ctx_st;
struct ssl_st;
struct redisReader;

namespace hc::redis {

// How to reach Redis. Plain TCP and TLS share one code path: hiredis formats the commands
// (redisFormatCommandArgv) and parses the replies (redisReader); this layer owns the socket
// and, with TLS, an OpenSSL session over it. (Debian 12's hiredis 0.14 has no TLS of its own.)
struct ConnectionOptions {
  std::string address = "127.0.0.1:6379";  // host:port, or [v6]:port
  // AUTH when `password` is set: `AUTH <username> <password>` with an ACL user, else
  // `AUTH <password>` (the default user, requirepass).
  std::string username;
  std::string password;
  // TLS 1.2 or later, the server's certificate verified against `tls_ca_file` and for
  // `tls_server_name` (empty: the host of `address`, a DNS name or an IP address).
  bool tls = false;
  std::string tls_ca_file;
  std::string tls_cert_file;  // client certificate, when the server asks for one
  std::string tls_key_file;
  std::string tls_server_name;
  // The TCP connection and TLS handshake together; then AUTH within `command_timeout`.
  std::chrono::milliseconds connect_timeout{100};
  // One round trip (a command or a whole pipeline).
  std::chrono::milliseconds command_timeout{50};
};

struct Reply {
  enum class Type { kString, kArray, kInteger, kNil, kStatus, kError };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus, kError
  long long integer = 0;
  std::vector<Reply> elements;  // kArray
};

// One connection, authenticated when the options ask for it. Not thread-safe: one user at a
// time (pools hand it out). Any failure (I/O, timeout, protocol) leaves it broken: drop it.
class Connection {
 public:
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends every command in one write and reads their replies, within the command timeout.
  // A Redis error reply is a Reply of type kError, not a failure.
  absl::StatusOr<std::vector<Reply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);
  absl::StatusOr<Reply> Command(const std::vector<std::string>& args);
  // As Pipeline, under `deadline` instead of the command timeout.
  absl::StatusOr<std::vector<Reply>> Pipeline(const std::vector<std::vector<std::string>>& commands,
                                              std::chrono::steady_clock::time_point deadline);

  // For a subscribed connection, which reads what Redis pushes without asking.
  // True when bytes already read from the socket wait to be parsed (part of a reply, or TLS
  // plaintext not yet handed over): Receive can go on without the socket being readable.
  bool Buffered() const;
  // Waits until the socket is readable: false when `deadline` passed first.
  absl::StatusOr<bool> WaitReadable(std::chrono::steady_clock::time_point deadline);
  // The next reply, reading as needed until `deadline`; a failure leaves the connection broken.
  absl::StatusOr<Reply> Receive(std::chrono::steady_clock::time_point deadline);
  // Writes one command without waiting for its reply, which Receive returns in its turn
  // (PING on a subscribed connection, answered by a ["pong", ""] push). A failed write leaves
  // the connection broken.
  absl::Status Send(const std::vector<std::string>& args,
                    std::chrono::steady_clock::time_point deadline);
  // The socket, for FIONREAD by other threads (-1 once broken).
  int fd() const { return fd_; }

 private:
  friend class Connector;
  Connection(int fd, ssl_st* ssl, std::chrono::milliseconds command_timeout);
  absl::StatusOr<std::vector<Reply>> RoundTrip(
      const std::vector<std::vector<std::string>>& commands,
      std::chrono::steady_clock::time_point deadline);
  // Appends `commands` in Redis's wire format to `out`.
  static absl::Status Format(const std::vector<std::vector<std::string>>& commands,
                             std::string& out);
  absl::Status WriteAll(const std::string& data, std::chrono::steady_clock::time_point deadline);
  // Closes the socket after a failed read or write and returns `status`: what was sent or
  // received part-way leaves the stream at an unknown place, so nothing may use it again.
  absl::Status Break(absl::Status status);
  // Reads what has arrived (at least one byte) into the reader.
  absl::Status ReadSome(std::chrono::steady_clock::time_point deadline);

  int fd_;
  ssl_st* ssl_;  // null for plain TCP
  redisReader* reader_;
  std::chrono::milliseconds command_timeout_;
};

// Makes connections with one set of options; the TLS context (CA, client certificate) is
// loaded once, by Create. Thread-safe.
class Connector {
 public:
  // INVALID_ARGUMENT for an address that doesn't parse or TLS files OpenSSL refuses.
  static absl::StatusOr<std::shared_ptr<const Connector>> Create(ConnectionOptions options);
  ~Connector();
  Connector(const Connector&) = delete;
  Connector& operator=(const Connector&) = delete;

  // A connected (and authenticated) connection, or why not: UNAVAILABLE when Redis can't be
  // reached in time, UNAUTHENTICATED when it refuses AUTH or the TLS handshake fails
  // (a certificate that doesn't verify).
  absl::StatusOr<std::unique_ptr<Connection>> Connect() const;

  const ConnectionOptions& options() const { return options_; }

 private:
  explicit Connector(ConnectionOptions options) : options_(std::move(options)) {}
  ConnectionOptions options_;
  std::string host_;
  std::string port_;
  ssl_ctx_st* ssl_ctx_ = nullptr;
};

// The SHA-1 of a Lua script in hex: the name EVALSHA runs it by once Redis has seen it.
std::string ScriptSha(std::string_view script);

// Idle connections for reuse, and a back-off: after a failure, Redis is skipped for
// `retry_after` instead of adding a timeout to every request. Thread-safe.
class Pool {
 public:
  // A Connector that can't be made (bad TLS files) leaves the pool always failing: callers
  // degrade as when Redis is down. Settings are checked at startup (libs/config), so this is
  // a last line, not the usual report.
  Pool(ConnectionOptions options, size_t max_idle, std::chrono::milliseconds retry_after);
  ~Pool() = default;
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // The replies, or nullopt when Redis was skipped, could not be reached, failed, or answered
  // any command with an error (the connection is then dropped and the back-off starts).
  // `always` tries Redis even inside the back-off.
  std::optional<std::vector<Reply>> Run(const std::vector<std::vector<std::string>>& commands,
                                        bool always = false);
  // As Run, but an error reply is handed back (type kError) and leaves the connection in the
  // pool: for callers that answer one themselves (NOSCRIPT, answered with EVAL). Only I/O and
  // protocol failures drop the connection and start the back-off.
  std::optional<std::vector<Reply>> RunKeepingErrors(
      const std::vector<std::vector<std::string>>& commands, bool always = false);
  // The last failure, for logs and tests ("" when none yet).
  std::string last_error() const;

 private:
  std::unique_ptr<Connection> Borrow(bool always);
  void Return(std::unique_ptr<Connection> connection, bool healthy, const std::string& error);

  std::shared_ptr<const Connector> connector_;
  absl::Status connector_status_;
  size_t max_idle_;
  std::chrono::milliseconds retry_after_;
  mutable std::mutex mu_;  // guards the members below
  std::vector<std::unique_ptr<Connection>> idle_;
  std::chrono::steady_clock::time_point down_until_{};
  std::string last_error_;
};

}  // namespace hc::redis

#pragma once

#include <google/protobuf/message_lite.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "libs/auth/auth.h"
#include "libs/grpc/worker_pool.h"
#include "libs/metrics/metrics.h"
#include "libs/status/status.h"

namespace hc::grpc_server {

struct ServerOptions {
  std::string address = "127.0.0.1:0";
  int max_message_bytes = 1 << 20;
  // After SIGTERM: health says NOT_SERVING for `drain` (load balancers stop sending), then
  // in-flight calls get up to `grace` to finish.
  std::chrono::milliseconds drain{0};
  std::chrono::milliseconds grace{10000};
  // TLS: PEM certificate chain and key; when both are empty the server speaks plaintext.
  std::string tls_cert_pem;
  std::string tls_key_pem;
  // mTLS: PEM CA bundle; when set, clients must present a certificate it signed.
  std::string tls_client_ca_pem;
};

// Owns a gRPC server with health checking (grpc.health.v1), reflection and a message size
// limit, and shuts it down gracefully.
class Server {
 public:
  Server(ServerOptions options, std::vector<grpc::Service*> services);
  ~Server();

  // Binds and starts serving; health says SERVING.
  absl::Status Start();
  int port() const { return port_; }
  // NOT_SERVING, then drain, then waits up to `grace` for in-flight calls. Idempotent.
  void Shutdown();

 private:
  ServerOptions options_;
  std::vector<grpc::Service*> services_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
};

// Blocks SIGTERM and SIGINT in the calling thread and every thread it starts later; call it
// first thing in main() so WaitForTerminationSignal() is the one place they arrive.
void BlockTerminationSignals();
// Waits for SIGTERM or SIGINT and returns which.
int WaitForTerminationSignal();
// Turns off abseil's lock-order tracking for the process, as a release build of abseil has it.
// Debian builds abseil without NDEBUG, so every absl::Mutex (under each of gRPC's locks) records
// its acquisitions in a global graph and removes itself from it when destroyed: the graph's
// lookups alone were 1.3 % of the events process's samples under RSVPs (perf, issue 13). Call
// it first thing in a service's main(); tests don't, so they keep the check.
void SkipMutexDeadlockDetection();

// Runs unary RPCs of one service: authenticates the caller, moves the work onto the worker
// pool, enforces the deadline and counts every call in the go-grpc-prometheus metrics.
class UnaryRunner {
 public:
  UnaryRunner(std::string service_name, const auth::Verifier& verifier, WorkerPool& pool,
              metrics::GrpcServerMetrics& metrics)
      : service_(std::move(service_name)), verifier_(verifier), pool_(pool), metrics_(metrics) {}

  // Refuses, in this process at once, tokens of `subject` issued up to `through` (the change
  // itself is recorded in the database by the caller, for the other replicas).
  void RevokeTokens(const std::string& subject, std::chrono::system_clock::time_point through) {
    verifier_.revocations().Revoke(
        subject, static_cast<long>(std::chrono::system_clock::to_time_t(through)));
  }

  // `fn(const auth::Principal&, const Request&, Response&) -> absl::Status` runs on the pool.
  template <typename Request, typename Response, typename Fn>
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* ctx, std::string_view method,
                                const Request* request, Response* response, Fn fn) {
    return Run(ctx, method, request, response, nullptr, std::move(fn));
  }

  // As above, but first `fast(const auth::Principal&, const Request&, Response&) -> bool` runs
  // on gRPC's own thread, after the same authentication, cancellation and deadline checks: true
  // answers OK with what it put in the response (a cache hit), false sends the call to the pool
  // with the response cleared. It saves a cache hit the hand-off to a worker (a wake-up and a
  // wait, most of a hit's kernel time), so it must not block beyond a short, bounded cache
  // lookup (hc::redis::Cache::UseIfCached): never PostgreSQL, never another service.
  template <typename Request, typename Response, typename Fast, typename Fn>
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* ctx, std::string_view method,
                                const Request* request, Response* response,
                                [[maybe_unused]] Fast fast, Fn fn) {
    auto* reactor = ctx->DefaultReactor();
    auto call = Begin(ctx, method);
    if (!call.principal.ok()) {
      Finish(reactor, call, call.principal.status());
      return reactor;
    }
    if constexpr (!std::is_null_pointer_v<Fast>) {
      if (absl::Status early = Expired(ctx); !early.ok()) {
        Finish(reactor, call, early);
        return reactor;
      }
      bool answered = false;
      absl::Status tried = Contained(call.method, [&] {
        answered = fast(*call.principal, *request, *response);
        return absl::OkStatus();
      });
      if (!tried.ok() || answered) {
        Finish(reactor, call, tried);
        return reactor;
      }
      response->Clear();
    }
    bool queued = pool_.TrySubmit([this, reactor, ctx, call, request, response, fn]() mutable {
      if (absl::Status early = Expired(ctx); !early.ok()) {
        Finish(reactor, call, early);
        return;
      }
      absl::Status status =
          Contained(call.method, [&] { return fn(*call.principal, *request, *response); });
      Finish(reactor, call, status);
    });
    if (!queued) {
      Finish(reactor, call, absl::ResourceExhaustedError("server busy, retry later"));
    }
    return reactor;
  }

  // As Run with a fast step, for a method registered raw (the generated
  // WithRawCallbackMethod_<Name>: request and response as grpc::ByteBuffer), so that a cache
  // hit answers with the cached bytes as they are instead of parsing a page into a message for
  // gRPC to serialize again. Authentication, deadline, metrics and status are Run's. The
  // request is parsed here, after authentication: bytes that are not a `Request` answer
  // INVALID_ARGUMENT naming `request`. `fast(const auth::Principal&, const Request&,
  // std::string& bytes) -> bool` runs on gRPC's thread under Run's rules and, when true, has
  // put the serialized `Response` in `bytes`; false sends the call to the pool, where
  // `fn(const auth::Principal&, const Request&, Response&) -> absl::Status` runs as in Run and
  // its response is serialized here.
  template <typename Request, typename Response, typename Fast, typename Fn>
  grpc::ServerUnaryReactor* RunRaw(grpc::CallbackServerContext* ctx, std::string_view method,
                                   const grpc::ByteBuffer* request, grpc::ByteBuffer* response,
                                   Fast fast, Fn fn) {
    auto* reactor = ctx->DefaultReactor();
    auto call = Begin(ctx, method);
    if (!call.principal.ok()) {
      Finish(reactor, call, call.principal.status());
      return reactor;
    }
    Request parsed;
    if (absl::Status s = ParseRequest(*request, parsed); !s.ok()) {
      Finish(reactor, call, s);
      return reactor;
    }
    if (absl::Status early = Expired(ctx); !early.ok()) {
      Finish(reactor, call, early);
      return reactor;
    }
    std::string bytes;
    bool answered = false;
    absl::Status tried = Contained(call.method, [&] {
      answered = fast(*call.principal, static_cast<const Request&>(parsed), bytes);
      return absl::OkStatus();
    });
    if (!tried.ok() || answered) {
      if (answered) SetResponse(bytes, *response);
      Finish(reactor, call, tried);
      return reactor;
    }
    auto owned = std::make_shared<const Request>(std::move(parsed));
    bool queued = pool_.TrySubmit([this, reactor, ctx, call, owned, response, fn]() mutable {
      if (absl::Status early = Expired(ctx); !early.ok()) {
        Finish(reactor, call, early);
        return;
      }
      Response out;
      absl::Status status =
          Contained(call.method, [&] { return fn(*call.principal, *owned, out); });
      if (status.ok()) SetResponse(out.SerializeAsString(), *response);
      Finish(reactor, call, status);
    });
    if (!queued) {
      Finish(reactor, call, absl::ResourceExhaustedError("server busy, retry later"));
    }
    return reactor;
  }

 private:
  struct Call {
    std::string method;
    std::chrono::steady_clock::time_point start;
    absl::StatusOr<auth::Principal> principal;
  };

  Call Begin(grpc::CallbackServerContext* ctx, std::string_view method);
  // CANCELLED or DEADLINE_EXCEEDED when the call should not run any more, else OK.
  static absl::Status Expired(grpc::CallbackServerContext* ctx);
  void LogUnexpected(const std::string& method, const char* what) const;
  // `f()` (returning absl::Status), with any exception escaping it logged by type only (what()
  // may quote a row or a request) and answered INTERNAL: adapters catch their library's
  // exceptions, so anything reaching here is a bug.
  template <typename F>
  absl::Status Contained(const std::string& method, F&& f) const {
    try {
      return f();
    } catch (const std::exception& e) {
      LogUnexpected(method, typeid(e).name());
    } catch (...) {
      LogUnexpected(method, "non-standard exception");
    }
    return absl::InternalError("unexpected error");
  }
  static absl::Status ParseRequest(const grpc::ByteBuffer& in, google::protobuf::MessageLite& out);
  static void SetResponse(std::string_view bytes, grpc::ByteBuffer& out);
  void Finish(grpc::ServerUnaryReactor* reactor, const Call& call, const absl::Status& status);

  std::string service_;
  const auth::Verifier& verifier_;
  WorkerPool& pool_;
  metrics::GrpcServerMetrics& metrics_;
};

// Whether `bytes` are well-formed protobuf wire format at the top level: every tag valid and
// every field, length-delimited ones included, ends inside `bytes`. It does not look inside
// nested messages. Far cheaper than parsing; the check a raw cache hit (UnaryRunner::RunRaw)
// makes on bytes that were parsed in full when they entered the near-cache.
bool WellFormedWire(std::string_view bytes);

// The serialized message whose only field, number `field`, is the message serialized as
// `message` (tag, length, bytes): how a raw fast step answers a Get*Response { thing = 1 }
// from the thing's cached bytes without parsing them.
std::string AsMessageField(int field, std::string_view message);

// `bytes` (a serialized message) without its top-level fields whose numbers are in `drop`,
// the others as they were, in order; nullopt when `bytes` is not well formed (WellFormedWire).
// How a raw fast step answers a caller who may see only part of a cached message.
std::optional<std::string> WithoutFields(std::string_view bytes, std::span<const int> drop);

}  // namespace hc::grpc_server

// Defines `Service::Name`, a unary RPC of a callback service, as: authenticate, queue on the
// worker pool, run `call` (an expression of `caller`, `rq` and `rs`, returning absl::Status),
// count it; all through the service's `runner_` (a UnaryRunner). Expects the namespace alias
// `pb` for the proto package. One line per RPC keeps every service's adapter the same.
#define HC_UNARY_RPC(Service, Name, call)                                                         \
  grpc::ServerUnaryReactor* Service::Name(                                                        \
      grpc::CallbackServerContext* ctx, const pb::Name##Request* req, pb::Name##Response* resp) { \
    return runner_.Run(ctx, #Name, req, resp,                                                     \
                       [this](const auto& caller, const auto& rq, auto& rs) { return call; });    \
  }

// As HC_UNARY_RPC, with `fast` (an expression of `caller`, `rq` and `rs`, returning bool) tried
// first on gRPC's thread: true answers, false goes on to `call` on the pool (UnaryRunner::Run).
#define HC_UNARY_RPC_FAST(Service, Name, fast, call)                                              \
  grpc::ServerUnaryReactor* Service::Name(                                                        \
      grpc::CallbackServerContext* ctx, const pb::Name##Request* req, pb::Name##Response* resp) { \
    return runner_.Run(                                                                           \
        ctx, #Name, req, resp,                                                                    \
        [this]([[maybe_unused]] const auto& caller, const auto& rq, auto& rs) -> bool {           \
          return fast;                                                                            \
        },                                                                                        \
        [this](const auto& caller, const auto& rq, auto& rs) { return call; });                   \
  }

// As HC_UNARY_RPC_FAST, for a method registered raw (WithRawCallbackMethod_<Name>): `fast` (an
// expression of `caller`, `rq` and `bytes`, returning bool) answers a hit with the serialized
// response it put in `bytes` (UnaryRunner::RunRaw).
#define HC_UNARY_RPC_RAW(Service, Name, fast, call)                                               \
  grpc::ServerUnaryReactor* Service::Name(grpc::CallbackServerContext* ctx,                       \
                                          const grpc::ByteBuffer* req, grpc::ByteBuffer* resp) {  \
    return runner_.RunRaw<pb::Name##Request, pb::Name##Response>(                                 \
        ctx, #Name, req, resp,                                                                    \
        [this]([[maybe_unused]] const auto& caller, const auto& rq, std::string& bytes) -> bool { \
          return fast;                                                                            \
        },                                                                                        \
        [this](const auto& caller, const auto& rq, auto& rs) { return call; });                   \
  }

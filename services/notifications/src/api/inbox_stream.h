#pragma once

#include <grpcpp/grpcpp.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "alumni/notifications/v1/notifications_service.grpc.pb.h"
#include "libs/auth/auth.h"
#include "libs/grpc/worker_pool.h"
#include "libs/metrics/metrics.h"
#include "services/notifications/src/storage/notification_store.h"

namespace notifications::api {

namespace pb = alumni::notifications::v1;

struct InboxStreamOptions {
  // Open streams per member (a few devices) and in the whole process; beyond either the new
  // stream is RESOURCE_EXHAUSTED.
  int max_per_member = 5;
  int max_streams = 1000;
  // How often every stream's token is checked for expiry and revocation.
  std::chrono::milliseconds check_interval{250};
  // A stream reads items created since its newest one minus this: an item's created_at is
  // taken before its transaction commits, so items can become visible out of created_at order
  // (two replicas, two consumers). An item committed later than this after its created_at is
  // not streamed (ListInbox still shows it).
  std::chrono::milliseconds lookback{60000};
  // Items read per query.
  int batch = 50;
};

// The open StreamInbox streams of this process, and the one place they are woken, checked and
// ended.
//
// Each stream is a grpc::ServerWriteReactor owned by gRPC until OnDone. Invariants:
// - At most one write in flight per stream, and at most one read (a database query on the
//   worker pool, never on gRPC's threads); a wake during a read makes it read again after.
// - Finish is called once, only when neither a write nor a read is in flight; whoever calls
//   it touches the stream no more. So a reader or writer of the stream holds it alive, and the
//   registry's pointer (under `mu_`) is valid until OnDone removes it; nothing that could
//   finish a stream runs under `mu_` (Finish may run OnDone inline, which takes `mu_`).
// - Items are sent oldest first, each once: the stream remembers the ids it read since its
//   cursor (see InboxStreamOptions::lookback).
class InboxStreams {
 public:
  InboxStreams(InboxStreamOptions options, storage::NotificationStore& store,
               const hc::auth::Verifier& verifier, hc::grpc_server::WorkerPool& workers,
               hc::metrics::GrpcServerMetrics& metrics, prometheus::Registry& registry,
               std::string grpc_service);
  ~InboxStreams();
  InboxStreams(const InboxStreams&) = delete;
  InboxStreams& operator=(const InboxStreams&) = delete;

  // Starts the expiry and revocation checks.
  void Start();
  // The StreamInbox handler: authenticates (as unary calls are), enforces the caps and
  // registers the stream; a refused call is a reactor already finished with the reason.
  grpc::ServerWriteReactor<pb::StreamInboxResponse>* Open(grpc::CallbackServerContext* ctx);
  // A new item of `member_id` was committed (the listener): its streams read.
  void Wake(const std::string& member_id);
  // Notifications may have been lost: every stream reads.
  void WakeAll();
  // Refuses new streams, finishes every open one with OK and waits up to `wait` for them to
  // be done (a client that never reads is left to the server's shutdown grace). Idempotent.
  void Shutdown(std::chrono::milliseconds wait);
  int open() const;

 private:
  class Stream;
  void Remove(Stream* stream);
  void CheckLoop();

  const InboxStreamOptions options_;
  storage::NotificationStore& store_;
  const hc::auth::Verifier& verifier_;
  hc::grpc_server::WorkerPool& workers_;
  hc::metrics::GrpcServerMetrics& metrics_;
  prometheus::Gauge& open_gauge_;
  const std::string grpc_service_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool closed_ = false;
  bool stopping_ = false;
  std::multimap<std::string, Stream*> by_member_;
  std::set<Stream*> streams_;
  std::thread checker_;
};

}  // namespace notifications::api

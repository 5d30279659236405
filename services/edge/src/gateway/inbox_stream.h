#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "libs/metrics/metrics.h"

namespace httplib {
struct Response;
}

namespace edge::gateway {

// GET /stream/inbox: notifications' StreamInbox relayed to the browser as server-sent events
// (`event: inbox` + the message as proto3 JSON), with a comment line when quiet for a
// heartbeat. Each open stream holds one HTTP worker and one reader thread, so their number is
// capped. A stream ends when the backend ends it (the token expired, the server is shutting
// down), when `ends_at` passes, or when the browser goes away: then the gRPC call is
// cancelled, never left running.
class InboxStreams {
 public:
  InboxStreams(std::shared_ptr<grpc::Channel> notifications, int max_streams,
               std::chrono::milliseconds heartbeat, hc::metrics::GrpcClientMetrics* metrics);
  ~InboxStreams();

  // Starts a stream into `res`. UNAVAILABLE when `max_streams` are open already.
  absl::Status Open(const std::string& bearer_token, std::chrono::system_clock::time_point ends_at,
                    const std::string& request_id, httplib::Response& res);

  // Ends every open stream (server shutdown) and refuses new ones.
  void Shutdown();

  int open_streams() const { return open_.load(); }

 private:
  struct Stream;

  std::shared_ptr<grpc::Channel> channel_;
  const int max_streams_;
  const std::chrono::milliseconds heartbeat_;
  hc::metrics::GrpcClientMetrics* metrics_;
  std::atomic<int> open_{0};
  std::mutex mu_;  // guards live_, stopping_
  std::set<std::shared_ptr<Stream>> live_;
  bool stopping_ = false;
};

}  // namespace edge::gateway

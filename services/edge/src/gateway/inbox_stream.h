#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
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
//
// A browser that went away gives its slot back at once, not at the next heartbeat's failed
// write (15-30 s, which made fast navigation between pages hit the member's cap): the worker
// waiting on a quiet stream looks at the connection every kPeerCheck for the peer's close, and
// a stream refused for a full cap first frees the slots of streams whose browser has closed.
class InboxStreams {
 public:
  // At most `max_streams` open in all, and `max_per_member` of one member's (so one member's
  // tabs, or a script with their cookie, cannot take every stream).
  InboxStreams(std::shared_ptr<grpc::Channel> notifications, int max_streams, int max_per_member,
               std::chrono::milliseconds heartbeat, hc::metrics::GrpcClientMetrics* metrics);
  ~InboxStreams();

  // How often a quiet stream checks whether its browser closed the connection.
  static constexpr std::chrono::milliseconds kPeerCheck{250};

  // Starts a stream of `member_id`'s inbox into `res`. UNAVAILABLE when `max_streams` are
  // open already, RESOURCE_EXHAUSTED when the member has `max_per_member` open. `peer_socket`
  // is the request's connection (http::PeerSocket), -1 when unknown: such a stream notices a
  // browser that left only when a write fails.
  absl::Status Open(const std::string& member_id, const std::string& bearer_token,
                    std::chrono::system_clock::time_point ends_at, const std::string& request_id,
                    int peer_socket, httplib::Response& res);

  // Ends every open stream (server shutdown) and refuses new ones.
  void Shutdown();

  int open_streams() const { return open_.load(); }

 private:
  struct Stream;

  // Gives back the slots of open streams whose browser has closed the connection: every
  // stream's, or only `member_id`'s when not null. Called with mu_ held.
  void ReleaseAbandoned(const std::string* member_id);
  // Drops `stream` from the counts (once). Called with mu_ held.
  void Release(Stream& stream);

  std::shared_ptr<grpc::Channel> channel_;
  const int max_streams_;
  const int max_per_member_;
  const std::chrono::milliseconds heartbeat_;
  hc::metrics::GrpcClientMetrics* metrics_;
  std::atomic<int> open_{0};
  std::mutex mu_;  // guards live_, per_member_, stopping_
  std::set<std::shared_ptr<Stream>> live_;
  // Open streams by member; an entry is erased when its count drops to zero (so the map holds
  // at most max_streams entries).
  std::map<std::string, int> per_member_;
  bool stopping_ = false;
};

}  // namespace edge::gateway

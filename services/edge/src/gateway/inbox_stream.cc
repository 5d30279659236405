#include "services/edge/src/gateway/inbox_stream.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <thread>

#include "alumni/notifications/v1/notifications_service.grpc.pb.h"
#include "services/edge/src/gateway/connect.h"
#include "services/edge/src/gateway/transcoder.h"
#include "services/edge/src/http/peer_socket.h"

namespace edge::gateway {

namespace pb = alumni::notifications::v1;

struct InboxStreams::Stream {
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<pb::StreamInboxResponse>> reader;
  std::thread reader_thread;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::string member_id;
  int peer_socket = -1;
  // Its slot was given back already (guarded by InboxStreams::mu_).
  bool released = false;

  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> events;  // ready-to-write SSE frames
  bool finished = false;           // the backend ended the call (status is set)
  bool stopping = false;           // the edge is shutting down
  bool abandoned = false;          // the browser closed the connection
  grpc::Status status;
};

InboxStreams::InboxStreams(std::shared_ptr<grpc::Channel> notifications, int max_streams,
                           int max_per_member, std::chrono::milliseconds heartbeat,
                           hc::metrics::GrpcClientMetrics* metrics)
    : channel_(std::move(notifications)),
      max_streams_(max_streams),
      max_per_member_(max_per_member),
      heartbeat_(heartbeat),
      metrics_(metrics) {}

InboxStreams::~InboxStreams() { Shutdown(); }

void InboxStreams::Shutdown() {
  std::lock_guard lock(mu_);
  stopping_ = true;
  for (const auto& stream : live_) {
    {
      std::lock_guard stream_lock(stream->mu);
      stream->stopping = true;
    }
    stream->cv.notify_all();
  }
}

void InboxStreams::Release(Stream& stream) {
  if (stream.released) return;
  stream.released = true;
  if (--per_member_[stream.member_id] <= 0) per_member_.erase(stream.member_id);
  open_.fetch_sub(1);
}

void InboxStreams::ReleaseAbandoned(const std::string* member_id) {
  // A stream in live_ has not run its releaser, so its connection (which httplib closes only
  // after the releaser) is still its own: looking at that socket from here is safe.
  for (const auto& stream : live_) {
    if (stream->released || stream->peer_socket < 0) continue;
    if (member_id != nullptr && stream->member_id != *member_id) continue;
    if (!http::PeerClosed(stream->peer_socket)) continue;
    Release(*stream);
    {
      std::lock_guard stream_lock(stream->mu);
      stream->abandoned = true;
    }
    stream->cv.notify_all();
  }
}

absl::Status InboxStreams::Open(const std::string& member_id, const std::string& bearer_token,
                                std::chrono::system_clock::time_point ends_at,
                                const std::string& request_id, int peer_socket,
                                httplib::Response& res) {
  auto stream = std::make_shared<Stream>();
  stream->member_id = member_id;
  stream->peer_socket = peer_socket;
  {
    // Both caps are checked and taken under one lock, so no race lets a member past theirs.
    std::lock_guard lock(mu_);
    if (stopping_) return absl::UnavailableError("the server is shutting down");
    // A page left just now may still hold its slot (its worker looks every kPeerCheck): a
    // navigation's close-then-open must not be refused for it.
    if (open_.load() >= max_streams_) ReleaseAbandoned(nullptr);
    if (auto it = per_member_.find(member_id);
        it != per_member_.end() && it->second >= max_per_member_) {
      ReleaseAbandoned(&member_id);
    }
    if (open_.load() >= max_streams_) {
      return absl::UnavailableError("too many live streams just now; try again shortly");
    }
    int& mine = per_member_[member_id];
    if (mine >= max_per_member_) {
      if (mine == 0) per_member_.erase(member_id);
      return absl::ResourceExhaustedError(
          "too many live streams for this account; close another tab or try again shortly");
    }
    ++mine;
    open_.fetch_add(1);
    live_.insert(stream);
  }
  stream->context.set_deadline(ends_at);
  stream->context.AddMetadata("authorization", "Bearer " + bearer_token);
  if (!request_id.empty()) stream->context.AddMetadata("x-request-id", request_id);
  auto stub = pb::NotificationsService::NewStub(channel_);
  stream->reader = stub->StreamInbox(&stream->context, pb::StreamInboxRequest());
  // The reader blocks in Read(); the HTTP worker waits on the queue so it can send heartbeats
  // and notice a browser that went away (a failed write) while the backend is quiet.
  stream->reader_thread = std::thread([s = stream.get()] {
    pb::StreamInboxResponse message;
    while (s->reader->Read(&message)) {
      std::string json;
      if (!PrintJson(message, &json).ok()) continue;
      {
        std::lock_guard lock(s->mu);
        s->events.push_back("event: inbox\ndata: " + json + "\n\n");
      }
      s->cv.notify_all();
    }
    grpc::Status status = s->reader->Finish();
    {
      std::lock_guard lock(s->mu);
      s->status = std::move(status);
      s->finished = true;
    }
    s->cv.notify_all();
  });

  res.set_header("Cache-Control", "no-store");
  res.set_chunked_content_provider(
      "text/event-stream",
      [s = stream.get(), heartbeat = heartbeat_](size_t, httplib::DataSink& sink) {
        std::unique_lock lock(s->mu);
        auto ready_to_write = [s] {
          return !s->events.empty() || s->finished || s->stopping || s->abandoned;
        };
        // Quiet until the heartbeat is due, looking at the connection every kPeerCheck.
        const auto heartbeat_at = std::chrono::steady_clock::now() + heartbeat;
        while (!ready_to_write()) {
          const auto now = std::chrono::steady_clock::now();
          if (now >= heartbeat_at) break;
          const auto slice =
              std::min<std::chrono::steady_clock::duration>(heartbeat_at - now, kPeerCheck);
          if (s->cv.wait_for(lock, slice, ready_to_write)) break;
          if (s->peer_socket >= 0 && http::PeerClosed(s->peer_socket)) {
            s->abandoned = true;
            break;
          }
        }
        // false ends the response: httplib closes the connection and runs the releaser.
        if (s->abandoned) return false;
        std::deque<std::string> ready;
        ready.swap(s->events);
        const bool finished = s->finished;
        const bool stopping = s->stopping;
        const grpc::Status status = s->status;
        lock.unlock();
        if (ready.empty() && !finished && !stopping) {
          return sink.write(": keep-alive\n\n", 14);
        }
        for (const std::string& frame : ready) {
          if (!sink.write(frame.data(), frame.size())) return false;
        }
        if (finished || stopping) {
          if (finished && !status.ok() &&
              status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
            // EventSource reconnects by itself; the app reads this to know why it ended.
            const std::string frame = "event: error\ndata: " + ToConnectError(status).body + "\n\n";
            sink.write(frame.data(), frame.size());
          }
          sink.done();
        }
        return true;
      },
      [this, stream](bool) {
        // The browser went away or the stream ended: cancel the call (a no-op when it has
        // finished) and wait for the reader, so neither outlives the response.
        stream->context.TryCancel();
        if (stream->reader_thread.joinable()) stream->reader_thread.join();
        if (metrics_) {
          metrics_->Handled(
              pb::NotificationsService::service_full_name(), "StreamInbox",
              stream->status.error_code(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - stream->started)
                  .count());
        }
        {
          std::lock_guard lock(mu_);
          live_.erase(stream);
          Release(*stream);
        }
      });
  return absl::OkStatus();
}

}  // namespace edge::gateway

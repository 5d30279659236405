#include "services/notifications/src/api/inbox_stream.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "libs/ids/ids.h"
#include "libs/status/status.h"
#include "services/notifications/src/api/notifications_service.h"

namespace notifications::api {
namespace {

constexpr char kMethod[] = "StreamInbox";

}  // namespace

// One StreamInbox call. Lock order: the registry's `mu_` before a stream's `mu_`; a stream
// never takes the registry's while holding its own.
class InboxStreams::Stream : public grpc::ServerWriteReactor<pb::StreamInboxResponse> {
 public:
  // What a stream asks its caller to do once every lock is released.
  struct Actions {
    bool read = false;
    bool write = false;
    std::optional<grpc::Status> finish;
  };

  Stream(InboxStreams& hub, std::chrono::steady_clock::time_point start)
      : hub_(hub), start_(start) {}

  // A refused call: ends at once, never registered.
  void Refuse(const absl::Status& status) {
    {
      std::lock_guard lock(mu_);
      finished_ = true;
    }
    Run({.finish = Record(status)});
  }

  // Before registration: the first read (where the inbox stands) is in flight from here on, so
  // nothing can finish the stream before it is registered.
  Actions Begin(std::string member_id, const hc::auth::Principal& caller) {
    member_id_ = std::move(member_id);
    subject_ = caller.subject;
    issued_at_ = caller.issued_at;
    expires_at_ = caller.expires_at;
    std::lock_guard lock(mu_);
    want_read_ = true;
    return NextLocked();
  }

  const std::string& member_id() const { return member_id_; }

  Actions Wake() {
    std::lock_guard lock(mu_);
    want_read_ = true;
    return NextLocked();
  }

  Actions RequestFinish(const absl::Status& status) {
    std::lock_guard lock(mu_);
    RequestFinishLocked(status);
    return NextLocked();
  }

  // The token's expiry and revocation, and a read that could not run before.
  Actions Check(long now) {
    std::lock_guard lock(mu_);
    if (finish_ || finished_) return {};
    if (expires_at_ <= now) {
      RequestFinishLocked(absl::UnauthenticatedError("token expired"));
    } else if (hub_.verifier_.revocations().IsRevoked(subject_, issued_at_)) {
      RequestFinishLocked(absl::UnauthenticatedError("token revoked"));
    } else if (retry_read_) {
      retry_read_ = false;
      want_read_ = true;
    }
    return NextLocked();
  }

  // Carries out `actions`. After a finish the stream may be gone: nothing touches it after.
  void Run(Actions actions) {
    if (actions.read) {
      if (!hub_.workers_.TrySubmit([this] { Read(); })) {
        // The pool is full: the checker tries again.
        std::unique_lock lock(mu_);
        read_in_flight_ = false;
        retry_read_ = true;
        Actions next = NextLocked();
        lock.unlock();
        Run(std::move(next));
        return;
      }
    }
    if (actions.write) StartWrite(&writing_);
    if (actions.finish) {
      const grpc::Status status = *actions.finish;
      Finish(status);
    }
  }

  void OnWriteDone(bool ok) override {
    std::unique_lock lock(mu_);
    write_in_flight_ = false;
    if (!ok) RequestFinishLocked(absl::CancelledError("client gone"));
    Actions next = NextLocked();
    lock.unlock();
    Run(std::move(next));
  }

  void OnCancel() override {
    std::unique_lock lock(mu_);
    RequestFinishLocked(absl::CancelledError("cancelled by the client"));
    Actions next = NextLocked();
    lock.unlock();
    Run(std::move(next));
  }

  void OnDone() override {
    hub_.Remove(this);
    delete this;
  }

 private:
  void RequestFinishLocked(const absl::Status& status) {
    if (finish_) return;
    finish_ = status;
    queue_.clear();
  }

  // The next step, decided under `mu_` and marked as taken (in flight, finished) there.
  Actions NextLocked() {
    Actions a;
    if (finished_) return a;
    if (want_read_ && !read_in_flight_ && !finish_) {
      want_read_ = false;
      read_in_flight_ = true;
      a.read = true;
    }
    if (write_in_flight_) return a;
    if (finish_) {
      if (read_in_flight_) return a;
      finished_ = true;
      a.finish = Record(*finish_);
      return a;
    }
    if (!queue_.empty()) {
      writing_ = std::move(queue_.front());
      queue_.pop_front();
      write_in_flight_ = true;
      a.write = true;
    }
    return a;
  }

  grpc::Status Record(const absl::Status& status) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    hub_.metrics_.Handled(hub_.grpc_service_, kMethod, static_cast<int>(status.code()), seconds);
    return hc::ToGrpcStatus(status);
  }

  // Never moves back: an id forgotten below it must not be read again.
  storage::Time Floor() {
    const storage::Time newest = newest_.value_or(
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()));
    floor_ = std::max(floor_, newest - hub_.options_.lookback);
    return floor_;
  }

  // On the worker pool; one at a time, so the cursor (`known_`, `newest_`, `started_`) is
  // touched by this alone.
  void Read() {
    std::vector<pb::StreamInboxResponse> out;
    absl::Status status;
    bool more = false;
    do {
      std::vector<std::string> known;
      known.reserve(known_.size());
      for (const auto& [id, created_at] : known_) known.push_back(id);
      auto read = hub_.store_.ItemsSince(member_id_, Floor(), known, hub_.options_.batch);
      if (!read.ok()) {
        status = read.status();
        break;
      }
      for (const auto& [id, created_at] : read->rows) {
        known_[id] = created_at;
        if (!newest_ || created_at > *newest_) newest_ = created_at;
      }
      more = static_cast<int>(read->rows.size()) >= hub_.options_.batch;
      if (!started_) {
        // The items already there are where the inbox stands, not news: only the count is
        // sent, once they are all known.
        if (more) continue;
        started_ = true;
        out.emplace_back().set_unread_count(read->unread);
      } else {
        int unread_after = 0;
        for (const auto& item : read->items) unread_after += item.read_at ? 0 : 1;
        for (const auto& item : read->items) {
          if (!item.read_at) --unread_after;
          auto& response = out.emplace_back();
          InboxItemToProto(item, *response.mutable_item());
          response.set_unread_count(read->unread - unread_after);
        }
      }
      const storage::Time floor = Floor();
      std::erase_if(known_, [&](const auto& entry) { return entry.second < floor; });
    } while (more && out.size() < static_cast<size_t>(hub_.options_.batch));

    std::unique_lock lock(mu_);
    read_in_flight_ = false;
    if (!status.ok()) {
      if (!started_) {
        RequestFinishLocked(status);
      } else {
        // Read again at the next check; the cursor has not moved.
        retry_read_ = true;
      }
    } else if (!finish_) {
      for (auto& response : out) queue_.push_back(std::move(response));
      if (more) want_read_ = true;
    }
    Actions next = NextLocked();
    lock.unlock();
    Run(std::move(next));
  }

  InboxStreams& hub_;
  const std::chrono::steady_clock::time_point start_;
  // Set by Begin, before the stream is shared.
  std::string member_id_;
  std::string subject_;
  long issued_at_ = 0;
  long expires_at_ = 0;

  // The cursor: owned by the read in flight.
  bool started_ = false;
  std::optional<storage::Time> newest_;
  storage::Time floor_{};
  std::map<std::string, storage::Time> known_;

  std::mutex mu_;
  std::deque<pb::StreamInboxResponse> queue_;
  // The response being written: gRPC reads it until OnWriteDone.
  pb::StreamInboxResponse writing_;
  bool write_in_flight_ = false;
  bool read_in_flight_ = false;
  bool want_read_ = false;
  bool retry_read_ = false;
  std::optional<absl::Status> finish_;
  bool finished_ = false;
};

InboxStreams::InboxStreams(InboxStreamOptions options, storage::NotificationStore& store,
                           const hc::auth::Verifier& verifier, hc::grpc_server::WorkerPool& workers,
                           hc::metrics::GrpcServerMetrics& metrics, prometheus::Registry& registry,
                           std::string grpc_service)
    : options_(std::move(options)),
      store_(store),
      verifier_(verifier),
      workers_(workers),
      metrics_(metrics),
      open_gauge_(prometheus::BuildGauge()
                      .Name("hc_notifications_open_streams")
                      .Help("StreamInbox streams open in this process.")
                      .Register(registry)
                      .Add({})),
      grpc_service_(std::move(grpc_service)) {}

InboxStreams::~InboxStreams() {
  Shutdown(std::chrono::milliseconds(0));
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (checker_.joinable()) checker_.join();
}

void InboxStreams::Start() {
  checker_ = std::thread([this] { CheckLoop(); });
}

int InboxStreams::open() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(streams_.size());
}

grpc::ServerWriteReactor<pb::StreamInboxResponse>* InboxStreams::Open(
    grpc::CallbackServerContext* ctx) {
  metrics_.Started(grpc_service_, kMethod);
  auto* stream = new Stream(*this, std::chrono::steady_clock::now());
  absl::StatusOr<hc::auth::Principal> caller =
      absl::UnauthenticatedError("missing authorization metadata");
  const auto& metadata = ctx->client_metadata();
  if (auto it = metadata.find("authorization"); it != metadata.end()) {
    caller = verifier_.VerifyBearer(std::string_view(it->second.data(), it->second.size()));
  }
  if (!caller.ok()) {
    stream->Refuse(caller.status());
    return stream;
  }
  if (caller->IsService()) {
    stream->Refuse(absl::PermissionDeniedError("only the member themself may do this"));
    return stream;
  }
  Stream::Actions first = stream->Begin(hc::ids::Canonical(caller->subject), *caller);
  {
    std::unique_lock lock(mu_);
    absl::Status refused;
    if (closed_) {
      refused = absl::UnavailableError("shutting down, reconnect");
    } else if (static_cast<int>(streams_.size()) >= options_.max_streams) {
      refused = absl::ResourceExhaustedError("too many streams open, retry later");
    } else if (static_cast<int>(by_member_.count(stream->member_id())) >= options_.max_per_member) {
      refused = absl::ResourceExhaustedError("too many streams open for this member");
    }
    if (!refused.ok()) {
      lock.unlock();
      // Begin's read was not started: the stream is still this thread's alone.
      stream->Refuse(refused);
      return stream;
    }
    streams_.insert(stream);
    by_member_.emplace(stream->member_id(), stream);
    open_gauge_.Increment();
  }
  stream->Run(std::move(first));
  return stream;
}

void InboxStreams::Remove(Stream* stream) {
  std::lock_guard lock(mu_);
  if (streams_.erase(stream) == 0) return;
  auto [begin, end] = by_member_.equal_range(stream->member_id());
  for (auto it = begin; it != end; ++it) {
    if (it->second == stream) {
      by_member_.erase(it);
      break;
    }
  }
  open_gauge_.Decrement();
  cv_.notify_all();
}

namespace {

// Runs what each stream must do, decided under the registry's lock and run after it is
// released (a stream with something to do is held alive by it; see the invariants).
template <typename Decided>
void RunDecided(Decided& decided) {
  for (auto& [stream, actions] : decided) stream->Run(std::move(actions));
}

}  // namespace

void InboxStreams::Wake(const std::string& member_id) {
  std::vector<std::pair<Stream*, Stream::Actions>> decided;
  {
    std::lock_guard lock(mu_);
    auto [begin, end] = by_member_.equal_range(hc::ids::Canonical(member_id));
    for (auto it = begin; it != end; ++it) decided.emplace_back(it->second, it->second->Wake());
  }
  // Each stream with something to do is held alive by it (see the invariants).
  RunDecided(decided);
}

void InboxStreams::WakeAll() {
  std::vector<std::pair<Stream*, Stream::Actions>> decided;
  {
    std::lock_guard lock(mu_);
    for (Stream* stream : streams_) decided.emplace_back(stream, stream->Wake());
  }
  RunDecided(decided);
}

void InboxStreams::Shutdown(std::chrono::milliseconds wait) {
  std::vector<std::pair<Stream*, Stream::Actions>> decided;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    for (Stream* stream : streams_) {
      decided.emplace_back(stream, stream->RequestFinish(absl::OkStatus()));
    }
  }
  RunDecided(decided);
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, wait, [this] { return streams_.empty(); })) {
    spdlog::warn("notifications: {} inbox streams still open at shutdown", streams_.size());
  }
}

void InboxStreams::CheckLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, options_.check_interval, [this] { return stopping_; });
    if (stopping_) break;
    const auto& clock = verifier_.options().clock;
    const long now = static_cast<long>(
        std::chrono::system_clock::to_time_t(clock ? clock() : std::chrono::system_clock::now()));
    std::vector<std::pair<Stream*, Stream::Actions>> decided;
    for (Stream* stream : streams_) decided.emplace_back(stream, stream->Check(now));
    lock.unlock();
    RunDecided(decided);
    lock.lock();
  }
}

}  // namespace notifications::api

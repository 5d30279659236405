#include "services/notifications/src/storage/inbox_listener.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <pqxx/pqxx>
#include <typeinfo>

#include "services/notifications/src/storage/notification_store.h"

namespace notifications::storage {
namespace {

class Receiver : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& conn, const std::function<void(const std::string&)>& on_member)
      : pqxx::notification_receiver(conn, kInboxChannel), on_member_(on_member) {}
  void operator()(const std::string& payload, int) override { on_member_(payload); }

 private:
  const std::function<void(const std::string&)>& on_member_;
};

// How long one wait for notifications lasts: bounds how late Stop() is noticed.
constexpr auto kWait = std::chrono::milliseconds(200);

}  // namespace

InboxListener::InboxListener(Options options, std::function<void(const std::string&)> on_member,
                             std::function<void()> on_connected)
    : options_(std::move(options)),
      on_member_(std::move(on_member)),
      on_connected_(std::move(on_connected)) {}

InboxListener::~InboxListener() { Stop(); }

void InboxListener::Start() {
  thread_ = std::thread([this] { Run(); });
}

void InboxListener::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void InboxListener::Pause(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [this] { return stop_; });
}

void InboxListener::Run() {
  auto retry = options_.first_retry;
  auto stopped = [this] {
    std::lock_guard lock(mu_);
    return stop_;
  };
  while (!stopped()) {
    try {
      pqxx::connection conn(options_.url);
      // LISTEN is issued here, before the catch-up: an item committed from now on is either
      // notified or already visible to the streams' reads.
      Receiver receiver(conn, on_member_);
      // libpqxx reopens a broken connection by itself (and LISTENs again); a new backend means
      // notifications may have been lost in between.
      int session = conn.backendpid();
      listening_ = true;
      retry = options_.first_retry;
      on_connected_();
      while (!stopped()) {
        conn.await_notification(0, static_cast<long>(std::chrono::microseconds(kWait).count()));
        if (conn.backendpid() != session) {
          session = conn.backendpid();
          spdlog::warn("notifications inbox listener: reconnected");
          on_connected_();
        }
      }
    } catch (const std::exception& e) {
      // By type only: what() may quote connection details.
      spdlog::warn("notifications inbox listener: {}; retrying in {} ms", typeid(e).name(),
                   retry.count());
    }
    listening_ = false;
    Pause(retry);
    retry = std::min(retry * 2, options_.max_retry);
  }
  listening_ = false;
}

}  // namespace notifications::storage

#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace notifications::storage {

// One per process: LISTENs on kInboxChannel on a PostgreSQL connection of its own and calls
// `on_member(member_id)` for each new inbox item committed by any replica. When the database
// goes away it reconnects with a doubling backoff; notifications sent meanwhile are lost, so
// after every (re)connection, once LISTEN is in place, it calls `on_connected()`, for the
// streams to catch up from their cursors.
class InboxListener {
 public:
  struct Options {
    std::string url;
    std::chrono::milliseconds first_retry{100};
    std::chrono::milliseconds max_retry{5000};
  };

  InboxListener(Options options, std::function<void(const std::string&)> on_member,
                std::function<void()> on_connected);
  ~InboxListener();
  InboxListener(const InboxListener&) = delete;
  InboxListener& operator=(const InboxListener&) = delete;

  void Start();
  // Idempotent; returns once the thread has ended.
  void Stop();
  // Whether LISTEN is in place now (for tests and logs).
  bool listening() const { return listening_; }

 private:
  void Run();
  // Sleeps up to `d`, less when stopped.
  void Pause(std::chrono::milliseconds d);

  Options options_;
  std::function<void(const std::string&)> on_member_;
  std::function<void()> on_connected_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<bool> listening_{false};
  std::thread thread_;
};

}  // namespace notifications::storage

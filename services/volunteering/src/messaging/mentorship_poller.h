#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/volunteering/src/storage/mentorship_store.h"

namespace volunteering::messaging {

// Mentorship's two clocks, on a thread of its own: every `interval`, choices unanswered past
// their deadline expire, and active matches quiet for `quiet` get their MentorCheckInDue. Each
// batch is one transaction over rows taken FOR UPDATE SKIP LOCKED (see MentorshipStore), so
// replicas share the work without doing it twice; a failed batch is tried again next round.
class MentorshipPoller {
 public:
  using Clock = std::function<absl::Time()>;
  struct Options {
    std::chrono::milliseconds interval{60'000};
    absl::Duration quiet = absl::Hours(24 * 30);
    int batch = 100;
  };

  MentorshipPoller(storage::MentorshipStore& store, Clock clock, Options options)
      : store_(store), clock_(std::move(clock)), options_(options) {}
  ~MentorshipPoller() { Stop(); }

  void Start();
  void Stop();
  // Batches until both jobs take fewer than `batch` (tests drive this with their own clock).
  absl::Status PollAll();

 private:
  storage::MentorshipStore& store_;
  Clock clock_;
  Options options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace volunteering::messaging

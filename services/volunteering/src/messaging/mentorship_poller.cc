#include "services/volunteering/src/messaging/mentorship_poller.h"

#include <spdlog/spdlog.h>

#include "libs/status/status.h"

namespace volunteering::messaging {

void MentorshipPoller::Start() {
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stop_) {
      lock.unlock();
      if (absl::Status s = PollAll(); !s.ok()) {
        spdlog::warn("mentorship poller: {}", std::string(s.message()));
      }
      lock.lock();
      cv_.wait_for(lock, options_.interval, [this] { return stop_; });
    }
  });
}

void MentorshipPoller::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

absl::Status MentorshipPoller::PollAll() {
  for (;;) {
    const absl::Time now = clock_();
    HC_ASSIGN_OR_RETURN(int expired, store_.ExpireChoices(now, options_.batch));
    HC_ASSIGN_OR_RETURN(int due, store_.MarkCheckInsDue(now, options_.quiet, options_.batch));
    if (expired < options_.batch && due < options_.batch) return absl::OkStatus();
  }
}

}  // namespace volunteering::messaging

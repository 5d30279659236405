#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hc::grpc_server {

// A fixed set of threads that run blocking work (database, cache) off gRPC's own threads.
// The queue is bounded: when it is full TrySubmit says no at once, and the caller answers
// RESOURCE_EXHAUSTED instead of letting latency grow without limit.
class WorkerPool {
 public:
  WorkerPool(size_t threads, size_t queue_capacity);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  bool TrySubmit(std::function<void()> task);
  // Runs what is queued, then joins the threads. Later TrySubmit calls say no.
  void Stop();
  size_t queued() const;

 private:
  void Loop();

  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace hc::grpc_server

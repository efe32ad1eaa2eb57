// The threads that run requests, apart from the event loops: a request may
// block (a commit waits for its group's fsync, a migration for its gate), and
// an event loop must never. The pool grows a thread whenever work arrives
// and none is idle (up to a maximum), so 64 clients committing at once are
// 64 commits in one group rather than a queue behind a few threads; threads
// beyond the minimum that stay idle for a while exit.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ormdb::net {

class ExecutorPool {
 public:
  ExecutorPool(size_t min_threads, size_t max_threads);
  ~ExecutorPool();  // runs what was queued, then joins
  ExecutorPool(const ExecutorPool&) = delete;
  ExecutorPool& operator=(const ExecutorPool&) = delete;

  void Submit(std::function<void()> task);

 private:
  void Run();

  const size_t min_threads_, max_threads_;
  std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  size_t threads_ = 0;
  size_t idle_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> all_;
  std::vector<std::thread::id> exited_;  // threads that left Run, to be joined by the next Submit
};

}  // namespace ormdb::net

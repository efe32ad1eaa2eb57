// The threads that run requests, apart from the event loops: a request may
// block (a commit waits for its group's fsync, a migration for its gate), and
// an event loop must never. The pool grows a thread whenever work arrives
// and none is idle (up to a maximum), so 64 clients committing at once are
// 64 commits in one group rather than a queue behind a few threads; threads
// beyond the minimum that stay idle for a while exit.
//
// Reads are different: they wait for nothing but the CPU and the disk, so
// running more of them at once than the machine has cores only trades the
// caches for context switches (64 clients' page fetches on two cores took a
// third more CPU each, and every one of them finished late). At most
// `max_reads` run at once; the others wait in arrival order without holding
// a thread.
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
  // `max_reads` 0: twice the hardware threads.
  ExecutorPool(size_t min_threads, size_t max_threads, size_t max_reads = 0);
  ~ExecutorPool();  // runs what was queued, then joins
  ExecutorPool(const ExecutorPool&) = delete;
  ExecutorPool& operator=(const ExecutorPool&) = delete;

  void Submit(std::function<void()> task);
  // A task that only reads: runs when fewer than max_reads() such tasks are
  // running, in the order submitted.
  void SubmitRead(std::function<void()> task);
  size_t max_reads() const { return max_reads_; }

 private:
  void Run();
  void QueueLocked(std::function<void()> task, std::unique_lock<std::mutex>& lock);
  // Runs `task`, then the reads waiting behind it, one after another.
  void RunReads(std::function<void()> task);

  const size_t min_threads_, max_threads_, max_reads_;
  std::mutex mu_;  // guards everything below
  size_t reads_running_ = 0;
  std::deque<std::function<void()>> reads_waiting_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  size_t threads_ = 0;
  size_t idle_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> all_;
  std::vector<std::thread::id> exited_;  // threads that left Run, to be joined by the next Submit
};

}  // namespace ormdb::net

#include "net/executor_pool.h"

#include <chrono>

#include "util/thread_name.h"

namespace ormdb::net {

namespace {
constexpr auto kIdleExit = std::chrono::seconds(10);
}

ExecutorPool::ExecutorPool(size_t min_threads, size_t max_threads, size_t max_reads)
    : min_threads_(min_threads),
      max_threads_(std::max(max_threads, min_threads)),
      max_reads_(max_reads > 0 ? max_reads : std::max<size_t>(2, 2 * std::thread::hardware_concurrency())) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < min_threads_; ++i) {
    ++threads_;
    all_.emplace_back([this] { Run(); });
  }
}

ExecutorPool::~ExecutorPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : all_) t.join();
}

void ExecutorPool::Submit(std::function<void()> task) {
  std::unique_lock lock(mu_);
  QueueLocked(std::move(task), lock);
}

void ExecutorPool::SubmitRead(std::function<void()> task) {
  std::unique_lock lock(mu_);
  if (reads_running_ >= max_reads_) {
    reads_waiting_.push_back(std::move(task));
    return;
  }
  ++reads_running_;
  QueueLocked([this, task = std::move(task)]() mutable { RunReads(std::move(task)); }, lock);
}

void ExecutorPool::RunReads(std::function<void()> task) {
  // The thread that finishes a read runs the next waiting one itself: no
  // hand-off, and its caches (and allocator) are warm for it.
  for (;;) {
    task();
    std::lock_guard lock(mu_);
    if (reads_waiting_.empty()) {
      --reads_running_;
      return;
    }
    task = std::move(reads_waiting_.front());
    reads_waiting_.pop_front();
  }
}

void ExecutorPool::QueueLocked(std::function<void()> task, std::unique_lock<std::mutex>& lock) {
  std::vector<std::thread> reap;
  for (std::thread::id id : exited_) {
    for (size_t i = 0; i < all_.size(); ++i) {
      if (all_[i].get_id() == id) {
        reap.push_back(std::move(all_[i]));
        all_[i] = std::move(all_.back());
        all_.pop_back();
        break;
      }
    }
  }
  exited_.clear();
  queue_.push_back(std::move(task));
  const bool grow = idle_ < queue_.size() && threads_ < max_threads_;
  if (grow) {
    ++threads_;
    all_.emplace_back([this] { Run(); });
  }
  lock.unlock();
  if (!grow) cv_.notify_one();
  for (std::thread& t : reap) t.join();  // they have left Run: this is quick
}

void ExecutorPool::Run() {
  NameThisThread("ormdb-exec");
  std::unique_lock lock(mu_);
  for (;;) {
    if (!queue_.empty()) {
      std::function<void()> task = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      task();
      lock.lock();
      continue;
    }
    if (stopping_) break;
    ++idle_;
    bool woke = cv_.wait_for(lock, kIdleExit, [this] { return stopping_ || !queue_.empty(); });
    --idle_;
    if (!woke && threads_ > min_threads_) break;
  }
  --threads_;
  exited_.push_back(std::this_thread::get_id());
}

}  // namespace ormdb::net

// What the server counts, and its Prometheus text exposition (served on the
// --metrics port). Counters are relaxed atomics bumped on the request path;
// the engine's own counters (commits, cache hits, WAL) are read when
// scraped.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "engine/database.h"
#include "net/protocol.h"

namespace ormdb::net {

class Metrics {
 public:
  // Request latency buckets, upper bounds in microseconds (the last is +Inf).
  static constexpr std::array<uint64_t, 14> kLatencyBucketsUs = {
      50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000, 5000000};

  void CountRequest(MessageType type, uint64_t micros);
  void CountError(ErrorCode code);
  void CountAuthFailure() { auth_failures_.fetch_add(1, std::memory_order_relaxed); }
  void ConnectionOpened() {
    connections_total_.fetch_add(1, std::memory_order_relaxed);
    connections_open_.fetch_add(1, std::memory_order_relaxed);
  }
  void ConnectionClosed() { connections_open_.fetch_sub(1, std::memory_order_relaxed); }
  void ConnectionRefused() { connections_refused_.fetch_add(1, std::memory_order_relaxed); }
  void BytesIn(uint64_t n) { bytes_in_.fetch_add(n, std::memory_order_relaxed); }
  void BytesOut(uint64_t n) { bytes_out_.fetch_add(n, std::memory_order_relaxed); }
  void SubscriptionOpened() { subscriptions_open_.fetch_add(1, std::memory_order_relaxed); }
  void SubscriptionClosed() { subscriptions_open_.fetch_sub(1, std::memory_order_relaxed); }
  void ChangesSent(uint64_t n) { changes_sent_.fetch_add(n, std::memory_order_relaxed); }
  void CommitDeferred() { commits_deferred_.fetch_add(1, std::memory_order_relaxed); }
  int64_t open_connections() const { return connections_open_.load(std::memory_order_relaxed); }

  // The Prometheus text format (version 0.0.4), with the engine's counters.
  std::string Render(engine::Database& db, const std::string& data_dir) const;

 private:
  static constexpr size_t kTypes = 16;   // request types are 0x01..0x0d
  static constexpr size_t kCodes = 32;   // error codes are 1..20
  std::array<std::atomic<uint64_t>, kTypes> requests_{};
  std::array<std::atomic<uint64_t>, kCodes> errors_{};
  std::array<std::atomic<uint64_t>, kLatencyBucketsUs.size() + 1> latency_{};
  std::atomic<uint64_t> latency_sum_us_{0};
  std::atomic<uint64_t> auth_failures_{0};
  std::atomic<uint64_t> connections_total_{0};
  std::atomic<int64_t> connections_open_{0};
  std::atomic<uint64_t> connections_refused_{0};
  std::atomic<uint64_t> bytes_in_{0};
  std::atomic<uint64_t> bytes_out_{0};
  std::atomic<int64_t> subscriptions_open_{0};
  std::atomic<uint64_t> changes_sent_{0};
  std::atomic<uint64_t> commits_deferred_{0};
};

}  // namespace ormdb::net

// One client's session: the state a connection carries between requests
// (authenticated user, negotiated features, an open transaction) and the
// handling of each request message against the engine. A session runs one
// request at a time, on an executor thread (net/server.cc keeps that
// order); only the cancel flag is touched from the event loop.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/database.h"
#include "engine/users.h"
#include "net/metrics.h"
#include "net/protocol.h"

namespace ormdb::net {

struct ServerLimits {
  uint32_t max_frame_bytes = 64u << 20;
  uint32_t max_connections = 4096;
  uint32_t max_in_flight = 256;          // requests queued or running per connection
  uint32_t idle_timeout_ms = 10 * 60 * 1000;
  uint32_t query_timeout_ms = 30 * 1000;  // 0: none
  uint64_t max_rows_read = 10'000'000;
  uint64_t max_rows_returned = 1'000'000;
  // Replies waiting to be sent to one connection: past this the server
  // stops reading that connection's requests until the client catches up.
  size_t max_pending_output_bytes = 8u << 20;
  // Received request bytes waiting to run on one connection: past this the
  // server stops reading from it.
  size_t max_pending_input_bytes = 8u << 20;
  // Change stream subscriptions per connection; and the Changes bytes a
  // subscription may have waiting to be sent before the server stops
  // reading its events (a subscriber slower than that long enough lags).
  uint32_t max_subscriptions = 64;
  size_t subscription_output_bytes = 1u << 20;
  // A subscription polled less than this long ago waits out the rest of
  // it before the next poll, so while commits keep coming each Changes
  // frame carries all of them since the last instead of one frame per
  // commit (0: poll on every commit). The first commit after a quiet
  // spell goes out at once.
  uint32_t subscription_batch_us = 2000;
  // About how many Changes frames a second the server sends in all while
  // commits keep coming. Each event loop gets its share and spaces its
  // streams' frames further apart than subscription_batch_us when its
  // streams would send more: a frame costs a send, a TCP segment and a
  // wake-up of the subscriber whatever it holds, so with a hundred
  // streams they would cost more than the commits (0: no bound).
  uint32_t subscription_frames_per_second = 10000;
  // A Mutate runs on the event loop itself (net/server.cc says how) when
  // its connection's previous one ran in less than this; longer ones go to
  // the executor pool, so one heavy write holds a loop at most once.
  uint32_t loop_write_us = 1000;
};

// What every session shares.
struct ServerContext {
  engine::Database* db = nullptr;
  engine::Users* users = nullptr;
  ServerLimits limits;
  bool compression = true;
  std::string server_version;
  Metrics* metrics = nullptr;
};

class Session {
 public:
  Session(const ServerContext* ctx, uint64_t id) : ctx_(ctx), id_(id) {}

  // Runs one request and appends its reply frame to *out. Bad input gets an
  // error frame; after a failed handshake close_after() is set.
  void Handle(const FrameHeader& h, std::string_view payload, std::string* out);
  // Handle for a thread that must not wait (an event loop): false when the
  // request would have waited (a migration, a conflict's retry, any request
  // inside a transaction), with nothing kept and nothing written to *out;
  // Handle then runs it again.
  // With `pending`, a write does not wait for its commit's flush either:
  // it returns true with *pending set and its reply in *out, which must
  // not be sent before the pending commit settles and finishes OK
  // (FailCommit writes the reply for one that does not).
  bool HandleWithoutWaiting(const FrameHeader& h, std::string_view payload, std::string* out,
                            std::unique_ptr<engine::PendingCommit>* pending = nullptr);
  // The error reply for request `id`, whose commit `st` says failed.
  void FailCommit(std::string* out, uint64_t id, const Status& st) const;

  bool authenticated() const { return authenticated_; }
  bool close_after() const { return close_after_; }
  bool compress() const { return (features_ & kFeatureZstd) != 0; }
  // Set by the event loop to stop the running request (a client's Cancel).
  std::atomic<bool>& cancel() { return cancel_; }
  // Ends the open transaction, if any (the connection closed).
  void Close();
  // The subscription a Subscribe just opened (its Subscribed reply is in
  // the output), for the event loop to feed; then null.
  std::unique_ptr<engine::Subscription> TakeSubscription() { return std::move(subscribed_); }

 private:
  void Reply(std::string* out, MessageType type, uint64_t id, std::string_view payload) const;
  void Fail(std::string* out, uint64_t id, const ErrorMessage& e) const;
  void Fail(std::string* out, uint64_t id, ErrorCode code, std::string message, std::string path = {}) const;
  void HandleHello(uint64_t id, std::string_view payload, std::string* out);
  void HandleQuery(const FrameHeader& h, std::string_view payload, std::string* out);
  void HandleMigrate(const FrameHeader& h, std::string_view payload, std::string* out);
  void HandleTransaction(const FrameHeader& h, std::string* out);
  void HandleSubscribe(const FrameHeader& h, std::string_view payload, std::string* out);

  const ServerContext* ctx_;
  const uint64_t id_;
  bool authenticated_ = false;
  bool close_after_ = false;
  uint32_t features_ = 0;
  std::string user_;
  std::unique_ptr<engine::Transaction> txn_;
  std::unique_ptr<engine::Subscription> subscribed_;
  std::atomic<bool> cancel_{false};
  // HandleWithoutWaiting: the request running must not wait, and whether it would have.
  bool may_wait_ = true;
  bool would_wait_ = false;
  std::unique_ptr<engine::PendingCommit>* defer_ = nullptr;  // set: a write does not wait for its flush
};

}  // namespace ormdb::net

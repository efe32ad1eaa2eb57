// What an event loop (net/server.cc) keeps per connection and hands
// between its thread and the executor threads: the connection's buffers
// and queue, its subscriptions, the completions posted to the loop's
// mailbox, and the replies held until their commits settle. Private to
// the server.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "engine/changes.h"
#include "engine/database.h"
#include "net/protocol.h"
#include "net/session.h"

namespace ormdb::net::loop {

using Clock = std::chrono::steady_clock;

// A connection's receive buffer starts small (a thousand idle connections
// should not hold 64 MiB) and doubles, up to the larger size, while recvs
// fill it.
constexpr size_t kRecvInitialBytes = 4 * 1024;
constexpr size_t kRecvChunkBytes = 64 * 1024;

enum class OpKind : uint8_t { kAccept, kRecv, kSend, kWake, kTick, kBatch, kCancelAccept };

struct Conn;

// What a submission's user_data points at.
struct Op {
  OpKind kind;
  Conn* conn = nullptr;
};

struct PendingRequest {
  FrameHeader header;
  std::string payload;  // as on the wire (the session uncompresses)
  Clock::time_point arrived;
};

// A change stream subscription on a connection (net/session.h hands it
// over once Subscribed is in the output). The change log's thread only
// posts it to the loop's mailbox; the loop polls it while the
// connection's output is below the subscription's bound.
struct SubState {
  Conn* conn = nullptr;
  uint64_t id = 0;  // the Subscribe's request id: its Changes frames carry it
  std::unique_ptr<engine::Subscription> sub;
  std::atomic<bool> posted{false};  // a wake-up is in the mailbox, or it waits for the batch timer
  bool closed = false;              // the loop's thread only
  bool blocked = false;             // stopped for the connection's output
  bool deferred = false;            // in the loop's list for the next batch timer
  int64_t last_pump_us = INT64_MIN / 2;  // when a poll last sent it changes
  uint64_t frame_window = 0;             // FramePacer's mark: the last window it was counted in
};

struct Conn {
  explicit Conn(const ServerContext* ctx, uint64_t session_id, int fd_)
      : fd(fd_), session(ctx, session_id), recv_op{OpKind::kRecv, this}, send_op{OpKind::kSend, this} {}

  int fd;
  Session session;   // used by one executor thread at a time, between the loop's handoffs
  Op recv_op, send_op;
  std::string in;    // received bytes [0, in_len); recv fills the tail
  size_t in_len = 0;
  size_t recv_chunk = kRecvInitialBytes;  // room offered to the next recv
  size_t recv_offered = 0;                // room the armed recv was given
  std::string out;       // replies not yet handed to send
  std::string sending;   // the buffer a send is working through
  size_t sent = 0;
  std::deque<PendingRequest> queue;
  size_t queued_bytes = 0;
  std::map<uint64_t, std::shared_ptr<SubState>> subs;  // by Subscribe request id
  bool running = false;      // a request is on the executor pool
  uint64_t running_id = 0;
  bool authenticated = false;  // the loop's copy, set when the Hello's reply comes back
  uint64_t last_fetch_micros = UINT64_MAX;  // how long this connection's last Fetch ran; unknown at first
  uint64_t last_mutate_micros = UINT64_MAX;  // and its last Mutate
  bool recv_armed = false, send_armed = false;
  bool read_closed = false;        // the peer closed or errored: no more input
  bool close_after_flush = false;  // stop reading; close once the replies are out
  bool dead = false;               // shut down; freed once no operation refers to it
  int64_t last_activity_ms = 0;

  size_t pending_output() const { return out.size() + sending.size() - sent; }
};

struct Completion {
  Conn* conn;
  std::string reply;
  MessageType type;
  uint64_t micros;       // from arrival to reply
  uint64_t exec_micros;  // running it
  uint64_t id = 0;       // the request's id
  std::shared_ptr<SubState> sub;  // set: not a reply but a subscription with news
  bool applied = false;           // set: not a reply but news that commits became visible
};

// A Mutate's reply held back until its commit is durable and visible.
struct DeferredReply {
  Conn* conn;
  uint64_t id;
  std::string reply;
  std::unique_ptr<engine::PendingCommit> pending;
  Clock::time_point arrived;
  uint64_t exec_micros;
};

}  // namespace ormdb::net::loop

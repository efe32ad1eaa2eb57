#include "net/server.h"

#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <unordered_map>

#include "net/frame_pacer.h"
#include "net/server_conn.h"
#include "net/socket.h"
#include "util/coding.h"
#include "util/thread_name.h"

namespace ormdb::net {
namespace {

using namespace loop;

constexpr unsigned kRingEntries = 1024;
constexpr int kListenBacklog = 4096;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
}

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch()).count();
}

uint64_t Micros(Clock::duration d) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}

// Changes read per poll of a subscription, and polls per turn of the loop
// (a subscriber far behind yields to the loop's other connections).
constexpr size_t kSubscriptionPollBytes = 256 * 1024;
constexpr int kSubscriptionPollsPerTurn = 16;

// A Fetch runs on the event loop itself, without the two thread hops of
// the pool (a profile of point lookups over loopback showed the scheduler's
// context switches taking most of the server's time), when the
// connection's previous Fetch ran in less than this. A connection's first
// Fetch, and any after a slow one, go to the pool, so one heavy read
// stalls the loop's other connections at most once per connection.
constexpr uint64_t kInlineFetchMaxMicros = 500;

// A Mutate runs on the event loop too. When nothing else waits for the
// loop (none of its connections' requests is on the pool or awaits a
// flush, and no other completion is ready) it holds the loop through its
// commit's flush (about a hundred µs alone) and spares the two hand-offs
// to and from the pool; with one client inserting, that cut the server's
// CPU per insert from 232 to 179 µs and its latency by 35 µs. When the
// loop is busy, the Mutate does not wait for its flush: its commit goes
// into the log, the store's flusher makes it durable (sharing the flush
// with every other commit appended meanwhile), and the reply waits in the
// loop's list until the store says the commit is visible (an applied
// listener posts to the mailbox). A commit then costs no thread hand-off
// of its own; the flusher and the loop's wake-up are shared by the group.
// A connection whose last Mutate ran longer than ServerLimits::loop_write_us
// (1 ms by default) goes to the pool (a createMany of thousands of rows),
// and a request that would wait (a migration, a conflict's retry) is
// handed back by the session and goes there too.

ErrorMessage HeaderError(const Status& st) {
  ErrorMessage e;
  e.code = st.IsNotSupported() ? ErrorCode::kNotSupported
           : st.message().find("exceeds the limit") != std::string::npos ? ErrorCode::kLimitExceeded
                                                                          : ErrorCode::kBadFrame;
  e.message = st.message();
  // "frame header.payload_length: …" names the field.
  const std::string_view prefix = "frame ";
  size_t colon = e.message.find(": ");
  if (e.message.starts_with(prefix) && colon != std::string::npos) {
    e.path = e.message.substr(prefix.size(), colon - prefix.size());
    e.message = e.message.substr(colon + 2);
  }
  return e;
}

}  // namespace

// One event loop: its listening socket, its connections, its ring.
class Server::Worker {
 public:
  Worker(Server* server, int listen_fd, size_t loops)
      : server_(server),
        ctx_(&server->ctx_),
        listen_fd_(listen_fd),
        pacer_(ctx_->limits.subscription_batch_us, ctx_->limits.subscription_frames_per_second, loops) {}
  ~Worker() {
    if (thread_.joinable()) thread_.join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
  }

  Status Start() {
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
    if (wake_fd_ < 0) return Status::FromErrno(errno, "eventfd");
    io_uring_params params{};
    if (int rc = io_uring_queue_init_params(kRingEntries, &ring_, &params); rc < 0) {
      return Status::FromErrno(-rc, "io_uring_queue_init (the server needs io_uring)");
    }
    ring_ready_ = true;
    const uint32_t idle = ctx_->limits.idle_timeout_ms;
    const int64_t tick_ms = std::clamp<int64_t>(idle / 4, 50, 1000);
    tick_ts_.tv_sec = tick_ms / 1000;
    tick_ts_.tv_nsec = (tick_ms % 1000) * 1'000'000;
    ArmAccept();
    ArmWake();
    ArmTick();
    thread_ = std::thread([this] {
      NameThisThread("ormdb-loop");
      Loop();
    });
    return Status::OK();
  }

  void Stop(int grace_ms) {
    grace_deadline_ms_.store(NowMs() + grace_ms);
    stopping_.store(true);
    Wake();
  }

  void Join() {
    if (thread_.joinable()) thread_.join();
  }

  // From an executor thread: a request's reply.
  void Post(Completion c) {
    // The wake is written under the lock: once the loop has taken this
    // completion (under the same lock) the write is done, so a loop that
    // then finds nothing left and exits never closes the eventfd under
    // an executor still writing to it.
    std::lock_guard lock(mailbox_mu_);
    // One wake per batch: a non-empty mailbox has a wake on its way, and
    // the loop takes everything in it at once (the change log posts a
    // subscription per commit, a hundred at a time).
    const bool was_empty = mailbox_.empty();
    mailbox_.push_back(std::move(c));
    if (was_empty) Wake();
  }

  // From the change log's thread (or the loop): a subscription has news.
  void PostSubscription(std::shared_ptr<SubState> st) {
    Conn* c = st->conn;
    Post(Completion{c, {}, MessageType::kChanges, 0, 0, st->id, std::move(st)});
  }

  // From the thread that made commits visible (the store's applied
  // listener): settles the deferred replies, if this loop holds any.
  void PostApplied() {
    if (deferred_count_.load() == 0) return;
    if (applied_posted_.exchange(true)) return;  // one on its way already
    Completion c{nullptr, {}, MessageType::kMutate, 0, 0, 0, nullptr};
    c.applied = true;
    Post(std::move(c));
  }

 private:
  void Wake() {
    uint64_t one = 1;
    ssize_t n = ::write(wake_fd_, &one, sizeof one);
    (void)n;  // the counter only overflows after 2^64 wakes
  }

  io_uring_sqe* Sqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    while (sqe == nullptr) {
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    return sqe;
  }

  void ArmAccept() {
    io_uring_sqe* sqe = Sqe();
    io_uring_prep_accept(sqe, listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    io_uring_sqe_set_data(sqe, &accept_op_);
    accept_armed_ = true;
  }
  void ArmWake() {
    io_uring_sqe* sqe = Sqe();
    io_uring_prep_read(sqe, wake_fd_, &wake_buf_, sizeof wake_buf_, 0);
    io_uring_sqe_set_data(sqe, &wake_op_);
  }
  void ArmTick() {
    io_uring_sqe* sqe = Sqe();
    io_uring_prep_timeout(sqe, &tick_ts_, 0, 0);
    io_uring_sqe_set_data(sqe, &tick_op_);
  }

  void Loop() {
    bool draining = false;
    for (;;) {
      if (stopping_.load() && !draining) {
        draining = true;
        BeginDrain();
      }
      if (draining && conns_.empty() && !accept_armed_) break;
      io_uring_submit_and_wait(&ring_, 1);
      io_uring_cqe* cqe;
      unsigned head, seen = 0;
      io_uring_for_each_cqe(&ring_, head, cqe) {
        ++seen;
        more_ready_ = io_uring_cq_ready(&ring_) > seen;  // completions after this one
        auto* op = static_cast<Op*>(io_uring_cqe_get_data(cqe));
        if (op != nullptr) Dispatch(*op, cqe->res);
      }
      io_uring_cq_advance(&ring_, seen);
    }
    io_uring_queue_exit(&ring_);
    ring_ready_ = false;
  }

  void Dispatch(const Op& op, int res) {
    switch (op.kind) {
      case OpKind::kAccept: return OnAccept(res);
      case OpKind::kRecv: return OnRecv(op.conn, res);
      case OpKind::kSend: return OnSend(op.conn, res);
      case OpKind::kWake: return OnWake();
      case OpKind::kTick: return OnTick();
      case OpKind::kBatch: return OnBatch();
      case OpKind::kCancelAccept: return;
    }
  }

  void OnAccept(int res) {
    accept_armed_ = false;
    if (stopping_.load()) {
      if (res >= 0) ::close(res);
      return;
    }
    ArmAccept();
    if (res < 0) return;  // ECONNABORTED, EMFILE and the like: the next accept may succeed
    Metrics& m = server_->metrics_;
    if (m.open_connections() >= static_cast<int64_t>(ctx_->limits.max_connections)) {
      m.ConnectionRefused();
      std::string frame;
      AppendFrame(&frame, MessageType::kError, 0,
                  EncodeError({ErrorCode::kLimitExceeded,
                               "too many connections (the limit is " +
                                   std::to_string(ctx_->limits.max_connections) + ")",
                               ""}));
      // Best effort: a small frame into a fresh socket's empty buffer.
      ssize_t n = ::send(res, frame.data(), frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      (void)n;
      ::close(res);
      return;
    }
    m.ConnectionOpened();
    int one = 1;
    ::setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto conn = std::make_unique<Conn>(ctx_, server_->next_session_.fetch_add(1), res);
    conn->last_activity_ms = NowMs();
    Conn* c = conn.get();
    conns_.emplace(c, std::move(conn));
    ArmRecv(c);
  }

  void ArmRecv(Conn* c) {
    if (c->recv_armed || c->dead || c->read_closed || c->close_after_flush || stopping_.load()) return;
    if (c->pending_output() > ctx_->limits.max_pending_output_bytes) return;  // a slow reader: wait for it
    if (c->queued_bytes > ctx_->limits.max_pending_input_bytes) return;
    if (c->in.size() - c->in_len < c->recv_chunk) c->in.resize(c->in_len + c->recv_chunk);
    c->recv_offered = c->in.size() - c->in_len;
    io_uring_sqe* sqe = Sqe();
    io_uring_prep_recv(sqe, c->fd, c->in.data() + c->in_len, c->recv_offered, 0);
    io_uring_sqe_set_data(sqe, &c->recv_op);
    c->recv_armed = true;
  }

  void ArmSend(Conn* c) {
    if (c->send_armed || c->dead) return;
    if (c->sent == c->sending.size()) {
      c->sending.clear();
      c->sent = 0;
      std::swap(c->sending, c->out);
    }
    if (c->sending.empty()) return;
    io_uring_sqe* sqe = Sqe();
    io_uring_prep_send(sqe, c->fd, c->sending.data() + c->sent, c->sending.size() - c->sent, MSG_NOSIGNAL);
    io_uring_sqe_set_data(sqe, &c->send_op);
    c->send_armed = true;
  }

  void OnRecv(Conn* c, int res) {
    c->recv_armed = false;
    if (c->dead) return MaybeFree(c);
    if (res <= 0) {
      c->read_closed = true;
      if (!c->running && c->queue.empty()) return Kill(c);
      return;
    }
    server_->metrics_.BytesIn(static_cast<uint64_t>(res));
    if (static_cast<size_t>(res) == c->recv_offered) c->recv_chunk = std::min(2 * c->recv_chunk, kRecvChunkBytes);
    c->in_len += static_cast<size_t>(res);
    c->last_activity_ms = NowMs();
    ParseFrames(c);
    StartNext(c);
    ArmSend(c);
    ArmRecv(c);
  }

  void OnSend(Conn* c, int res) {
    c->send_armed = false;
    if (c->dead) return MaybeFree(c);
    if (res < 0) return Kill(c);
    server_->metrics_.BytesOut(static_cast<uint64_t>(res));
    c->sent += static_cast<size_t>(res);
    c->last_activity_ms = NowMs();
    ArmSend(c);
    if (Finished(c) && (c->close_after_flush || c->read_closed || stopping_.load())) return Kill(c);
    for (auto& [id, st] : c->subs) {
      if (st->blocked && c->pending_output() < ctx_->limits.subscription_output_bytes && !st->posted.exchange(true)) {
        PostSubscription(st);  // polled on this turn's wake, not inside this loop over subs
      }
    }
    StartNext(c);
    ArmSend(c);  // an inline Fetch may have added a reply
    ArmRecv(c);
  }

  // Reads the complete frames in c->in. A bad header or checksum gets an
  // error frame and the connection is closed once it is sent: after a bad
  // length nothing that follows can be trusted to be a frame boundary.
  void ParseFrames(Conn* c) {
    size_t at = 0;
    while (!c->close_after_flush && c->in_len - at >= kFrameHeaderBytes) {
      std::string_view header(c->in.data() + at, kFrameHeaderBytes);
      const uint32_t limit = c->authenticated ? ctx_->limits.max_frame_bytes : kHandshakeMaxPayloadBytes;
      Result<FrameHeader> h = DecodeFrameHeader(header, limit);
      if (!h.ok()) {
        const uint64_t id = coding::DecodeFixed64(header.data() + 8);
        FailAndClose(c, id, HeaderError(h.status()));
        break;
      }
      if (c->in_len - at - kFrameHeaderBytes < h->payload_length) {
        // Make room for the rest of this frame in one piece.
        const size_t need = at + kFrameHeaderBytes + h->payload_length;
        if (c->in.size() < need) c->in.resize(need);
        break;
      }
      std::string_view payload(c->in.data() + at + kFrameHeaderBytes, h->payload_length);
      if (Status st = CheckPayload(*h, header, payload); !st.ok()) {
        FailAndClose(c, h->request_id, HeaderError(st));
        break;
      }
      at += kFrameHeaderBytes + h->payload_length;
      Accept(c, *h, payload);
    }
    if (at > 0) {
      std::memmove(c->in.data(), c->in.data() + at, c->in_len - at);
      c->in_len -= at;
    }
    if (c->in.size() > 2 * kRecvChunkBytes && c->in_len < kRecvChunkBytes) {
      c->in.resize(std::max(c->in_len, c->recv_chunk));
      c->in.shrink_to_fit();  // a large frame passed: do not keep its buffer
    }
  }

  // A whole, checked frame: answered here (Ping, Cancel) or queued.
  void Accept(Conn* c, const FrameHeader& h, std::string_view payload) {
    if (c->authenticated && h.type == MessageType::kPing) {
      std::string scratch;
      Result<std::string_view> p = PayloadBytes(h, payload, &scratch);
      if (!p.ok()) return Fail(c, h.request_id, {ErrorCode::kProtocol, p.status().message(), ""});
      server_->metrics_.CountRequest(h.type, 0);
      return AppendFrame(&c->out, MessageType::kPong, h.request_id, *p, c->session.compress());
    }
    if (c->authenticated && h.type == MessageType::kCancel) return Cancel(c, h, payload);
    if (h.type == MessageType::kSubscribe && c->subs.size() >= ctx_->limits.max_subscriptions) {
      return Fail(c, h.request_id,
                  {ErrorCode::kLimitExceeded,
                   "too many subscriptions on this connection (the limit is " +
                       std::to_string(ctx_->limits.max_subscriptions) + ")",
                   ""});
    }
    if (c->queue.size() + (c->running ? 1 : 0) >= ctx_->limits.max_in_flight) {
      return Fail(c, h.request_id,
                  {ErrorCode::kLimitExceeded,
                   "too many requests in flight on this connection (the limit is " +
                       std::to_string(ctx_->limits.max_in_flight) + "): wait for replies before sending more",
                   ""});
    }
    c->queue.push_back(PendingRequest{h, std::string(payload), Clock::now()});
    c->queued_bytes += payload.size();
  }

  void Cancel(Conn* c, const FrameHeader& h, std::string_view payload) {
    std::string scratch;
    Result<std::string_view> p = PayloadBytes(h, payload, &scratch);
    Result<CancelMessage> m = p.ok() ? DecodeCancel(*p) : Result<CancelMessage>(p.status());
    if (!m.ok()) return Fail(c, h.request_id, {ErrorCode::kProtocol, m.status().message(), ""});
    server_->metrics_.CountRequest(h.type, 0);
    if (auto it = c->subs.find(m->target); it != c->subs.end()) {
      std::shared_ptr<SubState> st = it->second;
      CloseSubscription(c, st);
      Fail(c, m->target, {ErrorCode::kCancelled, "unsubscribed", ""});
    } else if (c->running && c->running_id == m->target) {
      c->session.cancel().store(true);
    } else {
      for (auto it = c->queue.begin(); it != c->queue.end(); ++it) {
        if (it->header.request_id != m->target) continue;
        c->queued_bytes -= it->payload.size();
        c->queue.erase(it);
        Fail(c, m->target, {ErrorCode::kCancelled, "cancelled before it started", ""});
        break;
      }
    }
    // A target that already finished (or never was) is not an error: the
    // client raced its own reply.
    AppendFrame(&c->out, MessageType::kOk, h.request_id, EncodeOk({}), c->session.compress());
  }

  void Fail(Conn* c, uint64_t id, const ErrorMessage& e) {
    server_->metrics_.CountError(e.code);
    AppendFrame(&c->out, MessageType::kError, id, EncodeError(e), c->authenticated && c->session.compress());
  }

  void FailAndClose(Conn* c, uint64_t id, const ErrorMessage& e) {
    Fail(c, id, e);
    c->close_after_flush = true;
    c->queue.clear();
    c->queued_bytes = 0;
  }

  // Runs the connection's next request, unless one runs or the client is
  // behind on reading its replies.
  void StartNext(Conn* c) {
    while (!c->running && !c->queue.empty() && !c->dead &&
           c->pending_output() <= ctx_->limits.max_pending_output_bytes) {
      PendingRequest req = std::move(c->queue.front());
      c->queue.pop_front();
      c->queued_bytes -= req.payload.size();
      c->session.cancel().store(false);
      // Run here on the loop (kInlineFetchMaxMicros and ServerLimits::loop_write_us say when).
      const bool fetch_here = req.header.type == MessageType::kFetch && c->authenticated &&
                              c->last_fetch_micros < kInlineFetchMaxMicros;
      const bool mutate_here = req.header.type == MessageType::kMutate && c->authenticated &&
                               c->last_mutate_micros < ctx_->limits.loop_write_us;
      if (fetch_here || mutate_here) {
        const auto started = Clock::now();
        bool answered = true;
        if (fetch_here) {
          c->session.Handle(req.header, req.payload, &c->out);
        } else if (on_pool_ == 0 && !more_ready_ && awaiting_.empty()) {
          // Nothing else for the loop to do: wait for the flush right here.
          answered = c->session.HandleWithoutWaiting(req.header, req.payload, &c->out);  // else: to the pool
        } else {
          std::unique_ptr<engine::PendingCommit> pending;
          std::string reply;
          answered = c->session.HandleWithoutWaiting(req.header, req.payload, &reply, &pending);
          if (answered && pending != nullptr) {
            Defer(c, req, std::move(reply), std::move(pending), Micros(Clock::now() - started));
            return;
          }
          c->out.append(reply);
        }
        if (answered) {
          const auto now = Clock::now();
          (fetch_here ? c->last_fetch_micros : c->last_mutate_micros) = Micros(now - started);
          server_->metrics_.CountRequest(req.header.type, Micros(now - req.arrived));
          continue;
        }
      }
      c->running = true;
      ++on_pool_;
      c->running_id = req.header.request_id;
      const bool read = req.header.type == MessageType::kFetch || req.header.type == MessageType::kExplain;
      auto task = [this, c, req = std::move(req)]() mutable {
        Completion done{c, {}, req.header.type, 0, 0, req.header.request_id, nullptr};
        const auto started = Clock::now();
        c->session.Handle(req.header, req.payload, &done.reply);
        const auto now = Clock::now();
        done.micros = Micros(now - req.arrived);
        done.exec_micros = Micros(now - started);
        Post(std::move(done));
      };
      if (read) {
        server_->pool_->SubmitRead(std::move(task));
      } else {
        server_->pool_->Submit(std::move(task));
      }
    }
  }

  void OnWake() {
    std::vector<Completion> done;
    {
      std::lock_guard lock(mailbox_mu_);
      done.swap(mailbox_);
    }
    // Replies first, and their sends submitted before any subscription is
    // pumped: a writer waiting for its commit's answer should not wait
    // behind pages for a hundred subscribers.
    std::vector<std::shared_ptr<SubState>> pumps;
    bool applied = false;
    for (Completion& d : done) {
      Conn* c = d.conn;
      if (d.sub != nullptr) {
        pumps.push_back(std::move(d.sub));
        continue;
      }
      if (d.applied) {
        applied = true;
        continue;
      }
      c->running = false;
      --on_pool_;
      server_->metrics_.CountRequest(d.type, d.micros);
      if (c->dead) {
        MaybeFree(c);
        continue;
      }
      c->authenticated = c->session.authenticated();
      if (d.type == MessageType::kFetch) c->last_fetch_micros = d.exec_micros;
      if (d.type == MessageType::kMutate) c->last_mutate_micros = d.exec_micros;
      if (c->out.empty()) {
        c->out = std::move(d.reply);  // a large result is not copied again
      } else {
        c->out.append(d.reply);
      }
      if (std::unique_ptr<engine::Subscription> sub = c->session.TakeSubscription()) {
        Attach(c, d.id, std::move(sub));
      }
      if (c->session.close_after()) {
        c->close_after_flush = true;
        c->queue.clear();
        c->queued_bytes = 0;
      }
      AfterReply(c);
    }
    if (applied) SettleDeferred();
    if (!pumps.empty()) {
      io_uring_submit(&ring_);
      const int64_t now = NowUs();
      const int64_t batch = pacer_.interval_us();
      std::vector<std::shared_ptr<SubState>> due;
      for (std::shared_ptr<SubState>& st : pumps) {
        if (st->closed) continue;
        if (now - st->last_pump_us < batch) {
          // Sent changes less than a batch interval ago: the timer polls it, with
          // whatever else commits meanwhile in the same frame. `posted`
          // stays set, so the change log does not post it again till then.
          if (!st->deferred) {
            st->deferred = true;
            deferred_.push_back(std::move(st));
          }
          continue;
        }
        due.push_back(std::move(st));
      }
      PumpAll(due);
      if (!deferred_.empty()) ArmBatch();
    }
    ArmWake();
  }

  // Holds a Mutate's reply until its commit settles; the connection runs
  // nothing else meanwhile (its next request may read what this one wrote).
  void Defer(Conn* c, const PendingRequest& req, std::string reply, std::unique_ptr<engine::PendingCommit> pending,
             uint64_t exec_micros) {
    c->running = true;
    c->running_id = req.header.request_id;
    // Counted before the check below, and the listener checks the count
    // after the store publishes: one of the two sees the commit settled.
    deferred_count_.fetch_add(1);
    server_->metrics_.CommitDeferred();
    const bool settled = pending->Settled();
    awaiting_.push_back(DeferredReply{c, req.header.request_id, std::move(reply), std::move(pending), req.arrived,
                                      exec_micros});
    if (settled) PostApplied();
  }

  // Sends the replies of the deferred commits that settled, in the order
  // they were deferred.
  void SettleDeferred() {
    applied_posted_.store(false);  // before looking: a later apply posts again
    std::vector<DeferredReply> settled;
    size_t kept = 0;
    for (size_t i = 0; i < awaiting_.size(); ++i) {
      if (awaiting_[i].pending->Settled()) {
        settled.push_back(std::move(awaiting_[i]));
      } else {
        if (kept != i) awaiting_[kept] = std::move(awaiting_[i]);
        ++kept;
      }
    }
    awaiting_.resize(kept);  // before StartNext below defers more
    for (DeferredReply& d : settled) {
      Conn* c = d.conn;
      const Status st = d.pending->Finish();
      d.pending.reset();
      deferred_count_.fetch_sub(1);
      c->running = false;
      c->last_mutate_micros = d.exec_micros;
      server_->metrics_.CountRequest(MessageType::kMutate, Micros(Clock::now() - d.arrived));
      if (c->dead) {
        MaybeFree(c);
        continue;
      }
      if (st.ok()) {
        c->out.append(d.reply);
      } else {
        c->session.FailCommit(&c->out, d.id, st);
      }
      AfterReply(c);
    }
  }

  // A request's reply is in the output: the connection's next request, the
  // send, and then either the close or the next receive.
  void AfterReply(Conn* c) {
    StartNext(c);
    ArmSend(c);
    if (Finished(c) && (c->close_after_flush || c->read_closed || stopping_.load())) return Kill(c);
    ArmRecv(c);
  }

  // The batch timer: polls the subscriptions that had news within a batch
  // interval of their previous poll.
  void OnBatch() {
    batch_armed_ = false;
    std::vector<std::shared_ptr<SubState>> due;
    due.swap(deferred_);
    for (std::shared_ptr<SubState>& st : due) st->deferred = false;
    PumpAll(due);
  }

  // Pumps subscriptions woken together through one commit version, so the
  // ones with the same filter at the same token get one shared page. Their
  // `posted` flags are cleared before the version is read: a commit read
  // after that posts them again rather than waiting for the next one.
  void PumpAll(const std::vector<std::shared_ptr<SubState>>& due) {
    for (const std::shared_ptr<SubState>& st : due) st->posted.store(false);
    const uint64_t through = ctx_->db->changes().read_version();
    for (const std::shared_ptr<SubState>& st : due) {
      if (!st->closed) Pump(st, through);
    }
  }

  void ArmBatch() {
    if (batch_armed_) return;
    const int64_t us = pacer_.interval_us();
    batch_ts_.tv_sec = us / 1'000'000;
    batch_ts_.tv_nsec = static_cast<long long>(us % 1'000'000) * 1000;
    io_uring_sqe* sqe = Sqe();
    io_uring_prep_timeout(sqe, &batch_ts_, 0, 0);
    io_uring_sqe_set_data(sqe, &batch_op_);
    batch_armed_ = true;
  }

  void OnTick() {
    const int64_t now = NowMs();
    const int64_t idle = ctx_->limits.idle_timeout_ms;
    std::vector<Conn*> expired;
    for (auto& [c, owned] : conns_) {
      if (c->dead || c->running || !c->queue.empty()) continue;
      if (!c->subs.empty() && c->pending_output() == 0) continue;  // a subscriber waiting for changes
      if (idle > 0 && now - c->last_activity_ms > idle) expired.push_back(c);
    }
    for (Conn* c : expired) {
      if (c->pending_output() > 0) {
        Kill(c);  // it has not read its replies for the whole idle timeout
        continue;
      }
      FailAndClose(c, 0,
                   {ErrorCode::kIdleTimeout, "closed after " + std::to_string(idle) + " ms without a request", ""});
      ArmSend(c);
    }
    if (stopping_.load() && now > grace_deadline_ms_.load()) {
      std::vector<Conn*> all;
      for (auto& [c, owned] : conns_) all.push_back(c);
      for (Conn* c : all) {
        c->session.cancel().store(true);
        Kill(c);
      }
    }
    ArmTick();
  }

  bool Finished(const Conn* c) const { return !c->running && c->queue.empty() && c->pending_output() == 0; }

  // Stop accepting; connections with nothing to do are told and closed,
  // the others when their queued requests are answered.
  void BeginDrain() {
    if (accept_armed_) {
      io_uring_sqe* sqe = Sqe();
      io_uring_prep_cancel(sqe, &accept_op_, 0);
      io_uring_sqe_set_data(sqe, &cancel_op_);
    }
    std::vector<Conn*> all;
    for (auto& [c, owned] : conns_) all.push_back(c);
    for (Conn* c : all) {
      if (c->dead) continue;
      while (!c->subs.empty()) {
        std::shared_ptr<SubState> st = c->subs.begin()->second;
        ErrorMessage e{ErrorCode::kShuttingDown,
                       "the server is shutting down; subscribe again after token " +
                           std::to_string(st->sub->token()),
                       ""};
        CloseSubscription(c, st);
        Fail(c, st->id, e);
      }
      c->close_after_flush = true;
      if (!c->running && c->queue.empty()) {
        Fail(c, 0, {ErrorCode::kShuttingDown, "the server is shutting down", ""});
        ArmSend(c);
      }
      if (c->pending_output() == 0 && !c->running && c->queue.empty()) Kill(c);
    }
  }

  void Attach(Conn* c, uint64_t id, std::unique_ptr<engine::Subscription> sub) {
    auto st = std::make_shared<SubState>();
    st->conn = c;
    st->id = id;
    st->sub = std::move(sub);
    std::weak_ptr<SubState> weak = st;
    st->sub->SetNotify([this, weak] {
      std::shared_ptr<SubState> s = weak.lock();
      if (s != nullptr && !s->posted.exchange(true)) PostSubscription(std::move(s));
    });
    c->subs[id] = st;
    server_->metrics_.SubscriptionOpened();
    Pump(st);  // what is already committed after its token
  }

  // Ends a subscription: after this the change log never calls its notify
  // again (a wake-up already in the mailbox finds it closed).
  void CloseSubscription(Conn* c, const std::shared_ptr<SubState>& st) {
    if (st->closed) return;
    st->closed = true;
    st->sub.reset();
    c->subs.erase(st->id);
    server_->metrics_.SubscriptionClosed();
  }

  // Sends a subscription's next pages while the connection's output is
  // below the bound; past it the subscription waits for the sends (and,
  // if the change log's buffer overruns it meanwhile, lags).
  void Pump(const std::shared_ptr<SubState>& st, uint64_t through = UINT64_MAX) {
    if (st->closed) return;  // before touching the connection, which may be gone
    Conn* c = st->conn;
    if (c->dead) return;
    const size_t bound = ctx_->limits.subscription_output_bytes;
    st->blocked = false;
    for (int polls = 0;; ++polls) {
      if (c->pending_output() >= bound) {
        st->blocked = true;
        break;
      }
      if (polls == kSubscriptionPollsPerTurn) {
        if (!st->posted.exchange(true)) PostSubscription(st);
        break;
      }
      const uint64_t before = st->sub->token();
      Result<engine::ChangePage> page = st->sub->Poll(kSubscriptionPollBytes, through);
      if (!page.ok()) {
        ErrorMessage e = ErrorFor(page.status());
        e.token = e.code == ErrorCode::kTokenExpired ? ctx_->db->changes().stats().horizon : st->sub->token();
        CloseSubscription(c, st);
        Fail(c, st->id, e);
        break;
      }
      if (page->changes > 0) {
        AppendChangesFrame(&c->out, st->id, page->token, static_cast<uint32_t>(page->changes), page->json(),
                           c->session.compress());
        server_->metrics_.ChangesSent(page->changes);
        st->last_pump_us = NowUs();
        pacer_.CountFrame(&st->frame_window, st->last_pump_us);
      } else if (page->token == before) {
        break;  // nothing new: the next commit wakes it
      }
    }
    ArmSend(c);
  }

  void Kill(Conn* c) {
    while (!c->subs.empty()) CloseSubscription(c, c->subs.begin()->second);
    if (!c->dead) {
      c->dead = true;
      ::shutdown(c->fd, SHUT_RDWR);  // completes an armed recv or send
    }
    MaybeFree(c);
  }

  void MaybeFree(Conn* c) {
    if (!c->dead || c->recv_armed || c->send_armed || c->running) return;
    ::close(c->fd);
    c->session.Close();
    server_->metrics_.ConnectionClosed();
    conns_.erase(c);
  }

  Server* server_;
  const ServerContext* ctx_;
  int listen_fd_;
  int wake_fd_ = -1;
  io_uring ring_{};
  bool ring_ready_ = false;
  std::thread thread_;
  Op accept_op_{OpKind::kAccept}, wake_op_{OpKind::kWake}, tick_op_{OpKind::kTick},
      cancel_op_{OpKind::kCancelAccept};
  bool accept_armed_ = false;
  uint64_t wake_buf_ = 0;
  __kernel_timespec tick_ts_{};
  Op batch_op_{OpKind::kBatch};
  __kernel_timespec batch_ts_{};
  bool batch_armed_ = false;
  std::vector<std::shared_ptr<SubState>> deferred_;  // subscriptions the batch timer polls
  FramePacer pacer_;  // how far apart this loop's streams send frames
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> grace_deadline_ms_{0};
  std::unordered_map<Conn*, std::unique_ptr<Conn>> conns_;  // the loop's thread only
  std::vector<DeferredReply> awaiting_;        // Mutates waiting for their commits to settle
  std::atomic<int> deferred_count_{0};         // awaiting_.size(), for the applied listener's thread
  std::atomic<bool> applied_posted_{false};    // an applied completion is in the mailbox
  int on_pool_ = 0;          // requests of this loop's connections on the pool
  bool more_ready_ = false;  // completions wait behind the one being handled
  std::mutex mailbox_mu_;  // guards mailbox_
  std::vector<Completion> mailbox_;
};

Server::Server(engine::Database* db, engine::Users* users, ServerOptions options) : options_(std::move(options)) {
  ctx_.db = db;
  ctx_.users = users;
  ctx_.limits = options_.limits;
  ctx_.compression = options_.compression;
  ctx_.server_version = std::string("ormdb ") + ORMDB_VERSION;
  ctx_.metrics = &metrics_;
}

Server::~Server() { Shutdown(); }

Status Server::Start() {
  int workers = options_.workers > 0 ? options_.workers : static_cast<int>(std::thread::hardware_concurrency());
  workers = std::max(workers, 1);
  pool_ = std::make_unique<ExecutorPool>(options_.min_executors, options_.max_executors, options_.max_running_reads);
  uint16_t port = options_.port;
  for (int i = 0; i < workers; ++i) {
    Result<int> fd = ListenTcp(options_.host, port, kListenBacklog, /*reuse_port=*/true);
    if (!fd.ok()) {
      Shutdown();
      return fd.status();
    }
    if (port == 0) port = BoundPort(*fd);
    workers_.push_back(std::make_unique<Worker>(this, *fd, static_cast<size_t>(workers)));
    if (Status st = workers_.back()->Start(); !st.ok()) {
      Shutdown();
      return st;
    }
  }
  port_ = port;
  // Deferred Mutate replies wait for their commits to become visible.
  applied_listener_ = ctx_.db->store().AddAppliedListener([this] {
    for (auto& w : workers_) w->PostApplied();
  });
  running_ = true;
  return Status::OK();
}

void Server::Shutdown(int grace_ms) {
  for (auto& w : workers_) w->Stop(grace_ms);
  for (auto& w : workers_) w->Join();
  // Every deferred reply settled before its loop ended.
  if (applied_listener_ != 0) ctx_.db->store().RemoveAppliedListener(applied_listener_);
  applied_listener_ = 0;
  // The workers are done with the pool once their connections are gone;
  // the pool's destructor joins its threads.
  workers_.clear();
  pool_.reset();
  running_ = false;
}

}  // namespace ormdb::net

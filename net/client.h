// The C++ client of the wire protocol (docs/protocol.md): one connection,
// blocking I/O, used by the tests, `ormdb shell` and ormdb-bench.
//
// Requests may be pipelined: Send() writes a request and returns its id
// without waiting; Receive() returns the next reply, whichever request it
// answers. The call-style methods (Fetch, Mutate, ...) send one request and
// wait for its reply, keeping replies to earlier pipelined requests for
// later Receive() calls. A Client is used by one thread at a time.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "net/protocol.h"
#include "query/result.h"
#include "query/result_view.h"
#include "util/status.h"

namespace ormdb::net {

struct ClientOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 7600;
  std::string user = "ormdb";
  std::string password;
  std::string client_name = "ormdb-client";
  // Offer zstd (used when the server agrees). Off by default, as in
  // PostgreSQL's and MySQL's clients: on a data-center network or loopback,
  // compressing a reply costs the server more CPU than its bytes take to
  // send (a W2 fetch: 209 against 136 us of server CPU, bench/README.md).
  // Worth it on slow or metered links.
  bool compression = false;
  uint32_t max_reply_bytes = 1u << 30;
  int io_timeout_ms = 0;            // a send or receive that stalls this long fails; 0: wait
};

struct Reply {
  FrameHeader header;
  std::string payload;  // uncompressed

  MessageType type() const { return header.type; }
  uint64_t request_id() const { return header.request_id; }
  // OK unless the reply is an Error frame (then its code and message).
  Status status() const;
  Result<ErrorMessage> error() const { return DecodeError(payload); }
};

// A Reply from one frame's header and payload bytes: checks the checksum
// and uncompresses.
Result<Reply> DecodeReply(const FrameHeader& h, std::string_view header_bytes, std::string payload);

// Frames out of bytes read elsewhere, for a caller that multiplexes many
// connections with poll or epoll: Append what a read returned, then call
// Next until it says no whole frame is buffered.
class FrameBuffer {
 public:
  explicit FrameBuffer(uint32_t max_payload = 1u << 30) : max_payload_(max_payload) {}
  void Append(std::string_view bytes);
  // For reading straight into the buffer: room for `n` bytes after the
  // ones held, then Commit(bytes that arrived there). The room is kept
  // between calls, so a large frame read in pieces is not cleared again
  // for every piece.
  std::span<char> Prepare(size_t n);
  void Commit(size_t got) { end_ += got; }
  // Bytes still missing from the next frame (its header's worth when even
  // that is incomplete).
  size_t Wanted() const;
  // The bytes past the frames Next returned, which then leave the buffer.
  std::string TakeRest();
  // Sets *out to the next whole frame and returns true; false when the
  // rest of one has not arrived. A bad frame is an error (the connection
  // cannot be trusted past it).
  Result<bool> Next(Reply* out);

 private:
  uint32_t max_payload_;
  std::string buf_;  // storage: [at_, end_) holds the bytes not yet returned
  size_t at_ = 0;
  size_t end_ = 0;
};

class Client {
 public:
  // Connects and performs the handshake; an authentication failure is an
  // InvalidArgument naming the user.
  static Result<std::unique_ptr<Client>> Connect(const ClientOptions& options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const Welcome& welcome() const { return welcome_; }

  // Pipelining.
  Result<uint64_t> Send(MessageType type, std::string_view payload);
  Result<Reply> Receive();
  // Sends one request and waits for its reply (an Error reply is returned
  // as a Reply, not as a failed Result: only I/O and protocol failures are).
  Result<Reply> Call(MessageType type, std::string_view payload);

  // The call-style API. Requests are JSON text (docs/query.md).
  Result<query::QueryResult> Fetch(std::string_view request);
  Result<query::QueryResult> Mutate(std::string_view request);
  Result<query::QueryResult> Explain(std::string_view request);
  // The raw Result payload (version + blocks) of a Fetch.
  Result<Reply> FetchRaw(std::string_view request, RequestEncoding encoding = RequestEncoding::kJson);
  // A Fetch whose answer is read in place: the view points into
  // reply->payload, which the caller keeps while it uses the view.
  Result<query::ResultView> FetchView(std::string_view request, Reply* reply,
                                      RequestEncoding encoding = RequestEncoding::kJson);
  Result<uint64_t> Begin();   // the transaction's snapshot version
  Result<uint64_t> Commit();  // the commit version
  Status Rollback();
  Result<SchemaMessage> GetSchema();
  Result<PlanMessage> MigratePlan(std::string_view file_name, std::string_view schema_text);
  Result<MigratedMessage> MigrateApply(std::string_view file_name, std::string_view schema_text,
                                       bool allow_destructive = false);
  Status Ping();
  // Asks the server to stop request `target` (sent earlier with Send); its
  // reply is then an Error with code kCancelled, unless it had finished.
  Result<uint64_t> SendCancel(uint64_t target);

  // Change streams (docs/change-streams.md). Subscribe sends the spec (JSON
  // text) and waits for Subscribed; the Subscribe's request id names the
  // stream. Its Changes frames then arrive under that id, until an Error
  // frame under it ends the stream (Cancelled after Unsubscribe,
  // SubscriberLagging or TokenExpired with a token, ShuttingDown).
  struct Subscribed {
    uint64_t id = 0;
    SubscribedMessage message;
  };
  Result<Subscribed> Subscribe(std::string_view spec);
  // Sends a Cancel for the stream; its Error (Cancelled) ends the stream.
  Result<uint64_t> Unsubscribe(uint64_t subscription) { return SendCancel(subscription); }
  // The next frame for request `id` (from the stash, else the socket,
  // keeping other requests' frames for later).
  Result<Reply> ReceiveFor(uint64_t id);

  // The socket, for a caller that reads a stream's frames itself (through
  // a FrameBuffer, after Subscribe) while multiplexing many connections.
  // Reading from it and also calling Receive loses frames. The client reads
  // ahead: feed TakeUnread() to the caller's FrameBuffer first.
  int fd() const { return fd_; }
  std::string TakeUnread() { return in_.TakeRest(); }

  // The bytes this connection sent and received so far, and round trips
  // (call-style requests) made.
  uint64_t bytes_sent() const { return bytes_sent_; }
  uint64_t bytes_received() const { return bytes_received_; }

 private:
  explicit Client(int fd, ClientOptions options)
      : fd_(fd), options_(std::move(options)), in_(options_.max_reply_bytes) {}
  Status WriteAll(std::string_view bytes);
  Result<Reply> ReceiveWire();  // the next frame from the socket, past the stash
  Result<Reply> Expect(MessageType type, std::string_view payload, MessageType want);
  Result<query::QueryResult> Query(MessageType type, std::string_view request);

  int fd_;
  ClientOptions options_;
  Welcome welcome_;
  uint64_t next_id_ = 1;
  std::deque<Reply> stash_;  // replies that arrived while Call waited for another
  std::string frame_;        // reused send buffer
  FrameBuffer in_;           // received bytes not yet returned as frames
  uint64_t bytes_sent_ = 0, bytes_received_ = 0;
};

}  // namespace ormdb::net

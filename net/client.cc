#include "net/client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ormdb::net {
namespace {

constexpr size_t kRecvChunkBytes = 16 << 10;    // the least one recv offers
constexpr size_t kMaxRecvBytes = 1 << 20;       // the most
constexpr size_t kKeptBufferBytes = 4 << 20;    // a larger buffer is freed once empty

}  // namespace

Status Reply::status() const {
  if (header.type != MessageType::kError) return Status::OK();
  Result<ErrorMessage> e = DecodeError(payload);
  if (!e.ok()) return e.status().Annotate("the server's error frame");
  return StatusFor(*e);
}

Result<std::unique_ptr<Client>> Client::Connect(const ClientOptions& options) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string where = options.host + ":" + std::to_string(options.port);
  if (int rc = getaddrinfo(options.host.c_str(), std::to_string(options.port).c_str(), &hints, &res); rc != 0) {
    return Status::InvalidArgument("server address " + where + ": " + gai_strerror(rc));
  }
  int fd = -1;
  int err = 0;
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    fd = ::socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      err = errno;
      continue;
    }
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    err = errno;
    ::close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) return Status::FromErrno(err, "connecting to " + where);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (options.io_timeout_ms > 0) {
    timeval tv{options.io_timeout_ms / 1000, (options.io_timeout_ms % 1000) * 1000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  std::unique_ptr<Client> c(new Client(fd, options));
  Hello hello;
  hello.features = options.compression ? static_cast<uint32_t>(kFeatureZstd) : 0u;
  hello.user = options.user;
  hello.password = options.password;
  hello.client_name = options.client_name;
  ASSIGN_OR_RETURN(Reply r, c->Call(MessageType::kHello, EncodeHello(hello)));
  if (r.type() == MessageType::kError) return r.status().Annotate("connecting to " + where);
  if (r.type() != MessageType::kWelcome) {
    return Status::InvalidArgument("connecting to " + where + ": expected Welcome, got " +
                                   std::string(MessageTypeName(r.type())));
  }
  ASSIGN_OR_RETURN(c->welcome_, DecodeWelcome(r.payload));
  return c;
}

Client::~Client() {
  if (fd_ >= 0) ::close(fd_);
}

Status Client::WriteAll(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, "sending to the server");
    }
    bytes.remove_prefix(static_cast<size_t>(n));
    bytes_sent_ += static_cast<uint64_t>(n);
  }
  return Status::OK();
}

Result<uint64_t> Client::Send(MessageType type, std::string_view payload) {
  const uint64_t id = next_id_++;
  frame_.clear();
  const bool compress = (welcome_.features & kFeatureZstd) != 0;
  AppendFrame(&frame_, type, id, payload, compress);
  RETURN_IF_ERROR(WriteAll(frame_));
  return id;
}

Result<Reply> Client::Receive() {
  if (!stash_.empty()) {
    Reply r = std::move(stash_.front());
    stash_.pop_front();
    return r;
  }
  return ReceiveWire();
}

Result<Reply> Client::ReceiveWire() {
  // One recv takes whatever has arrived (a small reply's header and payload
  // together, or several pipelined replies) instead of one call for the
  // header and another for the payload.
  Reply r;
  for (;;) {
    ASSIGN_OR_RETURN(bool whole, in_.Next(&r));
    if (whole) return r;
    // At least a chunk, at most what the frame still lacks up to a bound (a
    // header's claim alone does not allocate a gigabyte).
    std::span<char> room = in_.Prepare(std::clamp<size_t>(in_.Wanted(), kRecvChunkBytes, kMaxRecvBytes));
    ssize_t got = ::recv(fd_, room.data(), room.size(), 0);
    in_.Commit(got > 0 ? static_cast<size_t>(got) : 0);
    if (got == 0) return Status::IOError("the server closed the connection");
    if (got < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, "receiving from the server");
    }
    bytes_received_ += static_cast<uint64_t>(got);
  }
}

Result<Reply> DecodeReply(const FrameHeader& h, std::string_view header_bytes, std::string payload) {
  RETURN_IF_ERROR(CheckPayload(h, header_bytes, payload));
  Reply r;
  r.header = h;
  if (h.flags & kFlagCompressed) {
    RETURN_IF_ERROR(PayloadBytes(h, payload, &r.payload).status());  // decompresses into r.payload
    r.header.flags &= static_cast<uint16_t>(~kFlagCompressed);
  } else {
    r.payload = std::move(payload);
  }
  return r;
}

Result<bool> FrameBuffer::Next(Reply* out) {
  if (at_ == end_) {
    at_ = end_ = 0;
    if (buf_.size() > kKeptBufferBytes) std::string().swap(buf_);  // a large frame passed
  }
  if (end_ - at_ < kFrameHeaderBytes) return false;
  std::string_view hv(buf_.data() + at_, kFrameHeaderBytes);
  ASSIGN_OR_RETURN(FrameHeader h, DecodeFrameHeader(hv, max_payload_));
  if (end_ - at_ - kFrameHeaderBytes < h.payload_length) return false;
  std::string payload = buf_.substr(at_ + kFrameHeaderBytes, h.payload_length);
  ASSIGN_OR_RETURN(*out, DecodeReply(h, hv, std::move(payload)));
  at_ += kFrameHeaderBytes + h.payload_length;
  return true;
}

void FrameBuffer::Append(std::string_view bytes) {
  std::span<char> room = Prepare(bytes.size());
  if (!bytes.empty()) std::memcpy(room.data(), bytes.data(), bytes.size());
  Commit(bytes.size());
}

std::span<char> FrameBuffer::Prepare(size_t n) {
  if (at_ > 0) {  // move the unreturned bytes to the front before growing
    std::memmove(buf_.data(), buf_.data() + at_, end_ - at_);
    end_ -= at_;
    at_ = 0;
  }
  if (buf_.size() < end_ + n) buf_.resize(end_ + n);  // only the new part is cleared
  return std::span<char>(buf_.data() + end_, n);
}

size_t FrameBuffer::Wanted() const {
  const size_t have = end_ - at_;
  if (have < kFrameHeaderBytes) return kFrameHeaderBytes - have;
  Result<FrameHeader> h = DecodeFrameHeader(std::string_view(buf_.data() + at_, kFrameHeaderBytes), max_payload_);
  if (!h.ok()) return 0;  // Next reports it
  const size_t frame = kFrameHeaderBytes + h->payload_length;
  return frame > have ? frame - have : 0;
}

std::string FrameBuffer::TakeRest() {
  std::string rest(buf_.data() + at_, end_ - at_);
  at_ = end_ = 0;
  return rest;
}

Result<Reply> Client::Call(MessageType type, std::string_view payload) {
  ASSIGN_OR_RETURN(uint64_t id, Send(type, payload));
  for (;;) {
    ASSIGN_OR_RETURN(Reply r, ReceiveWire());
    // A reply with id 0 is the server speaking for itself (idle timeout,
    // shutdown): it answers whatever was waiting.
    if (r.request_id() == id || r.request_id() == 0) return r;
    stash_.push_back(std::move(r));  // an earlier pipelined request's: for Receive()
  }
}

Result<Reply> Client::ReceiveFor(uint64_t id) {
  for (auto it = stash_.begin(); it != stash_.end(); ++it) {
    if (it->request_id() == id || it->request_id() == 0) {
      Reply r = std::move(*it);
      stash_.erase(it);
      return r;
    }
  }
  for (;;) {
    ASSIGN_OR_RETURN(Reply r, ReceiveWire());
    if (r.request_id() == id || r.request_id() == 0) return r;
    stash_.push_back(std::move(r));
  }
}

Result<Client::Subscribed> Client::Subscribe(std::string_view spec) {
  ASSIGN_OR_RETURN(uint64_t id, Send(MessageType::kSubscribe, EncodeQuery({RequestEncoding::kJson, std::string(spec)})));
  ASSIGN_OR_RETURN(Reply r, ReceiveFor(id));
  RETURN_IF_ERROR(r.status());
  if (r.type() != MessageType::kSubscribed) {
    return Status::InvalidArgument("Subscribe: expected Subscribed, got " + std::string(MessageTypeName(r.type())));
  }
  ASSIGN_OR_RETURN(SubscribedMessage m, DecodeSubscribed(r.payload));
  return Subscribed{id, m};
}

Result<Reply> Client::Expect(MessageType type, std::string_view payload, MessageType want) {
  ASSIGN_OR_RETURN(Reply r, Call(type, payload));
  RETURN_IF_ERROR(r.status());
  if (r.type() != want) {
    return Status::InvalidArgument(std::string(MessageTypeName(type)) + ": expected " +
                                   std::string(MessageTypeName(want)) + ", got " +
                                   std::string(MessageTypeName(r.type())));
  }
  return r;
}

Result<query::QueryResult> Client::Query(MessageType type, std::string_view request) {
  ASSIGN_OR_RETURN(Reply r, Expect(type, EncodeQuery({RequestEncoding::kJson, std::string(request)}),
                                   MessageType::kResult));
  ASSIGN_OR_RETURN(ResultMessage m, DecodeResult(r.payload));
  ASSIGN_OR_RETURN(query::QueryResult q, query::QueryResult::Decode(m.blocks));
  q.version = m.version;
  return q;
}

Result<query::QueryResult> Client::Fetch(std::string_view request) { return Query(MessageType::kFetch, request); }
Result<query::QueryResult> Client::Mutate(std::string_view request) { return Query(MessageType::kMutate, request); }
Result<query::QueryResult> Client::Explain(std::string_view request) {
  return Query(MessageType::kExplain, request);
}

Result<Reply> Client::FetchRaw(std::string_view request, RequestEncoding encoding) {
  return Expect(MessageType::kFetch, EncodeQuery({encoding, std::string(request)}), MessageType::kResult);
}

Result<query::ResultView> Client::FetchView(std::string_view request, Reply* reply, RequestEncoding encoding) {
  ASSIGN_OR_RETURN(*reply, FetchRaw(request, encoding));
  ASSIGN_OR_RETURN(ResultMessage m, DecodeResult(reply->payload));
  ASSIGN_OR_RETURN(query::ResultView view, query::ResultView::Parse(m.blocks));
  view.version = m.version;
  return view;
}

Result<uint64_t> Client::Begin() {
  ASSIGN_OR_RETURN(Reply r, Expect(MessageType::kBegin, {}, MessageType::kOk));
  ASSIGN_OR_RETURN(OkMessage ok, DecodeOk(r.payload));
  return ok.version;
}

Result<uint64_t> Client::Commit() {
  ASSIGN_OR_RETURN(Reply r, Expect(MessageType::kCommit, {}, MessageType::kOk));
  ASSIGN_OR_RETURN(OkMessage ok, DecodeOk(r.payload));
  return ok.version;
}

Status Client::Rollback() { return Expect(MessageType::kRollback, {}, MessageType::kOk).status(); }

Result<SchemaMessage> Client::GetSchema() {
  ASSIGN_OR_RETURN(Reply r, Expect(MessageType::kGetSchema, {}, MessageType::kSchema));
  return DecodeSchema(r.payload);
}

Result<PlanMessage> Client::MigratePlan(std::string_view file_name, std::string_view schema_text) {
  ASSIGN_OR_RETURN(Reply r, Expect(MessageType::kMigratePlan,
                                   EncodeMigrate({false, std::string(file_name), std::string(schema_text)}),
                                   MessageType::kPlan));
  return DecodePlan(r.payload);
}

Result<MigratedMessage> Client::MigrateApply(std::string_view file_name, std::string_view schema_text,
                                             bool allow_destructive) {
  ASSIGN_OR_RETURN(Reply r, Expect(MessageType::kMigrateApply,
                                   EncodeMigrate({allow_destructive, std::string(file_name),
                                                  std::string(schema_text)}),
                                   MessageType::kMigrated));
  return DecodeMigrated(r.payload);
}

Status Client::Ping() { return Expect(MessageType::kPing, "ping", MessageType::kPong).status(); }

Result<uint64_t> Client::SendCancel(uint64_t target) {
  return Send(MessageType::kCancel, EncodeCancel({target}));
}

}  // namespace ormdb::net

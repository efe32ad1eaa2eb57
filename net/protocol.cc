#include "net/protocol.h"

#include <zstd.h>

#include <cctype>
#include <cstdio>
#include <cstring>

#include "schema/convert.h"
#include "util/checksum.h"
#include "util/coding.h"

namespace ormdb::net {
namespace {

// Bounds-checked reads of a payload; errors name the message and field.
class WireReader {
 public:
  WireReader(std::string_view in, std::string_view message) : in_(in), message_(message) {}

  Result<uint8_t> U8(std::string_view field) {
    RETURN_IF_ERROR(Need(1, field));
    return static_cast<uint8_t>(in_[pos_++]);
  }
  Result<uint16_t> U16(std::string_view field) {
    RETURN_IF_ERROR(Need(2, field));
    uint16_t v = coding::DecodeFixed16(in_.data() + pos_);
    pos_ += 2;
    return v;
  }
  Result<uint32_t> U32(std::string_view field) {
    RETURN_IF_ERROR(Need(4, field));
    uint32_t v = coding::DecodeFixed32(in_.data() + pos_);
    pos_ += 4;
    return v;
  }
  Result<uint64_t> U64(std::string_view field) {
    RETURN_IF_ERROR(Need(8, field));
    uint64_t v = coding::DecodeFixed64(in_.data() + pos_);
    pos_ += 8;
    return v;
  }
  // A u32 length, then that many bytes.
  Result<std::string_view> Bytes(std::string_view field) {
    ASSIGN_OR_RETURN(uint32_t n, U32(field));
    RETURN_IF_ERROR(Need(n, field));
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  Result<std::string> Text(std::string_view field) {
    ASSIGN_OR_RETURN(std::string_view s, Bytes(field));
    if (!schema::IsValidUtf8(s)) return Error(field, "is not valid UTF-8");
    return std::string(s);
  }
  std::string_view Rest() {
    std::string_view s = in_.substr(pos_);
    pos_ = in_.size();
    return s;
  }
  Result<std::string_view> RestText(std::string_view field) {
    std::string_view s = Rest();
    if (!schema::IsValidUtf8(s)) return Error(field, "is not valid UTF-8");
    return s;
  }
  Status End() const {
    if (pos_ != in_.size()) {
      return Status::InvalidArgument(std::string(message_) + ": " + std::to_string(in_.size() - pos_) +
                                     " bytes after the last field");
    }
    return Status::OK();
  }
  Status Error(std::string_view field, std::string_view what) const {
    return Status::InvalidArgument(std::string(message_) + "." + std::string(field) + ": " + std::string(what));
  }

 private:
  Status Need(size_t n, std::string_view field) const {
    if (in_.size() - pos_ < n) {
      return Error(field, "payload ends at byte " + std::to_string(in_.size()) + ", " + std::to_string(n) +
                              " bytes needed at byte " + std::to_string(pos_));
    }
    return Status::OK();
  }
  std::string_view in_;
  std::string_view message_;
  size_t pos_ = 0;
};

class WireWriter {
 public:
  WireWriter& U8(uint8_t v) { out_.push_back(static_cast<char>(v)); return *this; }
  WireWriter& U16(uint16_t v) { char b[2]; coding::EncodeFixed16(b, v); out_.append(b, 2); return *this; }
  WireWriter& U32(uint32_t v) { coding::PutFixed32(&out_, v); return *this; }
  WireWriter& U64(uint64_t v) { coding::PutFixed64(&out_, v); return *this; }
  WireWriter& Bytes(std::string_view s) {
    U32(static_cast<uint32_t>(s.size()));
    out_.append(s);
    return *this;
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

uint64_t FrameChecksum(std::string_view header_bytes, std::string_view payload) {
  return Checksum64(payload.data(), payload.size(), Checksum64(header_bytes.data(), 24));
}

}  // namespace

bool IsKnownMessageType(uint8_t t) {
  return (t >= 0x01 && t <= 0x0d) || (t >= 0x80 && t <= 0x89);
}

std::string_view MessageTypeName(MessageType t) {
  switch (t) {
    case MessageType::kHello: return "Hello";
    case MessageType::kFetch: return "Fetch";
    case MessageType::kMutate: return "Mutate";
    case MessageType::kBegin: return "Begin";
    case MessageType::kCommit: return "Commit";
    case MessageType::kRollback: return "Rollback";
    case MessageType::kExplain: return "Explain";
    case MessageType::kGetSchema: return "GetSchema";
    case MessageType::kMigratePlan: return "MigratePlan";
    case MessageType::kMigrateApply: return "MigrateApply";
    case MessageType::kPing: return "Ping";
    case MessageType::kCancel: return "Cancel";
    case MessageType::kSubscribe: return "Subscribe";
    case MessageType::kSubscribed: return "Subscribed";
    case MessageType::kChanges: return "Changes";
    case MessageType::kError: return "Error";
    case MessageType::kWelcome: return "Welcome";
    case MessageType::kResult: return "Result";
    case MessageType::kOk: return "Ok";
    case MessageType::kSchema: return "Schema";
    case MessageType::kPlan: return "Plan";
    case MessageType::kMigrated: return "Migrated";
    case MessageType::kPong: return "Pong";
  }
  return "?";
}

std::string_view ErrorCodeName(ErrorCode c) {
  switch (c) {
    case ErrorCode::kBadFrame: return "bad frame";
    case ErrorCode::kProtocol: return "protocol error";
    case ErrorCode::kAuthFailed: return "authentication failed";
    case ErrorCode::kLimitExceeded: return "limit exceeded";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kCancelled: return "cancelled";
    case ErrorCode::kIdleTimeout: return "idle timeout";
    case ErrorCode::kShuttingDown: return "shutting down";
    case ErrorCode::kInvalidRequest: return "invalid request";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kCorruption: return "corruption";
    case ErrorCode::kIOError: return "I/O error";
    case ErrorCode::kNoSpace: return "no space";
    case ErrorCode::kNotSupported: return "not supported";
    case ErrorCode::kBusy: return "busy";
    case ErrorCode::kInternal: return "internal error";
    case ErrorCode::kTransactionState: return "transaction state";
    case ErrorCode::kTokenExpired: return "token expired";
    case ErrorCode::kSubscriberLagging: return "subscriber lagging";
  }
  return "unknown error";
}

Result<FrameHeader> DecodeFrameHeader(std::string_view b, uint32_t max_payload) {
  if (b.size() != kFrameHeaderBytes) {
    return Status::InvalidArgument("frame header: " + std::to_string(b.size()) + " bytes, expected 32");
  }
  const uint32_t magic = coding::DecodeFixed32(b.data());
  if (magic != kFrameMagic) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "frame header.magic: 0x%08x is not an ormDB frame", magic);
    return Status::InvalidArgument(buf);
  }
  FrameHeader h;
  h.version = static_cast<uint8_t>(b[4]);
  if (h.version != kProtocolVersion) {
    return Status::NotSupported("frame header.version: protocol version " + std::to_string(h.version) +
                                ", this side speaks " + std::to_string(kProtocolVersion));
  }
  const auto type = static_cast<uint8_t>(b[5]);
  if (!IsKnownMessageType(type)) {
    return Status::InvalidArgument("frame header.type: unknown message type " + std::to_string(type));
  }
  h.type = static_cast<MessageType>(type);
  h.flags = coding::DecodeFixed16(b.data() + 6);
  if ((h.flags & ~kKnownFrameFlags) != 0) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "frame header.flags: unknown flags 0x%04x", h.flags);
    return Status::InvalidArgument(buf);
  }
  h.request_id = coding::DecodeFixed64(b.data() + 8);
  h.payload_length = coding::DecodeFixed32(b.data() + 16);
  h.raw_length = coding::DecodeFixed32(b.data() + 20);
  h.checksum = coding::DecodeFixed64(b.data() + 24);
  if (h.payload_length > max_payload) {
    return Status::InvalidArgument("frame header.payload_length: " + std::to_string(h.payload_length) +
                                   " bytes exceeds the limit of " + std::to_string(max_payload));
  }
  if (h.raw_length > max_payload) {
    return Status::InvalidArgument("frame header.raw_length: " + std::to_string(h.raw_length) +
                                   " bytes exceeds the limit of " + std::to_string(max_payload));
  }
  if (!(h.flags & kFlagCompressed) && h.raw_length != h.payload_length) {
    return Status::InvalidArgument("frame header.raw_length: " + std::to_string(h.raw_length) +
                                   " differs from payload_length " + std::to_string(h.payload_length) +
                                   " in an uncompressed frame");
  }
  return h;
}

Status CheckPayload(const FrameHeader& h, std::string_view header_bytes, std::string_view payload) {
  if (payload.size() != h.payload_length) {
    return Status::InvalidArgument("frame payload: " + std::to_string(payload.size()) + " bytes, header says " +
                                   std::to_string(h.payload_length));
  }
  if (FrameChecksum(header_bytes, payload) != h.checksum) {
    return Status::Corruption("frame header.checksum: does not match the header and payload (request " +
                              std::to_string(h.request_id) + ")");
  }
  return Status::OK();
}

namespace {

constexpr int kZstdLevel = 1;
constexpr size_t kKeptCompressionBytes = size_t{4} << 20;  // a larger buffer is freed after its frame

// Each thread keeps its zstd contexts and its compression buffer: making a
// context per frame (what ZSTD_compress and ZSTD_decompress do) allocated
// and cleared its tables every time, a quarter of the server's CPU for a W2
// fetch's 5 KB reply.
struct ThreadZstdState {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  std::string out;  // compressed bytes, copied into the frame right away
  ~ThreadZstdState() {
    ZSTD_freeCCtx(cctx);
    ZSTD_freeDCtx(dctx);
  }
};

ThreadZstdState& ThreadZstd() {
  thread_local ThreadZstdState state;
  return state;
}

}  // namespace

Result<std::string_view> PayloadBytes(const FrameHeader& h, std::string_view payload, std::string* scratch) {
  if (!(h.flags & kFlagCompressed)) return payload;
  // The raw length was bounded by DecodeFrameHeader, so this allocation is too.
  unsigned long long declared = ZSTD_getFrameContentSize(payload.data(), payload.size());
  // ZSTD_decompress reads every frame in its input, skippable ones too: a
  // payload must be exactly one Zstandard frame, so no bytes ride along
  // unchecked after it.
  const bool one_frame = payload.size() >= 4 && coding::DecodeFixed32(payload.data()) == ZSTD_MAGICNUMBER &&
                         ZSTD_findFrameCompressedSize(payload.data(), payload.size()) == payload.size();
  if (!one_frame || declared == ZSTD_CONTENTSIZE_ERROR || declared == ZSTD_CONTENTSIZE_UNKNOWN ||
      declared != h.raw_length) {
    return Status::InvalidArgument("frame payload: not one zstd frame of the raw_length " +
                                   std::to_string(h.raw_length));
  }
  scratch->resize(h.raw_length);
  ZSTD_DCtx* dctx = ThreadZstd().dctx;
  size_t n = dctx != nullptr ? ZSTD_decompressDCtx(dctx, scratch->data(), scratch->size(), payload.data(), payload.size())
                             : ZSTD_decompress(scratch->data(), scratch->size(), payload.data(), payload.size());
  if (ZSTD_isError(n) || n != h.raw_length) {
    return Status::InvalidArgument(std::string("frame payload: zstd: ") +
                                   (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "wrong length"));
  }
  return std::string_view(*scratch);
}

namespace {

void WriteFrameHeader(char* h, MessageType type, uint16_t flags, uint64_t request_id, uint32_t raw_length,
                      std::string_view payload) {
  coding::EncodeFixed32(h, kFrameMagic);
  h[4] = static_cast<char>(kProtocolVersion);
  h[5] = static_cast<char>(type);
  coding::EncodeFixed16(h + 6, flags);
  coding::EncodeFixed64(h + 8, request_id);
  coding::EncodeFixed32(h + 16, static_cast<uint32_t>(payload.size()));
  coding::EncodeFixed32(h + 20, raw_length);
  coding::EncodeFixed64(h + 24, FrameChecksum(std::string_view(h, 24), payload));
}

}  // namespace

void AppendFrame(std::string* out, MessageType type, uint64_t request_id, std::string_view payload, bool compress) {
  uint16_t flags = 0;
  const auto raw_length = static_cast<uint32_t>(payload.size());
  std::string* scratch = nullptr;
  if (compress && payload.size() >= kCompressMinBytes) {
    ThreadZstdState& z = ThreadZstd();
    scratch = &z.out;
    const size_t bound = ZSTD_compressBound(payload.size());
    if (z.out.size() < bound) z.out.resize(bound);
    size_t n = z.cctx != nullptr ? ZSTD_compressCCtx(z.cctx, z.out.data(), bound, payload.data(), payload.size(), kZstdLevel)
                                 : ZSTD_compress(z.out.data(), bound, payload.data(), payload.size(), kZstdLevel);
    if (!ZSTD_isError(n) && n < payload.size()) {
      payload = std::string_view(z.out.data(), n);
      flags |= kFlagCompressed;
    }
  }
  const size_t at = out->size();
  out->resize(at + kFrameHeaderBytes);
  WriteFrameHeader(out->data() + at, type, flags, request_id, raw_length, payload);
  out->append(payload);
  if (scratch != nullptr && scratch->size() > kKeptCompressionBytes) std::string().swap(*scratch);
}

void SealFrame(std::string* frame, MessageType type, uint64_t request_id) {
  assert(frame->size() >= kFrameHeaderBytes);
  const std::string_view payload = std::string_view(*frame).substr(kFrameHeaderBytes);
  WriteFrameHeader(frame->data(), type, 0, request_id, static_cast<uint32_t>(payload.size()), payload);
}

std::string EncodeHello(const Hello& m) {
  return WireWriter().U16(m.min_version).U16(m.max_version).U32(m.features).Bytes(m.user).Bytes(m.password)
      .Bytes(m.client_name).Take();
}

Result<Hello> DecodeHello(std::string_view payload) {
  WireReader r(payload, "Hello");
  Hello m;
  ASSIGN_OR_RETURN(m.min_version, r.U16("min_version"));
  ASSIGN_OR_RETURN(m.max_version, r.U16("max_version"));
  if (m.min_version > m.max_version) return r.Error("min_version", "is above max_version");
  ASSIGN_OR_RETURN(m.features, r.U32("features"));
  ASSIGN_OR_RETURN(m.user, r.Text("user"));
  ASSIGN_OR_RETURN(m.password, r.Text("password"));
  ASSIGN_OR_RETURN(m.client_name, r.Text("client_name"));
  RETURN_IF_ERROR(r.End());
  return m;
}

std::string EncodeWelcome(const Welcome& m) {
  return WireWriter().U16(m.version).U32(m.features).U64(m.session_id).U32(m.max_frame_bytes)
      .U32(m.max_in_flight).U32(m.idle_timeout_ms).U32(m.query_timeout_ms).U64(m.max_rows_read)
      .U64(m.max_rows_returned).U64(m.commit_version).Bytes(m.server_version).Take();
}

Result<Welcome> DecodeWelcome(std::string_view payload) {
  WireReader r(payload, "Welcome");
  Welcome m;
  ASSIGN_OR_RETURN(m.version, r.U16("version"));
  ASSIGN_OR_RETURN(m.features, r.U32("features"));
  ASSIGN_OR_RETURN(m.session_id, r.U64("session_id"));
  ASSIGN_OR_RETURN(m.max_frame_bytes, r.U32("max_frame_bytes"));
  if (m.max_frame_bytes < kHandshakeMaxPayloadBytes) return r.Error("max_frame_bytes", "is below 64 KiB");
  ASSIGN_OR_RETURN(m.max_in_flight, r.U32("max_in_flight"));
  if (m.max_in_flight == 0) return r.Error("max_in_flight", "is 0");
  ASSIGN_OR_RETURN(m.idle_timeout_ms, r.U32("idle_timeout_ms"));
  ASSIGN_OR_RETURN(m.query_timeout_ms, r.U32("query_timeout_ms"));
  ASSIGN_OR_RETURN(m.max_rows_read, r.U64("max_rows_read"));
  ASSIGN_OR_RETURN(m.max_rows_returned, r.U64("max_rows_returned"));
  ASSIGN_OR_RETURN(m.commit_version, r.U64("commit_version"));
  ASSIGN_OR_RETURN(m.server_version, r.Text("server_version"));
  RETURN_IF_ERROR(r.End());
  return m;
}

std::string EncodeQuery(const QueryMessage& m) {
  std::string out = WireWriter().U8(static_cast<uint8_t>(m.encoding)).Take();
  out.append(m.request);
  return out;
}

Result<QueryMessage> DecodeQuery(std::string_view payload) {
  WireReader r(payload, "Query");
  QueryMessage m;
  ASSIGN_OR_RETURN(uint8_t enc, r.U8("encoding"));
  if (enc > 1) return r.Error("encoding", "unknown request encoding " + std::to_string(enc));
  m.encoding = static_cast<RequestEncoding>(enc);
  m.request = std::string(r.Rest());  // the request's own reader checks it
  if (m.request.empty()) return r.Error("request", "is empty");
  return m;
}

std::string EncodeMigrate(const MigrateMessage& m) {
  return WireWriter().U8(m.allow_destructive ? 1 : 0).Bytes(m.file_name).Bytes(m.schema_text).Take();
}

Result<MigrateMessage> DecodeMigrate(std::string_view payload) {
  WireReader r(payload, "Migrate");
  MigrateMessage m;
  ASSIGN_OR_RETURN(uint8_t flags, r.U8("flags"));
  if (flags > 1) return r.Error("flags", "unknown flags " + std::to_string(flags));
  m.allow_destructive = flags == 1;
  ASSIGN_OR_RETURN(m.file_name, r.Text("file_name"));
  ASSIGN_OR_RETURN(m.schema_text, r.Text("schema_text"));
  RETURN_IF_ERROR(r.End());
  return m;
}

std::string EncodeCancel(const CancelMessage& m) { return WireWriter().U64(m.target).Take(); }

Result<CancelMessage> DecodeCancel(std::string_view payload) {
  WireReader r(payload, "Cancel");
  CancelMessage m;
  ASSIGN_OR_RETURN(m.target, r.U64("target"));
  RETURN_IF_ERROR(r.End());
  return m;
}

namespace {
bool CarriesToken(ErrorCode c) { return c == ErrorCode::kTokenExpired || c == ErrorCode::kSubscriberLagging; }
}  // namespace

std::string EncodeError(const ErrorMessage& m) {
  WireWriter w;
  w.U16(static_cast<uint16_t>(m.code)).Bytes(m.message).Bytes(m.path);
  if (CarriesToken(m.code)) w.U64(m.token);
  return w.Take();
}

Result<ErrorMessage> DecodeError(std::string_view payload) {
  WireReader r(payload, "Error");
  ErrorMessage m;
  ASSIGN_OR_RETURN(uint16_t code, r.U16("code"));
  // A code this side does not know is kept: a newer server may send it.
  m.code = static_cast<ErrorCode>(code);
  ASSIGN_OR_RETURN(std::string_view message, r.Bytes("message"));
  ASSIGN_OR_RETURN(std::string_view path, r.Bytes("path"));
  m.message = std::string(message);
  m.path = std::string(path);
  if (CarriesToken(m.code)) {
    ASSIGN_OR_RETURN(m.token, r.U64("token"));
  }
  RETURN_IF_ERROR(r.End());
  return m;
}

std::string EncodeSubscribed(const SubscribedMessage& m) { return WireWriter().U64(m.token).U64(m.horizon).Take(); }

Result<SubscribedMessage> DecodeSubscribed(std::string_view payload) {
  WireReader r(payload, "Subscribed");
  SubscribedMessage m;
  ASSIGN_OR_RETURN(m.token, r.U64("token"));
  ASSIGN_OR_RETURN(m.horizon, r.U64("horizon"));
  RETURN_IF_ERROR(r.End());
  return m;
}

void AppendChanges(std::string* payload, uint64_t token, uint32_t count, std::string_view json) {
  coding::PutFixed64(payload, token);
  coding::PutFixed32(payload, count);
  payload->append(json);
}

void AppendChangesFrame(std::string* out, uint64_t request_id, uint64_t token, uint32_t count, std::string_view json,
                        bool compress) {
  const size_t payload_bytes = 12 + json.size();
  if (compress && payload_bytes >= kCompressMinBytes) {
    std::string payload;
    AppendChanges(&payload, token, count, json);
    AppendFrame(out, MessageType::kChanges, request_id, payload, true);
    return;
  }
  const size_t at = out->size();
  out->resize(at + kFrameHeaderBytes);
  AppendChanges(out, token, count, json);
  WriteFrameHeader(out->data() + at, MessageType::kChanges, 0, request_id, static_cast<uint32_t>(payload_bytes),
                   std::string_view(out->data() + at + kFrameHeaderBytes, payload_bytes));
}

Result<ChangesMessage> DecodeChanges(std::string_view payload) {
  WireReader r(payload, "Changes");
  ChangesMessage m;
  ASSIGN_OR_RETURN(m.token, r.U64("token"));
  ASSIGN_OR_RETURN(m.count, r.U32("count"));
  ASSIGN_OR_RETURN(m.json, r.RestText("json"));
  return m;
}

void AppendResult(std::string* payload, uint64_t version, std::string_view blocks) {
  coding::PutFixed64(payload, version);
  payload->append(blocks);
}

Result<ResultMessage> DecodeResult(std::string_view payload) {
  WireReader r(payload, "Result");
  ResultMessage m;
  ASSIGN_OR_RETURN(m.version, r.U64("version"));
  m.blocks = r.Rest();  // checked by the result decoder
  return m;
}

std::string EncodeOk(const OkMessage& m) { return WireWriter().U64(m.version).Take(); }

Result<OkMessage> DecodeOk(std::string_view payload) {
  WireReader r(payload, "Ok");
  OkMessage m;
  ASSIGN_OR_RETURN(m.version, r.U64("version"));
  RETURN_IF_ERROR(r.End());
  return m;
}

std::string EncodeSchema(const SchemaMessage& m) { return WireWriter().U32(m.version).Bytes(m.text).Take(); }

Result<SchemaMessage> DecodeSchema(std::string_view payload) {
  WireReader r(payload, "Schema");
  SchemaMessage m;
  ASSIGN_OR_RETURN(m.version, r.U32("version"));
  ASSIGN_OR_RETURN(m.text, r.Text("text"));
  RETURN_IF_ERROR(r.End());
  return m;
}

std::string EncodePlan(const PlanMessage& m) {
  return WireWriter().U8(static_cast<uint8_t>(m.grade)).Bytes(m.text).Take();
}

Result<PlanMessage> DecodePlan(std::string_view payload) {
  WireReader r(payload, "Plan");
  PlanMessage m;
  ASSIGN_OR_RETURN(uint8_t grade, r.U8("grade"));
  if (grade != 0 && (grade < 'A' || grade > 'D')) return r.Error("grade", "is not 0 or A..D");
  m.grade = static_cast<char>(grade);
  ASSIGN_OR_RETURN(m.text, r.Text("text"));
  RETURN_IF_ERROR(r.End());
  return m;
}

std::string EncodeMigrated(const MigratedMessage& m) {
  return WireWriter().U32(m.version).Bytes(m.report).Take();
}

Result<MigratedMessage> DecodeMigrated(std::string_view payload) {
  WireReader r(payload, "Migrated");
  MigratedMessage m;
  ASSIGN_OR_RETURN(m.version, r.U32("version"));
  ASSIGN_OR_RETURN(m.report, r.Text("report"));
  RETURN_IF_ERROR(r.End());
  return m;
}

Status DecodeEmpty(std::string_view payload, MessageType type) {
  if (!payload.empty()) {
    return Status::InvalidArgument(std::string(MessageTypeName(type)) + ": expected no payload, got " +
                                   std::to_string(payload.size()) + " bytes");
  }
  return Status::OK();
}

ErrorCode ErrorCodeFor(const Status& st) {
  switch (st.code()) {
    case StatusCode::kOk: break;
    case StatusCode::kNotFound: return ErrorCode::kNotFound;
    case StatusCode::kCorruption: return ErrorCode::kCorruption;
    case StatusCode::kIOError: return ErrorCode::kIOError;
    case StatusCode::kNoSpace: return ErrorCode::kNoSpace;
    case StatusCode::kInvalidArgument: return ErrorCode::kInvalidRequest;
    case StatusCode::kNotSupported: return ErrorCode::kNotSupported;
    case StatusCode::kBusy: return ErrorCode::kBusy;
    case StatusCode::kConflict: return ErrorCode::kConflict;
    case StatusCode::kInternal: return ErrorCode::kInternal;
    case StatusCode::kExpired: return ErrorCode::kTokenExpired;
    case StatusCode::kLagging: return ErrorCode::kSubscriberLagging;
  }
  return ErrorCode::kInternal;
}

Status StatusFor(const ErrorMessage& e) {
  std::string msg = e.path.empty() ? e.message : e.path + ": " + e.message;
  switch (e.code) {
    case ErrorCode::kNotFound: return Status::NotFound(msg);
    case ErrorCode::kConflict: return Status::Conflict(msg);
    case ErrorCode::kCorruption: return Status::Corruption(msg);
    case ErrorCode::kIOError: return Status::IOError(msg);
    case ErrorCode::kNoSpace: return Status::NoSpace(msg);
    case ErrorCode::kNotSupported: return Status::NotSupported(msg);
    case ErrorCode::kBusy:
    case ErrorCode::kLimitExceeded:
    case ErrorCode::kShuttingDown: return Status::Busy(std::string(ErrorCodeName(e.code)) + ": " + msg);
    case ErrorCode::kInternal: return Status::Internal(msg);
    case ErrorCode::kTokenExpired: return Status::Expired(msg);
    case ErrorCode::kSubscriberLagging: return Status::Lagging(msg);
    default: return Status::InvalidArgument(std::string(ErrorCodeName(e.code)) + ": " + msg);
  }
}

ErrorMessage ErrorFor(const Status& st) {
  ErrorMessage e;
  e.code = ErrorCodeFor(st);
  e.message = st.message();
  // Request errors begin with the path at fault: "include.posts.where.title: …"
  // (a path is identifiers, dots, brackets and digits).
  size_t colon = e.message.find(": ");
  if (e.code == ErrorCode::kInvalidRequest && colon != std::string::npos && colon > 0) {
    bool is_path = true;
    for (size_t i = 0; i < colon && is_path; ++i) {
      char c = e.message[i];
      is_path = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '[' || c == ']';
    }
    if (is_path) {
      e.path = e.message.substr(0, colon);
      e.message = e.message.substr(colon + 2);
    }
  }
  return e;
}

}  // namespace ormdb::net

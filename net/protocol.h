// The wire protocol (docs/protocol.md): frames with a fixed 32-byte header
// and a payload, and the messages a payload carries. Everything here is
// pure encoding and decoding, shared by the server, the client and the fuzz
// targets; the decoders read outside input, so every length, count and enum
// is checked and an error names the field at fault.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "util/status.h"

namespace ormdb::net {

constexpr uint32_t kFrameMagic = 0x504d524f;  // "ORMP" as bytes on the wire
constexpr uint8_t kProtocolVersion = 1;
constexpr size_t kFrameHeaderBytes = 32;
// Before the handshake a peer may send only this much (a Hello).
constexpr uint32_t kHandshakeMaxPayloadBytes = 64 * 1024;
// The largest payload a frame can carry (its length field is 32 bits).
constexpr size_t kMaxPayloadBytes = UINT32_MAX;
// Payloads at least this large are compressed when both sides support zstd.
constexpr uint32_t kCompressMinBytes = 4096;

enum FrameFlags : uint16_t {
  kFlagCompressed = 1,  // the payload is one zstd frame of raw_length bytes
};
constexpr uint16_t kKnownFrameFlags = kFlagCompressed;

enum Features : uint32_t {
  kFeatureZstd = 1,
};
constexpr uint32_t kKnownFeatures = kFeatureZstd;

// Never renumber: the values are on the wire. Replies have the high bit set.
enum class MessageType : uint8_t {
  kHello = 0x01,
  kFetch = 0x02,
  kMutate = 0x03,
  kBegin = 0x04,
  kCommit = 0x05,
  kRollback = 0x06,
  kExplain = 0x07,
  kGetSchema = 0x08,
  kMigratePlan = 0x09,
  kMigrateApply = 0x0a,
  kPing = 0x0b,
  kCancel = 0x0c,
  kSubscribe = 0x0d,

  kError = 0x80,
  kWelcome = 0x81,
  kResult = 0x82,
  kOk = 0x83,
  kSchema = 0x84,
  kPlan = 0x85,
  kMigrated = 0x86,
  kPong = 0x87,
  kSubscribed = 0x88,
  kChanges = 0x89,
};
bool IsKnownMessageType(uint8_t t);
std::string_view MessageTypeName(MessageType t);

// Never renumber: the values are on the wire.
enum class ErrorCode : uint16_t {
  kBadFrame = 1,         // header or checksum wrong: the connection is closed after this
  kProtocol = 2,         // a message out of place or a payload that does not decode
  kAuthFailed = 3,
  kLimitExceeded = 4,    // frame size, connections, requests in flight, rows
  kTimeout = 5,          // the request ran past its time budget
  kCancelled = 6,
  kIdleTimeout = 7,
  kShuttingDown = 8,
  kInvalidRequest = 9,   // the request does not parse or bind against the schema
  kNotFound = 10,
  kConflict = 11,        // retryable: a concurrent transaction won
  kCorruption = 12,
  kIOError = 13,
  kNoSpace = 14,
  kNotSupported = 15,
  kBusy = 16,
  kInternal = 17,
  kTransactionState = 18,  // commit without begin, begin inside a transaction, ...
  kTokenExpired = 19,      // a change stream's token is older than the retained history (token: the oldest valid)
  kSubscriberLagging = 20, // a subscriber fell too far behind (token: the last one delivered; resume after it)
};
std::string_view ErrorCodeName(ErrorCode c);

struct FrameHeader {
  uint8_t version = kProtocolVersion;
  MessageType type = MessageType::kPing;
  uint16_t flags = 0;
  uint64_t request_id = 0;
  uint32_t payload_length = 0;  // bytes that follow the header
  uint32_t raw_length = 0;      // the payload's length once uncompressed
  uint64_t checksum = 0;
};

// Checks the header's own fields: magic, version, type, flags, and that
// the lengths are within `max_payload` (a compressed payload's raw length
// too). The checksum covers the payload and is checked by CheckPayload.
Result<FrameHeader> DecodeFrameHeader(std::string_view header_bytes, uint32_t max_payload);
Status CheckPayload(const FrameHeader& h, std::string_view header_bytes, std::string_view payload);
// The payload as the message decoders read it: uncompressed when the flag
// says so (into *scratch), else the bytes given.
Result<std::string_view> PayloadBytes(const FrameHeader& h, std::string_view payload, std::string* scratch);

// Fills the header of a frame built in place: `frame` holds
// kFrameHeaderBytes of room and then the payload, which goes uncompressed.
void SealFrame(std::string* frame, MessageType type, uint64_t request_id);

// Appends one frame to *out. With `compress`, a payload of at least
// kCompressMinBytes goes compressed when that makes it smaller.
void AppendFrame(std::string* out, MessageType type, uint64_t request_id, std::string_view payload,
                 bool compress = false);

// ---- Messages ----------------------------------------------------------

enum class RequestEncoding : uint8_t {
  kJson = 0,    // the JSON text form (docs/query.md)
  kBinary = 1,  // the binary form (docs/query.md, "Binary form")
};

struct Hello {
  uint16_t min_version = kProtocolVersion;
  uint16_t max_version = kProtocolVersion;
  uint32_t features = 0;
  std::string user;
  std::string password;
  std::string client_name;
};

struct Welcome {
  uint16_t version = kProtocolVersion;
  uint32_t features = 0;
  uint64_t session_id = 0;
  uint32_t max_frame_bytes = 0;
  uint32_t max_in_flight = 0;       // requests a connection may have queued or running
  uint32_t idle_timeout_ms = 0;
  uint32_t query_timeout_ms = 0;
  uint64_t max_rows_read = 0;
  uint64_t max_rows_returned = 0;
  uint64_t commit_version = 0;      // the newest commit when the session began
  std::string server_version;
};

// Fetch, Mutate, Explain and Subscribe.
struct QueryMessage {
  RequestEncoding encoding = RequestEncoding::kJson;
  std::string request;
};

struct MigrateMessage {  // MigratePlan and MigrateApply
  bool allow_destructive = false;  // MigrateApply only: run grade D steps
  std::string file_name;
  std::string schema_text;
};

struct CancelMessage {
  uint64_t target = 0;  // the request id to cancel
};

struct ErrorMessage {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::string path;  // where in the request (or frame) the fault is; may be empty
  // kTokenExpired and kSubscriberLagging only (on the wire only for them).
  uint64_t token = 0;
};

// Subscribed: the reply to Subscribe. Changes frames follow under the
// Subscribe's request id until the subscription ends (an Error frame under
// that id: Cancelled after a Cancel, SubscriberLagging, ShuttingDown, ...).
struct SubscribedMessage {
  uint64_t token = 0;    // the stream starts after this commit version
  uint64_t horizon = 0;  // the oldest token the history still serves
};

// Changes: one page of a subscription's events, whole commits.
struct ChangesMessage {
  uint64_t token = 0;  // resume after this
  uint32_t count = 0;  // events in `json`
  std::string_view json;  // {"token": N, "changes": [...]} (docs/change-streams.md); borrowed
};

// Result: the commit version it was read at or written by, then the result
// blocks exactly as docs/result-format.md lays them out.
struct ResultMessage {
  uint64_t version = 0;
  std::string_view blocks;  // borrowed from the payload
};

struct OkMessage {
  uint64_t version = 0;  // Begin: the snapshot; Commit: the commit version; else 0
};

struct SchemaMessage {
  uint32_t version = 0;
  std::string text;
};

struct PlanMessage {
  char grade = 0;  // 'A'..'D', or 0 when nothing changes
  std::string text;
};

struct MigratedMessage {
  uint32_t version = 0;
  std::string report;
};

std::string EncodeHello(const Hello& m);
Result<Hello> DecodeHello(std::string_view payload);
std::string EncodeWelcome(const Welcome& m);
Result<Welcome> DecodeWelcome(std::string_view payload);
std::string EncodeQuery(const QueryMessage& m);
Result<QueryMessage> DecodeQuery(std::string_view payload);
std::string EncodeMigrate(const MigrateMessage& m);
Result<MigrateMessage> DecodeMigrate(std::string_view payload);
std::string EncodeCancel(const CancelMessage& m);
Result<CancelMessage> DecodeCancel(std::string_view payload);
std::string EncodeError(const ErrorMessage& m);
Result<ErrorMessage> DecodeError(std::string_view payload);
// The blocks are appended as given: the server copies the executor's
// encoding once into the frame and never re-encodes it.
void AppendResult(std::string* payload, uint64_t version, std::string_view blocks);
Result<ResultMessage> DecodeResult(std::string_view payload);
std::string EncodeOk(const OkMessage& m);
Result<OkMessage> DecodeOk(std::string_view payload);
std::string EncodeSchema(const SchemaMessage& m);
Result<SchemaMessage> DecodeSchema(std::string_view payload);
std::string EncodePlan(const PlanMessage& m);
Result<PlanMessage> DecodePlan(std::string_view payload);
std::string EncodeMigrated(const MigratedMessage& m);
Result<MigratedMessage> DecodeMigrated(std::string_view payload);
std::string EncodeSubscribed(const SubscribedMessage& m);
Result<SubscribedMessage> DecodeSubscribed(std::string_view payload);
void AppendChanges(std::string* payload, uint64_t token, uint32_t count, std::string_view json);
// A whole Changes frame appended to *out, the payload written in place
// (one copy of `json`, which a hundred subscribers of one page share).
void AppendChangesFrame(std::string* out, uint64_t request_id, uint64_t token, uint32_t count, std::string_view json,
                        bool compress);
Result<ChangesMessage> DecodeChanges(std::string_view payload);
// Begin, Commit, Rollback and GetSchema carry no payload; Ping and Pong
// carry opaque bytes that Pong echoes.
Status DecodeEmpty(std::string_view payload, MessageType type);

// The wire code for an engine Status, and back.
ErrorCode ErrorCodeFor(const Status& st);
Status StatusFor(const ErrorMessage& e);
// Splits a request error ("include.posts.where.title: expected String")
// into the path at fault and the rest; no path: the message as it is.
ErrorMessage ErrorFor(const Status& st);

}  // namespace ormdb::net

// The write-ahead log's on-disk format (docs/wal-format.md): segment files
// named by the log position they start at, each a 64-byte header followed by
// 8-byte-aligned records. A record carries its own position, so bytes that
// were moved or copied never pass for the record at another place, and a
// checksum seeded with the database id, so a log from another database never
// passes either.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"
#include "util/strong_id.h"

namespace ormdb::wal {

// A position in the log stream: the bytes of all records, in order, without
// segment headers. A segment holds the records of [start, start + size - header).
using Lsn = StrongId<struct LsnTag>;

constexpr char kSegmentMagic[8] = {'o', 'r', 'm', 'D', 'B', 'w', 'a', 'l'};
constexpr uint32_t kLogFormatVersion = 1;
constexpr size_t kSegmentHeaderBytes = 64;
constexpr size_t kRecordHeaderBytes = 32;
constexpr size_t kRecordAlignment = 8;
constexpr uint32_t kMaxRecordPayloadBytes = 1u << 30;

enum class RecordType : uint8_t {
  kCommit = 1,  // payload: a transaction's write set; version: its commit version
};

struct SegmentHeader {
  uint64_t database_id = 0;
  Lsn start;
};

// Segment header codec. Decode checks magic, version and checksum.
std::string EncodeSegmentHeader(const SegmentHeader& h);
Status DecodeSegmentHeader(std::string_view bytes, const std::string& file, SegmentHeader* out);

// "<16 hex digits of the start LSN>.wal"
std::string SegmentFileName(Lsn start);
bool ParseSegmentFileName(std::string_view name, Lsn* start);

inline size_t PaddedRecordBytes(size_t payload) {
  return (kRecordHeaderBytes + payload + kRecordAlignment - 1) / kRecordAlignment * kRecordAlignment;
}

// Appends one record (header, payload, zero padding) to *out.
void EncodeRecord(uint64_t database_id, Lsn lsn, RecordType type, uint64_t version, std::string_view payload,
                  std::string* out);

struct RecordView {
  Lsn lsn;
  RecordType type;
  uint64_t version;
  std::string_view payload;
  size_t padded_bytes;
};

enum class RecordCheck {
  kValid,
  kInvalid,      // not a whole valid record (torn, zeroed, damaged, another database's)
  kUnknownType,  // checksum fine, but a type this build does not know: a newer writer
};

// Decodes the record at the front of `bytes`, expected at position `lsn`.
RecordCheck DecodeRecord(std::string_view bytes, uint64_t database_id, Lsn lsn, RecordView* out);

// A commit record's payload: the transaction's puts and deletes, in order.
class WriteSetEncoder {
 public:
  // Returns where the key's bytes start among the operations (add
  // header_bytes() for its place in the finished payload).
  size_t Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);
  // The length of the count that Finish puts before the operations.
  size_t header_bytes() const;
  // count (varint) followed by the operations.
  std::string Finish() const;
  size_t count() const { return count_; }

 private:
  std::string ops_;
  size_t count_ = 0;
};

struct WriteOp {
  bool is_delete;
  std::string_view key;
  std::string_view value;
};

// Decodes a commit payload; Corruption naming `where` when malformed. The
// whole payload is checked before `fn` sees the first operation, so a caller
// never applies half of a malformed write set.
template <typename Fn>
Status DecodeWriteSet(std::string_view payload, const std::string& where, Fn&& fn);

}  // namespace ormdb::wal

#include "wal/log_format_inl.h"

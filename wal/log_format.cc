#include "wal/log_format.h"

#include <cstdio>
#include <cstring>

#include "util/checksum.h"
#include "util/coding.h"

namespace ormdb::wal {
namespace {

// Segment header offsets.
constexpr size_t kSegChecksum = 0;
constexpr size_t kSegMagic = 8;
constexpr size_t kSegVersion = 16;
constexpr size_t kSegDatabaseId = 24;
constexpr size_t kSegStart = 32;

// Record header offsets.
constexpr size_t kRecChecksum = 0;
constexpr size_t kRecLsn = 8;
constexpr size_t kRecLength = 16;
constexpr size_t kRecType = 20;
constexpr size_t kRecVersion = 24;

}  // namespace

std::string EncodeSegmentHeader(const SegmentHeader& h) {
  std::string b(kSegmentHeaderBytes, '\0');
  std::memcpy(b.data() + kSegMagic, kSegmentMagic, 8);
  coding::EncodeFixed32(b.data() + kSegVersion, kLogFormatVersion);
  coding::EncodeFixed64(b.data() + kSegDatabaseId, h.database_id);
  coding::EncodeFixed64(b.data() + kSegStart, h.start.value());
  coding::EncodeFixed64(b.data() + kSegChecksum, Checksum64(b.data() + 8, kSegmentHeaderBytes - 8));
  return b;
}

Status DecodeSegmentHeader(std::string_view b, const std::string& file, SegmentHeader* out) {
  if (b.size() < kSegmentHeaderBytes) {
    return Status::Corruption(file + ": log segment header cut short (" + std::to_string(b.size()) + " bytes)");
  }
  if (std::memcmp(b.data() + kSegMagic, kSegmentMagic, 8) != 0) {
    return Status::Corruption(file + ": not an ormDB log segment (bad magic)");
  }
  if (coding::DecodeFixed64(b.data() + kSegChecksum) != Checksum64(b.data() + 8, kSegmentHeaderBytes - 8)) {
    return Status::Corruption(file + ": log segment header checksum mismatch");
  }
  uint32_t version = coding::DecodeFixed32(b.data() + kSegVersion);
  if (version == 0) return Status::Corruption(file + ": log format version 0");
  if (version != kLogFormatVersion) {
    return Status::NotSupported(file + ": log format version " + std::to_string(version) +
                                "; this build reads version " + std::to_string(kLogFormatVersion));
  }
  out->database_id = coding::DecodeFixed64(b.data() + kSegDatabaseId);
  out->start = Lsn(coding::DecodeFixed64(b.data() + kSegStart));
  return Status::OK();
}

std::string SegmentFileName(Lsn start) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx.wal", static_cast<unsigned long long>(start.value()));
  return buf;
}

bool ParseSegmentFileName(std::string_view name, Lsn* start) {
  if (name.size() != 20 || name.substr(16) != ".wal") return false;
  uint64_t v = 0;
  for (char c : name.substr(0, 16)) {
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  *start = Lsn(v);
  return true;
}

void EncodeRecord(uint64_t database_id, Lsn lsn, RecordType type, uint64_t version, std::string_view payload,
                  std::string* out) {
  size_t begin = out->size();
  out->resize(begin + PaddedRecordBytes(payload.size()), '\0');
  char* p = out->data() + begin;
  coding::EncodeFixed64(p + kRecLsn, lsn.value());
  coding::EncodeFixed32(p + kRecLength, static_cast<uint32_t>(payload.size()));
  p[kRecType] = static_cast<char>(type);
  coding::EncodeFixed64(p + kRecVersion, version);
  if (!payload.empty()) std::memcpy(p + kRecordHeaderBytes, payload.data(), payload.size());
  coding::EncodeFixed64(p + kRecChecksum,
                        Checksum64(p + 8, kRecordHeaderBytes - 8 + payload.size(), database_id));
}

RecordCheck DecodeRecord(std::string_view b, uint64_t database_id, Lsn lsn, RecordView* out) {
  if (b.size() < kRecordHeaderBytes) return RecordCheck::kInvalid;
  const char* p = b.data();
  uint32_t length = coding::DecodeFixed32(p + kRecLength);
  if (length > kMaxRecordPayloadBytes || PaddedRecordBytes(length) > b.size()) return RecordCheck::kInvalid;
  if (coding::DecodeFixed64(p + kRecLsn) != lsn.value()) return RecordCheck::kInvalid;
  if (coding::DecodeFixed64(p + kRecChecksum) != Checksum64(p + 8, kRecordHeaderBytes - 8 + length, database_id)) {
    return RecordCheck::kInvalid;
  }
  RecordType type = static_cast<RecordType>(static_cast<uint8_t>(p[kRecType]));
  if (type != RecordType::kCommit) return RecordCheck::kUnknownType;
  out->lsn = lsn;
  out->type = type;
  out->version = coding::DecodeFixed64(p + kRecVersion);
  out->payload = std::string_view(p + kRecordHeaderBytes, length);
  out->padded_bytes = PaddedRecordBytes(length);
  return RecordCheck::kValid;
}

size_t WriteSetEncoder::Put(std::string_view key, std::string_view value) {
  ops_.push_back(static_cast<char>(kOpPut));
  coding::PutVarint64(&ops_, key.size());
  const size_t at = ops_.size();
  ops_.append(key);
  coding::PutVarint64(&ops_, value.size());
  ops_.append(value);
  ++count_;
  return at;
}

size_t WriteSetEncoder::header_bytes() const {
  std::string count;
  coding::PutVarint64(&count, count_);
  return count.size();
}

void WriteSetEncoder::Delete(std::string_view key) {
  ops_.push_back(static_cast<char>(kOpDelete));
  coding::PutVarint64(&ops_, key.size());
  ops_.append(key);
  ++count_;
}

std::string WriteSetEncoder::Finish() const {
  std::string out;
  coding::PutVarint64(&out, count_);
  out += ops_;
  return out;
}

}  // namespace ormdb::wal

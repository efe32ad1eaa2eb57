#include "wal/log_reader.h"

#include <algorithm>
#include <filesystem>

namespace ormdb::wal {

Result<std::unique_ptr<LogReader>> LogReader::Open(const std::string& dir, uint64_t database_id, Lsn from,
                                                   FileOpener opener) {
  std::unique_ptr<LogReader> r(new LogReader(dir, database_id, std::move(opener)));
  std::error_code ec;
  bool is_dir = std::filesystem::is_directory(dir, ec);
  ec.clear();
  if (is_dir) {
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      Lsn start;
      if (ParseSegmentFileName(entry.path().filename().string(), &start)) {
        r->segments_.push_back(SegmentFile{start, entry.path().string(), {}, false});
      }
    }
  }
  if (ec) return Status::FromErrno(ec.value(), "listing log directory " + dir);
  std::sort(r->segments_.begin(), r->segments_.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
  // Start in the last segment that begins at or before `from`.
  auto it = std::upper_bound(r->segments_.begin(), r->segments_.end(), from,
                             [](Lsn f, const SegmentFile& s) { return f < s.start; });
  if (it == r->segments_.begin()) {
    if (from == Lsn(0) && r->segments_.empty()) {
      r->done_ = true;  // a new database: no log yet
      return r;
    }
    return Status::Corruption(dir + ": the log is missing: the data file covers it up to position " +
                              from.ToString() + " but no log segment holds that position" +
                              (r->segments_.empty() ? " (no segments at all)"
                                                    : " (the first starts at " + r->segments_.front().start.ToString() + ")"));
  }
  r->current_ = static_cast<size_t>(it - r->segments_.begin()) - 1;
  r->segments_.erase(r->segments_.begin(), r->segments_.begin() + static_cast<std::ptrdiff_t>(r->current_));
  r->current_ = 0;
  r->pos_ = from;
  RETURN_IF_ERROR(r->Load(r->segments_[0]));
  SegmentFile& first = r->segments_[0];
  if (from.value() - first.start.value() > first.bytes.size() - kSegmentHeaderBytes) {
    return Status::Corruption(first.path + ": the data file covers the log up to position " + from.ToString() +
                              ", beyond this segment's end (" +
                              std::to_string(first.start.value() + first.bytes.size() - kSegmentHeaderBytes) + ")");
  }
  return r;
}

Status LogReader::Load(SegmentFile& s) {
  if (s.loaded) return Status::OK();
  FileOptions fo;
  fo.create_if_missing = false;
  ASSIGN_OR_RETURN(std::unique_ptr<File> f, opener_(s.path, fo));
  ASSIGN_OR_RETURN(uint64_t size, f->Size());
  s.bytes.resize(size);
  size_t got = 0;
  RETURN_IF_ERROR(f->ReadAt(0, std::span<char>(s.bytes.data(), s.bytes.size()), &got));
  s.bytes.resize(got);
  SegmentHeader h;
  RETURN_IF_ERROR(DecodeSegmentHeader(s.bytes, s.path, &h));
  if (h.database_id != database_id_) {
    return Status::Corruption(s.path + ": log segment of another database (id " + std::to_string(h.database_id) +
                              ", this database is " + std::to_string(database_id_) + ")");
  }
  if (h.start != s.start) {
    return Status::Corruption(s.path + ": header says the segment starts at " + h.start.ToString() +
                              ", its name says " + s.start.ToString());
  }
  s.loaded = true;
  return Status::OK();
}

bool LogReader::AnyRecordFrom(size_t first) {
  for (size_t i = first; i < segments_.size(); ++i) {
    if (!Load(segments_[i]).ok()) return true;  // let the normal path report it
    RecordView v;
    if (segments_[i].bytes.size() > kSegmentHeaderBytes &&
        DecodeRecord(std::string_view(segments_[i].bytes).substr(kSegmentHeaderBytes), database_id_,
                     segments_[i].start, &v) != RecordCheck::kInvalid) {
      return true;
    }
  }
  return false;
}

bool LogReader::ValidRecordAfter(const SegmentFile& s, size_t offset) const {
  for (size_t off = offset + kRecordAlignment; off + kRecordHeaderBytes <= s.bytes.size(); off += kRecordAlignment) {
    RecordView v;
    Lsn at(s.start.value() + (off - kSegmentHeaderBytes));
    if (DecodeRecord(std::string_view(s.bytes).substr(off), database_id_, at, &v) != RecordCheck::kInvalid) return true;
  }
  return false;
}

Result<bool> LogReader::Next(LogRecord* out) {
  while (!done_) {
    SegmentFile& s = segments_[current_];
    size_t off = kSegmentHeaderBytes + (pos_.value() - s.start.value());
    RecordView v;
    RecordCheck check = off < s.bytes.size()
                            ? DecodeRecord(std::string_view(s.bytes).substr(off), database_id_, pos_, &v)
                            : RecordCheck::kInvalid;
    if (check == RecordCheck::kUnknownType) {
      return Status::NotSupported(s.path + ": log record at position " + pos_.ToString() +
                                  " has a type this build does not know (written by a newer version?)");
    }
    if (check == RecordCheck::kValid) {
      out->lsn = pos_;
      out->type = v.type;
      out->version = v.version;
      out->payload.assign(v.payload);
      pos_ = Lsn(pos_.value() + v.padded_bytes);
      out->end = pos_;
      return true;
    }
    // No valid record here: the next segment must continue at exactly this
    // position (a restart begins a new segment where the valid log ended,
    // leaving any torn tail of the old one behind), or the log ends here.
    bool more_bytes = off < s.bytes.size();
    if (current_ + 1 < segments_.size()) {
      SegmentFile& next = segments_[current_ + 1];
      if (next.start > pos_ && !ValidRecordAfter(s, off - kRecordAlignment) && !AnyRecordFrom(current_ + 1)) {
        // The segments after the gap hold no record at all: a flush that
        // started a new segment never completed, so nothing there was ever
        // acknowledged. The log ends here; the writer clears them away.
        torn_tail_ = true;
        done_ = true;
        break;
      }
      if (next.start != pos_) {
        return Status::Corruption(next.path + ": log segment starts at " + next.start.ToString() +
                                  " but the log before it ends at " + pos_.ToString() +
                                  (next.start > pos_ ? " (records are missing)" : " (overlapping segments)"));
      }
      RETURN_IF_ERROR(Load(next));
      ++current_;
      continue;
    }
    if (more_bytes && ValidRecordAfter(s, off)) {
      return Status::Corruption(s.path + ": damaged log record at position " + pos_.ToString() + " (file offset " +
                                std::to_string(off) + ") with valid records after it");
    }
    // Zeros past the last record are the writer's preallocation, not damage.
    torn_tail_ = more_bytes && std::string_view(s.bytes).substr(off).find_first_not_of('\0') != std::string_view::npos;
    done_ = true;
  }
  return false;
}

}  // namespace ormdb::wal

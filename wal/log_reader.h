// Reads the log back for recovery, from a position to its end. The end is
// the first position where no valid record starts: a torn tail (the records
// of a flush that never completed) ends the log cleanly, but an invalid
// record followed by valid ones is corruption, as is a gap between segments
// or a segment of another database.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "util/file.h"
#include "wal/log_format.h"

namespace ormdb::wal {

struct LogRecord {
  Lsn lsn;   // where it starts
  Lsn end;   // where the next one starts
  RecordType type;
  uint64_t version;
  std::string payload;
};

class LogReader {
 public:
  // `from`: the position the data file covers the log up to. The log must
  // have a segment holding it; an empty directory is a clean, empty log only
  // when `from` is 0.
  static Result<std::unique_ptr<LogReader>> Open(const std::string& dir, uint64_t database_id, Lsn from,
                                                 FileOpener opener = OpenFile);

  // The next record; false at the end of the log.
  Result<bool> Next(LogRecord* out);

  // Past the last valid record read so far: where a writer resumes.
  Lsn end() const { return pos_; }
  // Whether the log ended in invalid bytes (a torn tail) rather than at a
  // segment's end.
  bool torn_tail() const { return torn_tail_; }

 private:
  struct SegmentFile {
    Lsn start;
    std::string path;
    std::string bytes;  // the whole segment, read when reached
    bool loaded = false;
  };
  LogReader(std::string dir, uint64_t database_id, FileOpener opener)
      : dir_(std::move(dir)), database_id_(database_id), opener_(std::move(opener)) {}
  Status Load(SegmentFile& s);
  // Whether any valid record starts after `offset` in segment `s`.
  bool ValidRecordAfter(const SegmentFile& s, size_t offset) const;
  // Whether segment `first` or a later one starts with a record.
  bool AnyRecordFrom(size_t first);

  std::string dir_;
  uint64_t database_id_;
  FileOpener opener_;
  std::vector<SegmentFile> segments_;
  size_t current_ = 0;
  Lsn pos_;
  bool torn_tail_ = false;
  bool done_ = false;
};

}  // namespace ormdb::wal

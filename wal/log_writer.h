// Appends records to the log and makes them durable with group commit: any
// number of threads append, and whoever then waits for durability either
// becomes the one that writes and fdatasyncs everything appended so far, or
// waits for that flush. Concurrent commits so share one fdatasync.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "util/file.h"
#include "wal/log_format.h"

namespace ormdb::wal {

struct LogOptions {
  uint64_t segment_bytes = uint64_t{64} << 20;  // a new segment starts past this size
  bool sync = true;                             // fdatasync before a record counts as durable
  FileOpener opener = OpenFile;
};

struct LogStats {
  uint64_t records = 0;
  uint64_t syncs = 0;   // flushes, each one fdatasync when sync is on (group commit: fewer than records)
  uint64_t bytes = 0;
};

class LogWriter {
 public:
  // Starts a fresh segment at `start` (the end of the valid log that recovery
  // found), in directory `dir`, for database `database_id`. Segments at or
  // past `start` (a torn tail's leftovers) are removed; older ones are kept
  // for RemoveSegmentsBefore.
  static Result<std::unique_ptr<LogWriter>> Open(const std::string& dir, uint64_t database_id, Lsn start,
                                                 const LogOptions& options);
  ~LogWriter();

  // Appends one record; returns the position just past it. Records are in
  // the order of the calls. Not durable until Sync covers it.
  Result<Lsn> Append(RecordType type, uint64_t version, std::string_view payload);
  // Returns once every record ending at or before `upto` is durable.
  Status Sync(Lsn upto);

  // Deletes segments whose records all lie before `lsn` (a checkpoint covers
  // them). The segment holding `lsn` is kept, so the log always shows where
  // it stands.
  Status RemoveSegmentsBefore(Lsn lsn);

  Lsn end() const;
  Lsn durable() const;
  LogStats stats() const;

 private:
  struct Segment {
    Lsn start;
    std::string path;
    std::shared_ptr<File> file;
    uint64_t size = 0;  // bytes appended (header included)
  };
  struct Pending {  // bytes appended, not yet written
    std::shared_ptr<File> file;
    uint64_t offset;
    std::string bytes;
  };
  LogWriter(std::string dir, uint64_t database_id, const LogOptions& options);
  Status StartSegment(Lsn start);  // mu_ held (or not yet shared)

  const std::string dir_;
  const uint64_t database_id_;
  const LogOptions options_;

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable flushed_;
  std::deque<Segment> segments_;
  std::vector<Pending> pending_;
  Lsn end_;
  Lsn durable_;
  bool flushing_ = false;  // a thread is writing and syncing outside the lock
  Status failure_;         // a write or sync failed: the log is unusable
  LogStats stats_;
};

}  // namespace ormdb::wal

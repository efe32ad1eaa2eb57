// Appends records to the log and makes them durable with group commit: any
// number of threads append, and whoever then waits for durability either
// becomes the one that writes everything appended so far durably (each
// write with RWF_DSYNC, docs/wal-format.md section 6), or waits for that
// flush. Concurrent commits so share one flush.
//
// A flush overwrites blocks that already exist: segments are zero-filled
// ahead of the records in chunks, so a flush rarely has a file size to
// make durable too (it then costs about half as much), and with O_DIRECT the
// partly filled last block is kept in memory and rewritten whole by the next
// flush.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "util/file.h"
#include "wal/log_format.h"

namespace ormdb::wal {

struct LogOptions {
  uint64_t segment_bytes = uint64_t{64} << 20;  // a new segment starts past this size
  bool sync = true;                             // write durably (RWF_DSYNC) before a record counts as durable
  bool direct_io = true;                        // O_DIRECT where the file system takes it
  uint64_t preallocate_bytes = uint64_t{1} << 20;  // zero-fill segments this far ahead of the records
  FileOpener opener = OpenFile;
  // Run by the thread that completed a flush, with the new durable position,
  // before Sync returns to the commits that flush covered (the store applies
  // them to its tree here, once per group). The next flush may already be
  // running meanwhile, and calls for consecutive flushes may overlap.
  std::function<void(Lsn durable)> on_durable;
};

struct LogStats {
  uint64_t records = 0;
  uint64_t syncs = 0;   // flushes, each durable writes when sync is on (group commit: fewer than records)
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
  // Returns once every record ending at or before `upto` is durable (and
  // on_durable has run for it).
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
    uint64_t size = 0;       // bytes appended (header included)
    uint64_t allocated = 0;  // bytes written to the file so far, zeros included
  };
  struct Pending {  // bytes to write: from an aligned offset, with the partial block before the new bytes
    std::shared_ptr<File> file;
    uint64_t offset;
    std::string bytes;
  };
  LogWriter(std::string dir, uint64_t database_id, const LogOptions& options);
  Status StartSegment(Lsn start);  // mu_ held (or not yet shared)
  // The flush leader's I/O, outside the lock: writes `batch` and `zeros`, syncs.
  Status WriteAndSync(std::vector<Pending>& batch, const std::shared_ptr<File>& zero_file,
                      const std::vector<WriteRequest>& zeros);

  const std::string dir_;
  const uint64_t database_id_;
  const LogOptions options_;

  // A thread in Sync waiting for a flush; each has its own condition, so a
  // flush wakes exactly the commits it covered, and one more to lead the next.
  struct Waiter {
    Lsn upto;
    std::condition_variable cv;
  };
  void WakeCovered();  // mu_ held

  mutable std::mutex mu_;  // guards everything below
  std::vector<Waiter*> waiters_;
  std::deque<Segment> segments_;
  std::vector<Pending> pending_;
  Lsn end_;
  Lsn durable_;
  Lsn done_;  // durable and on_durable has run (its calls may finish out of order: the furthest)
  bool flushing_ = false;  // a thread is writing and syncing outside the lock
  Status failure_;         // a write or sync failed: the log is unusable
  AlignedBuffer zeros_;    // preallocate_bytes of zeros, aligned
  AlignedBuffer staging_;  // the flush leader's aligned copy of the pending bytes
  size_t staging_bytes_ = 0;
  LogStats stats_;
};

}  // namespace ormdb::wal

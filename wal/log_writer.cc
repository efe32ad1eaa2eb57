#include "wal/log_writer.h"

#include <algorithm>
#include <set>

namespace ormdb::wal {

LogWriter::LogWriter(std::string dir, uint64_t database_id, const LogOptions& options)
    : dir_(std::move(dir)), database_id_(database_id), options_(options) {}

LogWriter::~LogWriter() = default;

Result<std::unique_ptr<LogWriter>> LogWriter::Open(const std::string& dir, uint64_t database_id, Lsn start,
                                                   const LogOptions& options) {
  RETURN_IF_ERROR(CreateDirectories(dir));
  std::unique_ptr<LogWriter> w(new LogWriter(dir, database_id, options));
  std::unique_lock lock(w->mu_);
  w->end_ = w->durable_ = start;
  RETURN_IF_ERROR(w->StartSegment(start));
  // The new segment's header must be durable before any record in it counts.
  Pending header = std::move(w->pending_.back());
  w->pending_.clear();
  RETURN_IF_ERROR(header.file->WriteAt(header.offset, header.bytes));
  RETURN_IF_ERROR(header.file->Sync());
  RETURN_IF_ERROR(SyncDirectory(dir));
  lock.unlock();
  return w;
}

Status LogWriter::StartSegment(Lsn start) {
  Segment s;
  s.start = start;
  s.path = dir_ + "/" + SegmentFileName(start);
  FileOptions fo;
  ASSIGN_OR_RETURN(std::unique_ptr<File> f, options_.opener(s.path, fo));
  // A segment of that name can only be left from a run whose records there
  // never became durable (recovery ended before them): start it afresh.
  RETURN_IF_ERROR(f->Truncate(0));
  s.file = std::move(f);
  pending_.push_back(Pending{s.file, 0, EncodeSegmentHeader(SegmentHeader{database_id_, start})});
  s.size = kSegmentHeaderBytes;
  segments_.push_back(std::move(s));
  return Status::OK();
}

Result<Lsn> LogWriter::Append(RecordType type, uint64_t version, std::string_view payload) {
  if (payload.size() > kMaxRecordPayloadBytes) {
    return Status::InvalidArgument("log record of " + std::to_string(payload.size()) + " bytes exceeds the " +
                                   std::to_string(kMaxRecordPayloadBytes) + "-byte limit");
  }
  std::lock_guard lock(mu_);
  if (!failure_.ok()) return failure_;
  size_t bytes = PaddedRecordBytes(payload.size());
  if (segments_.back().size + bytes > options_.segment_bytes && segments_.back().size > kSegmentHeaderBytes) {
    RETURN_IF_ERROR(StartSegment(end_));
  }
  Segment& seg = segments_.back();
  if (pending_.empty() || pending_.back().file != seg.file) pending_.push_back(Pending{seg.file, seg.size, {}});
  EncodeRecord(database_id_, end_, type, version, payload, &pending_.back().bytes);
  seg.size += bytes;
  end_ = Lsn(end_.value() + bytes);
  ++stats_.records;
  stats_.bytes += bytes;
  return end_;
}

Status LogWriter::Sync(Lsn upto) {
  std::unique_lock lock(mu_);
  while (durable_ < upto) {
    if (!failure_.ok()) return failure_;
    if (flushing_) {
      flushed_.wait(lock);
      continue;
    }
    // Lead a flush of everything appended so far.
    flushing_ = true;
    std::vector<Pending> batch;
    batch.swap(pending_);
    Lsn target = end_;
    lock.unlock();
    Status st;
    std::vector<File*> touched;
    for (const Pending& p : batch) {
      if (st.ok()) st = p.file->WriteAt(p.offset, p.bytes);
      if (std::find(touched.begin(), touched.end(), p.file.get()) == touched.end()) touched.push_back(p.file.get());
    }
    if (st.ok() && options_.sync) {
      for (File* f : touched) {
        st = f->Sync();
        if (!st.ok()) break;
      }
    }
    bool new_segment = std::any_of(batch.begin(), batch.end(), [](const Pending& p) { return p.offset == 0; });
    if (st.ok() && new_segment && options_.sync) st = SyncDirectory(dir_);
    lock.lock();
    flushing_ = false;
    if (st.ok()) {
      durable_ = target;
      ++stats_.syncs;
    } else {
      // What reached the disk is unknown; no later record may be acknowledged.
      failure_ = st.Annotate("write-ahead log (reopen the database)");
    }
    flushed_.notify_all();
  }
  return Status::OK();
}

Status LogWriter::RemoveSegmentsBefore(Lsn lsn) {
  std::vector<std::string> doomed;
  {
    std::lock_guard lock(mu_);
    while (segments_.size() > 1 && segments_[1].start <= lsn) {
      doomed.push_back(segments_.front().path);
      segments_.pop_front();
    }
  }
  for (const auto& p : doomed) RETURN_IF_ERROR(RemoveFile(p));
  return Status::OK();
}

Lsn LogWriter::end() const {
  std::lock_guard lock(mu_);
  return end_;
}

Lsn LogWriter::durable() const {
  std::lock_guard lock(mu_);
  return durable_;
}

LogStats LogWriter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace ormdb::wal

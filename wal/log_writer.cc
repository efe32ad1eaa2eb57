#include "wal/log_writer.h"

#include <algorithm>
#include <filesystem>

namespace ormdb::wal {

LogWriter::LogWriter(std::string dir, uint64_t database_id, const LogOptions& options)
    : dir_(std::move(dir)), database_id_(database_id), options_(options) {}

LogWriter::~LogWriter() = default;

Result<std::unique_ptr<LogWriter>> LogWriter::Open(const std::string& dir, uint64_t database_id, Lsn start,
                                                   const LogOptions& options) {
  bool existed = FileExists(dir);
  RETURN_IF_ERROR(CreateDirectories(dir));
  // A new directory's entry must be durable too, or a power loss could take
  // the whole log with it.
  if (!existed) RETURN_IF_ERROR(SyncDirectory(DirectoryOf(dir)));
  std::unique_ptr<LogWriter> w(new LogWriter(dir, database_id, options));
  // Segments before `start` stay until a checkpoint covers them; those past
  // it hold no valid record (recovery ended at `start`) and go, but only once
  // the new segment is in place: until then a crash must still find a
  // segment holding `start`. (A leftover of the same name is replaced
  // atomically by the new one's rename.)
  std::error_code ec;
  std::vector<Segment> old;
  std::vector<std::string> leftovers;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    Lsn seg_start;
    std::string name = entry.path().filename().string();
    if (name.ends_with(".wal.new")) {
      leftovers.push_back(entry.path().string());  // a segment never renamed into place
      continue;
    }
    if (!ParseSegmentFileName(name, &seg_start)) continue;
    if (seg_start < start) {
      old.push_back(Segment{seg_start, entry.path().string(), nullptr, 0});
    } else if (seg_start > start) {
      leftovers.push_back(entry.path().string());
    }
  }
  if (ec) return Status::FromErrno(ec.value(), "listing log directory " + dir);
  std::sort(old.begin(), old.end(), [](const Segment& a, const Segment& b) { return a.start < b.start; });
  std::lock_guard lock(w->mu_);
  for (auto& s : old) w->segments_.push_back(std::move(s));
  w->end_ = w->durable_ = start;
  RETURN_IF_ERROR(w->StartSegment(start));
  for (const auto& path : leftovers) RETURN_IF_ERROR(RemoveFile(path));
  // The removals must stick: a leftover back after a power loss would
  // overlap the new segment's records.
  if (!leftovers.empty()) RETURN_IF_ERROR(SyncDirectory(dir));
  return w;
}

Status LogWriter::StartSegment(Lsn start) {
  // Made under a temporary name with its header durable, then renamed into
  // place: a segment file that exists always has a whole header.
  Segment s;
  s.start = start;
  s.path = dir_ + "/" + SegmentFileName(start);
  const std::string tmp = s.path + ".new";
  FileOptions fo;
  ASSIGN_OR_RETURN(std::unique_ptr<File> f, options_.opener(tmp, fo));
  RETURN_IF_ERROR(f->Truncate(0));
  RETURN_IF_ERROR(f->WriteAt(0, EncodeSegmentHeader(SegmentHeader{database_id_, start})));
  if (options_.sync) RETURN_IF_ERROR(f->Sync());
  RETURN_IF_ERROR(RenameFile(tmp, s.path));
  if (options_.sync) RETURN_IF_ERROR(SyncDirectory(dir_));
  s.file = std::move(f);
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
  if (upto > end_) {
    return Status::InvalidArgument("sync up to position " + upto.ToString() + " past the log's end " +
                                   end_.ToString());
  }
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
  std::lock_guard lock(mu_);
  while (segments_.size() > 1 && segments_[1].start <= lsn) {
    // Forgotten only once gone, so a failed removal is retried next time.
    RETURN_IF_ERROR(RemoveFile(segments_.front().path));
    segments_.pop_front();
  }
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

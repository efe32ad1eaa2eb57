#include "wal/log_writer.h"

#include <algorithm>
#include <cstring>
#include <filesystem>

namespace ormdb::wal {
namespace {

uint64_t AlignDown(uint64_t x, uint64_t a) { return x / a * a; }
uint64_t AlignUp(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

}  // namespace

LogWriter::LogWriter(std::string dir, uint64_t database_id, const LogOptions& options)
    : dir_(std::move(dir)), database_id_(database_id), options_(options) {
  const size_t ahead = AlignUp(options_.preallocate_bytes, File::kDirectIoAlignment);
  if (ahead > 0) {
    zeros_ = AllocateAligned(ahead);
    std::memset(zeros_.get(), 0, ahead);
  }
}

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
  w->end_ = w->durable_ = w->done_ = start;
  RETURN_IF_ERROR(w->StartSegment(start));
  for (const auto& path : leftovers) RETURN_IF_ERROR(RemoveFile(path));
  // The removals must stick: a leftover back after a power loss would
  // overlap the new segment's records.
  if (!leftovers.empty()) RETURN_IF_ERROR(SyncDirectory(dir));
  return w;
}

Status LogWriter::StartSegment(Lsn start) {
  // Made under a temporary name with its header (and the first zero-filled
  // stretch) durable, then renamed into place: a segment file that exists
  // always has a whole header.
  Segment s;
  s.start = start;
  s.path = dir_ + "/" + SegmentFileName(start);
  const std::string tmp = s.path + ".new";
  FileOptions fo;
  fo.direct_io = options_.direct_io;
  ASSIGN_OR_RETURN(std::unique_ptr<File> f, options_.opener(tmp, fo));
  RETURN_IF_ERROR(f->Truncate(0));
  const uint64_t a = f->alignment();
  const std::string header = EncodeSegmentHeader(SegmentHeader{database_id_, start});
  const uint64_t initial =
      AlignUp(std::max<uint64_t>(header.size(), std::min(options_.preallocate_bytes, options_.segment_bytes)), a);
  AlignedBuffer block = AllocateAligned(initial);
  std::memset(block.get(), 0, initial);
  std::memcpy(block.get(), header.data(), header.size());
  RETURN_IF_ERROR(f->WriteAt(0, std::span<const char>(block.get(), initial)));
  if (options_.sync) RETURN_IF_ERROR(f->Sync());
  RETURN_IF_ERROR(RenameFile(tmp, s.path));
  if (options_.sync) RETURN_IF_ERROR(SyncDirectory(dir_));
  s.file = std::move(f);
  s.size = header.size();
  s.allocated = initial;
  // The next flush rewrites the header's block (unchanged) with the first records.
  const uint64_t from = AlignDown(s.size, a);
  pending_.push_back(Pending{s.file, from, header.substr(from)});
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
  while (done_ < upto) {
    if (!failure_.ok()) return failure_;
    if (flushing_ || durable_ >= upto) {
      // A flush is running, or ours completed and its on_durable is running.
      Waiter me{upto, {}};
      waiters_.push_back(&me);
      me.cv.wait(lock);
      waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &me));
      continue;
    }
    // Lead a flush of everything appended so far.
    flushing_ = true;
    std::vector<Pending> batch;
    batch.swap(pending_);
    Lsn target = end_;
    Segment& seg = segments_.back();
    const uint64_t a = seg.file->alignment();
    if (!batch.empty() && batch.back().file == seg.file) {
      // The last block is only partly filled: keep it for the next flush to
      // rewrite whole with the records that follow.
      const Pending& last = batch.back();
      uint64_t keep = AlignDown(seg.size, a);
      if (keep < seg.size) pending_.push_back(Pending{seg.file, keep, last.bytes.substr(keep - last.offset)});
    }
    // Zero-fill ahead once the records come within half a stretch of the
    // end of what is written, so most flushes leave the file size alone.
    std::vector<WriteRequest> zeros;
    const uint64_t data_end = AlignUp(seg.size, a);
    const uint64_t ahead = AlignUp(options_.preallocate_bytes, a);
    const uint64_t cap = AlignUp(options_.segment_bytes, a);
    uint64_t allocate_to = std::max(seg.allocated, data_end);
    if (ahead > 0 && data_end + ahead / 2 > seg.allocated && seg.allocated < cap) {
      allocate_to = std::max(allocate_to, std::min(cap, AlignUp(data_end + ahead, ahead)));
      for (uint64_t off = std::max(seg.allocated, data_end); off < allocate_to; off += ahead) {
        size_t n = static_cast<size_t>(std::min(ahead, allocate_to - off));
        zeros.push_back(WriteRequest{off, std::span<const char>(zeros_.get(), n)});
      }
    }
    const std::shared_ptr<File> seg_file = seg.file;
    lock.unlock();
    Status st = WriteAndSync(batch, seg_file, zeros);
    lock.lock();
    flushing_ = false;
    if (!st.ok()) {
      // What reached the disk is unknown; no later record may be acknowledged.
      failure_ = st.Annotate("write-ahead log (reopen the database)");
      for (Waiter* w : waiters_) w->cv.notify_one();
      return failure_;
    }
    for (auto it = segments_.rbegin(); it != segments_.rend(); ++it) {
      if (it->file == seg_file) it->allocated = std::max(it->allocated, allocate_to);
    }
    durable_ = std::max(durable_, target);
    ++stats_.syncs;
    if (options_.on_durable) {
      // Hand the next flush to a waiter now, so its I/O overlaps on_durable.
      for (Waiter* w : waiters_) {
        if (w->upto > durable_) {
          w->cv.notify_one();
          break;
        }
      }
      lock.unlock();
      options_.on_durable(target);
      lock.lock();
    }
    done_ = std::max(done_, target);
    WakeCovered();
  }
  return Status::OK();
}

void LogWriter::WakeCovered() {
  bool next_leader = flushing_;
  for (Waiter* w : waiters_) {
    if (w->upto <= done_) {
      w->cv.notify_one();
    } else if (!next_leader && w->upto > durable_) {
      w->cv.notify_one();  // leads the next flush
      next_leader = true;
    }
  }
}

Status LogWriter::WriteAndSync(std::vector<Pending>& batch, const std::shared_ptr<File>& zero_file,
                               const std::vector<WriteRequest>& zeros) {
  // Pad every write to whole blocks; with O_DIRECT also copy it into aligned
  // memory. Writes go to each file in one batched submission.
  std::vector<File*> files;
  for (const Pending& p : batch) {
    if (std::find(files.begin(), files.end(), p.file.get()) == files.end()) files.push_back(p.file.get());
  }
  if (!zeros.empty() && std::find(files.begin(), files.end(), zero_file.get()) == files.end()) {
    files.push_back(zero_file.get());
  }
  size_t staged = 0;
  for (const Pending& p : batch) {
    if (p.file->alignment() > 1) staged += AlignUp(p.bytes.size(), p.file->alignment());
  }
  if (staged > staging_bytes_) {
    staging_bytes_ = std::max(staged, staging_bytes_ * 2);
    staging_ = AllocateAligned(staging_bytes_);
  }
  std::vector<WriteRequest> writes;
  for (File* f : files) {
    writes.clear();
    size_t at = 0;
    for (const Pending& p : batch) {
      if (p.file.get() != f || p.bytes.empty()) continue;
      const uint64_t a = f->alignment();
      if (a == 1) {
        writes.push_back(WriteRequest{p.offset, p.bytes});
        continue;
      }
      const size_t n = AlignUp(p.bytes.size(), a);
      std::memcpy(staging_.get() + at, p.bytes.data(), p.bytes.size());
      std::memset(staging_.get() + at + p.bytes.size(), 0, n - p.bytes.size());
      writes.push_back(WriteRequest{p.offset, std::span<const char>(staging_.get() + at, n)});
      at += n;
    }
    if (f == zero_file.get()) writes.insert(writes.end(), zeros.begin(), zeros.end());
    // Every byte of the log reaches the file through here, so the writes
    // of this flush are all that a sync has to cover: each carries its own.
    if (!writes.empty()) RETURN_IF_ERROR(options_.sync ? f->WriteDurable(writes) : f->WriteBatch(writes));
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

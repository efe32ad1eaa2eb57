// Files of the data directory. Reads, writes and syncs go through io_uring
// (one ring per thread, so concurrent readers don't queue behind each other),
// with batched submission for the many page writes of a commit. The exception
// is a buffered file's writes: they only copy into the OS cache, which
// io_uring would hand to a worker thread one page at a time, so they run on
// the calling thread as pwritev calls, adjacent pages joined. O_DIRECT is
// used when asked for and the file system accepts it; otherwise the file
// falls back to buffered I/O, and a kernel without io_uring falls back to
// pread/pwrite. Writes that must be durable at once (the log's) carry
// RWF_DSYNC instead of being followed by an fdatasync. Every error names the
// file, the offset and the errno.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "util/status.h"

namespace ormdb {

struct WriteRequest {
  uint64_t offset = 0;
  std::span<const char> data;
};

struct ReadRequest {
  uint64_t offset = 0;
  std::span<char> buf;
  size_t bytes_read = 0;  // set by ReadBatch; less than buf.size() only at end of file
};

class File {
 public:
  virtual ~File() = default;

  const std::string& path() const { return path_; }
  // Buffers, offsets and lengths must be multiples of this (4096 with O_DIRECT).
  size_t alignment() const { return direct_io_ ? kDirectIoAlignment : 1; }
  bool direct_io() const { return direct_io_; }

  // Reads every request; bytes_read < size only where the file ends.
  virtual Status ReadBatch(std::span<ReadRequest> reads) = 0;
  // Writes every request fully, submitting them together; fails as a whole.
  virtual Status WriteBatch(std::span<const WriteRequest> writes) = 0;
  // Makes all completed writes durable (fdatasync).
  virtual Status Sync() = 0;
  // Writes every request and makes those writes durable, as WriteBatch then
  // Sync would, but each write carries its own sync (RWF_DSYNC): on a file
  // written in place this is one operation per write rather than a write and
  // then an fdatasync, which io_uring would hand to a worker thread and so
  // cost the caller two more context switches. Only the requests' bytes
  // (and what is needed to read them back) are made durable, not other
  // writes still in the cache: callers whose earlier writes are not durable
  // yet use WriteBatch and Sync.
  virtual Status WriteDurable(std::span<const WriteRequest> writes);
  virtual Result<uint64_t> Size() = 0;
  virtual Status Truncate(uint64_t size) = 0;

  Status ReadAt(uint64_t offset, std::span<char> buf, size_t* bytes_read);
  Status WriteAt(uint64_t offset, std::span<const char> data);

  static constexpr size_t kDirectIoAlignment = 4096;

 protected:
  File(std::string path, bool direct_io) : path_(std::move(path)), direct_io_(direct_io) {}

 private:
  std::string path_;
  bool direct_io_;
};

struct FileOptions {
  bool create_if_missing = true;
  bool direct_io = false;   // try O_DIRECT; fall back to buffered I/O if refused
  bool use_io_uring = true; // false forces pread/pwrite (also the automatic fallback)
};

Result<std::unique_ptr<File>> OpenFile(const std::string& path, const FileOptions& options);

// How a layer opens its files; tests substitute one that injects faults.
using FileOpener = std::function<Result<std::unique_ptr<File>>(const std::string&, const FileOptions&)>;

bool FileExists(const std::string& path);
Status RemoveFile(const std::string& path);
// Atomically replaces `to` with `from` (rename(2)); sync the directory after.
Status RenameFile(const std::string& from, const std::string& to);
// The directory part of a path ("." when it has none).
std::string DirectoryOf(const std::string& path);
// fsyncs a directory so a created or renamed file's entry is durable.
Status SyncDirectory(const std::string& dir);
Status CreateDirectories(const std::string& dir);

// Whether this process performs I/O through io_uring (false after a fallback).
bool IoUringAvailable();

// Memory aligned for O_DIRECT, freed with std::free.
struct AlignedFree {
  void operator()(char* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<char[], AlignedFree>;
AlignedBuffer AllocateAligned(size_t size, size_t alignment = File::kDirectIoAlignment);

}  // namespace ormdb

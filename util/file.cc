#include "util/file.h"

#include <fcntl.h>
#include <liburing.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <vector>

namespace ormdb {
namespace {

constexpr unsigned kRingEntries = 64;

std::atomic<bool> g_uring_disabled{false};

std::string Where(const std::string& path, const char* op, uint64_t offset) {
  return std::string(op) + " " + path + " at offset " + std::to_string(offset);
}

// One io_uring per thread: submission and completion stay on the thread that
// asked, so no lock is needed and readers on different threads overlap I/O.
class ThreadRing {
 public:
  ThreadRing() {
    if (g_uring_disabled.load(std::memory_order_relaxed)) return;
    int rc = io_uring_queue_init(kRingEntries, &ring_, 0);
    if (rc < 0) {
      bool expected = false;
      if (g_uring_disabled.compare_exchange_strong(expected, true)) {
        std::fprintf(stderr, "ormdb: io_uring unavailable (%s); using pread/pwrite\n", std::strerror(-rc));
      }
      return;
    }
    ok_ = true;
    owner_ = ::getpid();
  }
  ~ThreadRing();
  // A ring belongs to the process that made it: after fork() the child
  // shares its memory with the parent, so the child must not submit to it.
  bool ok() const { return ok_ && owner_ == ::getpid(); }
  io_uring* get() { return &ring_; }

 private:
  io_uring ring_{};
  bool ok_ = false;
  pid_t owner_ = 0;
};

// Set once the thread's ring is destroyed. Thread-locals of the main thread
// die before static objects do, so a database held in a static closes (and
// writes its checkpoint) after its ring is gone: it then uses pread/pwrite.
// A bool needs no destructor, so this stays readable to the very end.
thread_local bool t_ring_gone = false;

ThreadRing::~ThreadRing() {
  if (ok_) io_uring_queue_exit(&ring_);
  ok_ = false;
  t_ring_gone = true;
}

ThreadRing* CurrentRing() {
  if (t_ring_gone) return nullptr;
  thread_local ThreadRing ring;
  return ring.ok() ? &ring : nullptr;
}

// One pending operation: a read or a write of [offset, offset+len), resumed
// after a short transfer until done.
struct Op {
  bool write;
  uint64_t offset;
  char* buf;
  size_t len;
  size_t done = 0;
  bool eof = false;
  bool dsync = false;  // a write that is durable when it completes (RWF_DSYNC)
};

// RWF_DSYNC is refused (EOPNOTSUPP, or EINVAL from kernels that predate it)
// by some file systems; such a write falls back to a write and an fdatasync.
bool DsyncRefused(int err) { return err == EOPNOTSUPP || err == EINVAL; }

class PosixFile final : public File {
 public:
  PosixFile(std::string path, int fd, bool direct, bool use_uring)
      : File(std::move(path), direct), fd_(fd), use_uring_(use_uring) {}
  ~PosixFile() override { ::close(fd_); }

  Status ReadBatch(std::span<ReadRequest> reads) override {
    std::vector<Op> ops;
    ops.reserve(reads.size());
    for (auto& r : reads) ops.push_back(Op{false, r.offset, r.buf.data(), r.buf.size()});
    RETURN_IF_ERROR(Run(ops));
    for (size_t i = 0; i < reads.size(); ++i) reads[i].bytes_read = ops[i].done;
    return Status::OK();
  }

  Status WriteBatch(std::span<const WriteRequest> writes) override {
    // A buffered write copies into the OS cache and never waits for the
    // device, but io_uring has no non-blocking path for it on ext4 and hands
    // each one to a worker thread: a commit of ~1,300 scattered pages took
    // 1.5x as long that way as with pwritev on this thread (bench/README.md).
    if (!direct_io()) return WriteBuffered(writes, 0);
    return RunWrites(writes, false);
  }

  Status WriteDurable(std::span<const WriteRequest> writes) override {
    if (!dsync_refused_.load(std::memory_order_relaxed)) {
      Status st = direct_io() ? RunWrites(writes, true) : WriteBuffered(writes, RWF_DSYNC);
      // Refused: rewrite the same bytes without the flag, then fdatasync.
      if (st.ok() || !dsync_refused_.load(std::memory_order_relaxed)) return st;
    }
    return File::WriteDurable(writes);
  }

  Status Sync() override {
    if (ThreadRing* ring = use_uring_ ? CurrentRing() : nullptr) {
      io_uring_sqe* sqe = io_uring_get_sqe(ring->get());
      io_uring_prep_fsync(sqe, fd_, IORING_FSYNC_DATASYNC);
      io_uring_submit(ring->get());
      io_uring_cqe* cqe = nullptr;
      int rc;
      do { rc = io_uring_wait_cqe(ring->get(), &cqe); } while (rc == -EINTR);
      if (rc < 0) return Status::FromErrno(-rc, "waiting for fdatasync of " + path());
      int res = cqe->res;
      io_uring_cqe_seen(ring->get(), cqe);
      if (res < 0) return Status::FromErrno(-res, "fdatasync " + path());
      return Status::OK();
    }
    if (::fdatasync(fd_) != 0) return Status::FromErrno(errno, "fdatasync " + path());
    return Status::OK();
  }

  Result<uint64_t> Size() override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return Status::FromErrno(errno, "fstat " + path());
    return static_cast<uint64_t>(st.st_size);
  }

  Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      return Status::FromErrno(errno, "ftruncate " + path() + " to " + std::to_string(size));
    }
    return Status::OK();
  }

 private:
  Status Run(std::vector<Op>& ops) {
    if (ThreadRing* ring = use_uring_ ? CurrentRing() : nullptr) return RunUring(ring->get(), ops);
    for (Op& op : ops) RETURN_IF_ERROR(RunBlocking(op));
    return Status::OK();
  }

  Status RunWrites(std::span<const WriteRequest> writes, bool dsync) {
    std::vector<Op> ops;
    ops.reserve(writes.size());
    for (auto& w : writes) {
      ops.push_back(Op{true, w.offset, const_cast<char*>(w.data.data()), w.data.size()});
      ops.back().dsync = dsync;
    }
    return Run(ops);
  }

  // Writes requests in order, joining runs of adjacent ones into one
  // pwritev2 with `flags`.
  Status WriteBuffered(std::span<const WriteRequest> writes, int flags) {
    std::vector<iovec> iov;
    size_t i = 0;
    while (i < writes.size()) {
      const uint64_t start = writes[i].offset;
      uint64_t end = start;
      iov.clear();
      while (i < writes.size() && writes[i].offset == end && iov.size() < IOV_MAX) {
        if (!writes[i].data.empty()) {
          iov.push_back(iovec{const_cast<char*>(writes[i].data.data()), writes[i].data.size()});
        }
        end += writes[i].data.size();
        ++i;
      }
      RETURN_IF_ERROR(WriteVector(start, iov, flags));
    }
    return Status::OK();
  }

  // Writes all of `iov` at `offset`, resuming after short writes.
  Status WriteVector(uint64_t offset, std::vector<iovec>& iov, int flags) {
    size_t first = 0;
    while (first < iov.size()) {
      ssize_t n = ::pwritev2(fd_, iov.data() + first, static_cast<int>(iov.size() - first),
                             static_cast<off_t>(offset), flags);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (flags != 0 && DsyncRefused(errno)) dsync_refused_.store(true, std::memory_order_relaxed);
        return Status::FromErrno(errno, Where(path(), "write", offset));
      }
      if (n == 0) return Status::IOError(Where(path(), "write made no progress:", offset));
      offset += static_cast<uint64_t>(n);
      for (size_t left = static_cast<size_t>(n); left > 0;) {
        if (left >= iov[first].iov_len) {
          left -= iov[first].iov_len;
          ++first;
        } else {
          iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
          iov[first].iov_len -= left;
          left = 0;
        }
      }
    }
    return Status::OK();
  }

  Status RunBlocking(Op& op) {
    while (op.done < op.len) {
      iovec v{op.buf + op.done, op.len - op.done};
      const off_t at = static_cast<off_t>(op.offset + op.done);
      ssize_t n = op.write ? ::pwritev2(fd_, &v, 1, at, op.dsync ? RWF_DSYNC : 0) : ::preadv(fd_, &v, 1, at);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (op.dsync && DsyncRefused(errno)) dsync_refused_.store(true, std::memory_order_relaxed);
        return Status::FromErrno(errno, Where(path(), op.write ? "write" : "read", op.offset + op.done));
      }
      if (n == 0) {
        if (op.write) return Status::IOError(Where(path(), "write made no progress:", op.offset + op.done));
        break;  // end of file
      }
      op.done += static_cast<size_t>(n);
    }
    return Status::OK();
  }

  // Submits up to a ring's worth of operations at once and resubmits the rest
  // of any short transfer, so a batch of page writes costs one system call per
  // kRingEntries pages instead of one per page.
  Status RunUring(io_uring* ring, std::vector<Op>& ops) {
    std::vector<size_t> pending;  // indices of ops not yet finished
    pending.reserve(ops.size());
    for (size_t i = 0; i < ops.size(); ++i) {
      if (ops[i].len > 0) pending.push_back(i);
    }
    Status first_error;
    while (!pending.empty()) {
      size_t n = std::min<size_t>(pending.size(), kRingEntries);
      for (size_t k = 0; k < n; ++k) {
        Op& op = ops[pending[k]];
        io_uring_sqe* sqe = io_uring_get_sqe(ring);
        if (op.write) {
          io_uring_prep_write(sqe, fd_, op.buf + op.done, static_cast<unsigned>(op.len - op.done),
                              op.offset + op.done);
          if (op.dsync) sqe->rw_flags = RWF_DSYNC;
        } else {
          io_uring_prep_read(sqe, fd_, op.buf + op.done, static_cast<unsigned>(op.len - op.done),
                             op.offset + op.done);
        }
        io_uring_sqe_set_data64(sqe, pending[k]);
      }
      int rc = io_uring_submit_and_wait(ring, static_cast<unsigned>(n));
      while (rc == -EINTR) rc = io_uring_submit_and_wait(ring, 0);
      if (rc < 0) return Status::FromErrno(-rc, "io_uring submit for " + path());
      std::vector<size_t> again;
      for (size_t k = 0; k < n; ++k) {
        io_uring_cqe* cqe = nullptr;
        int wrc;
        do { wrc = io_uring_wait_cqe(ring, &cqe); } while (wrc == -EINTR);
        if (wrc < 0) return Status::FromErrno(-wrc, "io_uring wait for " + path());
        size_t idx = static_cast<size_t>(io_uring_cqe_get_data64(cqe));
        int res = cqe->res;
        io_uring_cqe_seen(ring, cqe);
        Op& op = ops[idx];
        if (res == -EAGAIN || res == -EINTR) {
          again.push_back(idx);
        } else if (res < 0) {
          if (op.dsync && DsyncRefused(-res)) dsync_refused_.store(true, std::memory_order_relaxed);
          if (first_error.ok()) {
            first_error = Status::FromErrno(-res, Where(path(), op.write ? "write" : "read", op.offset + op.done));
          }
        } else if (res == 0) {
          if (op.write && first_error.ok()) {
            first_error = Status::IOError(Where(path(), "write made no progress:", op.offset + op.done));
          }
          op.eof = true;
        } else {
          op.done += static_cast<size_t>(res);
          if (op.done < op.len) again.push_back(idx);
        }
      }
      if (!first_error.ok()) return first_error;
      pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(n));
      pending.insert(pending.end(), again.begin(), again.end());
    }
    return Status::OK();
  }

  int fd_;
  bool use_uring_;
  std::atomic<bool> dsync_refused_{false};
};

}  // namespace

Status File::WriteDurable(std::span<const WriteRequest> writes) {
  RETURN_IF_ERROR(WriteBatch(writes));
  return Sync();
}

Status File::ReadAt(uint64_t offset, std::span<char> buf, size_t* bytes_read) {
  ReadRequest r{offset, buf};
  RETURN_IF_ERROR(ReadBatch(std::span<ReadRequest>(&r, 1)));
  if (bytes_read != nullptr) *bytes_read = r.bytes_read;
  return Status::OK();
}

Status File::WriteAt(uint64_t offset, std::span<const char> data) {
  WriteRequest w{offset, data};
  return WriteBatch(std::span<const WriteRequest>(&w, 1));
}

Result<std::unique_ptr<File>> OpenFile(const std::string& path, const FileOptions& options) {
  int flags = O_RDWR | O_CLOEXEC;
  if (options.create_if_missing) flags |= O_CREAT;
  bool direct = false;
  int fd = -1;
  if (options.direct_io) {
    fd = ::open(path.c_str(), flags | O_DIRECT, 0644);
    if (fd >= 0) {
      direct = true;
    } else if (errno != EINVAL) {
      return Status::FromErrno(errno, "open " + path);
    }
    // EINVAL: the file system refuses O_DIRECT (tmpfs, for one); use the page cache.
  }
  if (fd < 0) {
    fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0) return Status::FromErrno(errno, "open " + path);
  }
  bool use_uring = options.use_io_uring && CurrentRing() != nullptr;
  return std::unique_ptr<File>(new PosixFile(path, fd, direct, use_uring));
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

Status RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Status::FromErrno(errno, "unlink " + path);
  return Status::OK();
}

Status RenameFile(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return Status::FromErrno(errno, "rename " + from + " to " + to);
  return Status::OK();
}

std::string DirectoryOf(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "open directory " + dir);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return Status::FromErrno(err, "fsync directory " + dir);
  return Status::OK();
}

Status CreateDirectories(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::FromErrno(ec.value(), "create directory " + dir);
  return Status::OK();
}

bool IoUringAvailable() { return CurrentRing() != nullptr; }

AlignedBuffer AllocateAligned(size_t size, size_t alignment) {
  size_t rounded = (size + alignment - 1) / alignment * alignment;
  void* p = std::aligned_alloc(alignment, rounded == 0 ? alignment : rounded);
  if (p == nullptr) throw std::bad_alloc();
  return AlignedBuffer(static_cast<char*>(p));
}

}  // namespace ormdb

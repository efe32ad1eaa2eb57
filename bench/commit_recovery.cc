#include "bench/commit_recovery.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <fstream>
#include <string>

#include "bench/commit_engines.h"
#include "mvcc/store.h"
#include "wal/log_writer.h"

namespace ormdb::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr char kLogDir[] = "wal";  // the store's log directory (mvcc/store.h)

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

mvcc::StoreOptions UncheckpointedOptions() {
  mvcc::StoreOptions o;
  o.log.sync = false;  // the bytes are the same; only the writing is faster
  o.background_checkpoints = false;
  o.checkpoint_log_bytes = std::numeric_limits<uint64_t>::max();
  o.checkpoint_on_close = false;
  return o;
}

// Syncs every file under `dir` and drops it from the OS page cache, so the
// replay reads the log from the device, as after a machine restart.
Status SyncAndEvict(const std::string& dir, uint64_t* log_bytes) {
  std::error_code ec;
  *log_bytes = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    std::string path = entry.path().string();
    int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) return Status::FromErrno(errno, "open " + path);
    int rc = ::fdatasync(fd);
    if (rc == 0) rc = ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
    if (rc != 0) return Status::FromErrno(errno, "sync/evict " + path);
    if (entry.path().parent_path().filename() == "wal") *log_bytes += entry.file_size();
  }
  if (ec) return Status::FromErrno(ec.value(), "listing " + dir);
  return Status::OK();
}

// Resident memory in MiB: the current value, or the peak since the last
// ResetPeakRss ("VmHWM").
double RssMib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::strtod(line.c_str() + std::strlen(field), nullptr) / 1024;
  }
  return -1;
}

void ResetPeakRss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
}

}  // namespace

Status MeasureRecovery(const std::string& dir, uint64_t log_bytes, RecoveryResult* out) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("creating " + dir + ": " + ec.message());

  // An empty store whose data file covers none of the log that follows.
  btree::MetaState meta;
  {
    ASSIGN_OR_RETURN(auto store, mvcc::Store::Open(dir, UncheckpointedOptions()));
    meta = store->tree().pager().meta();
  }
  // The log: the records Store::Commit writes for one-put transactions,
  // appended directly (see the header for why).
  auto write_start = Clock::now();
  {
    wal::LogOptions log_options;
    log_options.sync = false;
    ASSIGN_OR_RETURN(auto log, wal::LogWriter::Open(dir + "/" + kLogDir, meta.database_id, wal::Lsn(meta.wal_position),
                                                    log_options));
    char key[kCommitKeyBytes], value[kCommitValueBytes];
    wal::Lsn end(meta.wal_position);
    for (uint64_t i = 0; end.value() - meta.wal_position < log_bytes; ++i) {
      CommitKey(i, key);
      CommitValue(i, value);
      wal::WriteSetEncoder enc;
      enc.Put({key, sizeof(key)}, {value, sizeof(value)});
      ASSIGN_OR_RETURN(end, log->Append(wal::RecordType::kCommit, meta.user_version + i + 1, enc.Finish()));
      ++out->records;
      if (out->records % 4096 == 0) RETURN_IF_ERROR(log->Sync(end));
    }
    RETURN_IF_ERROR(log->Sync(end));
  }
  out->write_s = Seconds(write_start);
  RETURN_IF_ERROR(SyncAndEvict(dir, &out->log_bytes));

  // Replay it.
  mvcc::StoreOptions options;
  options.background_checkpoints = false;
  const double rss_before = RssMib("VmRSS:");
  ResetPeakRss();
  auto open_start = Clock::now();
  ASSIGN_OR_RETURN(auto store, mvcc::Store::Open(dir, options));
  out->open_s = Seconds(open_start);
  out->peak_rss_growth_mib = RssMib("VmHWM:") - rss_before;
  out->recovered_records = store->stats().recovered_records;
  if (out->recovered_records != out->records) {
    return Status::Corruption("recovery replayed " + std::to_string(out->recovered_records) + " of " +
                              std::to_string(out->records) + " commit records");
  }
  uint64_t entries = store->tree().GetSnapshot().entries();
  if (entries != out->records) {
    return Status::Corruption("after recovery the store holds " + std::to_string(entries) + " keys, expected " +
                              std::to_string(out->records));
  }
  // Spot-check values.
  auto read = store->BeginRead();
  char key[kCommitKeyBytes], value[kCommitValueBytes];
  std::string got;
  for (uint64_t i = 0; i < out->records; i += 1 + out->records / 1000) {
    CommitKey(i, key);
    CommitValue(i, value);
    RETURN_IF_ERROR(read->Get({key, sizeof(key)}, &got).Annotate("reading key #" + std::to_string(i)));
    if (got != std::string_view(value, sizeof(value))) {
      return Status::Corruption("after recovery key #" + std::to_string(i) + " has a wrong value");
    }
  }
  return Status::OK();
}

}  // namespace ormdb::bench

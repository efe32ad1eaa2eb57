// Machine facts and probes for commit_bench: the temporary directory, the
// fingerprint printed with the results, and the fdatasync probe.
#pragma once

#include <string>

namespace ormdb::bench {

// A directory under $TMPDIR (or /tmp) named `prefix`.XXXXXX, removed with
// everything in it.
class TempDir {
 public:
  explicit TempDir(const char* prefix = "commit_bench");
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Flushes the file system holding `dir`, so no write-back debt of one cell
// (a closing checkpoint, removed files) lands in the next one.
void SyncFileSystem(const std::string& dir);

// The value of the first "prefix: value" line of a file (e.g. /proc/cpuinfo).
std::string ReadFieldLine(const char* path, const char* prefix);
// "ext4", "xfs", ... for the file system holding `dir`.
std::string FileSystemName(const std::string& dir);
// The 1-minute load average (-1 when unknown).
double LoadAverage();

// Median microseconds of a 4 KiB pwrite + fdatasync in `dir`, either
// overwriting one block (no metadata changes) or appending (the file grows
// every time). NaN when a call fails.
double FdatasyncProbe(const std::string& dir, bool append, int rounds);

}  // namespace ormdb::bench

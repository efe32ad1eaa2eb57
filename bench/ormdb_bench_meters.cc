#include "bench/ormdb_bench_meters.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

namespace ormdb::bench::whole {

namespace {

struct Stat {
  pid_t ppid = 0;
  uint64_t self_ticks = 0, children_ticks = 0;
};

// /proc/PID/stat: "pid (comm) state ppid ... utime stime cutime cstime ...";
// comm may hold spaces and parentheses, so fields count from the last ')'.
bool ReadStat(pid_t pid, Stat* out) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return false;
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream in(line.substr(close + 1));
  std::string state;
  long long ppid = 0;
  in >> state >> ppid;
  std::string skip;
  for (int field = 5; field < 14; ++field) in >> skip;  // pgrp .. cmajflt
  unsigned long long utime = 0, stime = 0;
  long long cutime = 0, cstime = 0;
  in >> utime >> stime >> cutime >> cstime;
  if (!in) return false;
  out->ppid = static_cast<pid_t>(ppid);
  out->self_ticks = utime + stime;
  out->children_ticks = static_cast<uint64_t>(cutime + cstime);
  return true;
}

uint64_t TicksToNs(uint64_t ticks) {
  static const long hz = ::sysconf(_SC_CLK_TCK);
  return ticks * 1'000'000'000ull / static_cast<uint64_t>(hz > 0 ? hz : 100);
}

}  // namespace

uint64_t ProcessCpuNs(pid_t pid, bool children) {
  Stat s;
  if (!ReadStat(pid, &s)) return 0;
  return TicksToNs(s.self_ticks + (children ? s.children_ticks : 0));
}

uint64_t ProcessTreeCpuNs(pid_t root) {
  std::unordered_map<pid_t, Stat> all;
  if (DIR* d = ::opendir("/proc")) {
    while (dirent* e = ::readdir(d)) {
      char* end = nullptr;
      const long pid = std::strtol(e->d_name, &end, 10);
      Stat s;
      if (*end == '\0' && pid > 0 && ReadStat(static_cast<pid_t>(pid), &s)) all[static_cast<pid_t>(pid)] = s;
    }
    ::closedir(d);
  }
  auto it = all.find(root);
  if (it == all.end()) return 0;
  uint64_t ticks = it->second.self_ticks + it->second.children_ticks;
  for (const auto& [pid, s] : all) {
    if (pid == root) continue;
    for (pid_t up = s.ppid; up > 1;) {  // a descendant of root?
      if (up == root) {
        ticks += s.self_ticks;
        break;
      }
      auto p = all.find(up);
      if (p == all.end()) break;
      up = p->second.ppid;
    }
  }
  return TicksToNs(ticks);
}

uint64_t SelfCpuNs() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto ns = [](const timeval& t) {
    return static_cast<uint64_t>(t.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(t.tv_usec) * 1000ull;
  };
  return ns(u.ru_utime) + ns(u.ru_stime);
}

// ------------------------------------------------------------ SQLite's syncs

namespace {

std::atomic<uint64_t> g_sqlite_syncs{0};
sqlite3_vfs* g_real_vfs = nullptr;
sqlite3_vfs g_counting_vfs;

// Our file header, then the real VFS's file right after it.
struct CountingFile {
  sqlite3_file base;
  sqlite3_file* real;
};

sqlite3_file* Real(sqlite3_file* f) { return reinterpret_cast<CountingFile*>(f)->real; }
const sqlite3_io_methods* M(sqlite3_file* f) { return Real(f)->pMethods; }

int Close(sqlite3_file* f) { return M(f)->xClose(Real(f)); }
int Read(sqlite3_file* f, void* b, int n, sqlite3_int64 o) { return M(f)->xRead(Real(f), b, n, o); }
int Write(sqlite3_file* f, const void* b, int n, sqlite3_int64 o) { return M(f)->xWrite(Real(f), b, n, o); }
int Truncate(sqlite3_file* f, sqlite3_int64 n) { return M(f)->xTruncate(Real(f), n); }
int Sync(sqlite3_file* f, int flags) {
  g_sqlite_syncs.fetch_add(1, std::memory_order_relaxed);
  return M(f)->xSync(Real(f), flags);
}
int FileSize(sqlite3_file* f, sqlite3_int64* n) { return M(f)->xFileSize(Real(f), n); }
int Lock(sqlite3_file* f, int l) { return M(f)->xLock(Real(f), l); }
int Unlock(sqlite3_file* f, int l) { return M(f)->xUnlock(Real(f), l); }
int CheckReservedLock(sqlite3_file* f, int* out) { return M(f)->xCheckReservedLock(Real(f), out); }
int FileControl(sqlite3_file* f, int op, void* arg) { return M(f)->xFileControl(Real(f), op, arg); }
int SectorSize(sqlite3_file* f) { return M(f)->xSectorSize(Real(f)); }
int DeviceCharacteristics(sqlite3_file* f) { return M(f)->xDeviceCharacteristics(Real(f)); }
int ShmMap(sqlite3_file* f, int pg, int sz, int extend, void volatile** p) {
  return M(f)->xShmMap(Real(f), pg, sz, extend, p);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) { return M(f)->xShmLock(Real(f), offset, n, flags); }
void ShmBarrier(sqlite3_file* f) { M(f)->xShmBarrier(Real(f)); }
int ShmUnmap(sqlite3_file* f, int del) { return M(f)->xShmUnmap(Real(f), del); }
int Fetch(sqlite3_file* f, sqlite3_int64 o, int n, void** p) { return M(f)->xFetch(Real(f), o, n, p); }
int Unfetch(sqlite3_file* f, sqlite3_int64 o, void* p) { return M(f)->xUnfetch(Real(f), o, p); }

// The unix VFS's files are version 3 (shared memory for WAL, mmap).
const sqlite3_io_methods kCountingMethods = {
    3,        Close,       Read,    Write,    Truncate, Sync,       FileSize, Lock,  Unlock, CheckReservedLock,
    FileControl, SectorSize, DeviceCharacteristics, ShmMap, ShmLock, ShmBarrier, ShmUnmap, Fetch, Unfetch};

int Open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  auto* cf = reinterpret_cast<CountingFile*>(f);
  cf->real = reinterpret_cast<sqlite3_file*>(cf + 1);
  const int rc = g_real_vfs->xOpen(g_real_vfs, name, cf->real, flags, out_flags);
  cf->base.pMethods = cf->real->pMethods != nullptr ? &kCountingMethods : nullptr;
  return rc;
}

}  // namespace

const char* CountingSqliteVfs() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_real_vfs = sqlite3_vfs_find(nullptr);
    g_counting_vfs = *g_real_vfs;  // the rest (paths, time, randomness) as the real one does it
    g_counting_vfs.pNext = nullptr;
    g_counting_vfs.zName = "ormdb-bench-counting";
    g_counting_vfs.szOsFile = static_cast<int>(sizeof(CountingFile)) + g_real_vfs->szOsFile;
    g_counting_vfs.xOpen = Open;
    sqlite3_vfs_register(&g_counting_vfs, 0);
  });
  return g_counting_vfs.zName;
}

uint64_t SqliteSyncs() { return g_sqlite_syncs.load(std::memory_order_relaxed); }

// ------------------------------------------------------------ Prometheus

Result<uint64_t> ScrapeCounter(uint16_t port, std::string_view name) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::FromErrno(errno, "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string body;
  Status st;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    st = Status::FromErrno(errno, "connecting to the metrics endpoint on port " + std::to_string(port));
  } else {
    static constexpr std::string_view kGet = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, kGet.data(), kGet.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(kGet.size())) {
      st = Status::FromErrno(errno, "sending to the metrics endpoint");
    }
    char buf[16384];
    for (ssize_t n; st.ok() && (n = ::recv(fd, buf, sizeof buf, 0)) != 0;) {
      if (n < 0) {
        if (errno == EINTR) continue;
        st = Status::FromErrno(errno, "reading the metrics endpoint");
      } else {
        body.append(buf, static_cast<size_t>(n));
      }
    }
  }
  ::close(fd);
  RETURN_IF_ERROR(st);
  const std::string key = "\n" + std::string(name) + " ";
  const size_t at = body.find(key);
  if (at == std::string::npos) {
    return Status::NotFound("the metrics endpoint on port " + std::to_string(port) + " has no " + std::string(name));
  }
  return std::strtoull(body.c_str() + at + key.size(), nullptr, 10);
}

}  // namespace ormdb::bench::whole

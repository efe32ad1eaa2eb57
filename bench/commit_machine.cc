#include "bench/commit_machine.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

namespace ormdb::bench {

TempDir::TempDir(const char* prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/" + prefix + ".XXXXXX";
  if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

void SyncFileSystem(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  (void)::syncfs(fd);
  ::close(fd);
}

std::string ReadFieldLine(const char* path, const char* prefix) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) return line;
    size_t start = line.find_first_not_of(" \t", colon + 1);
    return start == std::string::npos ? "" : line.substr(start);
  }
  return "?";
}

std::string FileSystemName(const std::string& dir) {
  struct statfs fs;
  if (::statfs(dir.c_str(), &fs) != 0) return "?";
  switch (static_cast<unsigned long>(fs.f_type)) {
    case 0xEF53: return "ext4";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x01021994: return "tmpfs";
    case 0x794c7630: return "overlayfs";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "f_type 0x%lx", static_cast<unsigned long>(fs.f_type));
      return buf;
    }
  }
}

double LoadAverage() {
  std::ifstream in("/proc/loadavg");
  double load1 = -1;
  in >> load1;
  return load1;
}

double FdatasyncProbe(const std::string& dir, bool append, int rounds) {
  constexpr int kUntimed = 10;
  std::string path = dir + (append ? "/probe-append" : "/probe-overwrite");
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return NAN;
  std::vector<char> block(4096, 'p');
  double result = NAN;
  std::vector<double> us;
  if (append || (::pwrite(fd, block.data(), block.size(), 0) == 4096 && ::fsync(fd) == 0)) {
    for (int i = 0; i < rounds + kUntimed; ++i) {
      off_t off = append ? static_cast<off_t>(i) * 4096 : 0;
      auto t = std::chrono::steady_clock::now();
      if (::pwrite(fd, block.data(), block.size(), off) != 4096 || ::fdatasync(fd) != 0) break;
      auto d = std::chrono::steady_clock::now() - t;
      if (i >= kUntimed) us.push_back(std::chrono::duration<double, std::micro>(d).count());
    }
  }
  ::close(fd);
  ::unlink(path.c_str());
  if (static_cast<int>(us.size()) == rounds) {
    std::sort(us.begin(), us.end());
    result = us[us.size() / 2];
  }
  return result;
}

}  // namespace ormdb::bench

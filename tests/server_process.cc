#include "tests/server_process.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace ormdb::testing {

ServerProcess::ServerProcess(std::string data_dir, std::vector<std::string> args)
    : data_dir_(std::move(data_dir)), args_(std::move(args)), log_(data_dir_ + ".log") {}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Kill();
}

std::string BlogSchemaPath() { return std::string(ORMDB_SOURCE_DIR) + "/tests/data/schemas/blog.prisma"; }

Status ServerProcess::Start() {
  const size_t log_start = Output().size();
  std::vector<std::string> argv = {ORMDB_BINARY, "--data", data_dir_, "serve", "--port", "0"};
  argv.insert(argv.end(), args_.begin(), args_.end());
  pid_t pid = ::fork();
  if (pid < 0) return Status::FromErrno(errno, "fork");
  if (pid == 0) {
    FILE* out = std::freopen(log_.c_str(), "a", stdout);
    FILE* err = std::freopen(log_.c_str(), "a", stderr);
    if (out == nullptr || err == nullptr) ::_exit(126);
    ::setenv("ORMDB_PASSWORD", kTestPassword, 1);
    std::vector<char*> cargv;
    for (std::string& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  pid_ = pid;
  // The server prints "listening on HOST:PORT" once it accepts connections
  // (after what an earlier process with this data directory printed).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string out = Output();
    out.erase(0, std::min(log_start, out.size()));
    size_t at = out.rfind("listening on ");
    if (at != std::string::npos) {
      size_t colon = out.find(':', at);
      size_t end = out.find(' ', colon);
      if (colon != std::string::npos && end != std::string::npos) {
        port_ = static_cast<uint16_t>(std::stoi(out.substr(colon + 1, end - colon - 1)));
        return Status::OK();
      }
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return Status::Internal("the server exited at start:\n" + out);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Status::Internal("the server did not start listening within 60 s:\n" + Output());
}

int ServerProcess::Stop(int sig) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, sig);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

std::string ServerProcess::Output() const {
  std::ifstream in(log_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

uint64_t ServerProcess::RssBytes() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("VmRSS:")) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

net::ClientOptions ServerProcess::ClientOptions() const {
  net::ClientOptions o;
  o.port = port_;
  o.password = kTestPassword;
  o.client_name = "server_test";
  o.io_timeout_ms = 120'000;  // a hung server fails the test instead of hanging it
  return o;
}

}  // namespace ormdb::testing

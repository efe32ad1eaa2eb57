#include "net/server_process.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace ormdb::net {

ServerProcess::ServerProcess(ServerProcessOptions options) : options_(std::move(options)) {
  if (options_.log_path.empty()) options_.log_path = options_.data_dir + ".log";
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Kill();
}

Status ServerProcess::Start() {
  const size_t log_start = Output().size();
  std::vector<std::string> argv = {options_.binary, "--data", options_.data_dir, "serve", "--port", "0"};
  argv.insert(argv.end(), options_.args.begin(), options_.args.end());
  pid_t pid = ::fork();
  if (pid < 0) return Status::FromErrno(errno, "fork");
  if (pid == 0) {
    if (options_.own_session) ::setsid();
    FILE* out = std::freopen(options_.log_path.c_str(), "a", stdout);
    FILE* err = std::freopen(options_.log_path.c_str(), "a", stderr);
    if (out == nullptr || err == nullptr) ::_exit(126);
    ::setenv("ORMDB_PASSWORD", options_.password.c_str(), 1);
    // A parent may block its stop signals for a signal thread; the server
    // must receive them.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    std::vector<char*> cargv;
    for (std::string& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  pid_ = pid;
  // "listening on HOST:PORT", printed after whatever an earlier process
  // with this log printed.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string out = Output();
    out.erase(0, std::min(log_start, out.size()));
    size_t at = out.rfind("listening on ");
    if (at != std::string::npos) {
      size_t colon = out.find(':', at);
      size_t end = colon == std::string::npos ? colon : out.find_first_of(" \n", colon);
      if (end != std::string::npos) {
        port_ = static_cast<uint16_t>(std::stoi(out.substr(colon + 1, end - colon - 1)));
        return Status::OK();
      }
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return Status::Internal("the server (" + options_.binary + ") exited at start:\n" + out);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Status::Internal("the server did not start listening within 60 s:\n" + Output());
}

int ServerProcess::Stop(int sig) {
  if (pid_ <= 0) return -1;
  if (sig != 0) ::kill(pid_, sig);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return status;
}

std::string ServerProcess::Output() const {
  std::ifstream in(options_.log_path);
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

ClientOptions ServerProcess::Client() const {
  ClientOptions o;
  o.host = "127.0.0.1";
  o.port = port_;
  o.password = options_.password;
  return o;
}

}  // namespace ormdb::net

// A real `ormdb serve` process for end-to-end tests: started on a free
// port with a known password, stopped by a signal, its output kept in a
// file the test can read.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "net/client.h"
#include "util/status.h"

namespace ormdb::testing {

constexpr const char* kTestPassword = "test-password-1";

class ServerProcess {
 public:
  // `args` go after `ormdb --data DIR serve --port 0`.
  ServerProcess(std::string data_dir, std::vector<std::string> args);
  ~ServerProcess();  // SIGKILL if still running

  Status Start();
  // Sends `sig` and waits; the exit status as waitpid reports it.
  int Stop(int sig = SIGTERM);
  void Kill() { Stop(SIGKILL); }
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  uint16_t port() const { return port_; }
  std::string Output() const;
  // Resident memory of the process, from /proc.
  uint64_t RssBytes() const;

  net::ClientOptions ClientOptions() const;
  Result<std::unique_ptr<net::Client>> Connect() const { return net::Client::Connect(ClientOptions()); }

 private:
  std::string data_dir_;
  std::vector<std::string> args_;
  std::string log_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

// The path of the blog schema the server tests install.
std::string BlogSchemaPath();

}  // namespace ormdb::testing

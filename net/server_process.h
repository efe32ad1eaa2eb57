// A local `ormdb serve` as a child process: what tests and ormdb-bench use
// to talk to a real server. It starts the binary on a data directory and a
// free loopback port with a given password, waits until it listens, and
// stops it by a signal. The server's output goes to a log file.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "net/client.h"
#include "util/status.h"

namespace ormdb::net {

struct ServerProcessOptions {
  std::string binary;    // the ormdb executable
  std::string data_dir;
  std::vector<std::string> args;  // after `ormdb --data DIR serve --port 0`
  std::string password;  // ORMDB_PASSWORD for the user created at the first start
  std::string log_path;  // stdout and stderr, appended; empty: DATA_DIR.log
  // A session of its own: a terminal's Ctrl-C reaches only the parent,
  // which then stops the server in order.
  bool own_session = false;
};

class ServerProcess {
 public:
  explicit ServerProcess(ServerProcessOptions options);
  ~ServerProcess();  // SIGKILL if still running

  // Starts the server and waits (60 s at most) for "listening on HOST:PORT".
  Status Start();
  // Sends `sig` (none when 0) and waits; the status as waitpid reports it.
  int Stop(int sig = SIGTERM);
  void Kill() { Stop(SIGKILL); }
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  uint16_t port() const { return port_; }
  // What the server printed (this process and earlier ones on the same log).
  std::string Output() const;
  // Resident memory of the process, from /proc.
  uint64_t RssBytes() const;

  // Options to connect as the default user.
  ClientOptions Client() const;

 private:
  ServerProcessOptions options_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

}  // namespace ormdb::net

// The ormDB server: listens on TCP, speaks the protocol of docs/protocol.md
// and answers from an engine::Database.
//
// Threads: one io_uring event loop per worker thread (each with its own
// listening socket on the same port, SO_REUSEPORT spreading connections),
// plus an ExecutorPool that runs requests. A loop only moves bytes: it
// reads frames, checks their headers and checksums, queues them per
// connection and sends replies; a connection's requests run one at a time,
// in arrival order, on the pool, and their replies come back to the loop
// through a mailbox and an eventfd. So a slow commit never stalls another
// connection, and a session (its open transaction) is used by one thread
// at a time.
//
// Every limit is enforced with an error frame: frames above the size limit,
// connections above the limit, requests in flight above the limit, queries
// past their time or row budget, idle connections. A client that stops
// reading its replies is no longer read from once its pending replies pass
// a bound, so it costs bounded memory.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/database.h"
#include "engine/users.h"
#include "net/executor_pool.h"
#include "net/metrics.h"
#include "net/session.h"

namespace ormdb::net {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 7600;  // 0: any free port (see Server::port)
  int workers = 0;       // event loops; 0: one per core
  size_t min_executors = 4;
  size_t max_executors = 256;
  // Reads (Fetch, Explain) running on executors at once; more wait their
  // turn (net/executor_pool.h). 0: twice the hardware threads.
  size_t max_running_reads = 0;
  bool compression = true;
  ServerLimits limits;
};

class Server {
 public:
  Server(engine::Database* db, engine::Users* users, ServerOptions options);
  ~Server();  // Shutdown() if still running

  // Binds and starts the workers; errors name the address.
  Status Start();
  uint16_t port() const { return port_; }
  Metrics& metrics() { return metrics_; }

  // Stops accepting, lets every request already received finish and its
  // reply be sent (within `grace_ms`), tells each client the server is
  // going away, closes the connections and joins the threads.
  void Shutdown(int grace_ms = 10'000);

 private:
  class Worker;
  ServerOptions options_;
  ServerContext ctx_;
  Metrics metrics_;
  std::unique_ptr<ExecutorPool> pool_;
  std::vector<std::unique_ptr<Worker>> workers_;
  uint64_t applied_listener_ = 0;  // the store's, set while running
  std::atomic<uint64_t> next_session_{1};
  uint16_t port_ = 0;
  bool running_ = false;
};

}  // namespace ormdb::net

// ormdb-bench's ormDB side: an `ormdb serve` process of its own on a
// temporary data directory and a free loopback port, the dataset loaded
// into it over the wire protocol (the schema by MigrateApply, rows by
// createMany), and the write workloads as request texts.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "bench/graph_dataset.h"
#include "bench/graph_ormdb.h"
#include "bench/ormdb_bench_pg.h"
#include "net/client.h"
#include "net/server_process.h"
#include "util/status.h"

namespace ormdb::bench::whole {

class OrmdbServer {
 public:
  // `binary`: the ormdb executable; `data_dir` must not exist yet.
  // `extra_args`: more `ormdb serve` options, after the bench's own.
  OrmdbServer(std::string binary, std::string data_dir, std::vector<std::string> extra_args = {});
  ~OrmdbServer() { Stop(); }
  // Starts `ormdb --data DIR serve --port 0` with a generated password and
  // waits for it to listen.
  Status Start();
  // SIGTERM (the server finishes its requests and checkpoints), then waits.
  // Safe to call from the signal thread.
  void Stop();
  pid_t pid() const { return process_->pid(); }
  net::ClientOptions ClientOptions() const;
  // Whether ClientOptions offers zstd (the client's default: no).
  void set_compression(bool on) { compression_ = on; }
  std::string Log() const { return process_->Output(); }
  // ormdb_wal_syncs_total from the server's metrics endpoint (it serves one
  // on a free port): the WAL fdatasyncs since it started.
  Result<uint64_t> WalSyncs() const;

 private:
  std::unique_ptr<net::ServerProcess> process_;
  uint16_t metrics_port_ = 0;
  bool compression_ = false;
};

// Installs graph_bench's schema and loads `d` with createMany requests of
// `batch_rows` rows, pipelined a few deep.
Status LoadOrmdbOverWire(net::Client* c, const graph::Dataset& d, size_t batch_rows, const graph::Progress& progress);

// The write workloads as requests (docs/query.md).
std::string CreateCommentText(const NewComment& c);
std::string CreatePostText(const NewPost& p);
std::string CreateManyCommentsText(const std::vector<NewComment>& cs);

}  // namespace ormdb::bench::whole

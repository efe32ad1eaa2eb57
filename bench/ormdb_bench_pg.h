// ormdb-bench's PostgreSQL side: a private cluster (initdb + pg_ctl as the
// postgres user, in a temporary directory, on a loopback port), the
// dataset's tables in Prisma's PostgreSQL layout loaded with COPY, and each
// workload in the strategies ORMs use against PostgreSQL, building the same
// nested objects as graph_bench's SQLite side (bench/graph_result.h):
//
//   N+1   one query per parent row at each level
//   JOIN  one query joining the levels (row_number() for per-parent take)
//   IN    one query per level, the parent ids as one array parameter
//         (`= ANY($1)`: one prepared statement for every list length)
//   json  one query of nested json_agg / json_build_object under LEFT JOIN
//         LATERAL (Prisma's relationJoins), its text read into the graph
//
// Every query is a prepared statement (PQprepare once per connection);
// results are read in text format, as ORMs' drivers do. One PgSession is one
// connection: one per client thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/graph_dataset.h"
#include "bench/graph_ormdb.h"
#include "bench/graph_result.h"
#include "bench/graph_sqlite.h"
#include "util/status.h"

struct pg_conn;
struct pg_result;

namespace ormdb::bench::whole {

using graph::Graph;
using graph::Strategy;
using graph::Workload;

struct PgClusterOptions {
  std::string bin_dir = "/usr/lib/postgresql/15/bin";
  std::string run_as = "postgres";  // initdb refuses root
  int64_t shared_buffers_mib = 256;
  int max_connections = 200;
};

// A cluster of its own: created and started by Start, stopped (fast
// shutdown) and its directory removed by Stop or the destructor. Stop is
// safe to call from the signal-handling thread while other threads run.
class PgCluster {
 public:
  explicit PgCluster(PgClusterOptions options) : options_(std::move(options)) {}
  ~PgCluster() { Stop(); }
  Status Start();
  void Stop();
  std::string ConnInfo() const;
  const std::string& dir() const { return dir_; }
  std::string Version() const { return version_; }
  // The postmaster's pid (from postmaster.pid); -1 when not running.
  pid_t PostmasterPid() const;
  // Stops the cluster (fast), calls `while_stopped`, starts it again with
  // the same settings. Connections must be opened anew.
  Status Restart(const std::function<void()>& while_stopped);
  std::string Describe() const;

 private:
  // pg_ctl or initdb as the cluster's user, output to commands.log.
  Status PgCommand(std::vector<std::string> argv) const;

  PgClusterOptions options_;
  std::string opts_;  // the server's settings, for restarts
  std::string dir_;  // owned by the postgres user; data/ and the socket inside
  uint16_t port_ = 0;
  bool started_ = false;
  std::string version_;
};

// Runs argv (argv[0] looked up in PATH), its output appended to `log`; the
// exit status, or an error naming the command and the log's tail.
Status RunCommand(const std::vector<std::string>& argv, const std::string& log);

// Creates the tables and loads `d` with COPY, then the indexes and foreign
// keys, VACUUM ANALYZE and CHECKPOINT.
Status LoadPostgres(const std::string& conninfo, const graph::Dataset& d, const graph::Progress& progress);

// One row written by the write workloads (W6-W8), the same in every system.
struct NewComment {
  int64_t id, post_id, author_id, created_at_us;
  std::string body;
};
struct NewPost {
  int64_t id, author_id, created_at_us, views;
  bool published;
  std::string title, body;
  std::vector<NewComment> comments;
};

class PgSession {
 public:
  static Result<std::unique_ptr<PgSession>> Open(const std::string& conninfo);
  ~PgSession();
  PgSession(const PgSession&) = delete;
  PgSession& operator=(const PgSession&) = delete;

  Status Fetch(Workload w, Strategy s, int64_t param, Graph* g);
  // W6: one INSERT, autocommit. W7: BEGIN, INSERT post, multi-row INSERT of
  // its comments, COMMIT. W8: one multi-row INSERT.
  Status InsertComment(const NewComment& c);
  Status InsertPost(const NewPost& p);
  Status InsertComments(const std::vector<NewComment>& cs);
  // Queries (round trips) of the last call.
  int queries() const { return queries_; }
  // Bytes this connection's socket sent and received so far (TCP_INFO).
  void WireBytes(uint64_t* sent, uint64_t* received) const;
  // pg_stat_wal.wal_sync: the cluster's WAL fdatasyncs so far, as far as
  // the backends have published their counts. An idle backend publishes
  // after up to 10 s, unless told to by FlushStats first.
  Result<uint64_t> WalSyncs();
  // pg_stat_force_next_flush(): this backend publishes its counts before it
  // answers.
  Status FlushStats();

 private:
  PgSession() = default;
  Status Prepare(const char* name, const std::string& sql);
  // Runs prepared `name` with text parameters; the result (PGRES_TUPLES_OK
  // or COMMAND_OK) stays in res_ until the next call.
  Status Exec(const char* name, const std::vector<std::string>& params);
  Status ExecSimple(const char* sql);

  Status Point(int64_t id, Graph* g);
  Status PostsAndCommentsNPlusOne(const char* posts, const char* comments, Graph* g);
  Status Users(const char* name, int64_t param, Graph* g);
  Status Join(const char* name, int64_t param, Workload w, Graph* g);
  Status PostsOfUsers(const char* name, std::vector<graph::UserObj>* users);
  Status CommentsOfPosts(const char* name, std::vector<graph::PostObj*>& posts);
  Status Filtered(int64_t t, bool n_plus_one, Graph* g);
  Status Json(const char* name, int64_t param, Workload w, Graph* g);

  pg_conn* conn_ = nullptr;
  pg_result* res_ = nullptr;
  int queries_ = 0;
  std::unordered_map<int64_t, size_t> index_;
  std::vector<graph::PostObj*> post_ptrs_;
  std::string ids_;
};

}  // namespace ormdb::bench::whole

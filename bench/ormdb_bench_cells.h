// ormdb-bench's measurements: the workloads (W1-W4 reads, W6-W8 writes),
// who runs them (ormDB over the protocol, a PostgreSQL strategy, a SQLite
// strategy), one client's connections, one operation, and a cell: N client
// threads in a closed loop over a fixed window, each with its own
// connection, every operation's latency kept.
#pragma once

#include <atomic>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/graph_cells.h"
#include "bench/graph_result.h"
#include "bench/graph_sqlite.h"
#include "bench/ormdb_bench_pg.h"
#include "bench/ormdb_bench_sqlite_writes.h"
#include "net/client.h"

namespace ormdb::bench::whole {

enum class Op : uint8_t { kW1, kW2, kW3, kW4, kW6, kW7, kW8 };
constexpr Op kAllOps[] = {Op::kW1, Op::kW2, Op::kW3, Op::kW4, Op::kW6, Op::kW7, Op::kW8};
std::string_view OpId(Op op);    // "W1"
std::string_view OpName(Op op);  // "point", "durable insert", ...
bool IsRead(Op op);
Workload ReadWorkload(Op op);  // W1-W4

enum class SystemId : uint8_t { kOrmdb, kPostgres, kSqlite };
constexpr int kSystems = 3;
std::string_view SystemName(SystemId s);  // "ormDB", "PostgreSQL", "SQLite"

struct Contender {
  SystemId system = SystemId::kOrmdb;
  Strategy strategy = Strategy::kNPlusOne;  // peers' reads only
};
// "ormDB", "PostgreSQL IN", "SQLite pk", "PostgreSQL INSERT", ...
std::string ContenderName(const Contender& c, Op op);
// ormDB, then PostgreSQL's strategies, then SQLite's (one for W1 and the writes).
std::vector<Contender> ContendersOf(Op op);

// What a system has spent so far (ormdb_bench_meters.h): CPU of its server
// (0 embedded) and of this process, and its fdatasyncs (-1: not counted).
struct Meter {
  uint64_t server_cpu_ns = 0, client_cpu_ns = 0;
  int64_t syncs = -1;
};

// Where the systems are and what every answer must hold.
struct Env {
  net::ClientOptions ormdb;
  std::string pg_conninfo;
  std::string sqlite_path;
  graph::SqliteOptions sqlite_options;
  graph::Systems params;  // users and posts, for graph::RandomParam
  uint64_t expected_entities[4] = {};
  // Ids of rows the writes create, past the dataset's, shared by every system.
  std::atomic<int64_t> next_comment_id{0}, next_post_id{0};
  // The counters a cell reads before and after it runs (unset: none).
  std::function<Meter(SystemId, bool writes)> meter;
};

// One client's connections to every system (opened lazily, kept for reuse).
struct ClientSessions {
  std::unique_ptr<net::Client> ormdb;
  std::unique_ptr<PgSession> pg;
  std::unique_ptr<graph::SqliteSession> sqlite;
  std::unique_ptr<SqliteWriter> sqlite_writer;
  Graph graph;
  Status Open(Env* env, SystemId s, bool writes);
  // Bytes sent plus received so far on the system's connection (0: embedded).
  uint64_t WireBytes(SystemId s) const;
};

// A new comment (W6's row): an id past the dataset's, a random post and author.
NewComment MakeComment(Env* env, graph::SplitMix64* rng, int64_t post_id);

struct OpOutcome {
  uint64_t entities = 0;
  int round_trips = 0;
};

// Runs one operation. Reads take `param` (graph::RandomParam); writes draw
// their rows from `rng`.
Status RunOp(Env* env, ClientSessions* cs, const Contender& c, Op op, int64_t param, graph::SplitMix64* rng,
             OpOutcome* out);

// The answer of one read as nested objects, for the cross-system check
// (ormDB's blocks are read into the same objects).
Result<Graph> ReadAnswer(Env* env, ClientSessions* cs, const Contender& c, Op op, int64_t param);

struct CellResult {
  Status status;
  bool ran = false;
  double ops_per_s = 0;
  double p50_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
  double bytes_per_op = 0, round_trips_per_op = 0, entities_per_op = 0;
  // Over the whole cell (warm-up included) per operation completed in it;
  // NaN when not measured (syncs: reads, or a system that does not count).
  double server_cpu_us_per_op = NAN, client_cpu_us_per_op = NAN, syncs_per_op = NAN;
  uint64_t ops = 0;
  bool good() const { return ran && status.ok(); }
};

// `clients` threads (sessions[0..clients)), closed loop: operations that
// complete within `seconds` after `warmup` count.
CellResult RunCell(Env* env, std::vector<ClientSessions>& sessions, const Contender& c, Op op, int clients,
                   double warmup, double seconds, uint64_t seed);

// A cold cell: one client fetches each of `params` once, in order, after
// the caller restarted the system with its files dropped from the OS cache.
// Its rate is over the whole sequence.
CellResult RunColdCell(Env* env, ClientSessions* cs, const Contender& c, Op op, const std::vector<int64_t>& params);

// Round trips per second of a 1-byte TCP ping-pong over loopback (TCP_NODELAY),
// one client, for `seconds`.
double LoopbackRoundTripsPerSecond(double seconds);

}  // namespace ormdb::bench::whole

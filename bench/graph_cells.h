// graph_bench's measurements: who runs a workload (ormDB, ormDB with the
// request bound once, or a SQLite strategy), one operation of each, and the
// two kinds of cell: warm (closed loop over a fixed window, 1 or more
// threads) and cold (reopened with the files dropped from the OS cache, then
// a list of distinct roots fetched once each, one thread).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/graph_ormdb.h"
#include "bench/graph_result.h"
#include "bench/graph_sqlite.h"
#include "engine/database.h"
#include "util/status.h"

namespace ormdb::bench::graph {

enum class System : uint8_t {
  kOrmdb,          // JSON text built per operation, Database::Execute (parses and binds every time)
  kOrmdbPrepared,  // bound once (query::ParseRequest), parameter replaced, Transaction::Execute
  kSqlite,         // one of the strategies
};

struct Contender {
  System system = System::kOrmdb;
  Strategy strategy = Strategy::kNPlusOne;  // kSqlite only
  bool is_ormdb() const { return system != System::kSqlite; }
};

std::string ContenderName(const Contender& c, Workload w);
// ormDB, ormDB prepared, then SQLite's strategies (W1: the primary key only).
std::vector<Contender> ContendersOf(Workload w);

// What the cells run against.
struct Systems {
  std::string ormdb_dir;
  OrmdbOptions ormdb_options;
  std::unique_ptr<engine::Database> db;
  std::string sqlite_path;
  SqliteOptions sqlite_options;
  int32_t users = 0;
  int64_t posts = 0;
  uint64_t expected_entities[kWorkloads] = {};  // per operation, fixed by the dataset
};

// One thread's connections: ormDB's bound requests and a SQLite connection.
struct ThreadContext {
  std::unique_ptr<PreparedRequests> prepared;
  std::unique_ptr<SqliteSession> sqlite;
  Graph graph;  // the SQLite strategies' answer, reused
};

Result<std::unique_ptr<ThreadContext>> OpenThreadContext(Systems* s);

// Runs one operation; *f gets its entities and id checksum.
Status RunOperation(Systems* s, ThreadContext* ctx, const Contender& c, Workload w, int64_t param, Fingerprint* f);

// The parameters of workload `w`: a random one (W1, W2: a user id; W3: a
// cursor such that a full page follows; W4: a time with at least 500 posts
// after it), and the number of distinct ones.
int64_t RandomParam(Workload w, const Systems& s, SplitMix64* rng);
int64_t DistinctParams(Workload w, const Systems& s);
// `n` distinct parameters in random order.
std::vector<int64_t> DistinctRandomParams(Workload w, const Systems& s, size_t n, SplitMix64* rng);

struct CellRun {
  bool ran = false;
  Status status;
  double ops_per_s = 0;
  double p50_us = 0, p99_us = 0;
  uint64_t ops = 0;
  bool good() const { return ran && status.ok(); }
};

// Closed loop: `threads` threads (contexts[0..threads)) run operations back
// to back; those completing within `seconds` after `warmup` count. Every
// operation's entities must be the expected number.
CellRun RunWarmCell(Systems* s, std::vector<std::unique_ptr<ThreadContext>>& contexts, const Contender& c,
                    Workload w, int threads, double warmup, double seconds, uint64_t seed);

// Reopens the contender's system (ormDB: the Database; SQLite: a new
// connection) after dropping its files from the OS cache, then fetches each
// of `params` once, in one thread.
CellRun RunColdCell(Systems* s, const Contender& c, Workload w, const std::vector<int64_t>& params);

// Flushes and drops a file, or every file under a directory, from the OS page cache.
void DropFromPageCache(const std::string& path);
// Bytes of a file, or of every file under a directory.
uint64_t DiskBytes(const std::string& path);

}  // namespace ormdb::bench::graph

// graph_bench's ormDB side: the schema, loading the dataset through the
// embedded API, the four workloads as requests (JSON text built per
// operation, or bound once and re-run with the parameter replaced), and
// reading the answer's entity and edge blocks back for the checks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/graph_dataset.h"
#include "bench/graph_result.h"
#include "engine/database.h"
#include "query/request.h"
#include "query/result.h"
#include "util/status.h"

namespace ormdb::bench::graph {

extern const char kOrmdbSchema[];

// Called while loading: what is being loaded, rows done, rows in all.
using Progress = std::function<void(std::string_view what, uint64_t done, uint64_t total)>;

struct OrmdbOptions {
  size_t cache_bytes = size_t{256} << 20;  // the tree's page cache
};

engine::DatabaseOptions MakeDatabaseOptions(const OrmdbOptions& o);
std::string DescribeOrmdb(const OrmdbOptions& o);

// Creates the schema in an empty database and loads `d`: rows in id order
// (the arrival order), `batch_rows` per transaction through
// Transaction::Insert, then a checkpoint.
Status LoadOrmdb(engine::Database* db, const Dataset& d, size_t batch_rows, const Progress& progress);

// The request of workload `w` with its parameter (W1, W2: a user id; W3: the
// cursor c; W4: t in microseconds) as JSON text.
std::string RequestText(Workload w, int64_t param);

// The four requests bound once against the database's schema; Run replaces
// the parameter in the bound request and executes it in a read transaction
// of its own. One per thread (Run changes the requests).
class PreparedRequests {
 public:
  static Result<std::unique_ptr<PreparedRequests>> Prepare(engine::Database* db);
  Result<query::QueryResult> Run(Workload w, int64_t param);

 private:
  PreparedRequests() = default;
  engine::Database* db_ = nullptr;
  std::shared_ptr<const engine::Catalog> catalog_;  // keeps the schema the requests point into alive
  query::Request requests_[kWorkloads];
};

// Entities and the id checksum of an answer, read from its blocks as a
// client reads them in place (no content checksum).
Result<Fingerprint> FingerprintOfBlocks(const query::QueryResult& r, Workload w);
// The answer as the nested objects the SQLite side builds (for the checks).
Result<Graph> GraphOfBlocks(const query::QueryResult& r, Workload w);

}  // namespace ormdb::bench::graph

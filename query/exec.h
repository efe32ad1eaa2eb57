// The executor's state for one request (private to query/): the read path
// (executor.cc), aggregates (aggregate.cc) and writes (mutation.cc).
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "query/executor.h"
#include "query/filter.h"
#include "query/planner.h"

namespace ormdb::query {

// Rows of one level with their storage keys (ScanClustered takes them).
struct RowSet {
  std::vector<Row> rows;
  std::vector<std::string> keys;

  size_t size() const { return rows.size(); }
  void Add(std::string&& key, Row&& row) {
    keys.push_back(std::move(key));
    rows.push_back(std::move(row));
  }
  void Add(std::string_view key, Row&& row) {
    keys.emplace_back(key);
    rows.push_back(std::move(row));
  }
};

// The columns of `fields` (stored fields of the model), and a row's values at columns.
std::vector<size_t> Columns(const ModelColumns& m, const std::vector<schema::FieldIndex>& fields);
Row Project(const Row& row, const std::vector<size_t>& cols);

// For each parent row, its related rows (indexes into `rows`).
struct Related {
  RowSet rows;
  std::vector<std::vector<uint32_t>> groups;
  bool shared = false;  // a row may belong to several parents (to-one targets, many-to-many)
  bool ordered = false; // each group is already in the requested order and windowed
};

struct LevelStats {
  std::string path;
  std::string access;
  uint64_t read = 0;
  uint64_t returned = 0;
  uint64_t pages = 0;
};

class Exec {
 public:
  Exec(Storage& storage, const ExecuteOptions& options, bool explain)
      : s_(storage), schema_(storage.schema()), options_(options), explain_(explain) {}

  Result<QueryResult> Run(const Request& req);

 private:
  // ---------------------------------------------------------- reads
  // The rows of `sel` matching `where`: ordered and, unless `window` is
  // off, with its distinct, cursor, skip and take applied.
  Result<RowSet> ReadRoot(const Selection& sel, const Filter& where, bool window);
  // Which rows match `where` (relation filters answered in batches).
  Result<std::vector<bool>> EvalWhere(schema::ModelIndex m, const Filter& where, const RowSet& rows);
  // The rows related to each parent through relation field `f`, those
  // matching `where`. With `window` (an include's selection) the access may
  // stop early per parent when its order serves the window.
  Result<Related> FetchRelated(schema::ModelIndex m, const RowSet& parents, const schema::Field& f,
                               const Filter& where, const Selection* window, LevelStats* stats);
  // Visits the rows of `m` whose `cols` equal each key (keys are values by
  // cols), key by key, through an index on those columns (a full scan when
  // there is none). Keys holding a null match nothing.
  using KeyVisitor = std::function<Result<Visit>(size_t key, std::string& row_key, Row& row)>;
  Status ScanKeys(schema::ModelIndex m, const std::vector<size_t>& cols, const std::vector<Row>& keys,
                  const KeyVisitor& visit, const Selection* order_hint, bool* ordered, std::string* how);
  Result<std::optional<Row>> FindByKey(schema::ModelIndex m, const std::vector<size_t>& cols, const Row& key);
  // Orders a group of rows and applies distinct, cursor, skip and take.
  Status Window(const Selection& sel, const std::vector<Row>& rows, std::vector<uint32_t>* group, bool ordered);
  // Appends the entity block of `rows` (and, below it, its includes' blocks
  // and edges) to *out; returns its index.
  Result<uint32_t> BuildLevel(const Selection& sel, RowSet rows, QueryResult* out);
  // Whether include `child` (relation field `f` of a level of model `m`) is
  // read straight into its block's columns (BuildStored): its rows are
  // stored under each parent, and there is nothing to filter, dedupe, count
  // or fetch below them.
  bool ReadsStored(schema::ModelIndex m, const schema::Field& f, const Selection& child) const;
  // Appends such an include's entity block (columns copied from the stored
  // records; each parent's rows sorted on the order's fields alone unless
  // stored in that order, then its skip and take) and sets the edge's
  // offsets; returns the block's index.
  Result<uint32_t> BuildStored(schema::ModelIndex m, const RowSet& parents, const Selection& child, EdgeBlock* e,
                               LevelStats* st, QueryResult* out);
  // Appends a value of field `f` to its column (an enum by its name).
  void AppendValue(const schema::Field& f, schema::StorageType type, const schema::Value& v, ColumnBuilder* cb) const;
  // Counts rows a level returns against the request's budget.
  Status ChargeReturned(const std::string& path, uint64_t n);
  Status ChargeRead(const std::string& path, uint64_t n);
  // Busy when the request was cancelled or ran past its deadline.
  Status CheckInterrupt(const std::string& path) const;

  // ---------------------------------------------------------- aggregates
  Result<QueryResult> RunCount(const Request& req);
  Result<QueryResult> RunAggregate(const Request& req);
  Result<QueryResult> RunGroupBy(const Request& req);

  // ---------------------------------------------------------- writes
  Result<QueryResult> RunWrite(const Request& req);
  Result<Row> InsertTree(schema::ModelIndex m, CreateData data, const std::string& path);
  // `nested`: an update's writes to related rows (consumed), or null.
  Result<Row> ApplyUpdate(schema::ModelIndex m, const Row& row, const std::vector<FieldUpdate>& updates,
                          std::vector<NestedWrite>* nested);
  // The row a connect or disconnect names (its i-th), or NotFound naming it.
  Result<Row> ConnectTarget(const NestedWrite& w, size_t i, schema::ModelIndex target);
  // Nested writes to rows the written row references (its foreign key's
  // side of to-one relations): created or found, their keys set in *values;
  // a disconnect sets the foreign key null.
  Status ResolveReferenced(schema::ModelIndex m, const std::vector<NestedWrite>& nested, Row* values,
                           std::vector<bool>* given);
  // Then the nested writes to rows that reference the written row `row`,
  // and many-to-many links (creates are consumed).
  Status WriteReferencing(schema::ModelIndex m, const Row& row, std::vector<NestedWrite>& nested);
  Result<bool> HasDuplicate(schema::ModelIndex m, const CreateData& data);
  // The written row read back with the request's selection.
  Result<QueryResult> ReadBack(const Selection& sel, const Row& row);

  Filter KeyFilter(schema::ModelIndex m, const Row& row, const std::vector<size_t>& cols) const;
  std::string Explain(const Request& req) const;
  LevelStats* Stats(const std::string& path);
  // Pages read so far: asked of the storage only for explain (the counters
  // are shared across threads, so reading them costs).
  uint64_t Pages() const { return explain_ ? s_.PagesRead() : 0; }

  Storage& s_;
  const schema::Schema& schema_;
  const ExecuteOptions& options_;
  const bool explain_;
  uint64_t rows_read_ = 0;
  uint64_t rows_returned_ = 0;
  std::deque<LevelStats> stats_;  // a deque: Stats() hands out pointers that must stay valid
  std::map<const Selection*, std::optional<Row>> cursor_rows_;  // the row each cursor names (none: gone)
};

}  // namespace ormdb::query

// What the executor needs from the layer that owns rows: access methods over
// a model's primary key, its indexes and its clustered children, each taking
// a whole batch of key ranges in one call, and the row writes of mutations
// with the schema's constraints enforced. The engine implements it over a
// transaction (engine/txn_storage.h); the query layer never sees keys,
// records or pages, so it plans and executes the same way whatever stores
// the rows.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "query/request.h"
#include "schema/model.h"
#include "util/status.h"

namespace ormdb::query {

// An index as the planner may use it. Handle kPrimaryKey is the primary key
// (every model has one; for a clustered model it is reached through its
// locator index, one more seek per row).
struct IndexDesc {
  static constexpr int kPrimaryKey = -1;
  int handle = kPrimaryKey;
  std::string name;                         // for explain: "Post(authorId,publishedAt)"
  std::vector<size_t> columns;              // stored-field positions
  std::vector<schema::SortOrder> order;     // per column
  bool unique = false;                      // the columns (none null) name at most one row
  bool primary = false;
};

// One side of a key range: the first values.size() columns of the index
// compared as a tuple (a shorter tuple covers every key with that prefix).
struct KeyBound {
  Row values;
  bool inclusive = true;
};

// Rows whose index key lies between the bounds; no bound: open on that side.
// A point lookup of a prefix p is {p inclusive, p inclusive}.
struct KeyRange {
  std::optional<KeyBound> lo;
  std::optional<KeyBound> hi;
};

// What a visitor wants next.
enum class Visit : uint8_t { kContinue, kNextRange, kStop };

class ColumnBuilder;

// A row of a scan as stored, for a visitor that only copies columns into a
// result block: valid during the visit.
class StoredRow {
 public:
  // Appends stored column c to b when its stored bytes are the column's
  // (the row is in the current layout and the field is neither an enum nor
  // a decimal); false otherwise, and the caller appends Get(c).
  virtual bool AppendStored(size_t c, ColumnBuilder* b) const = 0;
  virtual Result<schema::Value> Get(size_t c) const = 0;

 protected:
  ~StoredRow() = default;
};
using StoredRowVisitor = std::function<Result<Visit>(size_t range, const StoredRow& row)>;

// A model's stored fields as the executor addresses them: the same as
// StoredFields, ColumnOfField and PrimaryKeyColumns below, computed once per
// schema by the storage, since the planner reads them on every request.
struct ModelColumns {
  std::vector<schema::FieldIndex> fields;  // stored fields in declaration order
  std::vector<int> column_of_field;        // by schema field index; -1 for relation fields
  std::vector<size_t> primary_key;         // the primary key's columns
};

// Receives each row: the range (or parent) it belongs to, the row's key in
// storage (opaque; ScanClustered takes it back), and the row. The visitor
// may take both (move from them).
using RowVisitor = std::function<Result<Visit>(size_t range, std::string& row_key, Row& row)>;

class Storage {
 public:
  virtual ~Storage() = default;

  virtual const schema::Schema& schema() const = 0;
  // The primary key first, then the indexes usable now (not being built).
  virtual std::span<const IndexDesc> Indexes(schema::ModelIndex m) const = 0;
  virtual const ModelColumns& ColumnsOf(schema::ModelIndex m) const = 0;
  // Whether `child` is stored under its parent of relation `r`.
  virtual bool ClusteredUnder(schema::ModelIndex child, schema::RelationIndex r) const = 0;

  // Visits the rows of each range of an index in key order (reverse:
  // descending), the ranges in the order given, which must be ascending
  // and disjoint (descending when reverse). One cursor serves the batch.
  virtual Status Scan(schema::ModelIndex m, int index, std::span<const KeyRange> ranges, bool reverse,
                      const RowVisitor& visit) = 0;
  // Visits the rows of `child` clustered under each parent row (by the row
  // keys a scan reported, ascending), in primary key order under each.
  virtual Status ScanClustered(schema::ModelIndex child, std::span<const std::string> parent_keys, bool reverse,
                               const RowVisitor& visit) = 0;
  // ScanClustered forward, each row left as stored: no row of values.
  virtual Status ScanClusteredStored(schema::ModelIndex child, std::span<const std::string> parent_keys,
                                     const StoredRowVisitor& visit) = 0;
  // Pages read so far (cache hits and misses), for explain.
  virtual uint64_t PagesRead() const = 0;

  // --------------------------------------------------------------- writes
  // Each enforces the schema (types, required fields, defaults, unique and
  // foreign keys, onDelete/onUpdate) and fails the transaction on error.

  // Inserts a row; `given` marks the fields set (the others get defaults).
  // Returns the row as stored.
  virtual Result<Row> Insert(schema::ModelIndex m, Row values, std::vector<bool> given) = 0;
  // Changes the `given` fields of the row with primary key `pk` (values at
  // the primary key's columns, the others ignored). Returns the row as stored.
  virtual Result<Row> Update(schema::ModelIndex m, const Row& pk, Row changes, std::vector<bool> given) = 0;
  // Deletes the row with primary key `pk`, applying onDelete to its
  // referrers; false when there is no such row (nothing fails then).
  virtual Result<bool> Delete(schema::ModelIndex m, const Row& pk) = 0;
};

// Stored-field positions of a model: its non-relation fields in declaration
// order, and the reverse map (-1 for relation fields).
std::vector<schema::FieldIndex> StoredFields(const schema::Model& m);
std::vector<int> ColumnOfField(const schema::Model& m);

// Whether relation field `f` of model `m` is the relation's `from` side (the
// side holding the foreign key; side A of a many-to-many). Field positions
// are per model, so the model must match too.
inline bool IsFromSide(const schema::Relation& r, schema::ModelIndex m, const schema::Field& f) {
  return r.from.model == m && r.from.field && *r.from.field == f.index;
}

}  // namespace ormdb::query

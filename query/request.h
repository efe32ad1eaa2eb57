// The graph-fetch request, as the planner and executor see it: the JSON text
// form (query/parser.h) and, later, the binary wire form both decode into
// this tree. Names are bound here: every model, field and relation is a
// position in the schema, and every value is already of its field's storage
// type (an enum by its database name, a Uuid as 16 bytes, a DateTime as
// microseconds), so nothing below the parser looks at text again.
//
// Positions of stored fields ("columns") are the model's non-relation fields
// in declaration order: the order of a record's fields and of the engine's
// rows (query/storage.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema/model.h"
#include "schema/value.h"
#include "util/json.h"

namespace ormdb::query {

using Row = std::vector<schema::Value>;

enum class Operation : uint8_t {
  kFindUnique,
  kFindFirst,
  kFindMany,
  kCount,
  kAggregate,
  kGroupBy,
  kCreate,
  kCreateMany,
  kUpdate,
  kUpdateMany,
  kUpsert,
  kDelete,
  kDeleteMany,
};
std::string_view OperationName(Operation op);  // "findMany", ...
std::optional<Operation> OperationFromName(std::string_view name);
// The operation a request names (the key whose value is a model's name),
// read without the schema: a client picks Fetch or Mutate by it.
std::optional<Operation> OperationOf(const json::Value& request);
bool IsRead(Operation op);

// ------------------------------------------------------------------ filters

enum class CompareOp : uint8_t {
  kEquals,
  kNotEquals,
  kIn,
  kNotIn,
  kLt,
  kLte,
  kGt,
  kGte,
  kContains,
  kStartsWith,
  kEndsWith,
  kIsNull,     // values[0] is Bool(true) for "is null", Bool(false) for "is not null"
};
std::string_view CompareOpName(CompareOp op);

enum class RelationQuantifier : uint8_t {
  kSome,   // to-many: at least one related row matches
  kEvery,  // to-many: every related row matches (true when there are none)
  kNone,   // to-many: no related row matches
  kIs,     // to-one: the related row exists and matches (`is: null`: it does not exist)
  kIsNot,  // to-one: not kIs
};

struct Filter {
  enum class Kind : uint8_t { kTrue, kAnd, kOr, kNot, kCompare, kRelation };
  Kind kind = Kind::kTrue;
  // kAnd, kOr, kNot (kNot: NOT c0 AND NOT c1 ..., as Prisma reads a NOT
  // list: every condition false; a NOT object is one child, NOT (a AND b)).
  std::vector<Filter> children;
  // kCompare
  size_t column = 0;
  CompareOp op = CompareOp::kEquals;
  std::vector<schema::Value> values;  // one, or the list of in/notIn
  bool insensitive = false;           // mode: "insensitive" (ASCII case folding)
  // kRelation: the relation field of this level's model, and the filter on
  // the related model (kTrue with kIs/kIsNot and `null`: existence only).
  schema::FieldIndex relation_field;
  RelationQuantifier quantifier = RelationQuantifier::kSome;
  std::shared_ptr<Filter> related;
  bool null_target = false;  // `is: null` / `isNot: null`

  bool is_true() const { return kind == Kind::kTrue; }
};

// ------------------------------------------------------------------ selection

struct OrderTerm {
  size_t column = 0;
  bool descending = false;
  // SQL's default: nulls sort first ascending and last descending (the key
  // order); `nulls: "first" | "last"` overrides.
  std::optional<bool> nulls_first;
};

struct Selection;

struct Include {
  schema::FieldIndex field;  // the relation field on the parent's model
  std::string name;          // its name, the key of the result path
  std::unique_ptr<Selection> selection;
};

struct RelationCount {
  schema::FieldIndex field;  // a to-many relation field
  std::string name;
  Filter where;
};

// One level of a graph fetch: which rows of a model, in what order, which of
// their fields, and which relations below them.
struct Selection {
  schema::ModelIndex model;
  std::string path;  // "" for the root, "posts", "posts.comments", ... (result block names)
  Filter where;
  std::vector<OrderTerm> order_by;  // empty: primary key order
  std::optional<int64_t> take;      // negative: the last |take| rows of the order
  int64_t skip = 0;
  std::optional<Row> cursor;        // the unique key values of the cursor row, by column (others null)
  std::vector<size_t> cursor_columns;
  std::vector<size_t> columns;      // the stored fields returned, ascending
  std::vector<Include> includes;
  std::vector<RelationCount> counts;  // _count
  std::vector<size_t> distinct;
};

// ------------------------------------------------------------------ aggregates

enum class AggregateFn : uint8_t { kCount, kSum, kAvg, kMin, kMax };
std::string_view AggregateFnName(AggregateFn f);  // "_count", "_sum", ...

struct AggregateTerm {
  AggregateFn fn = AggregateFn::kCount;
  std::optional<size_t> column;  // none: _count._all
};

// ------------------------------------------------------------------ mutations

enum class UpdateOp : uint8_t { kSet, kIncrement, kDecrement, kMultiply, kDivide };

struct FieldUpdate {
  size_t column = 0;
  UpdateOp op = UpdateOp::kSet;
  schema::Value value;
};

struct NestedWrite;

// The data of one row to create: its stored fields, and writes to related
// rows (nested create and connect) done in the same transaction.
struct CreateData {
  Row values;
  std::vector<bool> given;
  std::vector<NestedWrite> nested;
};

struct NestedWrite {
  // kDisconnect only in an update: unlinks many-to-many rows, clears the
  // foreign key of children (to-many) or of the row itself (to-one).
  enum class Kind : uint8_t { kCreate, kConnect, kDisconnect };
  Kind kind = Kind::kCreate;
  schema::FieldIndex field;  // the relation field of the row being written
  std::string path;          // for messages: "data.posts.create[1]"
  std::vector<CreateData> create;                // kCreate
  // kConnect, kDisconnect: unique key values, by column (a to-one
  // disconnect names no row: it is `true`)
  std::vector<std::pair<Row, std::vector<size_t>>> connect;
};

struct Request {
  Operation op = Operation::kFindMany;
  Selection selection;  // the root: its where, order, paging, fields and includes
  bool explain = false;

  // aggregate / groupBy
  std::vector<AggregateTerm> aggregates;
  std::vector<size_t> group_by;

  // create, createMany, upsert (create branch)
  std::vector<CreateData> create;
  bool skip_duplicates = false;
  // update, updateMany, upsert (update branch)
  std::vector<FieldUpdate> update;
  std::vector<NestedWrite> update_nested;  // update and upsert only
  // findUnique, update, upsert and delete name one row: their `where` pins a
  // primary or unique key with equalities (the parser checks it) and may add
  // further conditions, as Prisma's extended unique where does.
};

}  // namespace ormdb::query

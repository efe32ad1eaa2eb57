// The differential test of graph fetches (tests/query_diff_test.cc): random
// rows and random findMany / findFirst / findUnique / count requests, run on
// ormDB and on SQLite holding the same rows, the answers compared as text.
//
// This header holds what the parts share: cells (a value as SQLite holds
// it) and a view of the resolved schema (stored columns, keys, how each
// relation field links two models), in query_diff_schema.cc; the request
// tree, which query_diff_request.cc generates and writes as JSON for ormDB,
// query_diff_shrink.cc cuts down when it fails, and the reference
// (query_diff_reference.cc) answers with SQL.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "schema/model.h"
#include "util/json.h"

struct sqlite3;

namespace ormdb::querydiff {

// ================================================================ cells

// A value as SQLite stores it. Which kind a field's values take is fixed by
// its FieldClass (CellKindOf).
struct Cell {
  enum class Kind : uint8_t { kNull, kInt, kReal, kText, kBlob };
  Kind kind = Kind::kNull;
  int64_t i = 0;
  double d = 0;
  std::string s;  // kText, kBlob

  static Cell Null() { return Cell(); }
  static Cell Int(int64_t v);
  static Cell Real(double v);
  static Cell Text(std::string v);
  static Cell Blob(std::string v);
  bool is_null() const { return kind == Kind::kNull; }

  friend bool operator==(const Cell& a, const Cell& b);
};
using Row = std::vector<Cell>;

// The cells as one string: equal tuples, equal strings (for grouping rows
// by a key and for unique checks).
std::string KeyOf(const std::vector<Cell>& cells);
bool AnyNull(const std::vector<Cell>& cells);

// ================================================================ schema

// How a stored field's values are generated, filtered, stored in SQLite
// and written in JSON.
enum class FieldClass : uint8_t {
  kBool,      // INTEGER 0/1
  kInt,       // INTEGER
  kBigInt,    // INTEGER
  kFloat,     // REAL
  kDecimal,   // TEXT: ormDB's decimal text
  kText,      // TEXT
  kUuid,      // TEXT: the lowercase text form, which sorts as the 16 bytes do
  kBytes,     // BLOB
  kDateTime,  // INTEGER: microseconds since the Unix epoch
  kJson,      // TEXT: the JSON text
  kEnum,      // TEXT: the value's database name, which is what ormDB stores and sorts by
};

struct StoredColumn {
  const schema::Field* field = nullptr;
  FieldClass cls = FieldClass::kText;
  // The generator filters and orders by it (Decimal, Bytes and Json are
  // only stored and returned).
  bool filterable = false;
  bool ordered = false;  // takes lt/lte/gt/gte (not Boolean, not an enum)
  bool text = false;     // takes contains/startsWith/endsWith and mode
};

// How a relation field reaches the related rows, as column lists that pair
// up position by position: rows of `target` whose `there` columns equal the
// `here` columns of this model's row, or for a many-to-many relation, join
// rows whose `join_near` columns equal `here` and whose `join_far` columns
// equal the target's `there`.
struct Link {
  enum class Kind : uint8_t { kForeignKeyHere, kForeignKeyThere, kJoin };
  Kind kind = Kind::kForeignKeyThere;
  schema::ModelIndex target;
  std::vector<size_t> here;
  std::vector<size_t> there;
  schema::ModelIndex join;  // kJoin
  std::vector<size_t> join_near;
  std::vector<size_t> join_far;
};

struct ModelView {
  const schema::Model* model = nullptr;
  std::vector<StoredColumn> columns;             // the non-relation fields in declaration order
  std::vector<int> column_of_field;              // by FieldIndex; -1 for relation fields
  std::vector<size_t> pk;                        // primary key columns
  std::vector<std::vector<size_t>> unique_keys;  // the primary key, then each unique constraint
  std::vector<std::string> unique_key_names;     // their compound names in a where ("a_b", or name:)
  std::vector<schema::FieldIndex> relations;     // relation fields in declaration order

  const StoredColumn& column(size_t c) const { return columns[c]; }
  const std::string& name(size_t c) const { return columns[c].field->name; }
};

class SchemaView {
 public:
  explicit SchemaView(const schema::Schema& schema);

  const schema::Schema& schema() const { return schema_; }
  size_t size() const { return models_.size(); }
  const ModelView& model(schema::ModelIndex m) const { return models_[m.value()]; }
  const schema::Field& field(schema::ModelIndex m, schema::FieldIndex f) const { return schema_.model(m).field(f); }
  Link LinkOf(schema::ModelIndex m, const schema::Field& f) const;
  // An enum value's name from its database name (as stored), and back.
  std::string EnumName(const StoredColumn& c, const std::string& db_name) const;
  std::string EnumDbName(const StoredColumn& c, const std::string& name) const;

 private:
  const schema::Schema& schema_;
  std::vector<ModelView> models_;
};

Cell::Kind CellKindOf(FieldClass c);

// ================================================================ requests
//
// The tree mirrors the JSON text closely (which keys, in which order, bare
// values or objects), so that rendering it is mechanical and the shrinker
// can cut it anywhere and still have a valid request.

struct WhereObject;

// The filter of one scalar field: a bare value ({"title": "a"}, {"title":
// null}) or an object of operators.
struct FieldFilter {
  struct Op {
    std::string name;          // equals, not, in, notIn, lt, lte, gt, gte, contains, startsWith, endsWith, isNull
    std::vector<Cell> values;  // one (equals and not may be null), the in/notIn list, isNull: Int 0/1
    std::vector<FieldFilter> nested;  // not: {...} (one)
  };
  bool bare = false;
  Cell bare_value;
  std::vector<Op> ops;
  std::optional<bool> insensitive;  // "mode" written: "insensitive" (true) or "default" (false)
};

// {"posts": {"some": {...}, "none": {...}}}, {"author": {"is": {...}}},
// {"author": {...}} (bare: is), {"author": null} (bare: is null).
struct RelationFilter {
  struct Part {
    std::string quantifier;          // some, every, none, is, isNot
    std::vector<WhereObject> inner;  // the filter on related rows; none: null
  };
  bool bare = false;
  std::vector<Part> parts;
};

struct WhereEntry {
  enum class Kind : uint8_t { kField, kRelation, kAnd, kOr, kNot, kCompound };
  Kind kind = Kind::kField;
  size_t column = 0;               // kField
  FieldFilter scalar;              // kField
  schema::FieldIndex relation;     // kRelation
  RelationFilter related;          // kRelation
  std::vector<WhereObject> group;  // kAnd, kOr, kNot
  bool group_list = true;          // written as a list (else one object)
  std::string key_name;            // kCompound: {"a_b": {"a": .., "b": ..}}
  std::vector<size_t> key;
  std::vector<Cell> key_values;
};

// A where object: the AND of its entries.
struct WhereObject {
  std::vector<WhereEntry> entries;
};

struct OrderSpec {
  size_t column = 0;
  bool desc = false;
  std::optional<bool> nulls_first;  // written as {"sort": .., "nulls": ..}
};

struct Cursor {
  std::vector<size_t> columns;  // the primary key
  std::vector<Cell> values;
  std::string compound_name;  // non-empty: written {"a_b": {...}}
};

struct CountSpec {
  schema::FieldIndex field;        // a list relation
  std::vector<WhereObject> where;  // {"where": ...} (one), or none: true
};

struct Level;

// A key of a select or include object, in the order written.
struct SelectKey {
  enum class Kind : uint8_t { kScalar, kCount, kChild };
  Kind kind = Kind::kScalar;
  size_t index = 0;   // kScalar: the column; kChild: into Level::children
  bool value = true;  // kScalar: true or false
};

// One level of a fetch: the root or an included relation.
struct Level {
  enum class Shape : uint8_t {
    kAll,  // neither select nor include (a child: "rel": {...args})
    kSelect,
    kInclude,
    kTrue,  // a child written "rel": true
  };
  schema::ModelIndex model;
  size_t column_count = 0;         // the model's stored fields
  schema::FieldIndex via;          // children: the relation field of the parent's model
  std::vector<WhereObject> where;  // one or none
  std::vector<OrderSpec> order_by;
  bool order_list = true;  // [{a: asc}, {b: desc}] rather than {a: asc, b: desc}
  std::optional<int64_t> take;
  std::optional<int64_t> skip;
  std::optional<Cursor> cursor;
  std::vector<size_t> distinct;
  Shape shape = Shape::kAll;
  std::vector<SelectKey> keys;    // kSelect, kInclude
  bool count_all = false;         // "_count": true
  std::vector<CountSpec> counts;  // "_count": {"select": {...}}
  std::vector<Level> children;
};

enum class Operation : uint8_t { kFindMany, kFindFirst, kFindUnique, kCount };

struct Request {
  Operation op = Operation::kFindMany;
  Level root;
};

// The request in ormDB's JSON form.
std::string RequestJson(const SchemaView& sv, const Request& r);
// A cell as the JSON value of a field: a request literal, or a value of a
// result (ormDB writes both the same way).
void WriteValueJson(const SchemaView& sv, const StoredColumn& c, const Cell& v, json::Writer* w);

// Which columns a level returns, and its counts in the order requested
// (fields of list relations, with their filters).
std::vector<bool> SelectedColumns(const SchemaView& sv, const Level& l);
std::vector<CountSpec> CountsInOrder(const SchemaView& sv, const Level& l);
// Children in the order requested.
std::vector<const Level*> ChildrenInOrder(const Level& l);

// ================================================================ data

// The rows both systems hold, by model (join models included).
struct Dataset {
  std::vector<std::vector<Row>> rows;
};

// Random requests over a schema, their values drawn from the rows (so that
// filters match) and from small domains (so that they sometimes do not).
class RequestGenerator {
 public:
  RequestGenerator(const SchemaView& sv, const Dataset& data, std::mt19937_64* rng);
  Request Next();

 private:
  Level GenLevel(schema::ModelIndex m, int depth, bool root, Operation op, const schema::Field* via);
  // Reshapes a level's where, order and take to follow one of its model's
  // keys or indexes, so the planner's ordered scans and early stops run.
  void ShapeByIndex(Level* l);
  WhereObject GenWhere(schema::ModelIndex m, int depth);
  WhereObject GenUniqueWhere(schema::ModelIndex m);
  FieldFilter GenFieldFilter(schema::ModelIndex m, size_t column, bool allow_bare);
  RelationFilter GenRelationFilter(schema::ModelIndex m, const schema::Field& f, int depth);
  Cursor GenCursor(schema::ModelIndex m);
  // A value of the column: from a row (maybe null) or from its domain.
  Cell PickValue(schema::ModelIndex m, size_t column, bool allow_null);
  std::string PickNeedle(schema::ModelIndex m, size_t column);

  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(*rng_) < p; }
  size_t Uniform(size_t n) { return static_cast<size_t>((*rng_)() % n); }

  const SchemaView& sv_;
  const Dataset& data_;
  std::mt19937_64* rng_;
};

// A value of class `c` from the small domain the generator draws from:
// few distinct values, so that filters and orders tie.
Cell DomainValue(const SchemaView& sv, const StoredColumn& c, std::mt19937_64& rng);
// A random UUID in its lowercase text form.
std::string RandomUuid(std::mt19937_64& rng);

// The `k`-th single simplification of `r` (drop an include, a filter
// entry, an argument, ...), for shrinking a failing request; false when `k`
// is past the last one.
bool Simplify(Request* r, int k);

// ================================================================ reference

// SQLite holding the same rows, one table per model (join models too), and
// answering a request the way an ORM's "IN per level" strategy does: the
// root with one query, then each include with one query for all the parent
// keys of the level above, its window per parent done with window
// functions. Relation filters are EXISTS subqueries and counts correlated
// subqueries. The answer is written as ormDB's query::ToJson writes its own.
class Reference {
 public:
  explicit Reference(const SchemaView& sv);
  ~Reference();
  Reference(const Reference&) = delete;
  Reference& operator=(const Reference&) = delete;

  // Each empty when fine, else SQLite's error. Delete names the row by its
  // primary key.
  std::string Insert(schema::ModelIndex m, const Row& row);
  std::string Delete(schema::ModelIndex m, const Row& row);
  // The answer to `r` in ormDB's JSON form, or "SQLite error: ..." text.
  std::string Answer(const Request& r);
  // The statements the last Answer ran, values written in.
  const std::vector<std::string>& statements() const { return statements_; }
  // A row with all its fields, as ormDB answers a create.
  std::string RowJson(schema::ModelIndex m, const Row& row) const;
  // CREATE TABLE and INSERT statements for the tables of `models`.
  std::string Dump(const std::vector<schema::ModelIndex>& models) const;

 private:
  struct Fetched;
  class Sql;

  Fetched Fetch(const Level& l, const Link* link, const std::vector<std::vector<Cell>>& parent_keys,
                std::string* error);
  void FetchChildren(const Level& l, Fetched* f, std::string* error);
  void WriteRow(const Level& l, const Fetched& f, size_t row, json::Writer* w) const;
  std::string CreateTable(const ModelView& mv) const;

  const SchemaView& sv_;
  sqlite3* db_ = nullptr;
  std::vector<std::string> statements_;
};

}  // namespace ormdb::querydiff

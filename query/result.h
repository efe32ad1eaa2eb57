// Results of a request: one entity block per include path and one edge block
// per relation path (DESIGN.md, "Query"). An entity block is columnar: per
// column a null bitmap and either fixed-width little-endian values or
// offsets into a byte area. An edge block says, for each row of the parent
// block, which rows of the child block are its related rows: a range of the
// child block when each child has one parent (one-to-many), else a list of
// child rows (many-to-one and many-to-many share children, and each entity
// appears once per path). Aggregates, counts and the counts of many-row
// writes are blocks too, so a client reads every answer one way.
//
// Encode() lays the blocks out as docs/result-format.md describes, every
// array 8-byte aligned so a client can read values in place; Decode() is
// the checked reader of that layout (outside input for a client).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "query/request.h"
#include "schema/value.h"
#include "util/status.h"

namespace ormdb::query {

// Never renumber: the values are part of the result format.
enum class ColumnType : uint8_t {
  kBool = 1,      // 1 byte, 0 or 1
  kInt32 = 2,     // 4 bytes
  kInt64 = 3,     // 8 bytes (BigInt, counts)
  kDouble = 4,    // 8 bytes IEEE 754
  kDateTime = 5,  // 8 bytes, microseconds since the Unix epoch, UTC
  kUuid = 6,      // 16 bytes
  kString = 7,    // variable: UTF-8
  kBytes = 8,     // variable
  kDecimal = 9,   // variable: decimal text ("-12.5")
  kJson = 10,     // variable: JSON text
  kEnum = 11,     // variable: the enum value's name
};
constexpr int kMaxColumnType = 11;
std::string_view ColumnTypeName(ColumnType t);
// Bytes per value of a fixed-width type; 0 for variable-width ones.
size_t FixedWidth(ColumnType t);
ColumnType ColumnTypeOf(schema::StorageType t);

struct Column {
  std::string name;  // a field's name, or "_count.posts", "_sum.views", "count"
  ColumnType type = ColumnType::kString;
  std::vector<uint8_t> nulls;      // bit i (LSB first) set: row i is null
  std::string fixed;               // fixed-width types: rows * width bytes
  std::vector<uint32_t> offsets;   // variable-width: rows + 1 offsets into bytes
  std::string bytes;

  bool is_null(size_t row) const { return (nulls[row / 8] >> (row % 8) & 1) != 0; }
  // The value of a row as a Value (Int32/Int64/Double/Bool/String/Bytes;
  // DateTime as Int64, Uuid as 16 Bytes, Decimal/Json/Enum as String).
  schema::Value Get(size_t row) const;
  std::string_view GetBytes(size_t row) const;
};

// The rows of `c` in the order `rows` lists them.
Column ReorderRows(const Column& c, std::span<const uint32_t> rows);

struct EntityBlock {
  std::string path;   // "" for the root, "posts", "posts.comments"
  std::string model;  // the model's name ("" for aggregate and count blocks)
  uint32_t rows = 0;
  std::vector<Column> columns;

  const Column* FindColumn(std::string_view name) const;
};

struct EdgeBlock {
  std::string path;  // the child block's path
  std::string field;  // the relation field's name (the key in nested JSON)
  uint32_t parent_block = 0;
  uint32_t child_block = 0;
  bool list = true;                // a to-many relation (JSON array) or a to-one (object or null)
  std::vector<uint32_t> offsets;   // parent rows + 1
  // Empty: parent row i's children are child rows [offsets[i], offsets[i+1]).
  // Else they are targets[offsets[i] .. offsets[i+1]).
  std::vector<uint32_t> targets;

  size_t ChildCount(size_t parent_row) const { return offsets[parent_row + 1] - offsets[parent_row]; }
  uint32_t Child(size_t parent_row, size_t k) const {
    size_t at = offsets[parent_row] + k;
    return targets.empty() ? static_cast<uint32_t>(at) : targets[at];
  }
};

// What the JSON form of a result looks like.
enum class ResultShape : uint8_t {
  kList,     // findMany, groupBy: an array of the root block's rows
  kOne,      // findUnique, findFirst, create, update, upsert, delete: the row or null
  kValue,    // count: the root block's only column of its only row
  kObject,   // aggregate, createMany, updateMany, deleteMany: the only row, "_sum.x" as nested keys
};

struct QueryResult {
  ResultShape shape = ResultShape::kList;
  uint64_t version = 0;  // the commit version the result was read at (or written by)
  std::vector<EntityBlock> entities;  // entities[0] is the root
  std::vector<EdgeBlock> edges;
  std::string explain;   // the plan, with rows and pages per level (explain only)

  std::string Encode() const { return Encode(0); }
  // The same after `room` zero bytes (a multiple of 8, so every section
  // stays 8-aligned from the result's start), which the caller fills: the
  // server puts the frame header and the version there, so the result is
  // encoded once straight into its frame.
  std::string Encode(size_t room) const;
  static Result<QueryResult> Decode(std::string_view bytes);
};

// Builds a column row by row.
class ColumnBuilder {
 public:
  // `rows`: how many the column will hold, so appending never regrows it.
  ColumnBuilder(std::string name, ColumnType type, size_t rows = 0);
  // `v` must be of the column's kind (as Column::Get returns it) or null.
  void Append(const schema::Value& v);
  void AppendNull();
  // A non-null value given as the column keeps it: the fixed-width bytes
  // (FixedWidth(type) of them) or the variable-width bytes.
  void AppendStored(std::string_view bytes);
  Column Finish();

 private:
  Column c_;
  size_t rows_ = 0;
};

// Nested JSON as an ORM returns it: objects per row with their fields, the
// relation counts under "_count", and included relations under their field
// names (arrays for lists, an object or null for to-one relations).
// DateTime as ISO 8601 text, Uuid as text, Bytes as base64, BigInt as a
// number, Decimal as a string, Json inline.
std::string ToJson(const QueryResult& r);

// How many row objects ToJson writes: a row shared by several parents is
// written under each, so a result from elsewhere can expand far beyond its
// size; check this before rendering one. Saturates at UINT64_MAX.
uint64_t RenderedRows(const QueryResult& r);

}  // namespace ormdb::query

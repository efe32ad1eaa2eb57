// An encoded result (docs/result-format.md) read in place: Parse checks
// the whole layout once (every count, length, offset, target and type, the
// same checks as QueryResult::Decode, which is built on it) and the views
// then point into the bytes: a client reads a column's values where the
// frame put them, without a decoding pass or a copy. Values are read with
// memcpy, so the bytes need no particular alignment. A view borrows: the
// bytes must outlive it.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "query/result.h"
#include "util/status.h"

namespace ormdb::query {

// n little-endian u32 in place.
class U32Array {
 public:
  U32Array() = default;
  explicit U32Array(std::string_view bytes) : bytes_(bytes) {}
  size_t size() const { return bytes_.size() / 4; }
  bool empty() const { return bytes_.empty(); }
  uint32_t operator[](size_t i) const {
    uint32_t v;
    std::memcpy(&v, bytes_.data() + 4 * i, 4);
    return v;
  }
  uint32_t back() const { return (*this)[size() - 1]; }
  std::vector<uint32_t> ToVector() const;

 private:
  std::string_view bytes_;
};

struct ColumnView {
  std::string_view name;
  ColumnType type = ColumnType::kString;
  std::string_view nulls;   // (rows + 7) / 8 bytes, bit i set: row i is null
  std::string_view fixed;   // fixed-width types: rows * width bytes
  U32Array offsets;         // variable-width: rows + 1 offsets into bytes
  std::string_view bytes;

  bool is_null(size_t row) const { return (static_cast<uint8_t>(nulls[row / 8]) >> (row % 8) & 1) != 0; }
  // The value's bytes: its fixed-width slot or its variable-width slice.
  std::string_view GetBytes(size_t row) const;
  bool Bool(size_t row) const { return fixed[row] != 0; }
  int32_t Int32(size_t row) const { return Load<int32_t>(row); }
  int64_t Int64(size_t row) const { return Load<int64_t>(row); }  // Int64 and DateTime (microseconds)
  double Double(size_t row) const { return Load<double>(row); }
  std::string_view Text(size_t row) const { return GetBytes(row); }  // String, Bytes, Decimal, Json, Enum

 private:
  template <typename T>
  T Load(size_t row) const {
    T v;
    std::memcpy(&v, fixed.data() + row * sizeof(T), sizeof(T));
    return v;
  }
};

struct EntityBlockView {
  std::string_view path;
  std::string_view model;
  uint32_t rows = 0;
  std::vector<ColumnView> columns;

  const ColumnView* FindColumn(std::string_view name) const;
};

struct EdgeBlockView {
  std::string_view path;
  std::string_view field;
  uint32_t parent_block = 0;
  uint32_t child_block = 0;
  bool list = true;
  U32Array offsets;  // parent rows + 1
  U32Array targets;  // empty: parent row i's children are child rows [offsets[i], offsets[i+1])

  size_t ChildCount(size_t parent_row) const { return offsets[parent_row + 1] - offsets[parent_row]; }
  uint32_t Child(size_t parent_row, size_t k) const {
    size_t at = offsets[parent_row] + k;
    return targets.empty() ? static_cast<uint32_t>(at) : targets[at];
  }
};

class ResultView {
 public:
  // Checks `bytes` and returns views into them; Corruption (or
  // NotSupported for a newer format version) naming the block and field.
  static Result<ResultView> Parse(std::string_view bytes);

  ResultShape shape = ResultShape::kList;
  uint64_t version = 0;
  std::string_view explain;
  std::vector<EntityBlockView> entities;  // entities[0] is the root
  std::vector<EdgeBlockView> edges;

  // A copy that owns its bytes.
  QueryResult ToResult() const;
};

}  // namespace ormdb::query

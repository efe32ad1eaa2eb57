// Entity and edge blocks: building, the byte layout (docs/result-format.md)
// and nested JSON.
#include "query/result.h"

#include <cassert>
#include <cstring>

#include "query/result_layout.h"
#include "query/result_view.h"
#include "schema/literal.h"
#include "util/coding.h"
#include "util/json.h"

namespace ormdb::query {

using schema::Value;

std::string_view ColumnTypeName(ColumnType t) {
  switch (t) {
    case ColumnType::kBool: return "Bool";
    case ColumnType::kInt32: return "Int32";
    case ColumnType::kInt64: return "Int64";
    case ColumnType::kDouble: return "Double";
    case ColumnType::kDateTime: return "DateTime";
    case ColumnType::kUuid: return "Uuid";
    case ColumnType::kString: return "String";
    case ColumnType::kBytes: return "Bytes";
    case ColumnType::kDecimal: return "Decimal";
    case ColumnType::kJson: return "Json";
    case ColumnType::kEnum: return "Enum";
  }
  return "?";
}

size_t FixedWidth(ColumnType t) {
  switch (t) {
    case ColumnType::kBool: return 1;
    case ColumnType::kInt32: return 4;
    case ColumnType::kInt64:
    case ColumnType::kDouble:
    case ColumnType::kDateTime: return 8;
    case ColumnType::kUuid: return 16;
    default: return 0;
  }
}

ColumnType ColumnTypeOf(schema::StorageType t) {
  using S = schema::StorageType;
  switch (t) {
    case S::kBoolean: return ColumnType::kBool;
    case S::kInt: return ColumnType::kInt32;
    case S::kBigInt: return ColumnType::kInt64;
    case S::kFloat: return ColumnType::kDouble;
    case S::kDecimal: return ColumnType::kDecimal;
    case S::kString: return ColumnType::kString;
    case S::kBytes: return ColumnType::kBytes;
    case S::kDateTime: return ColumnType::kDateTime;
    case S::kJson: return ColumnType::kJson;
    case S::kEnum: return ColumnType::kEnum;
    case S::kUuid: return ColumnType::kUuid;
  }
  return ColumnType::kString;
}

// ================================================================ columns

ColumnBuilder::ColumnBuilder(std::string name, ColumnType type, size_t rows) {
  c_.name = std::move(name);
  c_.type = type;
  c_.nulls.reserve((rows + 7) / 8);
  if (const size_t w = FixedWidth(type); w != 0) {
    c_.fixed.reserve(rows * w);
  } else {
    c_.offsets.reserve(rows + 1);
    c_.offsets.push_back(0);
  }
}

void ColumnBuilder::AppendNull() {
  if (rows_ % 8 == 0) c_.nulls.push_back(0);
  c_.nulls.back() = static_cast<uint8_t>(c_.nulls.back() | 1u << (rows_ % 8));
  const size_t w = FixedWidth(c_.type);
  if (w != 0) {
    c_.fixed.append(w, '\0');
  } else {
    c_.offsets.push_back(static_cast<uint32_t>(c_.bytes.size()));
  }
  ++rows_;
}

void ColumnBuilder::AppendStored(std::string_view bytes) {
  if (rows_ % 8 == 0) c_.nulls.push_back(0);
  if (const size_t w = FixedWidth(c_.type); w != 0) {
    assert(bytes.size() == w);
    c_.fixed.append(bytes);
  } else {
    c_.bytes.append(bytes);
    c_.offsets.push_back(static_cast<uint32_t>(c_.bytes.size()));
  }
  ++rows_;
}

Column ReorderRows(const Column& c, std::span<const uint32_t> rows) {
  ColumnBuilder b(c.name, c.type, rows.size());
  for (uint32_t r : rows) {
    if (c.is_null(r)) {
      b.AppendNull();
    } else {
      b.AppendStored(c.GetBytes(r));
    }
  }
  return b.Finish();
}

void ColumnBuilder::Append(const Value& v) {
  if (v.is_null()) return AppendNull();
  if (rows_ % 8 == 0) c_.nulls.push_back(0);
  using K = Value::Kind;
  switch (c_.type) {
    case ColumnType::kBool:
      c_.fixed.push_back(v.bool_value() ? 1 : 0);
      break;
    case ColumnType::kInt32:
      coding::PutFixed32(&c_.fixed, static_cast<uint32_t>(v.int32_value()));
      break;
    case ColumnType::kInt64:
    case ColumnType::kDateTime:
      coding::PutFixed64(&c_.fixed, static_cast<uint64_t>(v.kind() == K::kInt32 ? v.int32_value() : v.int64_value()));
      break;
    case ColumnType::kDouble: {
      double d = v.double_value();
      uint64_t bits;
      std::memcpy(&bits, &d, 8);
      coding::PutFixed64(&c_.fixed, bits);
      break;
    }
    case ColumnType::kUuid:
      assert(v.bytes_value().size() == 16);
      c_.fixed.append(v.bytes_value());
      break;
    case ColumnType::kDecimal:
      c_.bytes.append(v.kind() == K::kDecimal ? v.decimal_value().ToString() : v.string_value());
      c_.offsets.push_back(static_cast<uint32_t>(c_.bytes.size()));
      break;
    case ColumnType::kBytes:
      c_.bytes.append(v.bytes_value());
      c_.offsets.push_back(static_cast<uint32_t>(c_.bytes.size()));
      break;
    case ColumnType::kString:
    case ColumnType::kJson:
    case ColumnType::kEnum:
      c_.bytes.append(v.string_value());
      c_.offsets.push_back(static_cast<uint32_t>(c_.bytes.size()));
      break;
  }
  ++rows_;
}

Column ColumnBuilder::Finish() { return std::move(c_); }

std::string_view Column::GetBytes(size_t row) const {
  const size_t w = FixedWidth(type);
  if (w != 0) return std::string_view(fixed).substr(row * w, w);
  return std::string_view(bytes).substr(offsets[row], offsets[row + 1] - offsets[row]);
}

Value Column::Get(size_t row) const {
  if (is_null(row)) return Value::Null();
  std::string_view b = GetBytes(row);
  switch (type) {
    case ColumnType::kBool: return Value::Bool(b[0] != 0);
    case ColumnType::kInt32: return Value::Int32(static_cast<int32_t>(coding::DecodeFixed32(b.data())));
    case ColumnType::kInt64:
    case ColumnType::kDateTime: return Value::Int64(static_cast<int64_t>(coding::DecodeFixed64(b.data())));
    case ColumnType::kDouble: {
      uint64_t bits = coding::DecodeFixed64(b.data());
      double d;
      std::memcpy(&d, &bits, 8);
      return Value::Double(d);
    }
    case ColumnType::kUuid:
    case ColumnType::kBytes: return Value::Bytes(std::string(b));
    default: return Value::String(std::string(b));
  }
}

const Column* EntityBlock::FindColumn(std::string_view name) const {
  for (const Column& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// ================================================================ encoding
//
// docs/result-format.md is the reference. Everything is little-endian and
// every section starts at a multiple of 8 from the start of the result.

namespace {

using namespace layout;  // NOLINT: the format constants

void Pad8(std::string* out) { out->append((8 - out->size() % 8) % 8, '\0'); }

void PutU16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v & 0xff));
  out->push_back(static_cast<char>(v >> 8));
}

void PutName(std::string* out, std::string_view s) {
  PutU16(out, static_cast<uint16_t>(s.size()));
  out->append(s);
}

void PutU32s(std::string* out, const std::vector<uint32_t>& v) {
  for (uint32_t x : v) coding::PutFixed32(out, x);
  Pad8(out);
}

}  // namespace

std::string QueryResult::Encode(size_t room) const {
  assert(room % 8 == 0);
  std::string out(room, '\0');
  out.append(kResultMagic, 4);
  PutU16(&out, kResultFormatVersion);
  out.push_back(static_cast<char>(shape));
  out.push_back(0);  // flags
  coding::PutFixed32(&out, static_cast<uint32_t>(entities.size()));
  coding::PutFixed32(&out, static_cast<uint32_t>(edges.size()));
  coding::PutFixed64(&out, version);
  coding::PutFixed32(&out, static_cast<uint32_t>(explain.size()));
  coding::PutFixed32(&out, 0);  // reserved
  assert(out.size() == room + kHeaderBytes);
  out.append(explain);
  Pad8(&out);
  for (const EntityBlock& b : entities) {
    coding::PutFixed32(&out, kEntityBlockKind);
    coding::PutFixed32(&out, b.rows);
    coding::PutFixed32(&out, static_cast<uint32_t>(b.columns.size()));
    PutName(&out, b.path);
    PutName(&out, b.model);
    Pad8(&out);
    for (const Column& c : b.columns) {
      out.push_back(static_cast<char>(c.type));
      out.push_back(0);
      PutName(&out, c.name);
      Pad8(&out);
      out.append(reinterpret_cast<const char*>(c.nulls.data()), c.nulls.size());
      out.append((b.rows + 7) / 8 - c.nulls.size(), '\0');
      Pad8(&out);
      if (FixedWidth(c.type) != 0) {
        out.append(c.fixed);
        Pad8(&out);
      } else {
        coding::PutFixed32(&out, static_cast<uint32_t>(c.bytes.size()));
        Pad8(&out);
        PutU32s(&out, c.offsets);
        out.append(c.bytes);
        Pad8(&out);
      }
    }
  }
  for (const EdgeBlock& e : edges) {
    coding::PutFixed32(&out, kEdgeBlockKind);
    coding::PutFixed32(&out, e.parent_block);
    coding::PutFixed32(&out, e.child_block);
    coding::PutFixed32(&out, static_cast<uint32_t>(e.offsets.size() - 1));
    coding::PutFixed32(&out, e.targets.empty() ? kNoTargets : static_cast<uint32_t>(e.targets.size()));
    out.push_back(e.list ? 1 : 0);
    PutName(&out, e.path);
    PutName(&out, e.field);
    Pad8(&out);
    PutU32s(&out, e.offsets);
    if (!e.targets.empty()) PutU32s(&out, e.targets);
  }
  return out;
}

Result<QueryResult> QueryResult::Decode(std::string_view bytes) {
  ASSIGN_OR_RETURN(ResultView view, ResultView::Parse(bytes));
  return view.ToResult();
}

// ================================================================ JSON

namespace {

void WriteValue(json::Writer& w, const Column& c, size_t row) {
  if (c.is_null(row)) return w.Null();
  std::string_view b = c.GetBytes(row);
  switch (c.type) {
    case ColumnType::kBool: return w.Bool(b[0] != 0);
    case ColumnType::kInt32: return w.Int(static_cast<int32_t>(coding::DecodeFixed32(b.data())));
    case ColumnType::kInt64: return w.Int(static_cast<int64_t>(coding::DecodeFixed64(b.data())));
    case ColumnType::kDouble: {
      uint64_t bits = coding::DecodeFixed64(b.data());
      double d;
      std::memcpy(&d, &bits, 8);
      return w.Double(d);
    }
    case ColumnType::kDateTime:
      return w.String(schema::FormatTimestampMicros(static_cast<int64_t>(coding::DecodeFixed64(b.data()))));
    case ColumnType::kUuid: return w.String(schema::FormatUuid(b));
    case ColumnType::kBytes: return w.String(schema::EncodeBase64(b));
    case ColumnType::kJson:
      if (json::Parse(b).ok()) return w.Raw(b);
      return w.String(b);
    case ColumnType::kString:
    case ColumnType::kDecimal:
    case ColumnType::kEnum: return w.String(b);
  }
}

class JsonRenderer {
 public:
  JsonRenderer(const QueryResult& r, std::string* out) : r_(r), w_(out), children_(r.entities.size()) {
    for (const EdgeBlock& e : r.edges) children_[e.parent_block].push_back(&e);
  }

  void Row(size_t block, size_t row) {
    const EntityBlock& b = r_.entities[block];
    w_.BeginObject();
    // Plain columns, then "_x.y" columns grouped under "_x".
    for (const Column& c : b.columns) {
      if (c.name.find('.') != std::string::npos) continue;
      w_.Key(c.name);
      WriteValue(w_, c, row);
    }
    std::string_view open_group;
    for (const Column& c : b.columns) {
      size_t dot = c.name.find('.');
      if (dot == std::string::npos) continue;
      std::string_view group = std::string_view(c.name).substr(0, dot);
      if (group != open_group) {
        if (!open_group.empty()) w_.EndObject();
        w_.Key(group);
        w_.BeginObject();
        open_group = group;
      }
      w_.Key(std::string_view(c.name).substr(dot + 1));
      WriteValue(w_, c, row);
    }
    if (!open_group.empty()) w_.EndObject();
    for (const EdgeBlock* e : children_[block]) {
      w_.Key(e->field);
      if (e->list) {
        w_.BeginArray();
        for (size_t k = 0; k < e->ChildCount(row); ++k) Row(e->child_block, e->Child(row, k));
        w_.EndArray();
      } else if (e->ChildCount(row) == 0) {
        w_.Null();
      } else {
        Row(e->child_block, e->Child(row, 0));
      }
    }
    w_.EndObject();
  }

  void Render() {
    if (r_.entities.empty()) return w_.Null();
    const EntityBlock& root = r_.entities[0];
    switch (r_.shape) {
      case ResultShape::kList:
        w_.BeginArray();
        for (size_t i = 0; i < root.rows; ++i) Row(0, i);
        w_.EndArray();
        return;
      case ResultShape::kOne:
      case ResultShape::kObject:
        if (root.rows == 0) return w_.Null();
        return Row(0, 0);
      case ResultShape::kValue:
        if (root.rows == 0 || root.columns.empty()) return w_.Null();
        return WriteValue(w_, root.columns[0], 0);
    }
  }

 private:
  const QueryResult& r_;
  json::Writer w_;
  std::vector<std::vector<const EdgeBlock*>> children_;
};

}  // namespace

uint64_t RenderedRows(const QueryResult& r) {
  if (r.entities.empty()) return 0;
  auto add = [](uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; };
  // How many times each row is written: blocks come parents first.
  std::vector<std::vector<uint64_t>> times(r.entities.size());
  for (size_t b = 0; b < r.entities.size(); ++b) times[b].assign(r.entities[b].rows, 0);
  const uint32_t roots = r.shape == ResultShape::kList ? r.entities[0].rows : std::min<uint32_t>(r.entities[0].rows, 1);
  for (uint32_t i = 0; i < roots; ++i) times[0][i] = 1;
  uint64_t total = roots;
  for (size_t b = 0; b < r.entities.size(); ++b) {
    for (const EdgeBlock& e : r.edges) {
      if (e.parent_block != b) continue;
      for (size_t p = 0; p + 1 < e.offsets.size(); ++p) {
        const uint64_t t = times[b][p];
        if (t == 0) continue;
        const size_t n = e.list ? e.ChildCount(p) : std::min<size_t>(e.ChildCount(p), 1);
        for (size_t k = 0; k < n; ++k) {
          uint64_t& c = times[e.child_block][e.Child(p, k)];
          c = add(c, t);
          total = add(total, t);
        }
      }
    }
  }
  return total;
}

std::string ToJson(const QueryResult& r) {
  std::string out;
  JsonRenderer(r, &out).Render();
  return out;
}

}  // namespace ormdb::query

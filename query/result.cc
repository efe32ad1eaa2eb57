// Entity and edge blocks: building, the byte layout (docs/result-format.md)
// and nested JSON.
#include "query/result.h"

#include <cassert>
#include <cstring>

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

ColumnBuilder::ColumnBuilder(std::string name, ColumnType type) {
  c_.name = std::move(name);
  c_.type = type;
  if (FixedWidth(type) == 0) c_.offsets.push_back(0);
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

constexpr char kResultMagic[4] = {'O', 'R', 'M', 'R'};
constexpr uint16_t kResultFormatVersion = 1;
constexpr uint32_t kEntityBlockKind = 1;
constexpr uint32_t kEdgeBlockKind = 2;
constexpr uint32_t kNoTargets = 0xffffffffu;
constexpr size_t kHeaderBytes = 32;
// A block with no columns (a select of relations only) takes no bytes per
// row, so its row count is bounded here rather than by the input's size.
constexpr uint32_t kMaxRowsPerBlock = uint32_t{1} << 24;

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

// A bounds-checked reader over the encoded result.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  size_t pos() const { return pos_; }
  Status Need(size_t n, std::string_view what) {
    if (in_.size() - pos_ < n) {
      return Status::Corruption("result truncated at byte " + std::to_string(pos_) + " reading " +
                                std::string(what) + " (" + std::to_string(n) + " bytes needed, " +
                                std::to_string(in_.size() - pos_) + " left)");
    }
    return Status::OK();
  }
  Result<uint32_t> U32(std::string_view what) {
    RETURN_IF_ERROR(Need(4, what));
    uint32_t v = coding::DecodeFixed32(in_.data() + pos_);
    pos_ += 4;
    return v;
  }
  Result<uint16_t> U16(std::string_view what) {
    RETURN_IF_ERROR(Need(2, what));
    uint16_t v = static_cast<uint16_t>(static_cast<uint8_t>(in_[pos_]) | static_cast<uint8_t>(in_[pos_ + 1]) << 8);
    pos_ += 2;
    return v;
  }
  Result<uint8_t> U8(std::string_view what) {
    RETURN_IF_ERROR(Need(1, what));
    return static_cast<uint8_t>(in_[pos_++]);
  }
  Result<std::string_view> Bytes(size_t n, std::string_view what) {
    RETURN_IF_ERROR(Need(n, what));
    std::string_view v = in_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  Result<std::string> Name(std::string_view what) {
    ASSIGN_OR_RETURN(uint16_t n, U16(what));
    ASSIGN_OR_RETURN(std::string_view s, Bytes(n, what));
    return std::string(s);
  }
  Status Align(std::string_view what) {
    size_t pad = (8 - pos_ % 8) % 8;
    ASSIGN_OR_RETURN(std::string_view p, Bytes(pad, what));
    (void)p;
    return Status::OK();
  }
  Result<std::vector<uint32_t>> U32s(size_t n, std::string_view what) {
    if (n > (in_.size() - pos_) / 4) return Need(n * 4, what);
    std::vector<uint32_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = coding::DecodeFixed32(in_.data() + pos_ + 4 * i);
    pos_ += 4 * n;
    RETURN_IF_ERROR(Align(what));
    return v;
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

Status CheckOffsets(const std::vector<uint32_t>& offsets, size_t limit, std::string_view what) {
  if (offsets.empty() || offsets[0] != 0) return Status::Corruption(std::string(what) + ": first offset is not 0");
  for (size_t i = 1; i < offsets.size(); ++i) {
    if (offsets[i] < offsets[i - 1]) {
      return Status::Corruption(std::string(what) + ": offset " + std::to_string(i) + " goes backwards");
    }
  }
  if (offsets.back() > limit) {
    return Status::Corruption(std::string(what) + ": offsets end at " + std::to_string(offsets.back()) +
                              ", past " + std::to_string(limit));
  }
  return Status::OK();
}

}  // namespace

std::string QueryResult::Encode() const {
  std::string out(kResultMagic, 4);
  PutU16(&out, kResultFormatVersion);
  out.push_back(static_cast<char>(shape));
  out.push_back(0);  // flags
  coding::PutFixed32(&out, static_cast<uint32_t>(entities.size()));
  coding::PutFixed32(&out, static_cast<uint32_t>(edges.size()));
  coding::PutFixed64(&out, version);
  coding::PutFixed32(&out, static_cast<uint32_t>(explain.size()));
  coding::PutFixed32(&out, 0);  // reserved
  assert(out.size() == kHeaderBytes);
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
  if (bytes.size() < kHeaderBytes) {
    return Status::Corruption("result of " + std::to_string(bytes.size()) + " bytes is shorter than its " +
                              std::to_string(kHeaderBytes) + "-byte header");
  }
  Reader r(bytes);
  QueryResult q;
  ASSIGN_OR_RETURN(std::string_view magic, r.Bytes(4, "the header"));
  if (magic != std::string_view(kResultMagic, 4)) return Status::Corruption("not an ormDB result (bad magic)");
  ASSIGN_OR_RETURN(uint16_t version, r.U16("the header"));
  if (version != kResultFormatVersion) {
    return Status::NotSupported("result format version " + std::to_string(version) + " (this reader knows " +
                                std::to_string(kResultFormatVersion) + ")");
  }
  ASSIGN_OR_RETURN(uint8_t shape, r.U8("the header"));
  if (shape > static_cast<uint8_t>(ResultShape::kObject)) {
    return Status::Corruption("result shape " + std::to_string(shape) + " unknown");
  }
  q.shape = static_cast<ResultShape>(shape);
  ASSIGN_OR_RETURN(uint8_t flags, r.U8("the header"));
  (void)flags;
  ASSIGN_OR_RETURN(uint32_t n_entities, r.U32("the header"));
  ASSIGN_OR_RETURN(uint32_t n_edges, r.U32("the header"));
  ASSIGN_OR_RETURN(uint32_t v_lo, r.U32("the header"));
  ASSIGN_OR_RETURN(uint32_t v_hi, r.U32("the header"));
  q.version = uint64_t{v_hi} << 32 | v_lo;
  ASSIGN_OR_RETURN(uint32_t explain_bytes, r.U32("the header"));
  ASSIGN_OR_RETURN(uint32_t reserved, r.U32("the header"));
  (void)reserved;
  ASSIGN_OR_RETURN(std::string_view explain, r.Bytes(explain_bytes, "the explain text"));
  q.explain = std::string(explain);
  RETURN_IF_ERROR(r.Align("the explain text"));
  // Each block takes at least 16 bytes, so counts beyond that are lies.
  if (n_entities > bytes.size() / 16 || n_edges > bytes.size() / 16) {
    return Status::Corruption("result claims " + std::to_string(n_entities) + " entity and " +
                              std::to_string(n_edges) + " edge blocks in " + std::to_string(bytes.size()) + " bytes");
  }
  for (uint32_t i = 0; i < n_entities; ++i) {
    const std::string where = "entity block " + std::to_string(i);
    EntityBlock b;
    ASSIGN_OR_RETURN(uint32_t kind, r.U32(where));
    if (kind != kEntityBlockKind) return Status::Corruption(where + ": kind " + std::to_string(kind));
    ASSIGN_OR_RETURN(b.rows, r.U32(where));
    if (b.rows > kMaxRowsPerBlock) {
      return Status::Corruption(where + ": " + std::to_string(b.rows) + " rows (a block holds at most " +
                                std::to_string(kMaxRowsPerBlock) + ")");
    }
    ASSIGN_OR_RETURN(uint32_t n_columns, r.U32(where));
    ASSIGN_OR_RETURN(b.path, r.Name(where));
    ASSIGN_OR_RETURN(b.model, r.Name(where));
    RETURN_IF_ERROR(r.Align(where));
    if (n_columns > bytes.size() / 8) return Status::Corruption(where + ": " + std::to_string(n_columns) + " columns");
    for (uint32_t c = 0; c < n_columns; ++c) {
      const std::string cw = where + " column " + std::to_string(c);
      Column col;
      ASSIGN_OR_RETURN(uint8_t type, r.U8(cw));
      if (type < 1 || type > kMaxColumnType) return Status::Corruption(cw + ": type " + std::to_string(type));
      col.type = static_cast<ColumnType>(type);
      ASSIGN_OR_RETURN(uint8_t cflags, r.U8(cw));
      (void)cflags;
      ASSIGN_OR_RETURN(col.name, r.Name(cw));
      RETURN_IF_ERROR(r.Align(cw));
      ASSIGN_OR_RETURN(std::string_view nulls, r.Bytes((size_t{b.rows} + 7) / 8, cw + " null bitmap"));
      col.nulls.assign(nulls.begin(), nulls.end());
      RETURN_IF_ERROR(r.Align(cw));
      const size_t w = FixedWidth(col.type);
      if (w != 0) {
        ASSIGN_OR_RETURN(std::string_view fixed, r.Bytes(size_t{b.rows} * w, cw + " values"));
        col.fixed = std::string(fixed);
        RETURN_IF_ERROR(r.Align(cw));
        if (col.type == ColumnType::kBool) {
          for (char ch : col.fixed) {
            if (ch != 0 && ch != 1) return Status::Corruption(cw + ": a Bool that is neither 0 nor 1");
          }
        }
      } else {
        ASSIGN_OR_RETURN(uint32_t n_bytes, r.U32(cw));
        RETURN_IF_ERROR(r.Align(cw));
        ASSIGN_OR_RETURN(col.offsets, r.U32s(size_t{b.rows} + 1, cw + " offsets"));
        RETURN_IF_ERROR(CheckOffsets(col.offsets, n_bytes, cw));
        ASSIGN_OR_RETURN(std::string_view data, r.Bytes(n_bytes, cw + " bytes"));
        col.bytes = std::string(data);
        RETURN_IF_ERROR(r.Align(cw));
      }
      b.columns.push_back(std::move(col));
    }
    q.entities.push_back(std::move(b));
  }
  for (uint32_t i = 0; i < n_edges; ++i) {
    const std::string where = "edge block " + std::to_string(i);
    EdgeBlock e;
    ASSIGN_OR_RETURN(uint32_t kind, r.U32(where));
    if (kind != kEdgeBlockKind) return Status::Corruption(where + ": kind " + std::to_string(kind));
    ASSIGN_OR_RETURN(e.parent_block, r.U32(where));
    ASSIGN_OR_RETURN(e.child_block, r.U32(where));
    ASSIGN_OR_RETURN(uint32_t parents, r.U32(where));
    ASSIGN_OR_RETURN(uint32_t n_targets, r.U32(where));
    ASSIGN_OR_RETURN(uint8_t list, r.U8(where));
    e.list = list != 0;
    ASSIGN_OR_RETURN(e.path, r.Name(where));
    ASSIGN_OR_RETURN(e.field, r.Name(where));
    RETURN_IF_ERROR(r.Align(where));
    if (e.parent_block >= q.entities.size() || e.child_block >= q.entities.size()) {
      return Status::Corruption(where + ": names an entity block that does not exist");
    }
    // A child block always follows its parent, so paths form a tree (a
    // reader walking them cannot loop).
    if (e.child_block <= e.parent_block) {
      return Status::Corruption(where + ": child block " + std::to_string(e.child_block) + " does not follow parent block " +
                                std::to_string(e.parent_block));
    }
    if (parents != q.entities[e.parent_block].rows) {
      return Status::Corruption(where + ": " + std::to_string(parents) + " parent rows, but the parent block has " +
                                std::to_string(q.entities[e.parent_block].rows));
    }
    const uint32_t child_rows = q.entities[e.child_block].rows;
    ASSIGN_OR_RETURN(e.offsets, r.U32s(size_t{parents} + 1, where + " offsets"));
    if (n_targets == kNoTargets) {
      RETURN_IF_ERROR(CheckOffsets(e.offsets, child_rows, where));
    } else {
      RETURN_IF_ERROR(CheckOffsets(e.offsets, n_targets, where));
      ASSIGN_OR_RETURN(e.targets, r.U32s(n_targets, where + " targets"));
      for (uint32_t t : e.targets) {
        if (t >= child_rows) return Status::Corruption(where + ": target " + std::to_string(t) + " out of range");
      }
      if (e.offsets.back() != n_targets) return Status::Corruption(where + ": offsets do not end at the target count");
    }
    q.edges.push_back(std::move(e));
  }
  if (r.pos() != bytes.size()) {
    return Status::Corruption("result has " + std::to_string(bytes.size() - r.pos()) + " bytes after its last block");
  }
  return q;
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

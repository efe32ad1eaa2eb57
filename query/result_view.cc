#include "query/result_view.h"

#include <string>

#include "query/result_layout.h"
#include "util/coding.h"

namespace ormdb::query {

using namespace layout;  // NOLINT: the format constants

namespace {

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
  Result<std::string_view> Name(std::string_view what) {
    ASSIGN_OR_RETURN(uint16_t n, U16(what));
    return Bytes(n, what);
  }
  Status Align(std::string_view what) {
    size_t pad = (8 - pos_ % 8) % 8;
    ASSIGN_OR_RETURN(std::string_view p, Bytes(pad, what));
    (void)p;
    return Status::OK();
  }
  Result<U32Array> U32s(size_t n, std::string_view what) {
    if (n > (in_.size() - pos_) / 4) return Need(n * 4, what);
    U32Array v(in_.substr(pos_, 4 * n));
    pos_ += 4 * n;
    RETURN_IF_ERROR(Align(what));
    return v;
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

Status CheckOffsets(const U32Array& offsets, size_t limit, std::string_view what) {
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

std::vector<uint32_t> U32Array::ToVector() const {
  std::vector<uint32_t> v(size());
  for (size_t i = 0; i < v.size(); ++i) v[i] = (*this)[i];
  return v;
}

std::string_view ColumnView::GetBytes(size_t row) const {
  const size_t w = FixedWidth(type);
  if (w != 0) return fixed.substr(row * w, w);
  return bytes.substr(offsets[row], offsets[row + 1] - offsets[row]);
}

const ColumnView* EntityBlockView::FindColumn(std::string_view name) const {
  for (const ColumnView& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

QueryResult ResultView::ToResult() const {
  QueryResult q;
  q.shape = shape;
  q.version = version;
  q.explain = std::string(explain);
  for (const EntityBlockView& v : entities) {
    EntityBlock b;
    b.path = std::string(v.path);
    b.model = std::string(v.model);
    b.rows = v.rows;
    for (const ColumnView& cv : v.columns) {
      Column c;
      c.name = std::string(cv.name);
      c.type = cv.type;
      c.nulls.assign(cv.nulls.begin(), cv.nulls.end());
      c.fixed = std::string(cv.fixed);
      c.offsets = cv.offsets.ToVector();
      c.bytes = std::string(cv.bytes);
      b.columns.push_back(std::move(c));
    }
    q.entities.push_back(std::move(b));
  }
  for (const EdgeBlockView& v : edges) {
    EdgeBlock e;
    e.path = std::string(v.path);
    e.field = std::string(v.field);
    e.parent_block = v.parent_block;
    e.child_block = v.child_block;
    e.list = v.list;
    e.offsets = v.offsets.ToVector();
    e.targets = v.targets.ToVector();
    q.edges.push_back(std::move(e));
  }
  return q;
}

Result<ResultView> ResultView::Parse(std::string_view bytes) {
  if (bytes.size() < kHeaderBytes) {
    return Status::Corruption("result of " + std::to_string(bytes.size()) + " bytes is shorter than its " +
                              std::to_string(kHeaderBytes) + "-byte header");
  }
  Reader r(bytes);
  ResultView q;
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
  q.explain = explain;
  RETURN_IF_ERROR(r.Align("the explain text"));
  // Each block takes at least 16 bytes, so counts beyond that are lies.
  if (n_entities > bytes.size() / 16 || n_edges > bytes.size() / 16) {
    return Status::Corruption("result claims " + std::to_string(n_entities) + " entity and " +
                              std::to_string(n_edges) + " edge blocks in " + std::to_string(bytes.size()) + " bytes");
  }
  for (uint32_t i = 0; i < n_entities; ++i) {
    const std::string where = "entity block " + std::to_string(i);
    EntityBlockView b;
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
      ColumnView col;
      ASSIGN_OR_RETURN(uint8_t type, r.U8(cw));
      if (type < 1 || type > kMaxColumnType) return Status::Corruption(cw + ": type " + std::to_string(type));
      col.type = static_cast<ColumnType>(type);
      ASSIGN_OR_RETURN(uint8_t cflags, r.U8(cw));
      (void)cflags;
      ASSIGN_OR_RETURN(col.name, r.Name(cw));
      RETURN_IF_ERROR(r.Align(cw));
      ASSIGN_OR_RETURN(col.nulls, r.Bytes((size_t{b.rows} + 7) / 8, cw + " null bitmap"));
      RETURN_IF_ERROR(r.Align(cw));
      const size_t w = FixedWidth(col.type);
      if (w != 0) {
        ASSIGN_OR_RETURN(col.fixed, r.Bytes(size_t{b.rows} * w, cw + " values"));
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
        ASSIGN_OR_RETURN(col.bytes, r.Bytes(n_bytes, cw + " bytes"));
        RETURN_IF_ERROR(r.Align(cw));
      }
      b.columns.push_back(std::move(col));
    }
    q.entities.push_back(std::move(b));
  }
  for (uint32_t i = 0; i < n_edges; ++i) {
    const std::string where = "edge block " + std::to_string(i);
    EdgeBlockView e;
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
      for (size_t k = 0; k < e.targets.size(); ++k) {
        const uint32_t t = e.targets[k];
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

}  // namespace ormdb::query

#include "schema/record.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <limits>

#include "util/coding.h"

namespace ormdb::schema {

namespace {

constexpr uint64_t kMaxNarrowVariableBytes = 0xFFFF;
constexpr uint64_t kMaxWideVariableBytes = 0xFFFFFFFF;

std::string FieldName(const RecordField& f) {
  return "field id " + std::to_string(f.id) + " (" + std::string(StorageTypeName(f.type)) + ")";
}

// Bytes a non-null value of a variable-width type takes.
size_t VariableSize(const Value& v, StorageType t) {
  switch (t) {
    case StorageType::kString:
    case StorageType::kJson:
    case StorageType::kEnum: return v.string_value().size();
    case StorageType::kBytes: return v.bytes_value().size();
    case StorageType::kDecimal: return v.decimal_value().SortableSize();
    default: assert(false && "not a variable-width type"); return 0;
  }
}

void PutFixed16(std::string* out, uint16_t v) {
  char b[2];
  coding::EncodeFixed16(b, v);
  out->append(b, 2);
}

// Reads the header: format byte, schema version, field count. Advances *in.
Status ReadHeader(std::string_view* in, bool* wide, uint32_t* version, uint64_t* field_count) {
  if (in->empty()) return Status::Corruption("record: empty");
  const auto format = static_cast<uint8_t>((*in)[0]);
  if (format != kRecordFormatNarrow && format != kRecordFormatWide) {
    return Status::Corruption("record: unknown format byte " + std::to_string(format));
  }
  *wide = format == kRecordFormatWide;
  in->remove_prefix(1);
  uint64_t v = 0;
  if (!coding::GetVarint64(in, &v) || v > std::numeric_limits<uint32_t>::max()) {
    return Status::Corruption("record: bad schema version varint");
  }
  *version = static_cast<uint32_t>(v);
  if (!coding::GetVarint64(in, field_count)) return Status::Corruption("record: bad field count varint");
  return Status::OK();
}

}  // namespace

size_t FixedWidth(StorageType t) {
  switch (t) {
    case StorageType::kBoolean: return 1;
    case StorageType::kInt: return 4;
    case StorageType::kBigInt:
    case StorageType::kDateTime:
    case StorageType::kFloat: return 8;
    case StorageType::kUuid: return 16;
    case StorageType::kDecimal:
    case StorageType::kString:
    case StorageType::kBytes:
    case StorageType::kJson:
    case StorageType::kEnum: return 0;
  }
  return 0;
}

Result<RecordLayout> RecordLayout::Make(uint32_t schema_version, std::vector<RecordField> fields) {
  if (fields.size() > kMaxRecordFields) {
    return Status::InvalidArgument("record layout with " + std::to_string(fields.size()) + " fields (at most " +
                                   std::to_string(kMaxRecordFields) + ")");
  }
  RecordLayout l;
  l.schema_version_ = schema_version;
  l.slots_.reserve(fields.size());
  l.by_id_.reserve(fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    const RecordField& f = fields[i];
    if (static_cast<int>(f.type) >= kStorageTypeCount) {
      return Status::InvalidArgument("record layout: field id " + std::to_string(f.id) + " has unknown type " +
                                     std::to_string(static_cast<int>(f.type)));
    }
    if (const size_t w = FixedWidth(f.type); w != 0) {
      l.slots_.push_back(l.fixed_bytes_);
      l.fixed_bytes_ += static_cast<uint32_t>(w);
    } else {
      l.slots_.push_back(l.variable_count_++);
    }
    l.by_id_.emplace_back(f.id, static_cast<uint32_t>(i));
  }
  std::sort(l.by_id_.begin(), l.by_id_.end());
  for (size_t i = 1; i < l.by_id_.size(); ++i) {
    if (l.by_id_[i].first == l.by_id_[i - 1].first) {
      return Status::InvalidArgument("record layout: duplicate field id " + std::to_string(l.by_id_[i].first));
    }
  }
  l.fields_ = std::move(fields);
  return l;
}

std::optional<size_t> RecordLayout::IndexOf(uint32_t field_id) const {
  auto it = std::lower_bound(by_id_.begin(), by_id_.end(), std::make_pair(field_id, uint32_t{0}));
  if (it == by_id_.end() || it->first != field_id) return std::nullopt;
  return it->second;
}

Status EncodeRecord(const RecordLayout& layout, std::span<const Value> values, std::string* out) {
  const size_t n = layout.size();
  if (values.size() != n) {
    return Status::InvalidArgument("record of schema version " + std::to_string(layout.schema_version()) + " has " +
                                   std::to_string(n) + " fields, got " + std::to_string(values.size()) + " values");
  }
  // Check everything before writing a byte, and size the variable section.
  uint64_t variable_bytes = 0;
  for (size_t i = 0; i < n; ++i) {
    const RecordField& f = layout.field(i);
    const Value& v = values[i];
    if (v.is_null()) {
      if (!f.nullable) return Status::InvalidArgument(FieldName(f) + " is required but the value is null");
      continue;
    }
    if (Status st = CheckValueType(v, f.type); !st.ok()) return st.Annotate(FieldName(f));
    if (!layout.is_fixed(i)) variable_bytes += VariableSize(v, f.type);
  }
  if (variable_bytes > kMaxWideVariableBytes) {
    return Status::InvalidArgument("record of " + std::to_string(variable_bytes) +
                                   " variable-width bytes (at most 4 GiB)");
  }
  const bool wide = variable_bytes > kMaxNarrowVariableBytes;

  const size_t start = out->size();
  out->push_back(static_cast<char>(wide ? kRecordFormatWide : kRecordFormatNarrow));
  coding::PutVarint64(out, layout.schema_version());
  coding::PutVarint64(out, n);
  const size_t bitmap = out->size();
  out->append((n + 7) / 8, '\0');
  for (size_t i = 0; i < n; ++i) {
    if (values[i].is_null()) (*out)[bitmap + i / 8] = static_cast<char>((*out)[bitmap + i / 8] | (1 << (i % 8)));
  }
  // Fixed slots are in layout order, so appending them in order lays each at
  // its slot; a null field's slot is zeros.
  for (size_t i = 0; i < n; ++i) {
    if (!layout.is_fixed(i)) continue;
    const Value& v = values[i];
    const StorageType t = layout.field(i).type;
    assert(out->size() - bitmap - (n + 7) / 8 == layout.slot(i));
    if (v.is_null()) {
      out->append(FixedWidth(t), '\0');
      continue;
    }
    switch (t) {
      case StorageType::kBoolean: out->push_back(v.bool_value() ? 1 : 0); break;
      case StorageType::kInt: coding::PutFixed32(out, static_cast<uint32_t>(v.int32_value())); break;
      case StorageType::kBigInt:
      case StorageType::kDateTime: coding::PutFixed64(out, static_cast<uint64_t>(v.int64_value())); break;
      case StorageType::kFloat: coding::PutFixed64(out, std::bit_cast<uint64_t>(v.double_value())); break;
      case StorageType::kUuid: out->append(v.bytes_value()); break;
      default: assert(false && "not a fixed-width type");
    }
  }
  uint64_t end = 0;
  for (size_t i = 0; i < n; ++i) {
    if (layout.is_fixed(i)) continue;
    if (!values[i].is_null()) end += VariableSize(values[i], layout.field(i).type);
    if (wide) {
      coding::PutFixed32(out, static_cast<uint32_t>(end));
    } else {
      PutFixed16(out, static_cast<uint16_t>(end));
    }
  }
  for (size_t i = 0; i < n; ++i) {
    const Value& v = values[i];
    if (layout.is_fixed(i) || v.is_null()) continue;
    switch (layout.field(i).type) {
      case StorageType::kString:
      case StorageType::kJson:
      case StorageType::kEnum: out->append(v.string_value()); break;
      case StorageType::kBytes: out->append(v.bytes_value()); break;
      case StorageType::kDecimal: v.decimal_value().AppendSortable(out); break;
      default: assert(false && "not a variable-width type");
    }
  }
  assert(out->size() - start == 1 + static_cast<size_t>(coding::VarintLength(layout.schema_version())) +
                                    static_cast<size_t>(coding::VarintLength(n)) + (n + 7) / 8 +
                                    layout.fixed_bytes() + layout.variable_count() * (wide ? 4u : 2u) + variable_bytes);
  (void)start;
  return Status::OK();
}

Result<uint32_t> RecordSchemaVersion(std::string_view bytes) {
  bool wide = false;
  uint32_t version = 0;
  uint64_t count = 0;
  RETURN_IF_ERROR(ReadHeader(&bytes, &wide, &version, &count));
  return version;
}

Result<RecordView> RecordView::Open(std::string_view bytes, const RecordLayout& layout) {
  const std::string_view whole = bytes;
  auto bad = [&](const std::string& what) {
    return Status::Corruption("record (" + std::to_string(whole.size()) + " bytes, schema version " +
                              std::to_string(layout.schema_version()) + "): " + what);
  };
  RecordView r;
  r.layout_ = &layout;
  uint32_t version = 0;
  uint64_t count = 0;
  RETURN_IF_ERROR(ReadHeader(&bytes, &r.wide_, &version, &count));
  if (version != layout.schema_version()) {
    return Status::InvalidArgument("record written under schema version " + std::to_string(version) +
                                   " opened with the layout of version " + std::to_string(layout.schema_version()));
  }
  const size_t n = layout.size();
  if (count != n) {
    return bad("field count " + std::to_string(count) + ", the layout has " + std::to_string(n));
  }
  const size_t bitmap_bytes = (n + 7) / 8;
  const size_t width = r.wide_ ? 4 : 2;
  const size_t table_bytes = layout.variable_count() * width;
  if (bytes.size() < bitmap_bytes + layout.fixed_bytes() + table_bytes) {
    return bad("truncated: " + std::to_string(bytes.size()) + " bytes after the header, the bitmap, fixed section " +
               "and offset table need " + std::to_string(bitmap_bytes + layout.fixed_bytes() + table_bytes));
  }
  r.bitmap_ = bytes.data();
  r.fixed_ = r.bitmap_ + bitmap_bytes;
  r.offsets_ = r.fixed_ + layout.fixed_bytes();
  r.variable_ = r.offsets_ + table_bytes;
  const size_t variable_bytes = bytes.size() - bitmap_bytes - layout.fixed_bytes() - table_bytes;

  if (n % 8 != 0 && (static_cast<uint8_t>(r.bitmap_[n / 8]) >> (n % 8)) != 0) {
    return bad("bits set in the null bitmap past the last field");
  }
  uint32_t prev_end = 0;
  for (size_t i = 0; i < n; ++i) {
    const RecordField& f = layout.field(i);
    const bool null = r.IsNull(i);
    if (null && !f.nullable) return bad(FieldName(f) + " is required but marked null");
    if (layout.is_fixed(i)) {
      if (!null && f.type == StorageType::kBoolean && static_cast<uint8_t>(r.fixed_[layout.slot(i)]) > 1) {
        return bad(FieldName(f) + ": boolean byte " + std::to_string(static_cast<uint8_t>(r.fixed_[layout.slot(i)])));
      }
      continue;
    }
    const uint32_t end = r.EndOffset(layout.slot(i));
    if (end < prev_end || end > variable_bytes) {
      return bad(FieldName(f) + ": end offset " + std::to_string(end) + " outside [" + std::to_string(prev_end) +
                 ", " + std::to_string(variable_bytes) + "]");
    }
    if (null && end != prev_end) return bad(FieldName(f) + " is null but has " + std::to_string(end - prev_end) + " bytes");
    if (!null && f.type == StorageType::kDecimal) {
      std::string_view d(r.variable_ + prev_end, end - prev_end);
      if (Status st = Decimal::DecodeSortable(&d, /*invert=*/false, nullptr); !st.ok()) {
        return bad(FieldName(f) + ": " + st.message());
      }
      if (!d.empty()) return bad(FieldName(f) + ": " + std::to_string(d.size()) + " bytes after the decimal");
    }
    prev_end = end;
  }
  if (prev_end != variable_bytes) {
    return bad(std::to_string(variable_bytes - prev_end) + " bytes after the last field");
  }
  return r;
}

uint32_t RecordView::EndOffset(uint32_t k) const {
  return wide_ ? coding::DecodeFixed32(offsets_ + 4 * size_t{k}) : coding::DecodeFixed16(offsets_ + 2 * size_t{k});
}

std::string_view RecordView::GetVariable(size_t i) const {
  assert(i < size() && !layout_->is_fixed(i));
  const uint32_t k = layout_->slot(i);
  const uint32_t begin = k == 0 ? 0 : EndOffset(k - 1);
  return std::string_view(variable_ + begin, EndOffset(k) - begin);
}

Result<Value> RecordView::Get(size_t i) const {
  assert(i < size());
  if (IsNull(i)) return Value::Null();
  const StorageType t = layout_->field(i).type;
  if (layout_->is_fixed(i)) {
    const char* p = fixed_ + layout_->slot(i);
    switch (t) {
      case StorageType::kBoolean: return Value::Bool(*p != 0);
      case StorageType::kInt: return Value::Int32(static_cast<int32_t>(coding::DecodeFixed32(p)));
      case StorageType::kBigInt:
      case StorageType::kDateTime: return Value::Int64(static_cast<int64_t>(coding::DecodeFixed64(p)));
      case StorageType::kFloat: return Value::Double(std::bit_cast<double>(coding::DecodeFixed64(p)));
      case StorageType::kUuid: return Value::Bytes(std::string(p, FixedWidth(t)));
      default: break;
    }
    assert(false && "not a fixed-width type");
  }
  std::string_view bytes = GetVariable(i);
  switch (t) {
    case StorageType::kString:
    case StorageType::kJson:
    case StorageType::kEnum: return Value::String(std::string(bytes));
    case StorageType::kBytes: return Value::Bytes(std::string(bytes));
    case StorageType::kDecimal: {
      Decimal d;
      RETURN_IF_ERROR(Decimal::DecodeSortable(&bytes, /*invert=*/false, &d));
      return Value::FromDecimal(std::move(d));
    }
    default: break;
  }
  return Status::Internal("record: field " + std::to_string(i) + " has no readable type");
}

Status RecordView::ReadAll(std::vector<Value>* out) const {
  out->reserve(out->size() + size());
  for (size_t i = 0; i < size(); ++i) {
    ASSIGN_OR_RETURN(Value v, Get(i));
    out->push_back(std::move(v));
  }
  return Status::OK();
}

Result<LayoutMapping> LayoutMapping::Make(const RecordLayout& stored, const RecordLayout& current,
                                          std::span<const Value> defaults) {
  if (defaults.size() != current.size()) {
    return Status::InvalidArgument("layout mapping: " + std::to_string(defaults.size()) + " defaults for " +
                                   std::to_string(current.size()) + " fields");
  }
  LayoutMapping m;
  m.stored_ = &stored;
  m.current_ = &current;
  m.source_.resize(current.size(), kMissing);
  m.defaults_.resize(current.size());
  const std::string versions = "(schema versions " + std::to_string(stored.schema_version()) + " -> " +
                               std::to_string(current.schema_version()) + ")";
  for (size_t i = 0; i < current.size(); ++i) {
    const RecordField& f = current.field(i);
    if (std::optional<size_t> j = stored.IndexOf(f.id)) {
      if (stored.field(*j).type != f.type) {
        return Status::InvalidArgument("layout mapping " + versions + ": field id " + std::to_string(f.id) +
                                       " changed type from " + std::string(StorageTypeName(stored.field(*j).type)) +
                                       " to " + std::string(StorageTypeName(f.type)) + "; its rows must be rewritten");
      }
      m.source_[i] = static_cast<uint32_t>(*j);
      continue;
    }
    const Value& d = defaults[i];
    if (d.is_null() && !f.nullable) {
      return Status::InvalidArgument("layout mapping " + versions + ": " + FieldName(f) +
                                     " is required, new since the stored version, and has no default");
    }
    if (Status st = CheckValueType(d, f.type); !st.ok()) {
      return st.Annotate("layout mapping " + versions + ": default of " + FieldName(f));
    }
    m.defaults_[i] = d;
  }
  return m;
}

Result<Value> LayoutMapping::Get(const RecordView& row, size_t current_index) const {
  assert(row.schema_version() == stored_->schema_version());
  assert(current_index < source_.size());
  const uint32_t j = source_[current_index];
  if (j == kMissing) return defaults_[current_index];
  ASSIGN_OR_RETURN(Value v, row.Get(j));
  const RecordField& f = current_->field(current_index);
  if (v.is_null() && !f.nullable) {
    return Status::Corruption("record of schema version " + std::to_string(stored_->schema_version()) +
                              " holds null for " + FieldName(f) + ", which version " +
                              std::to_string(current_->schema_version()) + " requires");
  }
  return v;
}

Status LayoutMapping::ReadAll(const RecordView& row, std::vector<Value>* out) const {
  out->reserve(out->size() + source_.size());
  for (size_t i = 0; i < source_.size(); ++i) {
    ASSIGN_OR_RETURN(Value v, Get(row, i));
    out->push_back(std::move(v));
  }
  return Status::OK();
}

}  // namespace ormdb::schema

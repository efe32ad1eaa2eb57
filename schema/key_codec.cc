#include "schema/key_codec.h"

#include <bit>
#include <cmath>
#include <cstring>

namespace ormdb::schema {

namespace {

constexpr uint64_t kSign64 = uint64_t{1} << 63;
constexpr uint32_t kSign32 = uint32_t{1} << 31;
// The one NaN keys hold (the quiet NaN std::numeric_limits gives on x86-64
// and ARM): every NaN is stored as this, which sorts above +Infinity.
constexpr uint64_t kCanonicalNaN = 0x7FF8000000000000;
constexpr size_t kUuidBytes = 16;
// Inside a string component (ascending): a 0x00 byte of the value is
// written 0x00 0xFF, and the component ends with 0x00 0x01.
constexpr uint8_t kEscapedZero = 0xFF;
constexpr uint8_t kTerminator = 0x01;

void PutBigEndian(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t GetBigEndian(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = v << 8 | static_cast<uint8_t>(p[i]);
  return v;
}

// Doubles as unsigned integers in numeric order: negatives complemented
// (larger magnitude sorts first), non-negatives with the sign bit set.
uint64_t SortableDouble(double d) {
  if (std::isnan(d)) return kCanonicalNaN ^ kSign64;
  if (d == 0) return kSign64;  // -0.0 too
  const auto bits = std::bit_cast<uint64_t>(d);
  return (bits & kSign64) != 0 ? ~bits : bits ^ kSign64;
}

void AppendEscaped(std::string* out, std::string_view s) {
  for (;;) {
    const size_t z = s.find('\0');
    if (z == std::string_view::npos) break;
    out->append(s.data(), z + 1);
    out->push_back(static_cast<char>(kEscapedZero));
    s.remove_prefix(z + 1);
  }
  out->append(s);
  out->push_back('\0');
  out->push_back(static_cast<char>(kTerminator));
}

// Appends bytes[0, n) complemented by `inv` (0x00 or 0xFF).
void AppendMasked(std::string* out, const char* bytes, size_t n, uint8_t inv) {
  if (inv == 0) {
    out->append(bytes, n);
    return;
  }
  const size_t start = out->size();
  out->append(bytes, n);
  for (size_t i = start; i < out->size(); ++i) (*out)[i] = static_cast<char>(~(*out)[i]);
}

std::string ComponentName(StorageType type, SortOrder order) {
  std::string s = "key component (";
  s += StorageTypeName(type);
  if (order == SortOrder::kDesc) s += ", descending";
  s += ")";
  return s;
}

// Decodes one non-null component: s[0] is its marker, already checked.
// Sets *consumed to the component's length, marker included.
class ComponentDecoder {
 public:
  ComponentDecoder(std::string_view s, StorageType type, SortOrder order)
      : s_(s), type_(type), order_(order), inv_(order == SortOrder::kDesc ? 0xFF : 0x00) {}

  Status Decode(size_t* consumed, Value* out) {
    switch (type_) {
      case StorageType::kBoolean: {
        RETURN_IF_ERROR(Need(1));
        const uint8_t b = Byte(1);
        if (b > 1) return Bad("boolean byte " + std::to_string(b));
        *out = Value::Bool(b == 1);
        *consumed = 2;
        return Status::OK();
      }
      case StorageType::kInt: {
        RETURN_IF_ERROR(Need(4));
        const auto u = static_cast<uint32_t>(Fixed(4));
        *out = Value::Int32(static_cast<int32_t>(u ^ kSign32));
        *consumed = 5;
        return Status::OK();
      }
      case StorageType::kBigInt:
      case StorageType::kDateTime: {
        RETURN_IF_ERROR(Need(8));
        *out = Value::Int64(static_cast<int64_t>(Fixed(8) ^ kSign64));
        *consumed = 9;
        return Status::OK();
      }
      case StorageType::kFloat: {
        RETURN_IF_ERROR(Need(8));
        const uint64_t u = Fixed(8);
        const uint64_t bits = (u & kSign64) != 0 ? u ^ kSign64 : ~u;
        if (bits == kSign64) return Bad("-0.0 (keys store +0.0)");
        const auto d = std::bit_cast<double>(bits);
        if (std::isnan(d) && bits != kCanonicalNaN) return Bad("a NaN other than the canonical one");
        *out = Value::Double(d);
        *consumed = 9;
        return Status::OK();
      }
      case StorageType::kDecimal: {
        std::string_view rest = s_.substr(1);
        Decimal d;
        Status st = Decimal::DecodeSortable(&rest, inv_ != 0, &d);
        if (!st.ok()) return st.Annotate(ComponentName(type_, order_));
        *consumed = s_.size() - rest.size();
        *out = Value::FromDecimal(std::move(d));
        return Status::OK();
      }
      case StorageType::kString:
      case StorageType::kEnum:
      case StorageType::kBytes: {
        std::string v;
        RETURN_IF_ERROR(Unescape(consumed, &v));
        *out = type_ == StorageType::kBytes ? Value::Bytes(std::move(v)) : Value::String(std::move(v));
        return Status::OK();
      }
      case StorageType::kUuid: {
        RETURN_IF_ERROR(Need(kUuidBytes));
        std::string v;
        AppendMasked(&v, s_.data() + 1, kUuidBytes, inv_);
        *out = Value::Bytes(std::move(v));
        *consumed = 1 + kUuidBytes;
        return Status::OK();
      }
      case StorageType::kJson: break;
    }
    return Status::InvalidArgument("Json cannot be part of a key");
  }

 private:
  Status Bad(const std::string& what) const { return Status::Corruption(ComponentName(type_, order_) + ": " + what); }

  Status Need(size_t body_bytes) const {
    if (s_.size() - 1 >= body_bytes) return Status::OK();
    return Bad("truncated: " + std::to_string(s_.size() - 1) + " of " + std::to_string(body_bytes) + " bytes");
  }

  uint8_t Byte(size_t i) const { return static_cast<uint8_t>(static_cast<uint8_t>(s_[i]) ^ inv_); }
  // The big-endian integer after the marker, in ascending form.
  uint64_t Fixed(int bytes) const {
    uint64_t v = 0;
    for (int i = 1; i <= bytes; ++i) v = v << 8 | Byte(static_cast<size_t>(i));
    return v;
  }

  Status Unescape(size_t* consumed, std::string* v) const {
    const char zero = static_cast<char>(inv_);  // how a 0x00 byte looks in this order
    size_t pos = 1;
    for (;;) {
      const void* p = std::memchr(s_.data() + pos, zero, s_.size() - pos);
      if (p == nullptr) return Bad("no terminator after " + std::to_string(s_.size() - 1) + " bytes");
      const auto z = static_cast<size_t>(static_cast<const char*>(p) - s_.data());
      AppendMasked(v, s_.data() + pos, z - pos, inv_);
      if (z + 1 >= s_.size()) return Bad("no terminator after " + std::to_string(s_.size() - 1) + " bytes");
      const uint8_t next = Byte(z + 1);
      pos = z + 2;
      if (next == kTerminator) break;
      if (next != kEscapedZero) {
        return Bad("byte 0x00 followed by " + std::to_string(next) + " at offset " + std::to_string(z));
      }
      v->push_back('\0');
    }
    *consumed = pos;
    return Status::OK();
  }

  std::string_view s_;
  StorageType type_;
  SortOrder order_;
  uint8_t inv_;
};

}  // namespace

Status CheckKeyType(StorageType t) {
  if (t == StorageType::kJson) return Status::InvalidArgument("Json cannot be part of a key");
  return Status::OK();
}

Status AppendKey(std::string* out, const Value& v, StorageType type, SortOrder order) {
  RETURN_IF_ERROR(CheckKeyType(type));
  {
    Status st = CheckValueType(v, type);
    if (!st.ok()) return st.Annotate(ComponentName(type, order));
  }
  const size_t start = out->size();
  if (v.is_null()) {
    out->push_back(static_cast<char>(kKeyNullMarker));
  } else {
    out->push_back(static_cast<char>(kKeyValueMarker));
    switch (type) {
      case StorageType::kBoolean: out->push_back(v.bool_value() ? 1 : 0); break;
      case StorageType::kInt: PutBigEndian(out, static_cast<uint32_t>(v.int32_value()) ^ kSign32, 4); break;
      case StorageType::kBigInt:
      case StorageType::kDateTime: PutBigEndian(out, static_cast<uint64_t>(v.int64_value()) ^ kSign64, 8); break;
      case StorageType::kFloat: PutBigEndian(out, SortableDouble(v.double_value()), 8); break;
      case StorageType::kDecimal: v.decimal_value().AppendSortable(out); break;
      case StorageType::kString:
      case StorageType::kEnum: AppendEscaped(out, v.string_value()); break;
      case StorageType::kBytes: AppendEscaped(out, v.bytes_value()); break;
      case StorageType::kUuid: out->append(v.bytes_value()); break;
      case StorageType::kJson: assert(false); break;
    }
  }
  if (order == SortOrder::kDesc) {
    for (size_t i = start; i < out->size(); ++i) (*out)[i] = static_cast<char>(~(*out)[i]);
  }
  return Status::OK();
}

Status DecodeKey(std::string_view* in, StorageType type, SortOrder order, Value* out) {
  RETURN_IF_ERROR(CheckKeyType(type));
  if (in->empty()) return Status::Corruption(ComponentName(type, order) + ": missing (key ends)");
  const uint8_t inv = order == SortOrder::kDesc ? 0xFF : 0x00;
  const auto marker = static_cast<uint8_t>(static_cast<uint8_t>((*in)[0]) ^ inv);
  if (marker == kKeyNullMarker) {
    *out = Value::Null();
    in->remove_prefix(1);
    return Status::OK();
  }
  if (marker != kKeyValueMarker) {
    return Status::Corruption(ComponentName(type, order) + ": bad marker byte " +
                              std::to_string(static_cast<uint8_t>((*in)[0])));
  }
  size_t consumed = 0;
  RETURN_IF_ERROR(ComponentDecoder(*in, type, order).Decode(&consumed, out));
  in->remove_prefix(consumed);
  return Status::OK();
}

Status AppendKeyColumns(std::string* out, std::span<const Value> values, std::span<const KeyColumn> columns) {
  if (values.size() != columns.size()) {
    return Status::InvalidArgument("key has " + std::to_string(columns.size()) + " columns, got " +
                                   std::to_string(values.size()) + " values");
  }
  const size_t start = out->size();
  for (size_t i = 0; i < columns.size(); ++i) {
    Status st = AppendKey(out, values[i], columns[i].type, columns[i].order);
    if (!st.ok()) {
      out->resize(start);
      return st.Annotate("key column " + std::to_string(i));
    }
  }
  return Status::OK();
}

Status DecodeKeyColumns(std::string_view* in, std::span<const KeyColumn> columns, std::vector<Value>* values) {
  std::string_view rest = *in;
  const size_t start = values->size();
  for (size_t i = 0; i < columns.size(); ++i) {
    Value v;
    Status st = DecodeKey(&rest, columns[i].type, columns[i].order, &v);
    if (!st.ok()) {
      values->resize(start);
      return st.Annotate("key column " + std::to_string(i));
    }
    values->push_back(std::move(v));
  }
  *in = rest;
  return Status::OK();
}

void AppendU32Key(std::string* out, uint32_t v) { PutBigEndian(out, v, 4); }

Status DecodeU32Key(std::string_view* in, uint32_t* v) {
  if (in->size() < 4) {
    return Status::Corruption("key: truncated u32 (" + std::to_string(in->size()) + " of 4 bytes)");
  }
  *v = static_cast<uint32_t>(GetBigEndian(in->data(), 4));
  in->remove_prefix(4);
  return Status::OK();
}

}  // namespace ormdb::schema

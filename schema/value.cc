#include "schema/value.h"

#include <optional>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

namespace ormdb::schema {

namespace {

// How much of a string or bytes value an error message shows.
constexpr size_t kMaxShownBytes = 64;

std::string_view KindName(Value::Kind k) {
  switch (k) {
    case Value::Kind::kNull: return "null";
    case Value::Kind::kBool: return "bool";
    case Value::Kind::kInt32: return "int32";
    case Value::Kind::kInt64: return "int64";
    case Value::Kind::kDouble: return "double";
    case Value::Kind::kDecimal: return "decimal";
    case Value::Kind::kString: return "string";
    case Value::Kind::kBytes: return "bytes";
  }
  return "?";
}

Value::Kind KindOf(StorageType t) {
  switch (t) {
    case StorageType::kBoolean: return Value::Kind::kBool;
    case StorageType::kInt: return Value::Kind::kInt32;
    case StorageType::kBigInt:
    case StorageType::kDateTime: return Value::Kind::kInt64;
    case StorageType::kFloat: return Value::Kind::kDouble;
    case StorageType::kDecimal: return Value::Kind::kDecimal;
    case StorageType::kString:
    case StorageType::kJson:
    case StorageType::kEnum: return Value::Kind::kString;
    case StorageType::kBytes:
    case StorageType::kUuid: return Value::Kind::kBytes;
  }
  assert(false && "bad StorageType");
  return Value::Kind::kNull;
}

std::string FormatDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  assert(ec == std::errc());
  (void)ec;
  return std::string(buf, end);
}

void AppendHexByte(std::string* out, uint8_t b) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back(kHex[b >> 4]);
  out->push_back(kHex[b & 0xF]);
}

std::string QuoteString(const std::string& s) {
  size_t shown = std::min(s.size(), kMaxShownBytes);
  // Don't cut a UTF-8 sequence in two.
  while (shown < s.size() && shown > 0 && (static_cast<uint8_t>(s[shown]) & 0xC0) == 0x80) --shown;
  std::string out = "\"";
  for (size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7F) {
      out += "\\x";
      AppendHexByte(&out, c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
  if (shown < s.size()) out += "... (" + std::to_string(s.size()) + " bytes)";
  return out;
}

std::string HexBytes(const std::string& s) {
  const size_t shown = std::min(s.size(), kMaxShownBytes);
  std::string out = "0x";
  for (size_t i = 0; i < shown; ++i) AppendHexByte(&out, static_cast<uint8_t>(s[i]));
  if (shown < s.size()) out += "... (" + std::to_string(s.size()) + " bytes)";
  return out;
}

template <typename T>
int Cmp(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

}  // namespace

std::string_view StorageTypeName(StorageType t) {
  switch (t) {
    case StorageType::kBoolean: return "Boolean";
    case StorageType::kInt: return "Int";
    case StorageType::kBigInt: return "BigInt";
    case StorageType::kFloat: return "Float";
    case StorageType::kDecimal: return "Decimal";
    case StorageType::kString: return "String";
    case StorageType::kBytes: return "Bytes";
    case StorageType::kDateTime: return "DateTime";
    case StorageType::kJson: return "Json";
    case StorageType::kEnum: return "Enum";
    case StorageType::kUuid: return "Uuid";
  }
  return "?";
}

StorageType StorageTypeOf(ScalarType t) {
  switch (t) {
    case ScalarType::kBoolean: return StorageType::kBoolean;
    case ScalarType::kInt: return StorageType::kInt;
    case ScalarType::kBigInt: return StorageType::kBigInt;
    case ScalarType::kFloat: return StorageType::kFloat;
    case ScalarType::kDecimal: return StorageType::kDecimal;
    case ScalarType::kString: return StorageType::kString;
    case ScalarType::kBytes: return StorageType::kBytes;
    case ScalarType::kDateTime: return StorageType::kDateTime;
    case ScalarType::kJson: return StorageType::kJson;
  }
  assert(false && "bad ScalarType");
  return StorageType::kString;
}

std::optional<StorageType> StorageTypeOf(const Field& f) {
  switch (f.kind) {
    case FieldKind::kRelation: return std::nullopt;
    case FieldKind::kEnum: return StorageType::kEnum;
    case FieldKind::kScalar:
      if (f.uuid_bytes) return StorageType::kUuid;
      return StorageTypeOf(f.scalar);
  }
  return std::nullopt;
}

std::string Value::ToString() const {
  switch (kind_) {
    case Kind::kNull: return "null";
    case Kind::kBool: return bool_value() ? "true" : "false";
    case Kind::kInt32: return std::to_string(int32_value());
    case Kind::kInt64: return std::to_string(int64_value());
    case Kind::kDouble: return FormatDouble(double_value());
    case Kind::kDecimal: return decimal_value().ToString();
    case Kind::kString: return QuoteString(string_value());
    case Kind::kBytes: return HexBytes(bytes_value());
  }
  return "?";
}

int Compare(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return Cmp(a.kind(), b.kind());
  switch (a.kind()) {
    case Value::Kind::kNull: return 0;
    case Value::Kind::kBool: return Cmp(a.bool_value(), b.bool_value());
    case Value::Kind::kInt32: return Cmp(a.int32_value(), b.int32_value());
    case Value::Kind::kInt64: return Cmp(a.int64_value(), b.int64_value());
    case Value::Kind::kDouble: {
      const double x = a.double_value();
      const double y = b.double_value();
      if (std::isnan(x) || std::isnan(y)) return Cmp(std::isnan(x), std::isnan(y));
      return Cmp(x, y);  // -0.0 == +0.0
    }
    case Value::Kind::kDecimal: {
      const auto c = a.decimal_value() <=> b.decimal_value();
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case Value::Kind::kString: return Cmp(a.string_value().compare(b.string_value()), 0);
    case Value::Kind::kBytes: return Cmp(a.bytes_value().compare(b.bytes_value()), 0);
  }
  return 0;
}

Status CheckValueType(const Value& v, StorageType t) {
  if (v.is_null()) return Status::OK();
  const Value::Kind want = KindOf(t);
  if (v.kind() != want) {
    return Status::InvalidArgument("expected a " + std::string(StorageTypeName(t)) + " (" +
                                   std::string(KindName(want)) + ") value, got " + std::string(KindName(v.kind())) +
                                   " " + v.ToString());
  }
  if (t == StorageType::kUuid && v.bytes_value().size() != 16) {
    return Status::InvalidArgument("expected a Uuid (16 bytes), got " + std::to_string(v.bytes_value().size()) +
                                   " bytes " + v.ToString());
  }
  return Status::OK();
}

namespace {

constexpr size_t kUuidBytes = 16;
constexpr size_t kUuidTextChars = 36;  // 8-4-4-4-12

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsUuidHyphenAt(size_t i) { return i == 8 || i == 13 || i == 18 || i == 23; }

}  // namespace

std::string FormatUuid(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  assert(bytes.size() == kUuidBytes);
  std::string s;
  s.reserve(kUuidTextChars);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    const auto b = static_cast<uint8_t>(bytes[i]);
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 0xF]);
  }
  return s;
}

std::optional<std::string> ParseUuid(std::string_view s) {
  if (s.size() != kUuidTextChars) return std::nullopt;
  std::string bytes;
  bytes.reserve(kUuidBytes);
  for (size_t i = 0; i < s.size();) {
    if (IsUuidHyphenAt(i)) {
      if (s[i] != '-') return std::nullopt;
      ++i;
      continue;
    }
    const int hi = HexValue(s[i]);
    const int lo = HexValue(s[i + 1]);  // i + 1 < 36: pairs never straddle a hyphen
    if (hi < 0 || lo < 0) return std::nullopt;
    bytes.push_back(static_cast<char>(hi << 4 | lo));
    i += 2;
  }
  return bytes;
}


}  // namespace ormdb::schema

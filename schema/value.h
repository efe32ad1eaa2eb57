// Value: one field value as the storage layer holds it (a key component or a
// record field), and StorageType: how a field's values are stored, which the
// key codec (schema/key_codec.h) and the record format (schema/record.h)
// both dispatch on.
#pragma once

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "schema/decimal.h"
#include "schema/model.h"
#include "util/status.h"

namespace ormdb::schema {

// A field's storage type: its ScalarType, refined where storage differs.
// Never renumber: the values are persisted in the catalog.
enum class StorageType : uint8_t {
  kBoolean = 0,
  kInt = 1,       // int32
  kBigInt = 2,    // int64
  kFloat = 3,     // double
  kDecimal = 4,
  kString = 5,    // UTF-8 text (not validated here: the query layer's job)
  kBytes = 6,
  kDateTime = 7,  // int64 microseconds since the Unix epoch, UTC
  kJson = 8,      // JSON text; cannot be part of a key
  kEnum = 9,      // the value's name, so adding enum values never reorders storage
  kUuid = 10,     // a String field with uuid_bytes: 16 raw bytes
};
constexpr int kStorageTypeCount = 11;

std::string_view StorageTypeName(StorageType t);  // "Int", "Uuid", "Enum", ...
StorageType StorageTypeOf(ScalarType t);
// A field's storage type; nullopt for relation fields (they store nothing).
std::optional<StorageType> StorageTypeOf(const Field& f);

// One field value. Which Kind a StorageType takes:
//   Boolean -> kBool; Int -> kInt32; BigInt, DateTime -> kInt64;
//   Float -> kDouble; Decimal -> kDecimal; String, Json, Enum -> kString;
//   Bytes, Uuid (exactly 16 bytes) -> kBytes. Any type may be null.
class Value {
 public:
  enum class Kind : uint8_t { kNull, kBool, kInt32, kInt64, kDouble, kDecimal, kString, kBytes };

  Value() = default;  // null
  static Value Null() { return Value(); }
  static Value Bool(bool v) { return Value(Kind::kBool, v); }
  static Value Int32(int32_t v) { return Value(Kind::kInt32, v); }
  static Value Int64(int64_t v) { return Value(Kind::kInt64, v); }
  static Value Double(double v) { return Value(Kind::kDouble, v); }
  static Value FromDecimal(Decimal v) { return Value(Kind::kDecimal, std::move(v)); }
  static Value String(std::string v) { return Value(Kind::kString, std::move(v)); }
  static Value Bytes(std::string v) { return Value(Kind::kBytes, std::move(v)); }

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  // Accessors assert the kind.
  bool bool_value() const { return Get<bool>(Kind::kBool); }
  int32_t int32_value() const { return Get<int32_t>(Kind::kInt32); }
  int64_t int64_value() const { return Get<int64_t>(Kind::kInt64); }
  double double_value() const { return Get<double>(Kind::kDouble); }
  const Decimal& decimal_value() const { return Get<Decimal>(Kind::kDecimal); }
  const std::string& string_value() const { return Get<std::string>(Kind::kString); }
  const std::string& bytes_value() const { return Get<std::string>(Kind::kBytes); }

  // For error messages: null, true, 42, 1.5, 12.30 as "12.3", strings
  // quoted and escaped, bytes as 0x hex; long ones cut at 64 bytes.
  std::string ToString() const;

 private:
  template <typename T>
  Value(Kind k, T v) : kind_(k), v_(std::move(v)) {}
  template <typename T>
  const T& Get(Kind k) const {
    assert(kind_ == k);
    (void)k;
    return std::get<T>(v_);
  }

  Kind kind_ = Kind::kNull;
  std::variant<std::monostate, bool, int32_t, int64_t, double, Decimal, std::string> v_;
};

// The order keys sort in (SQL's, per type, with nulls first): false < true;
// integers and decimals numerically; doubles numerically with -0.0 == +0.0
// and NaN above +Infinity and equal to itself (PostgreSQL's order); strings
// and bytes by unsigned bytes (for UTF-8, code point order: a binary
// collation). Values of different kinds order by Kind, only so the order is
// total. Returns <0, 0 or >0.
int Compare(const Value& a, const Value& b);
inline bool operator==(const Value& a, const Value& b) { return Compare(a, b) == 0; }

// A Uuid's 16 bytes as "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (lowercase),
// and back from that form (hex digits in either case; nullopt otherwise).
std::string FormatUuid(std::string_view bytes16);
std::optional<std::string> ParseUuid(std::string_view text);

// OK when `v` may be stored in a field of type `t` (null always may: the
// caller checks nullability); otherwise InvalidArgument naming both.
Status CheckValueType(const Value& v, StorageType t);

}  // namespace ormdb::schema

// Random Values of every StorageType for the key codec and record tests,
// biased towards the edges: extreme integers, signed zeros, infinities, NaN,
// strings of 0x00, 0x01 and 0xFF bytes that are prefixes of each other,
// decimals that differ in one digit or one exponent step.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <random>
#include <string>

#include "schema/decimal.h"
#include "schema/value.h"

namespace ormdb::testing {

inline constexpr schema::StorageType kAllStorageTypes[] = {
    schema::StorageType::kBoolean, schema::StorageType::kInt,    schema::StorageType::kBigInt,
    schema::StorageType::kFloat,   schema::StorageType::kDecimal, schema::StorageType::kString,
    schema::StorageType::kBytes,   schema::StorageType::kDateTime, schema::StorageType::kJson,
    schema::StorageType::kEnum,    schema::StorageType::kUuid,
};

class ValueGen {
 public:
  explicit ValueGen(uint64_t seed) : rng_(seed) {}

  std::mt19937_64& rng() { return rng_; }
  uint64_t Uniform(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }
  bool OneIn(uint64_t n) { return Uniform(n) == 0; }

  // A value of type t; null with probability 1/null_one_in (never when 0).
  schema::Value Make(schema::StorageType t, uint64_t null_one_in = 8) {
    using schema::StorageType;
    using schema::Value;
    if (null_one_in != 0 && OneIn(null_one_in)) return Value::Null();
    switch (t) {
      case StorageType::kBoolean: return Value::Bool(OneIn(2));
      case StorageType::kInt: return Value::Int32(static_cast<int32_t>(Integer(32)));
      case StorageType::kBigInt:
      case StorageType::kDateTime: return Value::Int64(Integer(64));
      case StorageType::kFloat: return Value::Double(Double());
      case StorageType::kDecimal: return Value::FromDecimal(Decimal());
      case StorageType::kString:
      case StorageType::kJson:
      case StorageType::kEnum: return Value::String(Text());
      case StorageType::kBytes: return Value::Bytes(Text());
      case StorageType::kUuid: return Value::Bytes(Text(16));
    }
    return Value::Null();
  }

  // Integers that fit in `bits`: edges, small numbers (many collisions), or
  // anything.
  int64_t Integer(int bits) {
    const int64_t max = bits == 64 ? std::numeric_limits<int64_t>::max() : (int64_t{1} << (bits - 1)) - 1;
    const int64_t min = -max - 1;
    switch (Uniform(4)) {
      case 0: {
        const int64_t edges[] = {min, min + 1, -1, 0, 1, max - 1, max};
        return edges[Uniform(std::size(edges))];
      }
      case 1: return static_cast<int64_t>(Uniform(21)) - 10;
      case 2: return static_cast<int64_t>(Uniform(1 << 16)) - (1 << 15);
      default: {
        const auto u = static_cast<int64_t>(rng_());
        return bits == 64 ? u : static_cast<int32_t>(u);
      }
    }
  }

  double Double() {
    switch (Uniform(4)) {
      case 0: {
        const double edges[] = {-std::numeric_limits<double>::infinity(),
                                std::numeric_limits<double>::infinity(),
                                std::numeric_limits<double>::quiet_NaN(),
                                -std::numeric_limits<double>::quiet_NaN(),
                                0.0,
                                -0.0,
                                std::numeric_limits<double>::denorm_min(),
                                -std::numeric_limits<double>::denorm_min(),
                                std::numeric_limits<double>::min(),
                                std::numeric_limits<double>::max(),
                                std::numeric_limits<double>::lowest(),
                                1.0,
                                -1.0};
        return edges[Uniform(std::size(edges))];
      }
      case 1: return static_cast<double>(static_cast<int64_t>(Uniform(21)) - 10) / 4;
      default: return std::bit_cast<double>(static_cast<uint64_t>(rng_()));  // NaNs with payloads too
    }
  }

  schema::Decimal Decimal() {
    if (OneIn(8)) return schema::Decimal();
    const bool negative = OneIn(2);
    size_t n = 1 + Uniform(OneIn(4) ? schema::kMaxDecimalDigits : 4);
    std::string digits;
    for (size_t i = 0; i < n; ++i) {
      // Few distinct digits, so numbers often share prefixes.
      digits.push_back(static_cast<char>('0' + (OneIn(3) ? 0 : (OneIn(2) ? 1 : Uniform(10)))));
    }
    digits.front() = static_cast<char>('1' + Uniform(9));
    if (digits.back() == '0') digits.back() = static_cast<char>('1' + Uniform(9));
    int32_t exponent;
    switch (Uniform(4)) {
      case 0: exponent = OneIn(2) ? schema::kMinDecimalExponent : schema::kMaxDecimalExponent; break;
      case 1: exponent = static_cast<int32_t>(Uniform(200)) - 100; break;
      default: exponent = static_cast<int32_t>(Uniform(7)) - 3; break;
    }
    auto d = schema::Decimal::FromParts(negative, std::move(digits), exponent);
    return d.ok() ? *d : schema::Decimal();
  }

  // Bytes from a small alphabet that exercises the escaping; occasionally
  // long. `len` fixes the length.
  std::string Text(size_t len = SIZE_MAX) {
    static constexpr char kAlphabet[] = {'\0', '\x01', '\xFF', '\xFE', 'a', 'b'};
    if (len == SIZE_MAX) len = OneIn(50) ? 1000 + Uniform(5000) : Uniform(6);
    std::string s;
    for (size_t i = 0; i < len; ++i) {
      s.push_back(OneIn(10) ? static_cast<char>(rng_()) : kAlphabet[Uniform(sizeof(kAlphabet))]);
    }
    return s;
  }

 private:
  std::mt19937_64 rng_;
};

}  // namespace ormdb::testing

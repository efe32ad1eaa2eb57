// Decimal: an exact decimal number as ormDB stores Prisma's Decimal fields.
// It is kept normalized, so equal numbers have one representation (1.0, 1.00
// and 10e-1 are the same Decimal), with a text form (parse and canonical
// print) and the order-preserving byte form that keys and records share
// (docs/record-format.md, "Decimal").
//
// value = (negative ? -1 : 1) * 0.d1 d2 ... dn * 10^exponent
//
// where d1 != 0 and dn != 0; zero has no digits, exponent 0 and is never
// negative. Precision is limited to kMaxDecimalDigits significant digits (the
// largest precision of SQL Server, Oracle and Snowflake); text with more is
// rejected rather than rounded, because silently changing a stored number is
// worse than refusing it.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "util/status.h"

namespace ormdb::schema {

constexpr int kMaxDecimalDigits = 38;
// The exponent of the normal form above: magnitudes from 10^-32768 up to
// (but excluding) 10^32767.
constexpr int32_t kMinDecimalExponent = -32767;
constexpr int32_t kMaxDecimalExponent = 32767;

class Decimal {
 public:
  Decimal() = default;  // zero

  // "-12.3400e5", "0.001", "+7", ".5", "5.", "1E-3": an optional sign,
  // digits with at most one '.', at least one digit, an optional exponent.
  // No whitespace, no "NaN" or "Infinity". InvalidArgument when malformed,
  // when more than kMaxDecimalDigits digits are significant, or when the
  // number is outside the exponent range (zero is never out of range).
  static Result<Decimal> Parse(std::string_view text);
  // From the parts of the normal form; InvalidArgument unless they are
  // normalized (ASCII digits, first and last not '0', within the limits).
  static Result<Decimal> FromParts(bool negative, std::string digits, int32_t exponent);
  static Decimal FromInt64(int64_t v);

  bool is_zero() const { return digits_.empty(); }
  bool negative() const { return negative_; }
  // ASCII digits d1..dn; empty for zero.
  const std::string& digits() const { return digits_; }
  int32_t exponent() const { return exponent_; }

  // Canonical text, as decimal.js (Prisma's Decimal) prints by default:
  // plain notation ("-1234.5", "0.001") when the scientific exponent x is in
  // -7 < x < 21, else scientific ("1.5e+21", "-1e-7"). Parse reads it back.
  std::string ToString() const;

  // Numeric order. The normal form makes member-wise equality numeric.
  friend std::strong_ordering operator<=>(const Decimal& a, const Decimal& b);
  friend bool operator==(const Decimal& a, const Decimal& b) = default;

  // The order-preserving byte form: memcmp of two encodings orders them as
  // the numbers, and no encoding is a prefix of another. Appends to *out.
  void AppendSortable(std::string* out) const;
  // The number of bytes AppendSortable appends.
  size_t SortableSize() const;
  // Consumes one encoding from the front of *in. `invert` reads the bytes
  // complemented (a descending key). `out` may be null to only validate.
  // Corruption for anything AppendSortable would not have written; *in is
  // unchanged on error.
  static Status DecodeSortable(std::string_view* in, bool invert, Decimal* out);

 private:
  Decimal(bool negative, std::string digits, int32_t exponent)
      : negative_(negative), exponent_(exponent), digits_(std::move(digits)) {}

  bool negative_ = false;
  int32_t exponent_ = 0;
  std::string digits_;
};

}  // namespace ormdb::schema

#include "schema/convert.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <system_error>

#include "schema/literal.h"

namespace ormdb::schema {
namespace {

using T = StorageType;


bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string TypePair(StorageType from, StorageType to) {
  return std::string(StorageTypeName(from)) + " to " + std::string(StorageTypeName(to));
}

// ---- Numbers ---------------------------------------------------------------

// An optional sign, then one or more ASCII digits: the only integer text
// accepted, so " 1", "1.0", "1e3" and "0x1" don't quietly become numbers.
std::optional<int64_t> ParseIntegerText(std::string_view s, int64_t min, int64_t max) {
  size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  if (i == s.size()) return std::nullopt;
  for (size_t j = i; j < s.size(); ++j) {
    if (!IsDigit(s[j])) return std::nullopt;
  }
  if (s[0] == '+') s.remove_prefix(1);  // from_chars takes '-' only
  return ParseInteger(s, min, max);
}

// Decimal::Parse's grammar: [+-] (digits [. digits*] | . digits)
// [(e|E) [+-] digits]. from_chars alone would also take "inf", "nan",
// "nan(...)" and stop early at "1e" or "1x".
bool IsDecimalNumberText(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t digits = 0;
  for (; i < s.size() && IsDigit(s[i]); ++i) ++digits;
  if (i < s.size() && s[i] == '.') {
    for (++i; i < s.size() && IsDigit(s[i]); ++i) ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    const size_t start = i;
    for (; i < s.size() && IsDigit(s[i]); ++i) {
    }
    if (i == start) return false;
  }
  return i == s.size();
}

// Text already in IsDecimalNumberText's grammar, correctly rounded; nullopt
// when it overflows or underflows to zero (from_chars' result_out_of_range).
std::optional<double> ReadDouble(std::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  double d = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return d;
}

std::optional<double> ParseFloatText(std::string_view s) {
  // The spellings FloatText writes for the non-finite values.
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (s == "Infinity" || s == "+Infinity") return std::numeric_limits<double>::infinity();
  if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  if (!IsDecimalNumberText(s)) return std::nullopt;
  return ReadDouble(s);
}

std::string ToChars(double d, std::chars_format fmt) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d, fmt);
  assert(ec == std::errc());
  (void)ec;
  return std::string(buf, end);
}

std::string FloatText(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);  // shortest that reads back
  assert(ec == std::errc());
  (void)ec;
  return std::string(buf, end);
}

// The double as an integer in [min, max] when it is one exactly.
std::optional<int64_t> ExactInteger(double d, int64_t min, int64_t max) {
  // 2^63 is exactly a double; every double below it and at least -2^63 that
  // has no fraction is exactly an int64.
  constexpr double kTwoTo63 = 9223372036854775808.0;
  if (!std::isfinite(d) || std::trunc(d) != d || d < -kTwoTo63 || d >= kTwoTo63) return std::nullopt;
  const auto i = static_cast<int64_t>(d);
  if (i < min || i > max) return std::nullopt;
  return i;
}

std::optional<int64_t> ExactInteger(const Decimal& d, int64_t min, int64_t max) {
  if (d.is_zero()) return 0;  // min <= 0 <= max for both integer types
  const auto n = static_cast<int32_t>(d.digits().size());
  // A fraction when digits reach below the point; beyond 19 integer digits
  // out of any int64's range (and the text below stays short).
  if (d.exponent() < n || d.exponent() > std::numeric_limits<int64_t>::digits10 + 1) return std::nullopt;
  std::string text = d.negative() ? "-" : "";
  text += d.digits();
  text.append(static_cast<size_t>(d.exponent() - n), '0');
  return ParseInteger(text, min, max);
}

Decimal DecimalOfDouble(double d) {
  assert(std::isfinite(d));
  // Scientific, so the digits are the shortest that read back: to_chars'
  // plain form may print a large integer's exact digits instead
  // (123456789012345683968 for 1.2345678901234568e20).
  Result<Decimal> dec = Decimal::Parse(ToChars(d, std::chars_format::scientific));
  assert(dec.ok() && "every finite double's shortest text is a Decimal");
  return std::move(dec).value();
}

// ---- Text forms ------------------------------------------------------------

// The value of type `from` as text: the widenings to String.
std::string TextOf(const Value& v, StorageType from) {
  switch (from) {
    case T::kInt: return std::to_string(v.int32_value());
    case T::kBigInt: return std::to_string(v.int64_value());
    case T::kFloat: return FloatText(v.double_value());
    case T::kDecimal: return v.decimal_value().ToString();
    case T::kBoolean: return v.bool_value() ? "true" : "false";
    case T::kDateTime: return FormatTimestampMicros(v.int64_value());
    case T::kUuid: return FormatUuid(v.bytes_value());
    case T::kJson:
    case T::kEnum:
    case T::kString: return v.string_value();
    case T::kBytes: return v.bytes_value();  // only when valid UTF-8: checked by the caller
  }
  assert(false && "bad StorageType");
  return "";
}

// ---- Conversion by target type ---------------------------------------------
// Each returns nullopt for a value the target type can't hold; the caller
// has checked the pair is allowed and `v` is a non-null value of `from`.

std::optional<int64_t> ToInteger(const Value& v, StorageType from, int64_t min, int64_t max) {
  switch (from) {
    case T::kInt: return v.int32_value();
    case T::kBigInt: {
      const int64_t i = v.int64_value();
      return i >= min && i <= max ? std::optional<int64_t>(i) : std::nullopt;
    }
    case T::kFloat: return ExactInteger(v.double_value(), min, max);
    case T::kDecimal: return ExactInteger(v.decimal_value(), min, max);
    case T::kString: return ParseIntegerText(v.string_value(), min, max);
    default: break;
  }
  assert(false && "no integer conversion from this type");
  return std::nullopt;
}

std::optional<double> ToFloat(const Value& v, StorageType from) {
  switch (from) {
    case T::kInt: return v.int32_value();
    case T::kBigInt: return static_cast<double>(v.int64_value());  // round to nearest, ties to even
    case T::kDecimal: return ReadDouble(v.decimal_value().ToString());
    case T::kString: return ParseFloatText(v.string_value());
    default: break;
  }
  assert(false && "no Float conversion from this type");
  return std::nullopt;
}

std::optional<Decimal> ToDecimal(const Value& v, StorageType from) {
  switch (from) {
    case T::kInt: return Decimal::FromInt64(v.int32_value());
    case T::kBigInt: return Decimal::FromInt64(v.int64_value());
    case T::kFloat:
      if (!std::isfinite(v.double_value())) return std::nullopt;
      return DecimalOfDouble(v.double_value());
    case T::kString: {
      Result<Decimal> d = Decimal::Parse(v.string_value());
      if (!d.ok()) return std::nullopt;
      return std::move(d).value();
    }
    default: break;
  }
  assert(false && "no Decimal conversion from this type");
  return std::nullopt;
}

template <typename U, typename Make>
Value OrNull(const std::optional<U>& x, Make make) {
  return x.has_value() ? make(*x) : Value::Null();
}

// The non-null `v` of type `from` as type `to`, or null when it has none.
Value Convert(const Value& v, StorageType from, StorageType to, std::span<const std::string> to_enum) {
  switch (to) {
    case T::kInt:
      return OrNull(ToInteger(v, from, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()),
                    [](int64_t i) { return Value::Int32(static_cast<int32_t>(i)); });
    case T::kBigInt:
      return OrNull(ToInteger(v, from, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()),
                    Value::Int64);
    case T::kFloat: return OrNull(ToFloat(v, from), Value::Double);
    case T::kDecimal: return OrNull(ToDecimal(v, from), Value::FromDecimal);
    case T::kString:
      if (from == T::kBytes && !IsValidUtf8(v.bytes_value())) return Value::Null();
      return Value::String(TextOf(v, from));
    case T::kBytes: return Value::Bytes(v.string_value());  // from String
    case T::kBoolean: {
      const std::string& s = v.string_value();
      if (s == "true") return Value::Bool(true);
      if (s == "false") return Value::Bool(false);
      return Value::Null();
    }
    case T::kDateTime: return OrNull(ParseTimestampMicros(v.string_value()), Value::Int64);
    case T::kUuid: return OrNull(ParseUuid(v.string_value()), Value::Bytes);
    case T::kJson: return IsValidJson(v.string_value()) ? v : Value::Null();
    case T::kEnum: {
      const std::string& name = v.string_value();  // from String or another enum
      return std::find(to_enum.begin(), to_enum.end(), name) != to_enum.end() ? v : Value::Null();
    }
  }
  assert(false && "bad StorageType");
  return Value::Null();
}

}  // namespace

StoredKind StoredKindOf(StorageType t) {
  switch (t) {
    case T::kBoolean: return StoredKind::kBoolean;
    case T::kInt: return StoredKind::kInt;
    case T::kBigInt: return StoredKind::kBigInt;
    case T::kFloat: return StoredKind::kFloat;
    case T::kDecimal: return StoredKind::kDecimal;
    case T::kString: return StoredKind::kString;
    case T::kBytes: return StoredKind::kBytes;
    case T::kDateTime: return StoredKind::kDateTime;
    case T::kJson: return StoredKind::kJson;
    case T::kEnum: return StoredKind::kEnum;
    case T::kUuid: return StoredKind::kUuid;
  }
  assert(false && "bad StorageType");
  return StoredKind::kString;
}

Result<Value> ConvertValue(const Value& v, StorageType from, StorageType to, std::span<const std::string> to_enum) {
  const ConversionRule rule = ClassifyConversion(StoredKindOf(from), StoredKindOf(to));
  if (rule.conversion == Conversion::kImpossible) {
    return Status::InvalidArgument("no conversion from " + TypePair(from, to) +
                                   ": no conversion keeps the values' meaning");
  }
  if (to == T::kEnum && to_enum.empty()) {
    return Status::InvalidArgument("converting to an enum: no enum values given");
  }
  if (Status st = CheckValueType(v, from); !st.ok()) {
    return st.Annotate("converting " + TypePair(from, to));
  }
  if (v.is_null()) return Value::Null();
  if (from == to && to != T::kEnum) return v;
  return Convert(v, from, to, to_enum);
}

bool IsValidUtf8(std::string_view bytes) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    // ASCII 32 bytes, then eight, at a time: most text (and every JSON
    // request of ASCII keys and values) never takes the byte-wise path
    // below. The wide step tests four words with one branch.
    while (n - i >= 32) {
      uint64_t w[4];
      std::memcpy(w, p + i, sizeof w);
      if (((w[0] | w[1] | w[2] | w[3]) & 0x8080808080808080ULL) != 0) break;
      i += 32;
    }
    while (n - i >= 8) {
      uint64_t word;
      std::memcpy(&word, p + i, sizeof word);
      if ((word & 0x8080808080808080ULL) != 0) break;
      i += 8;
    }
    if (i == n) break;
    const uint8_t b = p[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    // Unicode table 3-7: the lead byte fixes the length and the range of
    // the second byte, which is what rules out overlong forms (E0, F0),
    // surrogates (ED) and code points above U+10FFFF (F4).
    size_t len = 0;
    uint8_t lo = 0x80;
    uint8_t hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      if (b == 0xE0) lo = 0xA0;
      if (b == 0xED) hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      if (b == 0xF0) lo = 0x90;
      if (b == 0xF4) hi = 0x8F;
    } else {
      return false;  // a continuation byte, C0, C1 or F5..FF
    }
    if (n - i < len) return false;
    if (p[i + 1] < lo || p[i + 1] > hi) return false;
    for (size_t k = 2; k < len; ++k) {
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return false;
    }
    i += len;
  }
  return true;
}

}  // namespace ormdb::schema

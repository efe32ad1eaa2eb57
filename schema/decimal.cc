#include "schema/decimal.h"

#include <cstdint>
#include <limits>
#include <string>

namespace ormdb::schema {

namespace {

// Class bytes of the sortable form: negatives, then zero, then positives.
constexpr uint8_t kNegative = 0x01;
constexpr uint8_t kZero = 0x02;
constexpr uint8_t kPositive = 0x03;
// The base-100 exponent is stored as a u16 with this bias (big-endian), so
// unsigned byte order is numeric order.
constexpr int32_t kExponentBias = 0x8000;
// 38 digits, plus a leading and a trailing pad digit, in pairs.
constexpr int kMaxCentimalDigits = (kMaxDecimalDigits + 2) / 2;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Result<Decimal> Decimal::Parse(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("invalid Decimal \"" + std::string(text.substr(0, 64)) +
                                   (text.size() > 64 ? "...\"" : "\"") + ": " + std::string(why));
  };
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    negative = text[i] == '-';
    ++i;
  }
  // The mantissa's digits d_0 d_1 ... (leading zeros included) with the point
  // after `before_point` of them: value = 0.d_0 d_1 ... * 10^before_point.
  std::string digits;          // significant digits so far, from the first non-zero
  int64_t before_point = 0;    // mantissa digits before the '.'
  int64_t leading_zeros = 0;   // mantissa digits before the first non-zero
  int64_t pending_zeros = 0;   // zeros after the last non-zero, not yet in `digits`
  bool seen_digit = false;
  bool seen_point = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.') {
      if (seen_point) return bad("two decimal points");
      seen_point = true;
      continue;
    }
    if (!IsDigit(c)) break;
    seen_digit = true;
    if (!seen_point) ++before_point;
    if (c == '0') {
      if (digits.empty()) {
        ++leading_zeros;
      } else {
        ++pending_zeros;
      }
      continue;
    }
    if (static_cast<int64_t>(digits.size()) + pending_zeros + 1 > kMaxDecimalDigits) {
      return bad("more than " + std::to_string(kMaxDecimalDigits) + " significant digits");
    }
    digits.append(static_cast<size_t>(pending_zeros), '0');
    pending_zeros = 0;
    digits.push_back(c);
  }
  if (!seen_digit) return bad("no digits");
  // Saturates: an exponent this large is out of range for any mantissa a
  // string can hold, and zero ignores it.
  constexpr int64_t kExponentCap = int64_t{1} << 50;
  int64_t exp = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
      exp_negative = text[i] == '-';
      ++i;
    }
    if (i == text.size() || !IsDigit(text[i])) return bad("exponent without digits");
    for (; i < text.size() && IsDigit(text[i]); ++i) {
      if (exp < kExponentCap) exp = exp * 10 + (text[i] - '0');
    }
    if (exp_negative) exp = -exp;
  }
  if (i != text.size()) return bad("unexpected character '" + std::string(1, text[i]) + "'");
  if (digits.empty()) return Decimal();  // zero, whatever its sign and exponent
  int64_t exponent = before_point - leading_zeros + exp;
  if (exponent < kMinDecimalExponent || exponent > kMaxDecimalExponent) {
    return bad("out of range (at most 1e" + std::to_string(kMaxDecimalExponent - 1) +
               " in magnitude, at least 1e" + std::to_string(kMinDecimalExponent - 1) + ")");
  }
  return Decimal(negative, std::move(digits), static_cast<int32_t>(exponent));
}

Result<Decimal> Decimal::FromParts(bool negative, std::string digits, int32_t exponent) {
  if (digits.empty()) {
    if (negative || exponent != 0) return Status::InvalidArgument("Decimal zero must be positive with exponent 0");
    return Decimal();
  }
  if (digits.size() > static_cast<size_t>(kMaxDecimalDigits)) {
    return Status::InvalidArgument("Decimal with " + std::to_string(digits.size()) + " digits (at most " +
                                   std::to_string(kMaxDecimalDigits) + ")");
  }
  for (char c : digits) {
    if (!IsDigit(c)) return Status::InvalidArgument("Decimal digits must be ASCII digits");
  }
  if (digits.front() == '0' || digits.back() == '0') {
    return Status::InvalidArgument("Decimal digits must not begin or end with '0'");
  }
  if (exponent < kMinDecimalExponent || exponent > kMaxDecimalExponent) {
    return Status::InvalidArgument("Decimal exponent " + std::to_string(exponent) + " out of range");
  }
  return Decimal(negative, std::move(digits), exponent);
}

Decimal Decimal::FromInt64(int64_t v) {
  if (v == 0) return Decimal();
  uint64_t mag = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  std::string digits = std::to_string(mag);
  auto exponent = static_cast<int32_t>(digits.size());
  while (digits.back() == '0') digits.pop_back();
  return Decimal(v < 0, std::move(digits), exponent);
}

std::string Decimal::ToString() const {
  if (is_zero()) return "0";
  std::string s;
  if (negative_) s.push_back('-');
  const auto n = static_cast<int32_t>(digits_.size());
  const int32_t x = exponent_ - 1;  // the scientific exponent: d1.d2... * 10^x
  if (x <= -7 || x >= 21) {
    s.push_back(digits_[0]);
    if (n > 1) {
      s.push_back('.');
      s.append(digits_, 1);
    }
    s.push_back('e');
    s.push_back(x < 0 ? '-' : '+');
    s += std::to_string(x < 0 ? -static_cast<int64_t>(x) : x);
  } else if (exponent_ <= 0) {
    s += "0.";
    s.append(static_cast<size_t>(-exponent_), '0');
    s += digits_;
  } else if (exponent_ >= n) {
    s += digits_;
    s.append(static_cast<size_t>(exponent_ - n), '0');
  } else {
    s.append(digits_, 0, static_cast<size_t>(exponent_));
    s.push_back('.');
    s.append(digits_, static_cast<size_t>(exponent_));
  }
  return s;
}

std::strong_ordering operator<=>(const Decimal& a, const Decimal& b) {
  auto sign = [](const Decimal& d) { return d.is_zero() ? 0 : (d.negative_ ? -1 : 1); };
  const int sa = sign(a);
  const int sb = sign(b);
  if (sa != sb) return sa <=> sb;
  if (sa == 0) return std::strong_ordering::equal;
  std::strong_ordering mag = a.exponent_ <=> b.exponent_;
  if (mag == 0) mag = a.digits_.compare(b.digits_) <=> 0;
  return sa > 0 ? mag : 0 <=> mag;
}

// Sortable form (docs/record-format.md, "Decimal"): a class byte, then for a
// non-zero number the base-100 exponent E and the base-100 digits of the
// mantissa M, value = +-0.M * 100^E with M's first and last digits non-zero.
// A digit byte is 2d+1 when more digits follow and 2d for the last, so the
// digits end themselves and a shorter mantissa sorts before a longer one
// with the same prefix. Negatives store exponent and digits complemented.
void Decimal::AppendSortable(std::string* out) const {
  if (is_zero()) {
    out->push_back(static_cast<char>(kZero));
    return;
  }
  const uint8_t m = negative_ ? 0xFF : 0x00;
  out->push_back(static_cast<char>(negative_ ? kNegative : kPositive));
  // An odd decimal exponent gets a leading pad digit 0: 0.d1... * 10^e ==
  // 0.0d1... * 10^(e+1), and e+1 is even.
  const bool odd = (exponent_ % 2) != 0;
  const int32_t e100 = odd ? (exponent_ + 1) / 2 : exponent_ / 2;
  const auto biased = static_cast<uint16_t>(e100 + kExponentBias);
  out->push_back(static_cast<char>((biased >> 8) ^ m));
  out->push_back(static_cast<char>((biased & 0xFF) ^ m));
  const size_t n = digits_.size();
  const size_t len = n + (odd ? 1 : 0);  // padded on the right to even below
  auto digit = [&](size_t j) -> int {
    if (odd) {
      if (j == 0) return 0;
      --j;
    }
    return j < n ? digits_[j] - '0' : 0;
  };
  for (size_t k = 0; k < len; k += 2) {
    const int d = digit(k) * 10 + digit(k + 1);
    const bool last = k + 2 >= len;
    const int byte = last ? 2 * d : 2 * d + 1;
    out->push_back(static_cast<char>(static_cast<uint8_t>(byte) ^ m));
  }
}

size_t Decimal::SortableSize() const {
  if (is_zero()) return 1;
  const size_t padded = digits_.size() + ((exponent_ % 2) != 0 ? 1 : 0);
  return 3 + (padded + 1) / 2;
}

Status Decimal::DecodeSortable(std::string_view* in, bool invert, Decimal* out) {
  const uint8_t inv = invert ? 0xFF : 0x00;
  const std::string_view s = *in;
  auto byte = [&](size_t i) { return static_cast<uint8_t>(static_cast<uint8_t>(s[i]) ^ inv); };
  if (s.empty()) return Status::Corruption("decimal: no bytes");
  const uint8_t cls = byte(0);
  if (cls == kZero) {
    if (out != nullptr) *out = Decimal();
    in->remove_prefix(1);
    return Status::OK();
  }
  if (cls != kNegative && cls != kPositive) {
    return Status::Corruption("decimal: bad class byte " + std::to_string(cls));
  }
  const uint8_t m = cls == kNegative ? 0xFF : 0x00;
  if (s.size() < 4) return Status::Corruption("decimal: truncated exponent");
  const int32_t e100 = static_cast<int32_t>((byte(1) ^ m) << 8 | (byte(2) ^ m)) - kExponentBias;
  // Pairs of decimal digits, pads included.
  char buf[2 * kMaxCentimalDigits];
  int pairs = 0;
  size_t pos = 3;
  int last_d = 0;
  for (;;) {
    if (pos >= s.size()) return Status::Corruption("decimal: digits end without a final digit");
    const uint8_t b = byte(pos++) ^ m;
    const bool last = (b & 1) == 0;
    const int d = b >> 1;
    if (d > 99) return Status::Corruption("decimal: digit byte " + std::to_string(b) + " out of range");
    if (pairs == 0 && d == 0) return Status::Corruption("decimal: leading zero digit");
    if (pairs == kMaxCentimalDigits) return Status::Corruption("decimal: too many digits");
    buf[2 * pairs] = static_cast<char>('0' + d / 10);
    buf[2 * pairs + 1] = static_cast<char>('0' + d % 10);
    ++pairs;
    if (last) {
      if (d == 0) return Status::Corruption("decimal: trailing zero digit");
      last_d = d;
      break;
    }
  }
  // A first pair below 10 starts with the pad digit of an odd exponent; a
  // last pair ending in 0 ends with the pad that made the count even.
  const bool odd = buf[0] == '0';
  const int begin = odd ? 1 : 0;
  const int end = 2 * pairs - (last_d % 10 == 0 ? 1 : 0);
  const int n = end - begin;
  if (n > kMaxDecimalDigits) return Status::Corruption("decimal: more than " + std::to_string(kMaxDecimalDigits) + " digits");
  const int32_t exponent = odd ? 2 * e100 - 1 : 2 * e100;
  if (exponent < kMinDecimalExponent || exponent > kMaxDecimalExponent) {
    return Status::Corruption("decimal: exponent " + std::to_string(exponent) + " out of range");
  }
  if (out != nullptr) *out = Decimal(cls == kNegative, std::string(buf + begin, static_cast<size_t>(n)), exponent);
  in->remove_prefix(pos);
  return Status::OK();
}

}  // namespace ormdb::schema

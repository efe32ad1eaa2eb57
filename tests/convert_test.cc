// schema/convert: the value conversions a field's type change runs. Every
// rule of schema/type_conversion.cc's table is exercised with typical and
// edge values; every widening must read back through its reverse narrowing;
// impossible pairs and values of the wrong type are errors; null stays null.
#include "schema/convert.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "schema/decimal.h"
#include "schema/literal.h"
#include "schema/type_conversion.h"
#include "schema/value.h"
#include "tests/test_util.h"
#include "tests/value_gen.h"

namespace ormdb::schema {

// gtest prints Values in failures by their error-message form.
void PrintTo(const Value& v, std::ostream* os) { *os << v.ToString(); }

namespace {

using T = StorageType;
using ormdb::testing::kAllStorageTypes;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kTwoTo53 = 9007199254740992.0;
constexpr double kTwoTo63 = 9223372036854775808.0;

Value Null() { return Value::Null(); }
Value I32(int32_t v) { return Value::Int32(v); }
Value I64(int64_t v) { return Value::Int64(v); }
Value F(double v) { return Value::Double(v); }
Value Str(std::string v) { return Value::String(std::move(v)); }
Value Bin(std::string v) { return Value::Bytes(std::move(v)); }
Value Dec(std::string_view text) {
  Result<Decimal> d = Decimal::Parse(text);
  EXPECT_TRUE(d.ok()) << text << ": " << d.status().ToString();
  return d.ok() ? Value::FromDecimal(*d) : Value::Null();
}

// 00112233-4455-6677-8899-aabbccddeeff
std::string UuidBytes() {
  std::string s;
  for (int i = 0; i < 16; ++i) s.push_back(static_cast<char>(i * 0x11));
  return s;
}

const std::vector<std::string> kPostStatus = {"DRAFT", "PUBLISHED"};

// The same value, with the same kind; a double also with the same sign
// (Compare calls -0.0 and 0.0 equal, and any two NaNs equal).
bool Same(const Value& a, const Value& b) {
  if (a.kind() != b.kind() || Compare(a, b) != 0) return false;
  if (a.kind() == Value::Kind::kDouble && !std::isnan(a.double_value())) {
    return std::signbit(a.double_value()) == std::signbit(b.double_value());
  }
  return true;
}

// `v` of type `from` converts to exactly `want` (null: it is lost).
::testing::AssertionResult Converts(const Value& v, T from, T to, const Value& want,
                                    std::span<const std::string> to_enum = kPostStatus) {
  Result<Value> got = ConvertValue(v, from, to, to_enum);
  const std::string what =
      std::string(StorageTypeName(from)) + " " + v.ToString() + " -> " + std::string(StorageTypeName(to));
  if (!got.ok()) return ::testing::AssertionFailure() << what << ": " << got.status().ToString();
  if (!Same(*got, want)) {
    return ::testing::AssertionFailure() << what << ": got " << got->ToString() << ", want " << want.ToString();
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Lost(const Value& v, T from, T to, std::span<const std::string> to_enum = kPostStatus) {
  return Converts(v, from, to, Null(), to_enum);
}

// A value of each type that every allowed conversion from it accepts.
Value SampleOf(T t) {
  switch (t) {
    case T::kBoolean: return Value::Bool(true);
    case T::kInt: return I32(7);
    case T::kBigInt: return I64(7);
    case T::kFloat: return F(7.0);
    case T::kDecimal: return Dec("7");
    case T::kString: return Str("7");
    case T::kBytes: return Bin("7");
    case T::kDateTime: return I64(0);
    case T::kJson: return Str("7");
    case T::kEnum: return Str("DRAFT");
    case T::kUuid: return Bin(std::string(16, '\x07'));
  }
  return Null();
}

// ---- The table as a whole ----------------------------------------------------

TEST(ConvertTest, StoredKindOfNamesTheSameType) {
  EXPECT_EQ(StoredKindOf(T::kBoolean), StoredKind::kBoolean);
  EXPECT_EQ(StoredKindOf(T::kInt), StoredKind::kInt);
  EXPECT_EQ(StoredKindOf(T::kBigInt), StoredKind::kBigInt);
  EXPECT_EQ(StoredKindOf(T::kFloat), StoredKind::kFloat);
  EXPECT_EQ(StoredKindOf(T::kDecimal), StoredKind::kDecimal);
  EXPECT_EQ(StoredKindOf(T::kString), StoredKind::kString);
  EXPECT_EQ(StoredKindOf(T::kBytes), StoredKind::kBytes);
  EXPECT_EQ(StoredKindOf(T::kDateTime), StoredKind::kDateTime);
  EXPECT_EQ(StoredKindOf(T::kJson), StoredKind::kJson);
  EXPECT_EQ(StoredKindOf(T::kEnum), StoredKind::kEnum);
  EXPECT_EQ(StoredKindOf(T::kUuid), StoredKind::kUuid);
}

TEST(ConvertTest, EveryAllowedPairConvertsAndEveryImpossibleOneIsAnError) {
  int widenings = 0;
  int narrowings = 0;
  for (T from : kAllStorageTypes) {
    for (T to : kAllStorageTypes) {
      SCOPED_TRACE(std::string(StorageTypeName(from)) + " -> " + std::string(StorageTypeName(to)));
      const Conversion c = ClassifyConversion(StoredKindOf(from), StoredKindOf(to)).conversion;
      Result<Value> sample = ConvertValue(SampleOf(from), from, to, kPostStatus);
      Result<Value> null = ConvertValue(Null(), from, to, kPostStatus);
      if (c == Conversion::kImpossible) {
        EXPECT_TRUE(sample.status().IsInvalidArgument()) << sample.status().ToString();
        EXPECT_TRUE(null.status().IsInvalidArgument()) << null.status().ToString();
        continue;
      }
      widenings += c == Conversion::kWidening;
      narrowings += c == Conversion::kNarrowing;
      ASSERT_TRUE(sample.ok()) << sample.status().ToString();
      EXPECT_OK(CheckValueType(*sample, to));
      ASSERT_TRUE(null.ok()) << null.status().ToString();
      EXPECT_TRUE(null->is_null());
    }
  }
  // kRules' 32 rules. A new rule needs a converter and tests here.
  EXPECT_EQ(widenings, 14);
  EXPECT_EQ(narrowings, 18);
}

TEST(ConvertTest, ImpossiblePairsAreInvalidArgumentNamingBothTypes) {
  const std::pair<T, T> pairs[] = {{T::kJson, T::kInt},     {T::kBoolean, T::kInt}, {T::kDateTime, T::kBigInt},
                                   {T::kBytes, T::kUuid},   {T::kEnum, T::kInt},    {T::kUuid, T::kBytes},
                                   {T::kInt, T::kBoolean},  {T::kJson, T::kEnum}};
  for (auto [from, to] : pairs) {
    Result<Value> r = ConvertValue(SampleOf(from), from, to, kPostStatus);
    ASSERT_TRUE(r.status().IsInvalidArgument()) << StorageTypeName(from) << " -> " << StorageTypeName(to);
    EXPECT_NE(r.status().message().find(std::string(StorageTypeName(from)) + " to " +
                                        std::string(StorageTypeName(to))),
              std::string::npos)
        << r.status().ToString();
  }
}

TEST(ConvertTest, ValueOfTheWrongKindIsInvalidArgument) {
  EXPECT_TRUE(ConvertValue(I32(1), T::kBigInt, T::kString).status().IsInvalidArgument());
  EXPECT_TRUE(ConvertValue(I64(1), T::kInt, T::kBigInt).status().IsInvalidArgument());
  EXPECT_TRUE(ConvertValue(Str("x"), T::kBytes, T::kString).status().IsInvalidArgument());
  EXPECT_TRUE(ConvertValue(Bin("x"), T::kString, T::kBytes).status().IsInvalidArgument());
  EXPECT_TRUE(ConvertValue(F(1), T::kDecimal, T::kFloat).status().IsInvalidArgument());
  EXPECT_TRUE(ConvertValue(Bin(std::string(15, 'x')), T::kUuid, T::kString).status().IsInvalidArgument());
}

TEST(ConvertTest, EnumTargetWithoutValuesIsInvalidArgument) {
  EXPECT_TRUE(ConvertValue(Str("DRAFT"), T::kString, T::kEnum).status().IsInvalidArgument());
  EXPECT_TRUE(ConvertValue(Str("DRAFT"), T::kEnum, T::kEnum).status().IsInvalidArgument());
  EXPECT_TRUE(ConvertValue(Null(), T::kString, T::kEnum).status().IsInvalidArgument());
}

TEST(ConvertTest, SameTypeKeepsTheValue) {
  for (T t : kAllStorageTypes) {
    EXPECT_TRUE(Converts(SampleOf(t), t, t, SampleOf(t))) << StorageTypeName(t);
  }
  EXPECT_TRUE(Converts(F(-0.0), T::kFloat, T::kFloat, F(-0.0)));
}

// ---- Numbers -------------------------------------------------------------------

TEST(ConvertTest, IntWidensToBigIntFloatAndDecimal) {
  for (int32_t i : {std::numeric_limits<int32_t>::min(), -1, 0, 1, std::numeric_limits<int32_t>::max()}) {
    EXPECT_TRUE(Converts(I32(i), T::kInt, T::kBigInt, I64(i)));
    EXPECT_TRUE(Converts(I32(i), T::kInt, T::kFloat, F(i)));
    EXPECT_TRUE(Converts(I32(i), T::kInt, T::kDecimal, Dec(std::to_string(i))));
  }
  EXPECT_TRUE(Converts(I32(0), T::kInt, T::kFloat, F(0.0)));  // +0, not -0
}

TEST(ConvertTest, BigIntWidensToDecimal) {
  EXPECT_TRUE(Converts(I64(std::numeric_limits<int64_t>::min()), T::kBigInt, T::kDecimal, Dec("-9223372036854775808")));
  EXPECT_TRUE(Converts(I64(std::numeric_limits<int64_t>::max()), T::kBigInt, T::kDecimal, Dec("9223372036854775807")));
  EXPECT_TRUE(Converts(I64(1000), T::kBigInt, T::kDecimal, Dec("1e3")));
  EXPECT_TRUE(Converts(I64(0), T::kBigInt, T::kDecimal, Dec("0")));
}

TEST(ConvertTest, BigIntToIntKeepsOnlyThe32BitRange) {
  EXPECT_TRUE(Converts(I64(INT32_MAX), T::kBigInt, T::kInt, I32(INT32_MAX)));
  EXPECT_TRUE(Converts(I64(INT32_MIN), T::kBigInt, T::kInt, I32(INT32_MIN)));
  EXPECT_TRUE(Converts(I64(-5), T::kBigInt, T::kInt, I32(-5)));
  EXPECT_TRUE(Lost(I64(int64_t{INT32_MAX} + 1), T::kBigInt, T::kInt));
  EXPECT_TRUE(Lost(I64(int64_t{INT32_MIN} - 1), T::kBigInt, T::kInt));
  EXPECT_TRUE(Lost(I64(int64_t{1} << 40), T::kBigInt, T::kInt));
  EXPECT_TRUE(Lost(I64(std::numeric_limits<int64_t>::min()), T::kBigInt, T::kInt));
}

TEST(ConvertTest, BigIntToFloatRoundsToTheNearestDouble) {
  const int64_t two53 = int64_t{1} << 53;
  EXPECT_TRUE(Converts(I64(two53), T::kBigInt, T::kFloat, F(kTwoTo53)));
  EXPECT_TRUE(Converts(I64(two53 + 1), T::kBigInt, T::kFloat, F(kTwoTo53)));  // a tie: to even
  EXPECT_TRUE(Converts(I64(two53 + 3), T::kBigInt, T::kFloat, F(kTwoTo53 + 4)));
  EXPECT_TRUE(Converts(I64(-two53 - 1), T::kBigInt, T::kFloat, F(-kTwoTo53)));
  EXPECT_TRUE(Converts(I64(std::numeric_limits<int64_t>::max()), T::kBigInt, T::kFloat, F(kTwoTo63)));
  EXPECT_TRUE(Converts(I64(std::numeric_limits<int64_t>::min()), T::kBigInt, T::kFloat, F(-kTwoTo63)));
  EXPECT_TRUE(Converts(I64(0), T::kBigInt, T::kFloat, F(0.0)));
}

TEST(ConvertTest, FloatToIntKeepsOnlyExactIntegersInRange) {
  EXPECT_TRUE(Converts(F(2.0), T::kFloat, T::kInt, I32(2)));
  EXPECT_TRUE(Converts(F(-2.0), T::kFloat, T::kInt, I32(-2)));
  EXPECT_TRUE(Converts(F(-0.0), T::kFloat, T::kInt, I32(0)));
  EXPECT_TRUE(Converts(F(2147483647.0), T::kFloat, T::kInt, I32(INT32_MAX)));
  EXPECT_TRUE(Converts(F(-2147483648.0), T::kFloat, T::kInt, I32(INT32_MIN)));
  EXPECT_TRUE(Lost(F(2.5), T::kFloat, T::kInt));  // not truncated to 2
  EXPECT_TRUE(Lost(F(1.5), T::kFloat, T::kInt));
  EXPECT_TRUE(Lost(F(-0.5), T::kFloat, T::kInt));
  EXPECT_TRUE(Lost(F(1e-300), T::kFloat, T::kInt));
  EXPECT_TRUE(Lost(F(2147483648.0), T::kFloat, T::kInt));
  EXPECT_TRUE(Lost(F(-2147483649.0), T::kFloat, T::kInt));
  EXPECT_TRUE(Lost(F(kNaN), T::kFloat, T::kInt));
  EXPECT_TRUE(Lost(F(kInf), T::kFloat, T::kInt));
  EXPECT_TRUE(Lost(F(-kInf), T::kFloat, T::kInt));
}

TEST(ConvertTest, FloatToBigIntKeepsOnlyExactIntegersInRange) {
  EXPECT_TRUE(Converts(F(kTwoTo53 + 2), T::kFloat, T::kBigInt, I64((int64_t{1} << 53) + 2)));
  EXPECT_TRUE(Converts(F(-kTwoTo63), T::kFloat, T::kBigInt, I64(std::numeric_limits<int64_t>::min())));
  // The largest double below 2^63.
  EXPECT_TRUE(Converts(F(9223372036854774784.0), T::kFloat, T::kBigInt, I64(9223372036854774784)));
  EXPECT_TRUE(Converts(F(-0.0), T::kFloat, T::kBigInt, I64(0)));
  EXPECT_TRUE(Lost(F(kTwoTo63), T::kFloat, T::kBigInt));
  EXPECT_TRUE(Lost(F(1e300), T::kFloat, T::kBigInt));
  EXPECT_TRUE(Lost(F(std::numeric_limits<double>::lowest()), T::kFloat, T::kBigInt));
  EXPECT_TRUE(Lost(F(0.5), T::kFloat, T::kBigInt));
  EXPECT_TRUE(Lost(F(std::numeric_limits<double>::denorm_min()), T::kFloat, T::kBigInt));
  EXPECT_TRUE(Lost(F(kNaN), T::kFloat, T::kBigInt));
  EXPECT_TRUE(Lost(F(-kInf), T::kFloat, T::kBigInt));
}

TEST(ConvertTest, FloatToDecimalTakesTheShortestDigitsThatReadBack) {
  EXPECT_TRUE(Converts(F(0.1), T::kFloat, T::kDecimal, Dec("0.1")));  // not 0.1000000000000000055511...
  EXPECT_TRUE(Converts(F(-2.5), T::kFloat, T::kDecimal, Dec("-2.5")));
  EXPECT_TRUE(Converts(F(1.2345678901234568e20), T::kFloat, T::kDecimal, Dec("123456789012345680000")));
  EXPECT_TRUE(Converts(F(-0.0), T::kFloat, T::kDecimal, Dec("0")));
  // Far inside the Decimal range: one digit, exponent 301 of at most 32767.
  EXPECT_TRUE(Converts(F(1e300), T::kFloat, T::kDecimal, Dec("1e300")));
  EXPECT_TRUE(Converts(F(std::numeric_limits<double>::max()), T::kFloat, T::kDecimal,
                       Dec("1.7976931348623157e308")));
  EXPECT_TRUE(Converts(F(std::numeric_limits<double>::denorm_min()), T::kFloat, T::kDecimal, Dec("5e-324")));
  EXPECT_TRUE(Lost(F(kNaN), T::kFloat, T::kDecimal));
  EXPECT_TRUE(Lost(F(-kNaN), T::kFloat, T::kDecimal));
  EXPECT_TRUE(Lost(F(kInf), T::kFloat, T::kDecimal));
  EXPECT_TRUE(Lost(F(-kInf), T::kFloat, T::kDecimal));
}

TEST(ConvertTest, FloatToDecimalAndBackGivesTheSameFiniteDouble) {
  const uint64_t seed = ormdb::testing::TestSeed();
  SCOPED_TRACE("ORMDB_TEST_SEED=" + std::to_string(seed));
  ormdb::testing::ValueGen gen(seed);
  for (int i = 0; i < 2000; ++i) {
    const double d = gen.Double();
    if (!std::isfinite(d)) continue;
    Result<Value> dec = ConvertValue(F(d), T::kFloat, T::kDecimal);
    ASSERT_TRUE(dec.ok() && !dec->is_null()) << d;
    ASSERT_TRUE(Converts(*dec, T::kDecimal, T::kFloat, F(d == 0 ? 0.0 : d)));  // a Decimal zero has no sign
  }
}

TEST(ConvertTest, DecimalToFloatRoundsToTheNearestDouble) {
  EXPECT_TRUE(Converts(Dec("0.1"), T::kDecimal, T::kFloat, F(0.1)));
  EXPECT_TRUE(Converts(Dec("-5"), T::kDecimal, T::kFloat, F(-5.0)));
  EXPECT_TRUE(Converts(Dec("0"), T::kDecimal, T::kFloat, F(0.0)));
  EXPECT_TRUE(Converts(Dec("12345678901234567890123456789012345678"), T::kDecimal, T::kFloat,
                       F(1.2345678901234568e37)));
  EXPECT_TRUE(Converts(Dec("9007199254740993"), T::kDecimal, T::kFloat, F(kTwoTo53)));
  EXPECT_TRUE(Converts(Dec("1.7976931348623157e308"), T::kDecimal, T::kFloat,
                       F(std::numeric_limits<double>::max())));
  EXPECT_TRUE(Converts(Dec("5e-324"), T::kDecimal, T::kFloat, F(std::numeric_limits<double>::denorm_min())));
  EXPECT_TRUE(Converts(Dec("3e-324"), T::kDecimal, T::kFloat, F(std::numeric_limits<double>::denorm_min())));
  // Beyond the double range, or so small it would round to zero: no Float.
  EXPECT_TRUE(Lost(Dec("1.7976931348623159e308"), T::kDecimal, T::kFloat));
  EXPECT_TRUE(Lost(Dec("1e400"), T::kDecimal, T::kFloat));
  EXPECT_TRUE(Lost(Dec("-1e400"), T::kDecimal, T::kFloat));
  EXPECT_TRUE(Lost(Dec("2e-324"), T::kDecimal, T::kFloat));
  EXPECT_TRUE(Lost(Dec("-1e-400"), T::kDecimal, T::kFloat));
  EXPECT_TRUE(Lost(Dec("9e32766"), T::kDecimal, T::kFloat));
}

TEST(ConvertTest, DecimalToIntKeepsOnlyExactIntegersInRange) {
  EXPECT_TRUE(Converts(Dec("2"), T::kDecimal, T::kInt, I32(2)));
  EXPECT_TRUE(Converts(Dec("1e2"), T::kDecimal, T::kInt, I32(100)));
  EXPECT_TRUE(Converts(Dec("0"), T::kDecimal, T::kInt, I32(0)));
  EXPECT_TRUE(Converts(Dec("-2147483648"), T::kDecimal, T::kInt, I32(INT32_MIN)));
  EXPECT_TRUE(Converts(Dec("2147483647"), T::kDecimal, T::kInt, I32(INT32_MAX)));
  EXPECT_TRUE(Lost(Dec("2.5"), T::kDecimal, T::kInt));  // not truncated to 2
  EXPECT_TRUE(Lost(Dec("-0.5"), T::kDecimal, T::kInt));
  EXPECT_TRUE(Lost(Dec("1e-32767"), T::kDecimal, T::kInt));
  EXPECT_TRUE(Lost(Dec("2147483648"), T::kDecimal, T::kInt));
  EXPECT_TRUE(Lost(Dec("-2147483649"), T::kDecimal, T::kInt));
  EXPECT_TRUE(Lost(Dec("1e32766"), T::kDecimal, T::kInt));
}

TEST(ConvertTest, DecimalToBigIntKeepsOnlyExactIntegersInRange) {
  EXPECT_TRUE(Converts(Dec("9223372036854775807"), T::kDecimal, T::kBigInt, I64(std::numeric_limits<int64_t>::max())));
  EXPECT_TRUE(Converts(Dec("-9223372036854775808"), T::kDecimal, T::kBigInt, I64(std::numeric_limits<int64_t>::min())));
  EXPECT_TRUE(Converts(Dec("9.2e18"), T::kDecimal, T::kBigInt, I64(9200000000000000000)));
  EXPECT_TRUE(Converts(Dec("-12"), T::kDecimal, T::kBigInt, I64(-12)));
  EXPECT_TRUE(Lost(Dec("9223372036854775808"), T::kDecimal, T::kBigInt));
  EXPECT_TRUE(Lost(Dec("-9223372036854775809"), T::kDecimal, T::kBigInt));
  EXPECT_TRUE(Lost(Dec("1e19"), T::kDecimal, T::kBigInt));
  EXPECT_TRUE(Lost(Dec("1e38"), T::kDecimal, T::kBigInt));
  EXPECT_TRUE(Lost(Dec("1.5"), T::kDecimal, T::kBigInt));
  EXPECT_TRUE(Lost(Dec("12345678901234567.5"), T::kDecimal, T::kBigInt));
}

// ---- To text ---------------------------------------------------------------------

TEST(ConvertTest, IntegersBecomeDecimalText) {
  EXPECT_TRUE(Converts(I32(INT32_MIN), T::kInt, T::kString, Str("-2147483648")));
  EXPECT_TRUE(Converts(I32(INT32_MAX), T::kInt, T::kString, Str("2147483647")));
  EXPECT_TRUE(Converts(I32(0), T::kInt, T::kString, Str("0")));
  EXPECT_TRUE(Converts(I64(std::numeric_limits<int64_t>::min()), T::kBigInt, T::kString,
                       Str("-9223372036854775808")));
  EXPECT_TRUE(Converts(I64(std::numeric_limits<int64_t>::max()), T::kBigInt, T::kString,
                       Str("9223372036854775807")));
}

TEST(ConvertTest, FloatBecomesItsShortestText) {
  EXPECT_TRUE(Converts(F(1.5), T::kFloat, T::kString, Str("1.5")));
  EXPECT_TRUE(Converts(F(2.0), T::kFloat, T::kString, Str("2")));
  EXPECT_TRUE(Converts(F(0.1), T::kFloat, T::kString, Str("0.1")));
  EXPECT_TRUE(Converts(F(-0.0), T::kFloat, T::kString, Str("-0")));
  EXPECT_TRUE(Converts(F(1e300), T::kFloat, T::kString, Str("1e+300")));
  EXPECT_TRUE(Converts(F(kTwoTo53 + 2), T::kFloat, T::kString, Str("9007199254740994")));
  EXPECT_TRUE(Converts(F(std::numeric_limits<double>::denorm_min()), T::kFloat, T::kString, Str("5e-324")));
  EXPECT_TRUE(Converts(F(kNaN), T::kFloat, T::kString, Str("NaN")));
  EXPECT_TRUE(Converts(F(-kNaN), T::kFloat, T::kString, Str("NaN")));
  EXPECT_TRUE(Converts(F(kInf), T::kFloat, T::kString, Str("Infinity")));
  EXPECT_TRUE(Converts(F(-kInf), T::kFloat, T::kString, Str("-Infinity")));
}

TEST(ConvertTest, DecimalBecomesItsCanonicalText) {
  EXPECT_TRUE(Converts(Dec("-1234.50"), T::kDecimal, T::kString, Str("-1234.5")));
  EXPECT_TRUE(Converts(Dec("0.001"), T::kDecimal, T::kString, Str("0.001")));
  EXPECT_TRUE(Converts(Dec("1e21"), T::kDecimal, T::kString, Str("1e+21")));
  EXPECT_TRUE(Converts(Dec("0"), T::kDecimal, T::kString, Str("0")));
}

TEST(ConvertTest, BooleanDateTimeUuidJsonAndEnumBecomeText) {
  EXPECT_TRUE(Converts(Value::Bool(true), T::kBoolean, T::kString, Str("true")));
  EXPECT_TRUE(Converts(Value::Bool(false), T::kBoolean, T::kString, Str("false")));
  EXPECT_TRUE(Converts(I64(1706702400000000), T::kDateTime, T::kString, Str("2024-01-31T12:00:00Z")));
  EXPECT_TRUE(Converts(I64(1706702400000123), T::kDateTime, T::kString, Str("2024-01-31T12:00:00.000123Z")));
  EXPECT_TRUE(Converts(I64(-1), T::kDateTime, T::kString, Str("1969-12-31T23:59:59.999999Z")));
  EXPECT_TRUE(Converts(Bin(UuidBytes()), T::kUuid, T::kString, Str("00112233-4455-6677-8899-aabbccddeeff")));
  EXPECT_TRUE(Converts(Str("{ \"a\": [1, 2] }"), T::kJson, T::kString, Str("{ \"a\": [1, 2] }")));  // as stored
  EXPECT_TRUE(Converts(Str("PUBLISHED"), T::kEnum, T::kString, Str("PUBLISHED")));
}

TEST(ConvertTest, DateTimeOutsideRfc3339YearsBecomesTextThatDoesNotReadBack) {
  // 10000-01-01T00:00:00Z: there is no RFC 3339 form, but the instant is kept.
  const int64_t year_10000 = 253402300799999999 + 1;
  EXPECT_TRUE(Converts(I64(year_10000), T::kDateTime, T::kString, Str("10000-01-01T00:00:00Z")));
  EXPECT_TRUE(Lost(Str("10000-01-01T00:00:00Z"), T::kString, T::kDateTime));
  // The extremes format without overflow.
  for (int64_t m : {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    Result<Value> text = ConvertValue(I64(m), T::kDateTime, T::kString);
    ASSERT_TRUE(text.ok());
    EXPECT_FALSE(text->string_value().empty());
  }
}

TEST(ConvertTest, StringBecomesItsBytes) {
  EXPECT_TRUE(Converts(Str(""), T::kString, T::kBytes, Bin("")));
  EXPECT_TRUE(Converts(Str("h\xC3\xA9llo"), T::kString, T::kBytes, Bin("h\xC3\xA9llo")));
  EXPECT_TRUE(Converts(Str(std::string("a\0b", 3)), T::kString, T::kBytes, Bin(std::string("a\0b", 3))));
}

// ---- From text -------------------------------------------------------------------

TEST(ConvertTest, StringToIntAcceptsOnlySignAndDigits) {
  EXPECT_TRUE(Converts(Str("42"), T::kString, T::kInt, I32(42)));
  EXPECT_TRUE(Converts(Str("-7"), T::kString, T::kInt, I32(-7)));
  EXPECT_TRUE(Converts(Str("+7"), T::kString, T::kInt, I32(7)));
  EXPECT_TRUE(Converts(Str("007"), T::kString, T::kInt, I32(7)));
  EXPECT_TRUE(Converts(Str("-0"), T::kString, T::kInt, I32(0)));
  EXPECT_TRUE(Converts(Str("2147483647"), T::kString, T::kInt, I32(INT32_MAX)));
  EXPECT_TRUE(Converts(Str("-2147483648"), T::kString, T::kInt, I32(INT32_MIN)));
  for (const char* s : {"2147483648", "-2147483649", "abc", "", "-", "+", " 1", "1 ", "1.0", "1.", "1e3", "0x10",
                        "+-1", "--1", "1_000", "1,000", "\xD9\xA1" /* Arabic-Indic one */, "NaN"}) {
    EXPECT_TRUE(Lost(Str(s), T::kString, T::kInt));
  }
}

TEST(ConvertTest, StringToBigIntAcceptsOnlySignAndDigits) {
  EXPECT_TRUE(Converts(Str("9223372036854775807"), T::kString, T::kBigInt, I64(std::numeric_limits<int64_t>::max())));
  EXPECT_TRUE(Converts(Str("-9223372036854775808"), T::kString, T::kBigInt, I64(std::numeric_limits<int64_t>::min())));
  EXPECT_TRUE(Converts(Str("+0000000000000000000000001"), T::kString, T::kBigInt, I64(1)));
  for (const char* s : {"9223372036854775808", "-9223372036854775809", "99999999999999999999999", "1e18", "", "x1"}) {
    EXPECT_TRUE(Lost(Str(s), T::kString, T::kBigInt));
  }
}

TEST(ConvertTest, StringToFloatReadsDecimalNumbersAndTheNonFiniteSpellings) {
  EXPECT_TRUE(Converts(Str("1.5"), T::kString, T::kFloat, F(1.5)));
  EXPECT_TRUE(Converts(Str("0.1"), T::kString, T::kFloat, F(0.1)));
  EXPECT_TRUE(Converts(Str("-0"), T::kString, T::kFloat, F(-0.0)));
  EXPECT_TRUE(Converts(Str(".5"), T::kString, T::kFloat, F(0.5)));
  EXPECT_TRUE(Converts(Str("5."), T::kString, T::kFloat, F(5.0)));
  EXPECT_TRUE(Converts(Str("+2"), T::kString, T::kFloat, F(2.0)));
  EXPECT_TRUE(Converts(Str("1e3"), T::kString, T::kFloat, F(1000.0)));
  EXPECT_TRUE(Converts(Str("1E-3"), T::kString, T::kFloat, F(0.001)));
  EXPECT_TRUE(Converts(Str("9007199254740993"), T::kString, T::kFloat, F(kTwoTo53)));
  EXPECT_TRUE(Converts(Str("0e-400"), T::kString, T::kFloat, F(0.0)));
  EXPECT_TRUE(Converts(Str("NaN"), T::kString, T::kFloat, F(kNaN)));
  EXPECT_TRUE(Converts(Str("Infinity"), T::kString, T::kFloat, F(kInf)));
  EXPECT_TRUE(Converts(Str("+Infinity"), T::kString, T::kFloat, F(kInf)));
  EXPECT_TRUE(Converts(Str("-Infinity"), T::kString, T::kFloat, F(-kInf)));
  for (const char* s : {"1e400", "-1e400", "1e-400", "nan", "-NaN", "inf", "-inf", "infinity", "0x1p3", "0x10",
                        " 1", "1 ", "1e", "1e+", "", ".", "-", "+", "1.5.2", "1,5", "e5", "1f", "--1"}) {
    EXPECT_TRUE(Lost(Str(s), T::kString, T::kFloat));
  }
}

TEST(ConvertTest, StringToDecimalReadsDecimalText) {
  EXPECT_TRUE(Converts(Str("12.30"), T::kString, T::kDecimal, Dec("12.3")));
  EXPECT_TRUE(Converts(Str("-1e-7"), T::kString, T::kDecimal, Dec("-0.0000001")));
  EXPECT_TRUE(Converts(Str("+.5"), T::kString, T::kDecimal, Dec("0.5")));
  EXPECT_TRUE(Converts(Str("12345678901234567890123456789012345678"), T::kString, T::kDecimal,
                       Dec("12345678901234567890123456789012345678")));
  // 39 significant digits: refused, not rounded.
  for (const char* s : {"123456789012345678901234567890123456789", "1e40000", "abc", " 1", "NaN", "Infinity", ""}) {
    EXPECT_TRUE(Lost(Str(s), T::kString, T::kDecimal));
  }
}

TEST(ConvertTest, StringToBooleanAcceptsOnlyTrueAndFalse) {
  EXPECT_TRUE(Converts(Str("true"), T::kString, T::kBoolean, Value::Bool(true)));
  EXPECT_TRUE(Converts(Str("false"), T::kString, T::kBoolean, Value::Bool(false)));
  for (const char* s : {"TRUE", "True", "1", "0", "yes", "t", "", " true", "false "}) {
    EXPECT_TRUE(Lost(Str(s), T::kString, T::kBoolean));
  }
}

TEST(ConvertTest, StringToDateTimeReadsRfc3339) {
  EXPECT_TRUE(Converts(Str("2024-01-31T12:00:00Z"), T::kString, T::kDateTime, I64(1706702400000000)));
  EXPECT_TRUE(Converts(Str("2024-01-31T14:00:00+02:00"), T::kString, T::kDateTime, I64(1706702400000000)));
  EXPECT_TRUE(Converts(Str("2024-01-31T12:00:00.000123Z"), T::kString, T::kDateTime, I64(1706702400000123)));
  EXPECT_TRUE(Converts(Str("1969-12-31T23:59:59.999999Z"), T::kString, T::kDateTime, I64(-1)));
  for (const char* s : {"2024-02-30T00:00:00Z", "2024-01-31", "2024-01-31 12:00:00Z", "2024-01-31T12:00:00",
                        "2024-01-31T12:00:00.1234567Z", "1706702400", ""}) {
    EXPECT_TRUE(Lost(Str(s), T::kString, T::kDateTime));
  }
}

TEST(ConvertTest, StringToUuidReadsThe36CharacterFormInEitherCase) {
  const std::string bytes = UuidBytes();
  EXPECT_TRUE(Converts(Str("00112233-4455-6677-8899-aabbccddeeff"), T::kString, T::kUuid, Bin(bytes)));
  EXPECT_TRUE(Converts(Str("00112233-4455-6677-8899-AABBCCDDEEFF"), T::kString, T::kUuid, Bin(bytes)));
  EXPECT_TRUE(Converts(Str("00112233-4455-6677-8899-AaBbCcDdEeFf"), T::kString, T::kUuid, Bin(bytes)));
  for (const char* s : {"00112233445566778899aabbccddeeff", "{00112233-4455-6677-8899-aabbccddeeff}",
                        "urn:uuid:00112233-4455-6677-8899-aabbccddeeff", "00112233-4455-6677-8899-aabbccddeefg",
                        "0011223-34455-6677-8899-aabbccddeeff", "00112233-4455-6677-8899-aabbccddeeff0",
                        "00112233-4455-6677-8899-aabbccddeef", " 0112233-4455-6677-8899-aabbccddeeff", ""}) {
    EXPECT_TRUE(Lost(Str(s), T::kString, T::kUuid));
  }
}

TEST(ConvertTest, StringToJsonKeepsValidJsonVerbatim) {
  for (const char* s : {"{\"a\": [1, 2.5, null]}", " true ", "\"text\"", "-0.5e3", "[]", "{\"k\":\"\\u00e9\"}"}) {
    EXPECT_TRUE(Converts(Str(s), T::kString, T::kJson, Str(s)));
  }
  for (const char* s : {"abc", "", " ", "{", "[1,]", "'a'", "01", "{\"a\" 1}", "NaN"}) {
    EXPECT_TRUE(Lost(Str(s), T::kString, T::kJson));
  }
}

TEST(ConvertTest, StringToEnumKeepsOnlyNamesOfTheEnum) {
  EXPECT_TRUE(Converts(Str("DRAFT"), T::kString, T::kEnum, Str("DRAFT")));
  EXPECT_TRUE(Converts(Str("PUBLISHED"), T::kString, T::kEnum, Str("PUBLISHED")));
  for (const char* s : {"draft", "ARCHIVED", "", " DRAFT", "DRAFT "}) {
    EXPECT_TRUE(Lost(Str(s), T::kString, T::kEnum));
  }
}

TEST(ConvertTest, EnumToAnotherEnumKeepsOnlyValuesItHas) {
  const std::vector<std::string> target = {"DRAFT", "LIVE"};
  EXPECT_TRUE(Converts(Str("DRAFT"), T::kEnum, T::kEnum, Str("DRAFT"), target));
  EXPECT_TRUE(Lost(Str("PUBLISHED"), T::kEnum, T::kEnum, target));
}

TEST(ConvertTest, BytesToStringKeepsOnlyWellFormedUtf8) {
  for (std::string s : {std::string(), std::string("plain"), std::string("h\xC3\xA9llo"), std::string("\0", 1),
                        std::string("\x7F"), std::string("\xC2\x80"), std::string("\xDF\xBF"),
                        std::string("\xE0\xA0\x80"), std::string("\xED\x9F\xBF") /* U+D7FF */,
                        std::string("\xEE\x80\x80") /* U+E000 */, std::string("\xEF\xBF\xBF"),
                        std::string("\xF0\x90\x80\x80"), std::string("\xF0\x9F\x98\x80"),
                        std::string("\xF4\x8F\xBF\xBF") /* U+10FFFF */}) {
    EXPECT_TRUE(Converts(Bin(s), T::kBytes, T::kString, Str(s)));
  }
  for (const char* s : {
           "\xC0\x80", "\xC1\xBF",                      // overlong 2-byte
           "\xE0\x80\x80", "\xE0\x9F\xBF",              // overlong 3-byte
           "\xED\xA0\x80", "\xED\xBF\xBF",              // surrogates
           "\xF0\x80\x80\x80", "\xF0\x8F\xBF\xBF",      // overlong 4-byte
           "\xF4\x90\x80\x80", "\xF5\x80\x80\x80",      // above U+10FFFF
           "\xF8\x88\x80\x80\x80", "\xFE", "\xFF",       // never in UTF-8
           "\x80", "\xBF", "a\x80" "b",                 // stray continuation bytes
           "\xE2\x82", "a\xC3", "\xF0\x9F\x98",         // truncated
           "\xE2\x82\x41", "\xC3\xC3\xA9",              // a non-continuation inside
       }) {
    EXPECT_TRUE(Lost(Bin(s), T::kBytes, T::kString));
  }
}

// A different formulation of well-formed UTF-8 to check IsValidUtf8 against:
// decode by bit patterns, then reject what the decoding shows is not allowed.
bool ReferenceUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<uint8_t>(s[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (b < 0x80) {
      len = 1;
      cp = b;
    } else if ((b & 0xE0) == 0xC0) {
      len = 2;
      cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      len = 3;
      cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      len = 4;
      cp = b & 0x07;
    } else {
      return false;
    }
    if (s.size() - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto c = static_cast<uint8_t>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = cp << 6 | (c & 0x3F);
    }
    static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

void AppendUtf8(uint32_t cp, std::string* s) {
  if (cp < 0x80) {
    s->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    s->push_back(static_cast<char>(0xC0 | cp >> 6));
    s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    s->push_back(static_cast<char>(0xE0 | cp >> 12));
    s->push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
    s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    s->push_back(static_cast<char>(0xF0 | cp >> 18));
    s->push_back(static_cast<char>(0x80 | (cp >> 12 & 0x3F)));
    s->push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
    s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

TEST(ConvertTest, IsValidUtf8AcceptsScalarValuesAndNoSurrogate) {
  std::string s;
  // Whether the encoding of `cp` is accepted exactly when cp is no surrogate.
  // (An ASSERT per code point would dominate the run time.)
  auto right = [&s](uint32_t cp) {
    s.clear();
    AppendUtf8(cp, &s);
    return IsValidUtf8(s) == !(cp >= 0xD800 && cp <= 0xDFFF);
  };
  // Every code point of the 1- to 3-byte forms and of plane 1, then a stride
  // through the other planes (the reference test below covers their lead
  // bytes exhaustively), and the last one.
  for (uint32_t cp = 0; cp < 0x20000; ++cp) {
    if (!right(cp)) FAIL() << std::hex << "U+" << cp;
  }
  for (uint32_t cp = 0x20000; cp < 0x10FFFF; cp += 251) {
    if (!right(cp)) FAIL() << std::hex << "U+" << cp;
  }
  EXPECT_TRUE(right(0x10FFFF));
}

TEST(ConvertTest, IsValidUtf8FindsABadByteAnywhereInALongAsciiRun) {
  // ASCII is checked 32 and eight bytes at a time: a sequence (good or
  // bad) at every offset of a run, cut short at every length, must be
  // judged as the reference judges it, whichever block or word it starts,
  // ends or straddles.
  const std::string_view sequences[] = {"\xC3\xA9",     "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\x80",
                                        "\xC3",         "\xE2\x82",     "\xED\xA0\x80",     "\xC0\xAF",
                                        "\xF4\x90\x80\x80", "\xFF"};
  for (std::string_view seq : sequences) {
    for (size_t at = 0; at <= 72; ++at) {
      std::string s(at, 'a');
      s += seq;
      s += std::string(41, 'z');
      for (size_t len = 0; len <= s.size(); ++len) {
        const std::string_view cut(s.data(), len);
        if (IsValidUtf8(cut) != ReferenceUtf8(cut)) FAIL() << "offset " << at << " length " << len;
      }
    }
  }
}

TEST(ConvertTest, IsValidUtf8AgreesWithAReferenceOnShortSequences) {
  // Every string of one or two bytes.
  for (uint32_t a = 0; a < 256; ++a) {
    const std::string one(1, static_cast<char>(a));
    ASSERT_EQ(IsValidUtf8(one), ReferenceUtf8(one)) << std::hex << a;
    for (uint32_t b = 0; b < 256; ++b) {
      const std::string two = {static_cast<char>(a), static_cast<char>(b)};
      if (IsValidUtf8(two) != ReferenceUtf8(two)) FAIL() << std::hex << a << " " << b;
    }
  }
  // Every string of three and four bytes over the bytes at the edges of
  // table 3-7's ranges.
  const uint8_t edges[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2,
                           0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF};
  std::string s(4, '\0');
  for (uint8_t a : edges) {
    for (uint8_t b : edges) {
      for (uint8_t c : edges) {
        s.assign({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)});
        ASSERT_EQ(IsValidUtf8(s), ReferenceUtf8(s)) << std::hex << +a << " " << +b << " " << +c;
        for (uint8_t d : edges) {
          s.push_back(static_cast<char>(d));
          if (IsValidUtf8(s) != ReferenceUtf8(s)) FAIL() << std::hex << +a << " " << +b << " " << +c << " " << +d;
          s.pop_back();
        }
      }
    }
  }
}

// ---- Widenings read back ------------------------------------------------------------

// Values of type t for the round trip: the edges, then random ones.
std::vector<Value> RoundTripSamples(T t, ormdb::testing::ValueGen& gen) {
  std::vector<Value> out;
  constexpr int kRandom = 300;
  switch (t) {
    case T::kInt:
      for (int i = 0; i < kRandom; ++i) out.push_back(I32(static_cast<int32_t>(gen.Integer(32))));
      break;
    case T::kBigInt:
      for (int i = 0; i < kRandom; ++i) out.push_back(I64(gen.Integer(64)));
      break;
    case T::kFloat:
      for (double d : {0.0, -0.0, kNaN, -kNaN, kInf, -kInf, 0.1, 1e300, std::numeric_limits<double>::max(),
                       std::numeric_limits<double>::denorm_min()}) {
        out.push_back(F(d));
      }
      for (int i = 0; i < kRandom; ++i) out.push_back(F(gen.Double()));
      break;
    case T::kDecimal:
      for (const char* s : {"0", "-1e-32768", "9.9999999999999999999999999999999999999e32766",
                            "-12345678901234567890123456789012345678", "0.1"}) {
        out.push_back(Dec(s));
      }
      for (int i = 0; i < kRandom; ++i) out.push_back(Value::FromDecimal(gen.Decimal()));
      break;
    case T::kBoolean:
      out = {Value::Bool(false), Value::Bool(true)};
      break;
    case T::kDateTime: {
      // The instants RFC 3339 can write: years 0000 to 9999.
      const int64_t min = *ParseTimestampMicros("0000-01-01T00:00:00Z");
      const int64_t max = *ParseTimestampMicros("9999-12-31T23:59:59.999999Z");
      for (int64_t m : {min, max, int64_t{0}, int64_t{-1}, int64_t{1}}) out.push_back(I64(m));
      std::uniform_int_distribution<int64_t> dist(min, max);
      for (int i = 0; i < kRandom; ++i) out.push_back(I64(dist(gen.rng())));
      break;
    }
    case T::kUuid:
      out = {Bin(std::string(16, '\0')), Bin(std::string(16, '\xFF'))};
      for (int i = 0; i < kRandom; ++i) out.push_back(Bin(ormdb::testing::RandomBytes(gen.rng(), 16)));
      break;
    case T::kJson:
      for (const char* s : {"null", "0", "-1.5e-3", "\"\"", "\"a\\\"b\\u0000\"", " [1, {\"k\": [true]}] ", "{}"}) {
        out.push_back(Str(s));
      }
      break;
    case T::kEnum:
      for (const std::string& name : kPostStatus) out.push_back(Str(name));
      break;
    case T::kString:  // text as the query layer writes it: UTF-8
      out = {Str(""), Str(std::string("\0", 1)), Str("h\xC3\xA9llo \xF0\x9F\x98\x80")};
      for (int i = 0; i < kRandom; ++i) {
        std::string s;
        const uint64_t n = gen.Uniform(8);
        for (uint64_t k = 0; k < n; ++k) {
          uint32_t cp = static_cast<uint32_t>(gen.Uniform(0x110000 - 0x800));
          if (cp >= 0xD800) cp += 0x800;  // skip the surrogates
          AppendUtf8(gen.OneIn(2) ? cp & 0x7F : cp, &s);
        }
        out.push_back(Str(std::move(s)));
      }
      break;
    case T::kBytes:
      break;  // widens to nothing
  }
  return out;
}

TEST(ConvertTest, EveryWideningReadsBackThroughItsReverseNarrowing) {
  const uint64_t seed = ormdb::testing::TestSeed();
  SCOPED_TRACE("ORMDB_TEST_SEED=" + std::to_string(seed));
  ormdb::testing::ValueGen gen(seed);
  int pairs = 0;
  for (T from : kAllStorageTypes) {
    const std::vector<Value> samples = RoundTripSamples(from, gen);
    for (T to : kAllStorageTypes) {
      if (ClassifyConversion(StoredKindOf(from), StoredKindOf(to)).conversion != Conversion::kWidening) continue;
      SCOPED_TRACE(std::string(StorageTypeName(from)) + " -> " + std::string(StorageTypeName(to)) + " -> " +
                   std::string(StorageTypeName(from)));
      ++pairs;
      ASSERT_FALSE(samples.empty());
      // Every widening has a way back.
      ASSERT_EQ(ClassifyConversion(StoredKindOf(to), StoredKindOf(from)).conversion, Conversion::kNarrowing);
      for (const Value& v : samples) {
        Result<Value> there = ConvertValue(v, from, to, kPostStatus);
        ASSERT_TRUE(there.ok()) << v.ToString() << ": " << there.status().ToString();
        ASSERT_FALSE(there->is_null()) << v.ToString() << " was lost by a widening";
        ASSERT_OK(CheckValueType(*there, to));
        ASSERT_TRUE(Converts(*there, to, from, v)) << "from " << v.ToString();
      }
    }
  }
  EXPECT_EQ(pairs, 14);
}

}  // namespace
}  // namespace ormdb::schema

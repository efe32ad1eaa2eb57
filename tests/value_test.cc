// schema/decimal and schema/value: decimal text in and out, the normal form,
// the order Values compare in, and the type check of a value against a
// field's storage type.
#include "schema/value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "schema/decimal.h"
#include "tests/test_util.h"
#include "tests/value_gen.h"

namespace ormdb::schema {
namespace {

std::string Canonical(std::string_view text) {
  auto d = Decimal::Parse(text);
  if (!d.ok()) return "error: " + d.status().ToString();
  return d->ToString();
}

TEST(DecimalTest, ParsesAndPrintsCanonically) {
  EXPECT_EQ(Canonical("-12.3400e5"), "-1234000");
  EXPECT_EQ(Canonical("0.001"), "0.001");
  EXPECT_EQ(Canonical("1.0"), "1");
  EXPECT_EQ(Canonical("1.00"), "1");
  EXPECT_EQ(Canonical("+7"), "7");
  EXPECT_EQ(Canonical(".5"), "0.5");
  EXPECT_EQ(Canonical("5."), "5");
  EXPECT_EQ(Canonical("000123.4500"), "123.45");
  EXPECT_EQ(Canonical("-0"), "0");
  EXPECT_EQ(Canonical("0e99999999999999999999"), "0");
  EXPECT_EQ(Canonical("1E-3"), "0.001");
  EXPECT_EQ(Canonical("100"), "100");
  EXPECT_EQ(Canonical("1e20"), "100000000000000000000");
  EXPECT_EQ(Canonical("1e21"), "1e+21");
  EXPECT_EQ(Canonical("-1.5e21"), "-1.5e+21");
  EXPECT_EQ(Canonical("0.000001"), "0.000001");
  EXPECT_EQ(Canonical("0.0000001"), "1e-7");
  EXPECT_EQ(Canonical("12345.678e-20"), "1.2345678e-16");
}

TEST(DecimalTest, NormalFormHasNoLeadingOrTrailingZeros) {
  auto d = Decimal::Parse("-0012.3400e5");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->negative());
  EXPECT_EQ(d->digits(), "1234");
  EXPECT_EQ(d->exponent(), 7);  // 0.1234e7
  EXPECT_EQ(*Decimal::Parse("1.0"), *Decimal::Parse("0.0001e4"));
  EXPECT_TRUE(Decimal::Parse("0.000")->is_zero());
  EXPECT_FALSE(Decimal::Parse("-0.000")->negative());
}

TEST(DecimalTest, RejectsMalformedText) {
  for (const char* text : {"", "-", "+", ".", "1..2", "1.2.3", "e5", "1e", "1e+", "1x", " 1", "1 ", "NaN",
                           "Infinity", "--1", "1e5.5", "0x10"}) {
    auto d = Decimal::Parse(text);
    if (d.ok()) {
      ADD_FAILURE() << '"' << text << "\" parsed as " << d->ToString();
    } else {
      EXPECT_TRUE(d.status().IsInvalidArgument());
    }
  }
}

TEST(DecimalTest, LimitsPrecisionToThirtyEightDigits) {
  EXPECT_TRUE(Decimal::Parse("12345678901234567890123456789012345678").ok());
  EXPECT_TRUE(Decimal::Parse("1234567890123456789012345678901234567800000").ok());  // trailing zeros don't count
  EXPECT_TRUE(Decimal::Parse("0.0000012345678901234567890123456789012345678").ok());
  auto d = Decimal::Parse("123456789012345678901234567890123456789");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("38"), std::string::npos) << d.status().ToString();
  EXPECT_FALSE(Decimal::Parse("1.00000000000000000000000000000000000001").ok());
}

TEST(DecimalTest, LimitsTheExponent) {
  EXPECT_TRUE(Decimal::Parse("9.9e32765").ok());
  EXPECT_FALSE(Decimal::Parse("1e32767").ok());
  EXPECT_TRUE(Decimal::Parse("1e-32768").ok());
  EXPECT_FALSE(Decimal::Parse("1e-32769").ok());
  EXPECT_FALSE(Decimal::Parse("1e999999999999999999999").ok());
  EXPECT_FALSE(Decimal::Parse("-1e-999999999999999999999").ok());
}

TEST(DecimalTest, TextRoundTripsForRandomDecimals) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  testing::ValueGen gen(seed);
  for (int i = 0; i < 5000; ++i) {
    const Decimal d = gen.Decimal();
    auto back = Decimal::Parse(d.ToString());
    ASSERT_TRUE(back.ok()) << d.ToString() << ": " << back.status().ToString();
    ASSERT_EQ(*back, d) << d.ToString();
  }
}

TEST(DecimalTest, FromPartsAcceptsOnlyTheNormalForm) {
  EXPECT_TRUE(Decimal::FromParts(false, "15", 1).ok());
  EXPECT_FALSE(Decimal::FromParts(false, "150", 1).ok());
  EXPECT_FALSE(Decimal::FromParts(false, "015", 1).ok());
  EXPECT_FALSE(Decimal::FromParts(false, "1a", 1).ok());
  EXPECT_FALSE(Decimal::FromParts(true, "", 0).ok());
  EXPECT_FALSE(Decimal::FromParts(false, "", 3).ok());
  EXPECT_FALSE(Decimal::FromParts(false, "1", kMaxDecimalExponent + 1).ok());
  EXPECT_FALSE(Decimal::FromParts(false, std::string(39, '1'), 0).ok());
}

TEST(DecimalTest, FromInt64CoversTheRange) {
  EXPECT_EQ(Decimal::FromInt64(0).ToString(), "0");
  EXPECT_EQ(Decimal::FromInt64(-1200).ToString(), "-1200");
  EXPECT_EQ(Decimal::FromInt64(INT64_MIN).ToString(), "-9223372036854775808");
  EXPECT_EQ(Decimal::FromInt64(INT64_MAX), *Decimal::Parse("9223372036854775807"));
}

TEST(ValueTest, ComparesPerType) {
  EXPECT_LT(Compare(Value::Null(), Value::Bool(false)), 0);
  EXPECT_LT(Compare(Value::Bool(false), Value::Bool(true)), 0);
  EXPECT_LT(Compare(Value::Int32(-5), Value::Int32(3)), 0);
  EXPECT_EQ(Compare(Value::Double(-0.0), Value::Double(0.0)), 0);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(Compare(Value::Double(nan), Value::Double(-nan)), 0);
  EXPECT_GT(Compare(Value::Double(nan), Value::Double(std::numeric_limits<double>::infinity())), 0);
  EXPECT_LT(Compare(Value::String("a"), Value::String("ab")), 0);
  EXPECT_LT(Compare(Value::String("Z"), Value::String("a")), 0);  // binary collation
  EXPECT_LT(Compare(Value::Bytes("\x7f"), Value::Bytes("\x80")), 0);  // unsigned bytes
  EXPECT_LT(Compare(Value::FromDecimal(*Decimal::Parse("-2")), Value::FromDecimal(*Decimal::Parse("-1.5"))), 0);
  EXPECT_EQ(Value::FromDecimal(*Decimal::Parse("2.50")), Value::FromDecimal(*Decimal::Parse("2.5")));
}

TEST(ValueTest, ToStringIsReadableAndBounded) {
  EXPECT_EQ(Value::Null().ToString(), "null");
  EXPECT_EQ(Value::Bool(true).ToString(), "true");
  EXPECT_EQ(Value::Int32(-7).ToString(), "-7");
  EXPECT_EQ(Value::Int64(INT64_MIN).ToString(), "-9223372036854775808");
  EXPECT_EQ(Value::Double(1.5).ToString(), "1.5");
  EXPECT_EQ(Value::Double(-std::numeric_limits<double>::infinity()).ToString(), "-Infinity");
  EXPECT_EQ(Value::FromDecimal(*Decimal::Parse("12.30")).ToString(), "12.3");
  EXPECT_EQ(Value::String("say \"hi\"\n").ToString(), "\"say \\\"hi\\\"\\x0a\"");
  EXPECT_EQ(Value::Bytes("\x01\xab").ToString(), "0x01ab");
  const std::string long_text = Value::String(std::string(1000, 'x')).ToString();
  EXPECT_LT(long_text.size(), 100u);
  EXPECT_NE(long_text.find("(1000 bytes)"), std::string::npos);
}

TEST(ValueTest, CheckValueTypeMatchesKindsToStorageTypes) {
  EXPECT_TRUE(CheckValueType(Value::Int32(1), StorageType::kInt).ok());
  EXPECT_TRUE(CheckValueType(Value::Int64(1), StorageType::kDateTime).ok());
  EXPECT_TRUE(CheckValueType(Value::String("A"), StorageType::kEnum).ok());
  EXPECT_TRUE(CheckValueType(Value::String("{}"), StorageType::kJson).ok());
  EXPECT_TRUE(CheckValueType(Value::Null(), StorageType::kUuid).ok());
  EXPECT_TRUE(CheckValueType(Value::Bytes(std::string(16, 'u')), StorageType::kUuid).ok());
  EXPECT_TRUE(CheckValueType(Value::Bytes(std::string(15, 'u')), StorageType::kUuid).IsInvalidArgument());
  EXPECT_TRUE(CheckValueType(Value::Int64(1), StorageType::kInt).IsInvalidArgument());
  EXPECT_TRUE(CheckValueType(Value::Bytes("x"), StorageType::kString).IsInvalidArgument());
  Status st = CheckValueType(Value::String("x"), StorageType::kFloat);
  EXPECT_NE(st.message().find("Float"), std::string::npos) << st.ToString();
}

TEST(ValueTest, StorageTypeOfAFieldFollowsItsKind) {
  Field f;
  f.kind = FieldKind::kScalar;
  f.scalar = ScalarType::kDateTime;
  EXPECT_EQ(StorageTypeOf(f), StorageType::kDateTime);
  f.scalar = ScalarType::kString;
  f.uuid_bytes = true;
  EXPECT_EQ(StorageTypeOf(f), StorageType::kUuid);
  f.kind = FieldKind::kEnum;
  EXPECT_EQ(StorageTypeOf(f), StorageType::kEnum);
  f.kind = FieldKind::kRelation;
  EXPECT_EQ(StorageTypeOf(f), std::nullopt);
  for (ScalarType t : {ScalarType::kBoolean, ScalarType::kInt, ScalarType::kBigInt, ScalarType::kFloat,
                       ScalarType::kDecimal, ScalarType::kString, ScalarType::kBytes, ScalarType::kDateTime,
                       ScalarType::kJson}) {
    EXPECT_EQ(StorageTypeName(StorageTypeOf(t)), ScalarTypeName(t));
  }
}

}  // namespace
}  // namespace ormdb::schema

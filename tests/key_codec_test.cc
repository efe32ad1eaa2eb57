// schema/key_codec: memcmp order of encodings is Value order (reversed for
// descending), for every key type, nulls and composite keys; encodings are
// prefix-free and decode to the value; decoders reject every byte string
// the encoder would not write. A failure prints the seed; rerun with
// ORMDB_TEST_SEED=<seed> to reproduce, ORMDB_TEST_SCALE=<n> to run longer.
#include "schema/key_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "tests/test_util.h"
#include "tests/value_gen.h"

namespace ormdb::schema {
namespace {

using testing::ValueGen;

// The B+tree's key order: unsigned bytes, a prefix before its extensions.
int MemCompare(std::string_view a, std::string_view b) {
  const int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
  if (c != 0) return c < 0 ? -1 : 1;
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

int Sign(int x) { return (x > 0) - (x < 0); }

std::string Hex(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : s) {
    out.push_back(kHex[static_cast<uint8_t>(c) >> 4]);
    out.push_back(kHex[static_cast<uint8_t>(c) & 0xF]);
    out.push_back(' ');
  }
  if (!out.empty()) out.pop_back();
  return out;
}

std::string Unhex(std::string_view hex) {
  std::string out;
  int nibbles = 0;
  uint8_t b = 0;
  for (char c : hex) {
    if (c == ' ') continue;
    b = static_cast<uint8_t>(b << 4 | (c <= '9' ? c - '0' : c - 'a' + 10));
    if (++nibbles % 2 == 0) {
      out.push_back(static_cast<char>(b));
      b = 0;
    }
  }
  return out;
}

std::string Key(const Value& v, StorageType t, SortOrder order = SortOrder::kAsc) {
  std::string out;
  Status st = AppendKey(&out, v, t, order);
  EXPECT_TRUE(st.ok()) << st.ToString() << " for " << v.ToString();
  return out;
}

const SortOrder kOrders[] = {SortOrder::kAsc, SortOrder::kDesc};
const char* OrderName(SortOrder o) { return o == SortOrder::kAsc ? "asc" : "desc"; }

std::vector<StorageType> KeyTypes() {
  std::vector<StorageType> out;
  for (StorageType t : testing::kAllStorageTypes) {
    if (t != StorageType::kJson) out.push_back(t);
  }
  return out;
}

size_t Rounds(size_t n) { return static_cast<size_t>(static_cast<double>(n) * testing::TestScale()); }

// --- Properties over random values ---

TEST(KeyCodecTest, ByteOrderOfEncodingsIsValueOrderForEveryType) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (ORMDB_TEST_SEED to reproduce)");
  ValueGen gen(seed);
  for (StorageType t : KeyTypes()) {
    for (SortOrder order : kOrders) {
      for (size_t i = 0; i < Rounds(3000); ++i) {
        const Value a = gen.Make(t);
        const Value b = gen.OneIn(4) ? a : gen.Make(t);
        const int want = Compare(a, b) * (order == SortOrder::kAsc ? 1 : -1);
        const std::string ka = Key(a, t, order);
        const std::string kb = Key(b, t, order);
        ASSERT_EQ(Sign(MemCompare(ka, kb)), Sign(want))
            << StorageTypeName(t) << " " << OrderName(order) << ": " << a.ToString() << " vs " << b.ToString()
            << "\n  " << Hex(ka) << "\n  " << Hex(kb);
      }
    }
  }
}

TEST(KeyCodecTest, DecodingGivesBackTheValueAndConsumesExactlyTheComponent) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  ValueGen gen(seed);
  for (StorageType t : KeyTypes()) {
    for (SortOrder order : kOrders) {
      for (size_t i = 0; i < Rounds(2000); ++i) {
        const Value v = gen.Make(t);
        std::string key = Key(v, t, order);
        const size_t len = key.size();
        key += "\x00\xff tail";  // what follows must stay unread
        std::string_view in(key);
        Value got;
        ASSERT_OK(DecodeKey(&in, t, order, &got));
        ASSERT_EQ(key.size() - in.size(), len) << StorageTypeName(t) << " " << v.ToString();
        ASSERT_EQ(Compare(got, v), 0) << StorageTypeName(t) << ": " << v.ToString() << " came back as "
                                      << got.ToString();
        ASSERT_EQ(got.kind(), v.kind());
        // The decoded value is the canonical one: it encodes to the same bytes.
        ASSERT_EQ(Key(got, t, order), key.substr(0, len));
      }
    }
  }
}

TEST(KeyCodecTest, NoEncodingIsAPrefixOfAnother) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  ValueGen gen(seed);
  for (StorageType t : KeyTypes()) {
    for (SortOrder order : kOrders) {
      std::vector<std::pair<Value, std::string>> keys;
      for (size_t i = 0; i < 150; ++i) {
        Value v = gen.Make(t);
        std::string k = Key(v, t, order);
        keys.emplace_back(std::move(v), std::move(k));
      }
      for (const auto& [a, ka] : keys) {
        for (const auto& [b, kb] : keys) {
          if (Compare(a, b) == 0) {
            ASSERT_EQ(ka, kb) << "equal values, different keys: " << a.ToString() << " " << b.ToString();
          } else {
            ASSERT_FALSE(kb.starts_with(ka)) << StorageTypeName(t) << " " << OrderName(order) << ": "
                                             << a.ToString() << " is a prefix of " << b.ToString();
          }
        }
      }
    }
  }
}

TEST(KeyCodecTest, SortingByEncodingSortsByValue) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  ValueGen gen(seed);
  for (StorageType t : KeyTypes()) {
    for (SortOrder order : kOrders) {
      std::vector<std::pair<std::string, Value>> keys;
      for (size_t i = 0; i < 500; ++i) {
        Value v = gen.Make(t);
        keys.emplace_back(Key(v, t, order), std::move(v));
      }
      std::sort(keys.begin(), keys.end(), [](const auto& x, const auto& y) { return MemCompare(x.first, y.first) < 0; });
      for (size_t i = 1; i < keys.size(); ++i) {
        const int c = Compare(keys[i - 1].second, keys[i].second);
        ASSERT_TRUE(order == SortOrder::kAsc ? c <= 0 : c >= 0)
            << StorageTypeName(t) << " " << OrderName(order) << ": " << keys[i - 1].second.ToString() << " before "
            << keys[i].second.ToString();
      }
    }
  }
}

TEST(KeyCodecTest, CompositeKeysOrderByFirstColumnThenTheNext) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  ValueGen gen(seed);
  const std::vector<StorageType> types = KeyTypes();
  for (size_t round = 0; round < Rounds(200); ++round) {
    std::vector<KeyColumn> columns(2 + gen.Uniform(2));
    for (KeyColumn& c : columns) {
      c.type = types[gen.Uniform(types.size())];
      c.order = gen.OneIn(2) ? SortOrder::kAsc : SortOrder::kDesc;
    }
    // Few distinct values per column, so ties in early columns are common.
    std::vector<std::vector<Value>> pools(columns.size());
    for (size_t c = 0; c < columns.size(); ++c) {
      for (int i = 0; i < 4; ++i) pools[c].push_back(gen.Make(columns[c].type, 4));
    }
    std::vector<std::pair<std::vector<Value>, std::string>> rows;
    for (int i = 0; i < 40; ++i) {
      std::vector<Value> row;
      for (size_t c = 0; c < columns.size(); ++c) row.push_back(pools[c][gen.Uniform(pools[c].size())]);
      std::string key;
      ASSERT_OK(AppendKeyColumns(&key, row, columns));
      rows.emplace_back(std::move(row), std::move(key));
    }
    for (const auto& [a, ka] : rows) {
      for (const auto& [b, kb] : rows) {
        int want = 0;
        for (size_t c = 0; c < columns.size() && want == 0; ++c) {
          want = Compare(a[c], b[c]) * (columns[c].order == SortOrder::kAsc ? 1 : -1);
        }
        ASSERT_EQ(Sign(MemCompare(ka, kb)), Sign(want)) << "\n  " << Hex(ka) << "\n  " << Hex(kb);
      }
      std::string_view in(ka);
      std::vector<Value> got;
      ASSERT_OK(DecodeKeyColumns(&in, columns, &got));
      ASSERT_TRUE(in.empty());
      ASSERT_EQ(got.size(), a.size());
      for (size_t c = 0; c < a.size(); ++c) ASSERT_EQ(Compare(got[c], a[c]), 0);
    }
  }
}

TEST(KeyCodecTest, EveryProperPrefixOfAComponentFailsToDecode) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  ValueGen gen(seed);
  for (StorageType t : KeyTypes()) {
    for (SortOrder order : kOrders) {
      for (int i = 0; i < 50; ++i) {
        const std::string key = Key(gen.Make(t), t, order);
        for (size_t len = 0; len < std::min<size_t>(key.size(), 64); ++len) {
          std::string_view in(key.data(), len);
          Value v;
          Status st = DecodeKey(&in, t, order, &v);
          ASSERT_TRUE(st.IsCorruption()) << StorageTypeName(t) << " prefix " << Hex(in) << ": " << st.ToString();
          ASSERT_EQ(in.size(), len) << "input consumed on error";
        }
      }
    }
  }
}

// --- Nulls ---

TEST(KeyCodecTest, NullsSortFirstAscendingAndLastDescending) {
  for (StorageType t : KeyTypes()) {
    ValueGen gen(7);
    for (int i = 0; i < 100; ++i) {
      const Value v = gen.Make(t, 0);
      EXPECT_LT(MemCompare(Key(Value::Null(), t), Key(v, t)), 0) << v.ToString();
      EXPECT_GT(MemCompare(Key(Value::Null(), t, SortOrder::kDesc), Key(v, t, SortOrder::kDesc)), 0) << v.ToString();
    }
    EXPECT_EQ(Key(Value::Null(), t), std::string(1, '\x00'));
    EXPECT_EQ(Key(Value::Null(), t, SortOrder::kDesc), std::string(1, '\xff'));
  }
}

// --- Edge cases, with the exact bytes of docs/record-format.md ---

TEST(KeyCodecTest, IntegersAreSignFlippedBigEndian) {
  EXPECT_EQ(Hex(Key(Value::Int32(1), StorageType::kInt)), "01 80 00 00 01");
  EXPECT_EQ(Hex(Key(Value::Int32(-1), StorageType::kInt)), "01 7f ff ff ff");
  EXPECT_EQ(Hex(Key(Value::Int32(INT32_MIN), StorageType::kInt)), "01 00 00 00 00");
  EXPECT_EQ(Hex(Key(Value::Int32(INT32_MAX), StorageType::kInt)), "01 ff ff ff ff");
  EXPECT_EQ(Hex(Key(Value::Int32(1), StorageType::kInt, SortOrder::kDesc)), "fe 7f ff ff fe");
  EXPECT_EQ(Hex(Key(Value::Int64(INT64_MIN), StorageType::kBigInt)), "01 00 00 00 00 00 00 00 00");
  EXPECT_EQ(Hex(Key(Value::Int64(INT64_MAX), StorageType::kDateTime)), "01 ff ff ff ff ff ff ff ff");
  EXPECT_LT(MemCompare(Key(Value::Int32(INT32_MIN), StorageType::kInt), Key(Value::Int32(INT32_MIN + 1), StorageType::kInt)), 0);
  EXPECT_LT(MemCompare(Key(Value::Int32(INT32_MAX - 1), StorageType::kInt), Key(Value::Int32(INT32_MAX), StorageType::kInt)), 0);
  EXPECT_EQ(Hex(Key(Value::Bool(false), StorageType::kBoolean)), "01 00");
  EXPECT_EQ(Hex(Key(Value::Bool(true), StorageType::kBoolean, SortOrder::kDesc)), "fe fe");
}

TEST(KeyCodecTest, NegativeZeroEncodesAsPositiveZero) {
  EXPECT_EQ(Key(Value::Double(-0.0), StorageType::kFloat), Key(Value::Double(0.0), StorageType::kFloat));
  EXPECT_EQ(Hex(Key(Value::Double(0.0), StorageType::kFloat)), "01 80 00 00 00 00 00 00 00");
  std::string_view in = "\x01\x7f\xff\xff\xff\xff\xff\xff\xff";  // what -0.0 would be, unnormalized
  Value v;
  EXPECT_TRUE(DecodeKey(&in, StorageType::kFloat, SortOrder::kAsc, &v).IsCorruption());
}

TEST(KeyCodecTest, FloatsOrderFromMinusInfinityToNaN) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> ascending = {-inf, std::numeric_limits<double>::lowest(), -1.5, -std::numeric_limits<double>::denorm_min(),
                                         0.0, std::numeric_limits<double>::denorm_min(), 1.5,
                                         std::numeric_limits<double>::max(), inf, nan};
  for (size_t i = 1; i < ascending.size(); ++i) {
    EXPECT_LT(MemCompare(Key(Value::Double(ascending[i - 1]), StorageType::kFloat),
                         Key(Value::Double(ascending[i]), StorageType::kFloat)),
              0)
        << ascending[i - 1] << " < " << ascending[i];
  }
  // Every NaN is one key.
  const double other_nan = std::bit_cast<double>(uint64_t{0xFFF0000000000123});
  ASSERT_TRUE(std::isnan(other_nan));
  EXPECT_EQ(Key(Value::Double(other_nan), StorageType::kFloat), Key(Value::Double(nan), StorageType::kFloat));
  EXPECT_EQ(Hex(Key(Value::Double(nan), StorageType::kFloat)), "01 ff f8 00 00 00 00 00 00");
  std::string bad = Key(Value::Double(nan), StorageType::kFloat);
  bad.back() = '\x01';  // a NaN with a payload
  std::string_view in(bad);
  Value v;
  EXPECT_TRUE(DecodeKey(&in, StorageType::kFloat, SortOrder::kAsc, &v).IsCorruption());
}

TEST(KeyCodecTest, StringsEscapeZeroBytesAndEndWithATerminator) {
  EXPECT_EQ(Hex(Key(Value::String(""), StorageType::kString)), "01 00 01");
  EXPECT_EQ(Hex(Key(Value::String("ab"), StorageType::kString)), "01 61 62 00 01");
  EXPECT_EQ(Hex(Key(Value::String(std::string("a\0b", 3)), StorageType::kString)), "01 61 00 ff 62 00 01");
  EXPECT_EQ(Hex(Key(Value::Bytes("\xff"), StorageType::kBytes)), "01 ff 00 01");
  EXPECT_EQ(Hex(Key(Value::String("ab"), StorageType::kString, SortOrder::kDesc)), "fe 9e 9d ff fe");
  // The order of prefixes, in both directions.
  const std::vector<std::string> ascending = {"", std::string(1, '\0'), std::string(2, '\0'), std::string("\0\x01", 2),
                                              "\x01", "a", std::string("a\0", 2), "a\x01", "ab", "\xfe", "\xff",
                                              "\xff\xff"};
  for (StorageType t : {StorageType::kString, StorageType::kBytes, StorageType::kEnum}) {
    for (size_t i = 1; i < ascending.size(); ++i) {
      const Value a = t == StorageType::kBytes ? Value::Bytes(ascending[i - 1]) : Value::String(ascending[i - 1]);
      const Value b = t == StorageType::kBytes ? Value::Bytes(ascending[i]) : Value::String(ascending[i]);
      EXPECT_LT(MemCompare(Key(a, t), Key(b, t)), 0) << Hex(ascending[i - 1]) << " < " << Hex(ascending[i]);
      EXPECT_GT(MemCompare(Key(a, t, SortOrder::kDesc), Key(b, t, SortOrder::kDesc)), 0);
    }
  }
}

TEST(KeyCodecTest, LongStringsRoundTrip) {
  std::string s(100000, 'x');
  for (size_t i = 0; i < s.size(); i += 7) s[i] = '\0';
  for (SortOrder order : kOrders) {
    const std::string key = Key(Value::String(s), StorageType::kString, order);
    std::string_view in(key);
    Value v;
    ASSERT_OK(DecodeKey(&in, StorageType::kString, order, &v));
    EXPECT_TRUE(in.empty());
    EXPECT_EQ(v.string_value(), s);
  }
}

TEST(KeyCodecTest, StringDecodingRejectsBadEscapesAndMissingTerminators) {
  for (const char* hex : {"01 61", "01 61 00", "01 00 02", "01 00 00", "01 00 ff", "01 00 fe 00 01"}) {
    const std::string bytes = Unhex(hex);
    std::string_view in(bytes);
    Value v;
    Status st = DecodeKey(&in, StorageType::kString, SortOrder::kAsc, &v);
    EXPECT_TRUE(st.IsCorruption()) << hex << ": " << st.ToString();
    EXPECT_EQ(in.size(), bytes.size());
  }
}

TEST(KeyCodecTest, DecimalsThatAreEqualEncodeEqual) {
  auto dec = [](std::string_view text) { return Value::FromDecimal(*Decimal::Parse(text)); };
  EXPECT_EQ(Key(dec("1.0"), StorageType::kDecimal), Key(dec("1.00"), StorageType::kDecimal));
  EXPECT_EQ(Key(dec("1"), StorageType::kDecimal), Key(dec("0.1e1"), StorageType::kDecimal));
  EXPECT_EQ(Key(dec("-0"), StorageType::kDecimal), Key(dec("0.000e7"), StorageType::kDecimal));
  EXPECT_EQ(Hex(Key(dec("0"), StorageType::kDecimal)), "01 02");
  EXPECT_EQ(Hex(Key(dec("1.5"), StorageType::kDecimal)), "01 03 80 01 03 64");
  EXPECT_EQ(Hex(Key(dec("-1.5"), StorageType::kDecimal)), "01 01 7f fe fc 9b");
  EXPECT_EQ(Hex(Key(dec("12.5"), StorageType::kDecimal)), "01 03 80 01 19 64");
  EXPECT_EQ(Hex(Key(dec("100"), StorageType::kDecimal)), "01 03 80 02 02");
  EXPECT_EQ(Hex(Key(dec("0.001"), StorageType::kDecimal)), "01 03 7f ff 14");
}

TEST(KeyCodecTest, DecimalsOrderNumerically) {
  const std::vector<std::string> ascending = {
      "-1e32766", "-123456789012345678901234567890123456.78", "-1000", "-999.99999", "-100.1", "-100",
      "-99",  "-10.5", "-10", "-1.01", "-1", "-0.99", "-0.1", "-0.01", "-0.0001", "-1e-32768",
      "0", "1e-32768", "0.000000000000000000000000000000000000001", "0.0001", "0.001001", "0.01", "0.1", "0.10001",
      "1", "1.000000000000000000000000000000000001", "1.01", "1.1", "9.99", "10", "10.000001", "99", "100", "100.5",
      "1000", "12345678901234567890123456789012345678", "1e32766"};
  std::vector<Value> values;
  for (const std::string& s : ascending) {
    auto d = Decimal::Parse(s);
    ASSERT_TRUE(d.ok()) << s << ": " << d.status().ToString();
    values.push_back(Value::FromDecimal(*d));
  }
  for (size_t i = 1; i < values.size(); ++i) {
    EXPECT_LT(Compare(values[i - 1], values[i]), 0) << ascending[i - 1] << " < " << ascending[i];
    EXPECT_LT(MemCompare(Key(values[i - 1], StorageType::kDecimal), Key(values[i], StorageType::kDecimal)), 0)
        << ascending[i - 1] << " < " << ascending[i];
    EXPECT_GT(MemCompare(Key(values[i - 1], StorageType::kDecimal, SortOrder::kDesc),
                         Key(values[i], StorageType::kDecimal, SortOrder::kDesc)),
              0);
  }
}

TEST(KeyCodecTest, DecimalDecodingRejectsNonCanonicalDigits) {
  for (const char* hex : {
           "01 03 80 01 00",        // a final digit 0 (a trailing zero)
           "01 03 80 01 01 64",     // a leading digit 0
           "01 03 80 01 03",        // no final digit
           "01 03 80 01 c9 64",     // digit 100
           "01 03 80",              // no digits
           "01 04",                 // unknown class
           "01 03 ff ff 02",        // exponent out of range
       }) {
    const std::string bytes = Unhex(hex);
    std::string_view in(bytes);
    Value v;
    Status st = DecodeKey(&in, StorageType::kDecimal, SortOrder::kAsc, &v);
    EXPECT_TRUE(st.IsCorruption()) << hex << ": " << st.ToString();
  }
  // 21 digit pairs are more than 38 digits.
  std::string many = Unhex("01 03 80 01");
  many.append(20, '\x03');
  many.push_back('\x02');
  std::string_view in(many);
  Value v;
  EXPECT_TRUE(DecodeKey(&in, StorageType::kDecimal, SortOrder::kAsc, &v).IsCorruption());
}

TEST(KeyCodecTest, UuidsAreSixteenRawBytes) {
  const std::string uuid = Unhex("00112233445566778899aabbccddeeff");
  EXPECT_EQ(Hex(Key(Value::Bytes(uuid), StorageType::kUuid)), "01 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff");
  std::string out = "prefix";
  Status st = AppendKey(&out, Value::Bytes("short"), StorageType::kUuid, SortOrder::kAsc);
  EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
  EXPECT_EQ(out, "prefix");
}

TEST(KeyCodecTest, JsonCannotBePartOfAKey) {
  std::string out;
  Status st = AppendKey(&out, Value::String("{}"), StorageType::kJson, SortOrder::kAsc);
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.message().find("Json"), std::string::npos) << st.ToString();
  EXPECT_TRUE(out.empty());
  std::string_view in("\x01{}\x00\x01", 5);
  Value v;
  EXPECT_TRUE(DecodeKey(&in, StorageType::kJson, SortOrder::kAsc, &v).IsInvalidArgument());
  EXPECT_TRUE(CheckKeyType(StorageType::kJson).IsInvalidArgument());
}

TEST(KeyCodecTest, ValuesOfTheWrongKindAreRejectedWithoutWriting) {
  std::string out = "x";
  Status st = AppendKey(&out, Value::String("1"), StorageType::kInt, SortOrder::kAsc);
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.message().find("Int"), std::string::npos) << st.ToString();
  EXPECT_EQ(out, "x");
  const std::vector<KeyColumn> columns = {{StorageType::kInt}, {StorageType::kBigInt}};
  const std::vector<Value> values = {Value::Int32(1), Value::Int32(2)};  // BigInt wants int64
  st = AppendKeyColumns(&out, values, columns);
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.message().find("key column 1"), std::string::npos) << st.ToString();
  EXPECT_EQ(out, "x");
}

TEST(KeyCodecTest, MarkersOtherThanNullAndValueAreCorruption) {
  for (StorageType t : KeyTypes()) {
    std::string_view in("\x02", 1);
    Value v;
    EXPECT_TRUE(DecodeKey(&in, t, SortOrder::kAsc, &v).IsCorruption());
    std::string_view empty;
    EXPECT_TRUE(DecodeKey(&empty, t, SortOrder::kAsc, &v).IsCorruption());
  }
  std::string_view bool2("\x01\x02", 2);
  Value v;
  EXPECT_TRUE(DecodeKey(&bool2, StorageType::kBoolean, SortOrder::kAsc, &v).IsCorruption());
}

TEST(KeyCodecTest, U32PrefixesAreBigEndian) {
  std::string out;
  AppendU32Key(&out, 0x01020304);
  AppendU32Key(&out, 7);
  EXPECT_EQ(Hex(out), "01 02 03 04 00 00 00 07");
  std::string_view in(out);
  uint32_t a = 0, b = 0;
  ASSERT_OK(DecodeU32Key(&in, &a));
  ASSERT_OK(DecodeU32Key(&in, &b));
  EXPECT_EQ(a, 0x01020304u);
  EXPECT_EQ(b, 7u);
  EXPECT_TRUE(DecodeU32Key(&in, &a).IsCorruption());
  std::string k1, k2;
  AppendU32Key(&k1, 255);
  AppendU32Key(&k2, 256);
  EXPECT_LT(MemCompare(k1, k2), 0);
}

// The worked example of docs/record-format.md: a key of entity 7 with the
// primary key (tenant Int ascending, createdAt DateTime descending, name
// String ascending).
TEST(KeyCodecTest, DocumentedCompositeKeyExample) {
  std::string key;
  AppendU32Key(&key, 7);
  const std::vector<KeyColumn> columns = {
      {StorageType::kInt, SortOrder::kAsc}, {StorageType::kDateTime, SortOrder::kDesc}, {StorageType::kString}};
  ASSERT_OK(AppendKeyColumns(&key, std::vector<Value>{Value::Int32(42), Value::Int64(1700000000000000),
                                                      Value::String(std::string("a\0b", 3))},
                             columns));
  EXPECT_EQ(Hex(key),
            "00 00 00 07 01 80 00 00 2a fe 7f f9 f5 db e7 e1 bf ff 01 61 00 ff 62 00 01");
  std::string null_key;
  AppendU32Key(&null_key, 7);
  ASSERT_OK(AppendKeyColumns(&null_key, std::vector<Value>{Value::Int32(42), Value::Null(), Value::String("")},
                             columns));
  EXPECT_EQ(Hex(null_key), "00 00 00 07 01 80 00 00 2a ff 01 00 01");
}

}  // namespace
}  // namespace ormdb::schema

// schema/record: rows round-trip for random layouts and values, one field is
// read from its slot or its two offsets, old rows read under a newer layout
// get nulls and defaults for added fields, and corrupt records are errors
// that say what is wrong. A failure prints the seed; rerun with
// ORMDB_TEST_SEED=<seed> to reproduce.
#include "schema/record.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "tests/test_util.h"
#include "tests/value_gen.h"

namespace ormdb::schema {
namespace {

using testing::ValueGen;

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

// Equal, and for doubles the same bits (records keep -0.0 and NaN payloads).
bool SameValue(const Value& a, const Value& b) {
  if (Compare(a, b) != 0 || a.kind() != b.kind()) return false;
  if (a.kind() == Value::Kind::kDouble) {
    return std::bit_cast<uint64_t>(a.double_value()) == std::bit_cast<uint64_t>(b.double_value());
  }
  return true;
}

RecordLayout MakeLayout(uint32_t version, std::vector<RecordField> fields) {
  auto l = RecordLayout::Make(version, std::move(fields));
  EXPECT_TRUE(l.ok()) << l.status().ToString();
  return std::move(l).value();
}

RecordLayout RandomLayout(ValueGen& gen) {
  std::vector<RecordField> fields(gen.Uniform(gen.OneIn(10) ? 100 : 12));
  uint32_t id = static_cast<uint32_t>(gen.Uniform(5));
  for (RecordField& f : fields) {
    f.id = id += 1 + static_cast<uint32_t>(gen.Uniform(3));
    f.type = testing::kAllStorageTypes[gen.Uniform(std::size(testing::kAllStorageTypes))];
    f.nullable = gen.OneIn(2);
  }
  // Physical order need not follow ids.
  std::shuffle(fields.begin(), fields.end(), gen.rng());
  return MakeLayout(static_cast<uint32_t>(gen.OneIn(4) ? gen.rng()() : gen.Uniform(300)), std::move(fields));
}

std::vector<Value> RandomValues(ValueGen& gen, const RecordLayout& layout) {
  std::vector<Value> values;
  for (const RecordField& f : layout.fields()) values.push_back(gen.Make(f.type, f.nullable ? 3 : 0));
  return values;
}

std::string Encode(const RecordLayout& layout, const std::vector<Value>& values) {
  std::string out;
  Status st = EncodeRecord(layout, values, &out);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

TEST(RecordTest, RandomRecordsRoundTrip) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (ORMDB_TEST_SEED to reproduce)");
  ValueGen gen(seed);
  for (int round = 0; round < 2000 * testing::TestScale(); ++round) {
    const RecordLayout layout = RandomLayout(gen);
    const std::vector<Value> values = RandomValues(gen, layout);
    const std::string bytes = Encode(layout, values);
    auto version = RecordSchemaVersion(bytes);
    ASSERT_TRUE(version.ok()) << version.status().ToString();
    ASSERT_EQ(*version, layout.schema_version());
    auto view = RecordView::Open(bytes, layout);
    ASSERT_TRUE(view.ok()) << view.status().ToString() << "\n" << Hex(bytes);
    // Fields in a random order: each read stands alone.
    std::vector<size_t> order(layout.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), gen.rng());
    for (size_t i : order) {
      ASSERT_EQ(view->IsNull(i), values[i].is_null());
      auto got = view->Get(i);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      ASSERT_TRUE(SameValue(*got, values[i])) << "field " << layout.field(i).id << ": wrote " << values[i].ToString()
                                              << ", read " << got->ToString();
    }
    std::vector<Value> all;
    ASSERT_OK(view->ReadAll(&all));
    ASSERT_EQ(all.size(), values.size());
  }
}

TEST(RecordTest, VariableFieldsAreReadInPlace) {
  const RecordLayout layout = MakeLayout(1, {{1, StorageType::kString, false},
                                             {2, StorageType::kInt, false},
                                             {3, StorageType::kBytes, true},
                                             {4, StorageType::kJson, true}});
  const std::string bytes =
      Encode(layout, {Value::String("hello"), Value::Int32(-2), Value::Null(), Value::String("[1,2]")});
  auto view = RecordView::Open(bytes, layout);
  ASSERT_TRUE(view.ok());
  const std::string_view json = view->GetVariable(3);
  EXPECT_EQ(json, "[1,2]");
  EXPECT_GE(json.data(), bytes.data());
  EXPECT_LE(json.data() + json.size(), bytes.data() + bytes.size());
  EXPECT_EQ(view->GetVariable(2), "");
  EXPECT_TRUE(view->IsNull(2));
  EXPECT_EQ(view->Get(1)->int32_value(), -2);
}

TEST(RecordTest, EmptyLayoutIsJustAHeader) {
  const RecordLayout layout = MakeLayout(300, {});
  const std::string bytes = Encode(layout, {});
  EXPECT_EQ(Hex(bytes), "01 ac 02 00");
  EXPECT_TRUE(RecordView::Open(bytes, layout).ok());
}

TEST(RecordTest, LargeVariableSectionsUseWideOffsets) {
  const RecordLayout layout = MakeLayout(1, {{1, StorageType::kBytes, false}, {2, StorageType::kString, false}});
  const std::string big(70000, 'b');
  const std::string bytes = Encode(layout, {Value::Bytes(big), Value::String("s")});
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), kRecordFormatWide);
  auto view = RecordView::Open(bytes, layout);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->Get(0)->bytes_value(), big);
  EXPECT_EQ(view->Get(1)->string_value(), "s");
  const std::string small = Encode(layout, {Value::Bytes(std::string(65534, 'b')), Value::String("s")});
  EXPECT_EQ(static_cast<uint8_t>(small[0]), kRecordFormatNarrow);
}

TEST(RecordTest, FloatsKeepTheirBits) {
  const RecordLayout layout = MakeLayout(1, {{1, StorageType::kFloat, false}, {2, StorageType::kFloat, false}});
  const double payload_nan = std::bit_cast<double>(uint64_t{0x7FF0000000000ABC});
  const std::string bytes = Encode(layout, {Value::Double(-0.0), Value::Double(payload_nan)});
  auto view = RecordView::Open(bytes, layout);
  ASSERT_TRUE(view.ok());
  EXPECT_TRUE(std::signbit(view->Get(0)->double_value()));
  EXPECT_EQ(std::bit_cast<uint64_t>(view->Get(1)->double_value()), uint64_t{0x7FF0000000000ABC});
}

// --- Layouts and encoding errors ---

TEST(RecordTest, LayoutsRejectDuplicateIds) {
  auto l = RecordLayout::Make(1, {{5, StorageType::kInt, false}, {5, StorageType::kString, true}});
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.status().message().find("duplicate field id 5"), std::string::npos) << l.status().ToString();
  auto bad_type = RecordLayout::Make(1, {{1, static_cast<StorageType>(kStorageTypeCount), true}});
  EXPECT_TRUE(bad_type.status().IsInvalidArgument());
}

TEST(RecordTest, LayoutsPlaceFixedFieldsInSlotsAndVariableFieldsInTheTable) {
  const RecordLayout layout = MakeLayout(1, {{10, StorageType::kString, true},
                                             {11, StorageType::kBigInt, false},
                                             {12, StorageType::kBoolean, false},
                                             {13, StorageType::kDecimal, true},
                                             {14, StorageType::kUuid, true}});
  EXPECT_EQ(layout.fixed_bytes(), 8u + 1u + 16u);
  EXPECT_EQ(layout.variable_count(), 2u);
  EXPECT_EQ(layout.slot(1), 0u);
  EXPECT_EQ(layout.slot(2), 8u);
  EXPECT_EQ(layout.slot(4), 9u);
  EXPECT_EQ(layout.slot(0), 0u);
  EXPECT_EQ(layout.slot(3), 1u);
  EXPECT_EQ(layout.IndexOf(13), 3u);
  EXPECT_EQ(layout.IndexOf(99), std::nullopt);
}

TEST(RecordTest, EncodingChecksEveryValueAndNamesTheField) {
  const RecordLayout layout = MakeLayout(3, {{7, StorageType::kInt, false}, {8, StorageType::kUuid, true}});
  std::string out = "keep";
  Status st = EncodeRecord(layout, std::vector<Value>{Value::String("x"), Value::Null()}, &out);
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.message().find("field id 7 (Int)"), std::string::npos) << st.ToString();
  st = EncodeRecord(layout, std::vector<Value>{Value::Null(), Value::Null()}, &out);
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.message().find("field id 7 (Int) is required"), std::string::npos) << st.ToString();
  st = EncodeRecord(layout, std::vector<Value>{Value::Int32(1), Value::Bytes("short")}, &out);
  EXPECT_NE(st.message().find("field id 8 (Uuid)"), std::string::npos) << st.ToString();
  st = EncodeRecord(layout, std::vector<Value>{Value::Int32(1)}, &out);
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_EQ(out, "keep");
}

// --- Corrupt records ---

// A layout with one field of every kind of placement, and a valid record.
struct Sample {
  RecordLayout layout = MakeLayout(2, {{1, StorageType::kBoolean, false},
                                       {2, StorageType::kString, true},
                                       {3, StorageType::kInt, true},
                                       {4, StorageType::kDecimal, true},
                                       {5, StorageType::kBytes, false}});
  std::string bytes = Encode(layout, {Value::Bool(true), Value::String("ab"), Value::Null(),
                                      Value::FromDecimal(*Decimal::Parse("1.5")), Value::Bytes("z")});
};

Status OpenStatus(std::string_view bytes, const RecordLayout& layout) {
  auto v = RecordView::Open(bytes, layout);
  return v.ok() ? Status::OK() : v.status();
}

TEST(RecordTest, DocumentedRecordExample) {
  Sample s;
  // docs/record-format.md, "Worked example": format, version 2, 5 fields,
  // bitmap (field 3 null), bool, int slot (zeros), 3 end offsets, bytes.
  EXPECT_EQ(Hex(s.bytes), "01 02 05 04 01 00 00 00 00 02 00 07 00 08 00 61 62 03 80 01 03 64 7a");
}

TEST(RecordTest, EveryTruncationIsCorruption) {
  Sample s;
  for (size_t len = 0; len < s.bytes.size(); ++len) {
    Status st = OpenStatus(std::string_view(s.bytes).substr(0, len), s.layout);
    EXPECT_TRUE(st.IsCorruption()) << len << " bytes: " << st.ToString();
  }
  EXPECT_TRUE(OpenStatus(s.bytes + "x", s.layout).IsCorruption());
}

TEST(RecordTest, CorruptHeadersAndSectionsAreNamed) {
  Sample s;
  auto expect = [&](std::string bytes, std::string_view phrase) {
    Status st = OpenStatus(bytes, s.layout);
    EXPECT_FALSE(st.ok()) << Hex(bytes);
    EXPECT_NE(st.message().find(phrase), std::string::npos) << st.ToString();
  };
  std::string b = s.bytes;
  b[0] = 0x07;
  expect(b, "unknown format byte 7");
  b = s.bytes;
  b[2] = 0x06;
  expect(b, "field count 6");
  b = s.bytes;
  b[3] = 0x05;  // field id 1, required, marked null
  expect(b, "field id 1 (Boolean) is required but marked null");
  b = s.bytes;
  b[3] = 0x24;  // a bit past the fifth field
  expect(b, "past the last field");
  b = s.bytes;
  b[4] = 0x02;
  expect(b, "boolean byte 2");
  b = s.bytes;
  b[9] = 0x09;  // the String's end offset past the next one
  expect(b, "end offset");
  b = s.bytes;
  b[13] = 0x10;  // the last end offset past the end
  expect(b, "end offset 16");
  b = s.bytes;
  b[17] = 0x05;  // the decimal's class byte
  expect(b, "field id 4 (Decimal): decimal: bad class byte 5");
  b = s.bytes;
  b[3] = 0x06;  // field id 2 (String) null, but it has bytes
  expect(b, "field id 2 (String) is null but has 2 bytes");
  b = s.bytes;
  b[1] = 0x03;
  Status st = OpenStatus(b, s.layout);
  EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
  EXPECT_NE(st.message().find("schema version 3"), std::string::npos) << st.ToString();
  EXPECT_TRUE(RecordSchemaVersion("").status().IsCorruption());
  EXPECT_TRUE(RecordSchemaVersion("\x01\x80").status().IsCorruption());
  EXPECT_TRUE(RecordSchemaVersion(std::string_view("\x01\xff\xff\xff\xff\x10\x00", 7)).status().IsCorruption());
}

TEST(RecordTest, RandomDamageNeverBreaksReadsOfWhatOpens) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  ValueGen gen(seed);
  for (int round = 0; round < 3000; ++round) {
    const RecordLayout layout = RandomLayout(gen);
    std::string bytes = Encode(layout, RandomValues(gen, layout));
    for (uint64_t k = 1 + gen.Uniform(3); k > 0 && !bytes.empty(); --k) {
      bytes[gen.Uniform(bytes.size())] = static_cast<char>(gen.rng()());
    }
    auto view = RecordView::Open(bytes, layout);
    if (!view.ok()) {
      ASSERT_TRUE(view.status().IsCorruption() || view.status().IsInvalidArgument()) << view.status().ToString();
      continue;
    }
    for (size_t i = 0; i < layout.size(); ++i) ASSERT_TRUE(view->Get(i).ok());
  }
}

// --- Old rows under a newer layout ---

TEST(RecordTest, OldRowsReadAsTheCurrentLayout) {
  const RecordLayout v1 = MakeLayout(1, {{1, StorageType::kInt, false},
                                         {2, StorageType::kString, true},
                                         {3, StorageType::kFloat, true}});
  // Version 2 dropped field 3, added 4 (required, default true) and 5
  // (nullable, no default), and lays fields out in a new order.
  const RecordLayout v2 = MakeLayout(2, {{4, StorageType::kBoolean, false},
                                         {2, StorageType::kString, true},
                                         {5, StorageType::kDecimal, true},
                                         {1, StorageType::kInt, false}});
  const std::vector<Value> defaults = {Value::Bool(true), Value::String("unused"), Value::Null(), Value::Null()};
  auto mapping = LayoutMapping::Make(v1, v2, defaults);
  ASSERT_TRUE(mapping.ok()) << mapping.status().ToString();

  const std::string old_row = Encode(v1, {Value::Int32(9), Value::String("kept"), Value::Double(2.5)});
  auto version = RecordSchemaVersion(old_row);
  ASSERT_TRUE(version.ok());
  ASSERT_EQ(*version, 1u);
  auto view = RecordView::Open(old_row, v1);
  ASSERT_TRUE(view.ok());
  std::vector<Value> current;
  ASSERT_OK(mapping->ReadAll(*view, &current));
  ASSERT_EQ(current.size(), 4u);
  EXPECT_EQ(current[0], Value::Bool(true));
  EXPECT_EQ(current[1], Value::String("kept"));
  EXPECT_TRUE(current[2].is_null());
  EXPECT_EQ(current[3], Value::Int32(9));
  EXPECT_EQ(*mapping->Get(*view, 3), Value::Int32(9));

  // A row of the current version maps to itself.
  const std::vector<Value> now = {Value::Bool(false), Value::Null(), Value::FromDecimal(*Decimal::Parse("3")),
                                  Value::Int32(1)};
  const std::string new_row = Encode(v2, now);
  auto same = LayoutMapping::Make(v2, v2, defaults);
  ASSERT_TRUE(same.ok());
  auto new_view = RecordView::Open(new_row, v2);
  ASSERT_TRUE(new_view.ok());
  std::vector<Value> got;
  ASSERT_OK(same->ReadAll(*new_view, &got));
  ASSERT_EQ(got.size(), now.size());
  for (size_t i = 0; i < now.size(); ++i) EXPECT_EQ(got[i], now[i]);
}

TEST(RecordTest, MappingsRejectWhatOldRowsCannotSatisfy) {
  const RecordLayout v1 = MakeLayout(1, {{1, StorageType::kInt, false}, {2, StorageType::kString, true}});
  const RecordLayout retyped = MakeLayout(2, {{1, StorageType::kBigInt, false}});
  auto m = LayoutMapping::Make(v1, retyped, std::vector<Value>{Value::Null()});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("changed type from Int to BigInt"), std::string::npos) << m.status().ToString();

  const RecordLayout added = MakeLayout(2, {{1, StorageType::kInt, false}, {3, StorageType::kBigInt, false}});
  m = LayoutMapping::Make(v1, added, std::vector<Value>{Value::Null(), Value::Null()});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("has no default"), std::string::npos) << m.status().ToString();
  m = LayoutMapping::Make(v1, added, std::vector<Value>{Value::Null(), Value::Int32(0)});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("default of field id 3"), std::string::npos) << m.status().ToString();
  EXPECT_TRUE(LayoutMapping::Make(v1, added, std::vector<Value>{Value::Null(), Value::Int64(0)}).ok());

  // Field 2 became required; an old row that holds null for it is an error.
  const RecordLayout required = MakeLayout(2, {{2, StorageType::kString, false}});
  m = LayoutMapping::Make(v1, required, std::vector<Value>{Value::Null()});
  ASSERT_TRUE(m.ok());
  const std::string row = Encode(v1, {Value::Int32(1), Value::Null()});
  auto view = RecordView::Open(row, v1);
  ASSERT_TRUE(view.ok());
  EXPECT_TRUE(m->Get(*view, 0).status().IsCorruption());
}

}  // namespace
}  // namespace ormdb::schema

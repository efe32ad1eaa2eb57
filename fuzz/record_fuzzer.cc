// Records over arbitrary bytes: opening them against a few fixed layouts
// never crashes, an error is Corruption (or InvalidArgument for a schema
// version that isn't the layout's), and a record that opens reads every
// field without error, re-encodes to a record that opens to the same
// values, and maps to a newer layout.
//
// Input: the record bytes, as they are. The layouts have schema versions 1
// to 4, so the second byte picks the layout a record can open with.
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "schema/record.h"

using namespace ormdb;
using namespace ormdb::schema;

namespace {

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "record_fuzzer: %s\n", what.c_str());
  std::abort();
}

RecordLayout MustMake(uint32_t version, std::vector<RecordField> fields) {
  auto l = RecordLayout::Make(version, std::move(fields));
  if (!l.ok()) Fail(l.status().ToString());
  return std::move(l).value();
}

struct Fixture {
  std::vector<RecordLayout> layouts;
  RecordLayout evolved;  // version 5: a later version of layout 1
  std::vector<Value> evolved_defaults;
};

const Fixture& Layouts() {
  static const Fixture f = [] {
    std::vector<RecordLayout> layouts;
    // Every type once; required and nullable mixed.
    layouts.push_back(MustMake(1, {{1, StorageType::kBoolean, false},
                                   {2, StorageType::kInt, true},
                                   {3, StorageType::kBigInt, false},
                                   {4, StorageType::kFloat, true},
                                   {5, StorageType::kDecimal, true},
                                   {6, StorageType::kString, false},
                                   {7, StorageType::kBytes, true},
                                   {8, StorageType::kDateTime, true},
                                   {9, StorageType::kJson, true},
                                   {10, StorageType::kEnum, false},
                                   {11, StorageType::kUuid, true}}));
    // Variable-width fields only, all nullable.
    layouts.push_back(MustMake(2, {{1, StorageType::kString, true},
                                   {2, StorageType::kDecimal, true},
                                   {3, StorageType::kBytes, true},
                                   {4, StorageType::kDecimal, true}}));
    // A bitmap of several bytes.
    std::vector<RecordField> many;
    for (uint32_t i = 0; i < 19; ++i) {
      many.push_back({i + 1, i % 3 == 0 ? StorageType::kBoolean : StorageType::kInt, i % 2 == 0});
    }
    layouts.push_back(MustMake(3, std::move(many)));
    layouts.push_back(MustMake(4, {}));
    // Layout 1 after dropping field 4, retyping nothing, adding 12 and 13.
    RecordLayout evolved = MustMake(5, {{13, StorageType::kDecimal, false},
                                        {1, StorageType::kBoolean, false},
                                        {6, StorageType::kString, false},
                                        {12, StorageType::kString, true},
                                        {11, StorageType::kUuid, true},
                                        {5, StorageType::kDecimal, true}});
    std::vector<Value> defaults = {Value::FromDecimal(Decimal::FromInt64(7)), Value(), Value(), Value(), Value(),
                                   Value()};
    return Fixture{std::move(layouts), std::move(evolved), std::move(defaults)};
  }();
  return f;
}

bool SameValue(const Value& a, const Value& b) {
  if (a.kind() != b.kind() || Compare(a, b) != 0) return false;
  if (a.kind() == Value::Kind::kDouble) {
    return std::bit_cast<uint64_t>(a.double_value()) == std::bit_cast<uint64_t>(b.double_value());
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Fixture& f = Layouts();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto version = RecordSchemaVersion(bytes);
  if (!version.ok() && !version.status().IsCorruption()) Fail("header error: " + version.status().ToString());

  for (const RecordLayout& layout : f.layouts) {
    auto view = RecordView::Open(bytes, layout);
    if (!view.ok()) {
      const Status& st = view.status();
      if (!st.IsCorruption() && !st.IsInvalidArgument()) Fail("open error: " + st.ToString());
      if (st.IsInvalidArgument() && version.ok() && *version == layout.schema_version()) {
        Fail("InvalidArgument for a record of the layout's version: " + st.ToString());
      }
      continue;
    }
    if (!version.ok() || *version != layout.schema_version()) Fail("opened with a layout of another version");

    std::vector<Value> values;
    for (size_t i = 0; i < layout.size(); ++i) {
      auto v = view->Get(i);
      if (!v.ok()) Fail("field " + std::to_string(i) + " of a record that opened: " + v.status().ToString());
      if (view->IsNull(i) != v->is_null()) Fail("IsNull disagrees with Get");
      if (Status st = CheckValueType(*v, layout.field(i).type); !st.ok()) Fail("wrong kind: " + st.ToString());
      values.push_back(std::move(v).value());
    }

    std::string again;
    if (Status st = EncodeRecord(layout, values, &again); !st.ok()) Fail("re-encode: " + st.ToString());
    auto reopened = RecordView::Open(again, layout);
    if (!reopened.ok()) Fail("re-encoded record does not open: " + reopened.status().ToString());
    for (size_t i = 0; i < layout.size(); ++i) {
      if (!SameValue(*reopened->Get(i), values[i])) Fail("re-encoded record reads differently");
    }

    if (layout.schema_version() == 1) {
      auto mapping = LayoutMapping::Make(layout, f.evolved, f.evolved_defaults);
      if (!mapping.ok()) Fail(mapping.status().ToString());
      std::vector<Value> current;
      if (Status st = mapping->ReadAll(*view, &current); !st.ok()) Fail("mapping: " + st.ToString());
    }
  }
  return 0;
}

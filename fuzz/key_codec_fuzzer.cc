// The key decoder over arbitrary bytes: it never crashes or reads past its
// input, and whatever it accepts is canonical, so re-encoding a decoded
// component gives back exactly the bytes it consumed. Components of one
// column type that decode are also checked against each other: their byte
// order must be their Value order.
//
// Input: a column count byte (1 + b % 4), one byte per column (type = b % 10
// over the key types, descending when b & 0x80), then the key bytes. The key
// starts with a u32 prefix when the count byte's top bit is set.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "schema/key_codec.h"

using namespace ormdb;
using namespace ormdb::schema;

namespace {

constexpr StorageType kKeyTypes[] = {
    StorageType::kBoolean, StorageType::kInt,    StorageType::kBigInt, StorageType::kFloat, StorageType::kDecimal,
    StorageType::kString,  StorageType::kBytes,  StorageType::kDateTime, StorageType::kEnum, StorageType::kUuid,
};

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "key_codec_fuzzer: %s\n", what.c_str());
  std::abort();
}

int MemCompare(std::string_view a, std::string_view b) {
  const int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
  if (c != 0) return c < 0 ? -1 : 1;
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

int Sign(int x) { return (x > 0) - (x < 0); }

struct Component {
  KeyColumn column;
  Value value;
  std::string_view bytes;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto head = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  const size_t count = 1 + head % 4;
  if (in.size() < count) return 0;
  std::vector<KeyColumn> columns;
  for (size_t i = 0; i < count; ++i) {
    const auto b = static_cast<uint8_t>(in[i]);
    columns.push_back({kKeyTypes[b % std::size(kKeyTypes)], (b & 0x80) != 0 ? SortOrder::kDesc : SortOrder::kAsc});
  }
  in.remove_prefix(count);

  if ((head & 0x80) != 0) {
    const std::string_view before = in;
    uint32_t prefix = 0;
    if (!DecodeU32Key(&in, &prefix).ok()) {
      if (in != before) Fail("failed u32 decode consumed input");
      return 0;
    }
    std::string again;
    AppendU32Key(&again, prefix);
    if (again != before.substr(0, 4)) Fail("u32 prefix does not re-encode");
  }

  // Components cycle through the columns until the key ends or one fails.
  std::vector<Component> decoded;
  for (size_t i = 0; !in.empty() && decoded.size() < 64; ++i) {
    const KeyColumn& c = columns[i % columns.size()];
    const std::string_view before = in;
    Value v;
    Status st = DecodeKey(&in, c.type, c.order, &v);
    if (!st.ok()) {
      if (!st.IsCorruption()) Fail("decode error is not Corruption: " + st.ToString());
      if (in != before) Fail("failed decode consumed input");
      break;
    }
    const std::string_view consumed = before.substr(0, before.size() - in.size());
    if (Status ck = CheckValueType(v, c.type); !ck.ok()) Fail("decoded a value of the wrong kind: " + ck.ToString());
    std::string again;
    if (Status enc = AppendKey(&again, v, c.type, c.order); !enc.ok()) Fail("re-encode failed: " + enc.ToString());
    if (again != consumed) {
      Fail(std::string("re-encoding ") + std::string(StorageTypeName(c.type)) + " " + v.ToString() +
           " gives other bytes than were decoded");
    }
    if (v.kind() == Value::Kind::kDecimal) {
      auto text = Decimal::Parse(v.decimal_value().ToString());
      if (!text.ok() || *text != v.decimal_value()) Fail("decimal text does not round-trip: " + v.ToString());
    }
    decoded.push_back({c, std::move(v), consumed});
  }

  for (const Component& a : decoded) {
    for (const Component& b : decoded) {
      if (a.column.type != b.column.type || a.column.order != b.column.order) continue;
      const int want = Compare(a.value, b.value) * (a.column.order == SortOrder::kAsc ? 1 : -1);
      if (Sign(MemCompare(a.bytes, b.bytes)) != Sign(want)) {
        Fail("byte order of " + a.value.ToString() + " and " + b.value.ToString() + " is not their value order");
      }
    }
  }
  return 0;
}

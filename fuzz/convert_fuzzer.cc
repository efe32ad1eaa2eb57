// Value conversion over arbitrary text and bytes (what a type change
// migration reads out of String and Bytes fields): ConvertValue never
// crashes, only answers with a value of the target type or null, and a
// converted value converts back to text that converts to the same value
// again (the widening to String is exact, so a value that survived the
// narrowing must survive the round trip unchanged).
//
// Input: one byte choosing the target type (b % 11) and whether the source
// is Bytes (b & 0x80) rather than String, then the text.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "schema/convert.h"
#include "schema/type_conversion.h"

using namespace ormdb;
using namespace ormdb::schema;

namespace {

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "convert_fuzzer: %s\n", what.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const StorageType to = static_cast<StorageType>(data[0] % kStorageTypeCount);
  const bool from_bytes = (data[0] & 0x80) != 0;
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::vector<std::string> enum_values = {"A", "B", "value_c"};
  const StorageType from = from_bytes ? StorageType::kBytes : StorageType::kString;
  const Value in = from_bytes ? Value::Bytes(text) : Value::String(text);
  Result<Value> out = ConvertValue(in, from, to, enum_values);
  if (ClassifyConversion(StoredKindOf(from), StoredKindOf(to)).conversion == Conversion::kImpossible) {
    if (out.ok()) Fail("an impossible conversion succeeded");
    return 0;
  }
  if (!out.ok()) Fail("a possible conversion failed: " + out.status().ToString());
  if (out->is_null() || to == StorageType::kString || to == StorageType::kBytes) return 0;
  if (!CheckValueType(*out, to).ok()) Fail("converted value of the wrong kind: " + out->ToString());
  // Back to text and in again: the same value.
  Result<Value> back = ConvertValue(*out, to, StorageType::kString);
  if (!back.ok() || back->is_null()) Fail("no text for " + out->ToString());
  Result<Value> again = ConvertValue(*back, StorageType::kString, to, enum_values);
  if (!again.ok() || again->is_null() || Compare(*again, *out) != 0) {
    Fail("round trip of " + out->ToString() + " through \"" + back->string_value() + "\" changed it");
  }
  return 0;
}

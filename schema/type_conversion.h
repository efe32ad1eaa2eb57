// Which changes of a field's stored type keep every value (widening), may
// lose some (narrowing), or have no meaning at all (impossible), with the
// reason in words. The migration planner grades type changes by it; the
// executor converts values by the same rules (docs/migrations.md, "Type
// changes").
#pragma once

#include <string>
#include <string_view>

#include "schema/model.h"

namespace ormdb::schema {

// A field's type as storage sees it: its ScalarType, except that a String
// stored as 16 bytes (Field::uuid_bytes) is a Uuid, and any enum is kEnum
// (which enum is the planner's business: values are stored by name).
enum class StoredKind : uint8_t {
  kBoolean,
  kInt,
  kBigInt,
  kFloat,
  kDecimal,
  kString,
  kUuid,
  kBytes,
  kDateTime,
  kJson,
  kEnum,
};
StoredKind StoredKindOf(const Field& f);  // scalar and enum fields
std::string_view StoredKindName(StoredKind k);  // "Int", "String (a UUID)", "enum"

enum class Conversion : uint8_t {
  kSame,
  kWidening,    // every value has an exact new value; rows are rewritten
  kNarrowing,   // some values have none and are lost
  kImpossible,  // no conversion keeps the values' meaning
};

struct ConversionRule {
  Conversion conversion = Conversion::kImpossible;
  // Why, as a clause: "every Int fits in a BigInt", "a BigInt beyond the
  // 32-bit range has no Int". Empty for kSame and kImpossible.
  std::string why;
};

ConversionRule ClassifyConversion(StoredKind from, StoredKind to);

}  // namespace ormdb::schema

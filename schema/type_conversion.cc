#include "schema/type_conversion.h"

#include <array>

namespace ormdb::schema {
namespace {

struct Rule {
  StoredKind from;
  StoredKind to;
  Conversion conversion;
  std::string_view why;
};

using K = StoredKind;
constexpr Conversion kWiden = Conversion::kWidening;
constexpr Conversion kNarrow = Conversion::kNarrowing;

// Every conversion ormDB makes; a pair not listed is impossible. Widening
// means exact and reversible for every value storage can hold.
constexpr std::array kRules = {
    // Numbers.
    Rule{K::kInt, K::kBigInt, kWiden, "every Int fits in a BigInt"},
    Rule{K::kInt, K::kFloat, kWiden, "every Int is exactly a Float (a double holds integers up to 2^53)"},
    Rule{K::kInt, K::kDecimal, kWiden, "every Int is exactly a Decimal"},
    Rule{K::kBigInt, K::kDecimal, kWiden, "every BigInt is exactly a Decimal (at most 19 of its 38 digits)"},
    Rule{K::kBigInt, K::kInt, kNarrow, "a BigInt outside the 32-bit range has no Int"},
    Rule{K::kBigInt, K::kFloat, kNarrow, "a BigInt beyond 2^53 loses its last digits as a Float"},
    Rule{K::kFloat, K::kInt, kNarrow, "a Float loses its fraction as an Int, and one beyond the 32-bit range has none"},
    Rule{K::kFloat, K::kBigInt, kNarrow, "a Float loses its fraction as a BigInt, and one beyond 2^63 has none"},
    Rule{K::kFloat, K::kDecimal, kNarrow, "NaN and the infinities have no Decimal"},
    Rule{K::kDecimal, K::kFloat, kNarrow, "a Decimal keeps up to 38 digits and a Float about 16, so digits are lost"},
    Rule{K::kDecimal, K::kInt, kNarrow,
         "a Decimal loses its fraction as an Int, and one beyond the 32-bit range has none"},
    Rule{K::kDecimal, K::kBigInt, kNarrow, "a Decimal loses its fraction as a BigInt, and one beyond 2^63 has none"},
    // To text: every value has a text form that reads back to it.
    Rule{K::kInt, K::kString, kWiden, "each Int becomes its decimal text"},
    Rule{K::kBigInt, K::kString, kWiden, "each BigInt becomes its decimal text"},
    Rule{K::kFloat, K::kString, kWiden, "each Float becomes the shortest text that reads back to it"},
    Rule{K::kDecimal, K::kString, kWiden, "each Decimal becomes its exact text"},
    Rule{K::kBoolean, K::kString, kWiden, "true and false become the strings \"true\" and \"false\""},
    Rule{K::kDateTime, K::kString, kWiden, "each DateTime becomes its RFC 3339 text (2024-01-31T12:00:00Z)"},
    Rule{K::kUuid, K::kString, kWiden, "each UUID becomes its usual text form"},
    Rule{K::kJson, K::kString, kWiden, "each Json value becomes its JSON text"},
    Rule{K::kEnum, K::kString, kWiden, "each enum value becomes its stored name"},
    Rule{K::kString, K::kBytes, kWiden, "each String becomes its UTF-8 bytes"},
    // From text: only what parses survives.
    Rule{K::kString, K::kInt, kNarrow, "a String that is not an integer in the 32-bit range has no Int"},
    Rule{K::kString, K::kBigInt, kNarrow, "a String that is not an integer in the 64-bit range has no BigInt"},
    Rule{K::kString, K::kFloat, kNarrow, "a String that is not a number has no Float"},
    Rule{K::kString, K::kDecimal, kNarrow, "a String that is not a decimal number has no Decimal"},
    Rule{K::kString, K::kBoolean, kNarrow, "a String other than \"true\" or \"false\" has no Boolean"},
    Rule{K::kString, K::kDateTime, kNarrow, "a String that is not an RFC 3339 timestamp has no DateTime"},
    Rule{K::kString, K::kUuid, kNarrow, "a String that is not a UUID can't be stored as 16 bytes"},
    Rule{K::kString, K::kJson, kNarrow, "a String that is not valid JSON has no Json value"},
    Rule{K::kString, K::kEnum, kNarrow, "a String that names no value of the enum has no enum value"},
    Rule{K::kBytes, K::kString, kNarrow, "bytes that are not valid UTF-8 have no String"},
};

}  // namespace

StoredKind StoredKindOf(const Field& f) {
  if (f.kind == FieldKind::kEnum) return K::kEnum;
  switch (f.scalar) {
    case ScalarType::kBoolean: return K::kBoolean;
    case ScalarType::kInt: return K::kInt;
    case ScalarType::kBigInt: return K::kBigInt;
    case ScalarType::kFloat: return K::kFloat;
    case ScalarType::kDecimal: return K::kDecimal;
    case ScalarType::kString: return f.uuid_bytes ? K::kUuid : K::kString;
    case ScalarType::kBytes: return K::kBytes;
    case ScalarType::kDateTime: return K::kDateTime;
    case ScalarType::kJson: return K::kJson;
  }
  return K::kString;
}

std::string_view StoredKindName(StoredKind k) {
  switch (k) {
    case K::kBoolean: return "Boolean";
    case K::kInt: return "Int";
    case K::kBigInt: return "BigInt";
    case K::kFloat: return "Float";
    case K::kDecimal: return "Decimal";
    case K::kString: return "String";
    case K::kUuid: return "String (a UUID, 16 bytes)";
    case K::kBytes: return "Bytes";
    case K::kDateTime: return "DateTime";
    case K::kJson: return "Json";
    case K::kEnum: return "enum";
  }
  return "?";
}

ConversionRule ClassifyConversion(StoredKind from, StoredKind to) {
  if (from == to) return {Conversion::kSame, ""};
  for (const Rule& r : kRules) {
    if (r.from == from && r.to == to) return {r.conversion, std::string(r.why)};
  }
  return {Conversion::kImpossible, ""};
}

}  // namespace ormdb::schema

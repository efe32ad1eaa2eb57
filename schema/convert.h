// ConvertValue: how the migration executor rewrites one stored value when a
// field's storage type changes. It implements every conversion of
// schema/type_conversion.h's table with the same grades: a widening gives
// every value an exact new value that the reverse narrowing reads back to
// the original; a narrowing gives null to the values the new type can't
// hold. docs/migrations.md ("How values convert") is the user's version of
// the rules below.
//
// Widenings (exact; back via the reverse narrowing gives the original):
//   Int -> BigInt, Float, Decimal; BigInt -> Decimal.
//   -> String: Int, BigInt as decimal text ("-42"); Float as std::to_chars'
//     shortest text that reads back ("1.5", "2", "-0", "1e+300"), NaN and
//     the infinities as "NaN", "Infinity", "-Infinity" (JavaScript's
//     spelling, which String -> Float reads back; a NaN's sign and payload
//     are not kept); Decimal as Decimal::ToString; Boolean as "true" /
//     "false"; DateTime as RFC 3339 UTC, with six fraction digits only when
//     the microseconds are non-zero ("2024-01-31T12:00:00Z",
//     "2024-01-31T12:00:00.000123Z"); Uuid as lowercase 8-4-4-4-12 hex; Json
//     as its stored text; an enum value as its stored name.
//     A DateTime outside the years 0000-9999 (which no RFC 3339 text has)
//     still becomes text, with a longer or negative year, but that text does
//     not read back.
//   String -> Bytes: its bytes (UTF-8 for any String written through the
//     query layer; such text reads back).
//
// Narrowings (a value that has no exact new value becomes null; nothing is
// rounded, truncated or clamped, except where a Float is the target, whose
// values are approximations by nature):
//   BigInt -> Int: null outside the 32-bit range.
//   BigInt -> Float: the nearest double (2^53 + 1 -> 2^53); never null.
//   Float -> Int, BigInt: lost unless exact: 2.0 -> 2, -0.0 -> 0, but 2.5,
//     NaN, the infinities and values out of range -> null.
//   Float -> Decimal: the exact value of the shortest digits that read back
//     as the double (0.1 -> 0.1, not 0.1000000000000000055...); every finite
//     double fits (at most 17 digits, exponents within +-324); NaN and the
//     infinities -> null.
//   Decimal -> Float: the nearest double (correctly rounded); null beyond the
//     double range (|x| > ~1.8e308) or when it would round to zero (0 < |x| <
//     ~2.5e-324).
//   Decimal -> Int, BigInt: lost unless exact: 2 and 1e2 convert, 2.5 and
//     out-of-range values -> null.
//   String -> Int, BigInt: an optional '+' or '-' then one or more ASCII
//     digits (leading zeros allowed), in range; nothing else (no whitespace,
//     fraction, exponent, hex, digit separators).
//   String -> Float: Decimal::Parse's grammar ([+-] digits [. digits]
//     [e[+-]digits], "5." and ".5" too) read as the nearest double, or
//     exactly "NaN", "Infinity", "+Infinity", "-Infinity"; null for anything
//     else (whitespace, hex, "inf", "nan") and for numbers that overflow or
//     round to zero ("1e400", "1e-400"; "0e-400" is 0).
//   String -> Decimal: Decimal::Parse; null for malformed text, more than 38
//     significant digits (not rounded), or an exponent out of range.
//   String -> Boolean: exactly "true" or "false".
//   String -> DateTime: ParseTimestampMicros (RFC 3339, years 0000-9999, at
//     most six fraction digits, any offset, converted to UTC).
//   String -> Uuid: the 36-character 8-4-4-4-12 form, hex digits in either
//     case; no braces, "urn:uuid:" or the 32-digit form.
//   String -> Json: the text unchanged when IsValidJson accepts it.
//   String -> enum, and enum -> enum (a field moved to another enum): the
//     value when it is one of `to_enum` (exact, case-sensitive), else null.
//   Bytes -> String: the bytes when they are well-formed UTF-8 (IsValidUtf8).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "schema/type_conversion.h"
#include "schema/value.h"
#include "util/status.h"

namespace ormdb::schema {

// The StoredKind (type_conversion.h's name for a stored type) of a
// StorageType: they name the same eleven types.
StoredKind StoredKindOf(StorageType t);

// Converts one stored value of a field whose storage type changes from
// `from` to `to`, by the rules above. Returns the converted value, or null
// when the value has no representation in the new type (a narrowing that
// loses it: "abc" -> Int, 2^40 -> Int, NaN -> Decimal, 1.5 -> Int). Null
// converts to null. When from == to the value is returned unchanged, except
// for kEnum (see below).
//
// `to_enum`: when `to` is kEnum, the stored (database) names of the target
// enum's values; ignored otherwise. An enum value is stored by that name, so
// converting from an enum needs no list.
//
// InvalidArgument when ClassifyConversion calls the pair impossible (even
// for null), when `v` is not a value of type `from` (CheckValueType), or
// when `to` is kEnum and `to_enum` is empty: an enum has at least one value,
// so an empty list is a caller's slip that would null every row.
Result<Value> ConvertValue(const Value& v, StorageType from, StorageType to,
                           std::span<const std::string> to_enum = {});

// Whether `bytes` is well-formed UTF-8 (Unicode 15, table 3-7): no overlong
// forms, no surrogates (U+D800-U+DFFF), nothing above U+10FFFF, no stray or
// missing continuation bytes. U+0000 is allowed.
bool IsValidUtf8(std::string_view bytes);

}  // namespace ormdb::schema

// Memcomparable key encoding: a key component per value, whose bytes compare
// (memcmp, shorter-is-less) in the order of the values (schema/value.h,
// Compare), ascending or descending, with nulls first ascending and last
// descending. A key is the concatenation of its components; no component's
// encoding is a prefix of a different one's, so a composite key orders by
// its first component, then its second, and so on. Byte layouts are in
// docs/record-format.md, "Keys".
//
// Decoders read keys from disk: they check every byte, never read past the
// input, and reject anything the encoder would not have written (every key
// has exactly one encoding), with a Corruption status.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "schema/model.h"
#include "schema/value.h"
#include "util/status.h"

namespace ormdb::schema {

// The first byte of every component, ascending (descending complements it,
// as every byte of the component).
constexpr uint8_t kKeyNullMarker = 0x00;
constexpr uint8_t kKeyValueMarker = 0x01;

// OK for every StorageType except Json (InvalidArgument: JSON has no order).
Status CheckKeyType(StorageType t);

// Appends one component. InvalidArgument (and *out unchanged) for a Json
// type or a value of the wrong kind (CheckValueType). Float: -0.0 is stored
// as +0.0 and every NaN as one NaN that sorts above +Infinity, so decoding
// gives back a value Compare()-equal to the original, not always bit-equal.
Status AppendKey(std::string* out, const Value& v, StorageType type, SortOrder order);

// Consumes one component from the front of *in into *out. On error *in is
// unchanged; Corruption names the type, the order and what is wrong.
Status DecodeKey(std::string_view* in, StorageType type, SortOrder order, Value* out);

// One column of a composite key.
struct KeyColumn {
  StorageType type;
  SortOrder order = SortOrder::kAsc;
};

// A composite key: values.size() must equal columns.size(). On error *out is
// unchanged and the message names the column.
Status AppendKeyColumns(std::string* out, std::span<const Value> values, std::span<const KeyColumn> columns);
// Consumes one component per column, appending to *values.
Status DecodeKeyColumns(std::string_view* in, std::span<const KeyColumn> columns, std::vector<Value>* values);

// Structural parts of a key (entity ids, index ids, relation tags): a u32,
// big-endian, so keys of one entity or index are one contiguous range in id
// order. No marker: these are never null.
void AppendU32Key(std::string* out, uint32_t v);
// Corruption when fewer than 4 bytes remain (*in unchanged).
Status DecodeU32Key(std::string_view* in, uint32_t* v);

}  // namespace ormdb::schema

// Where entities live in the one ordered keyspace (DESIGN.md, "Storage").
// Every key starts with a namespace byte:
//
//   0x01 catalog    0x01 'C' u32 version                 -> catalog of that schema version
//                   0x01 'H' u32 version                 -> migration record that made it
//                   0x01 'S' u32 entity u32 field        -> an autoincrement field's reserved ceiling
//                   0x01 'U' name                        -> a server user's password hash (engine/users.h)
//                   0x01 'X'                             -> u64: the change history is pruned through this commit
//   0x02 rows       0x02 u32 entity pk...                -> record (a model in its own range)
//                   <parent's row key> u32 entity pk...  -> record (a model clustered under
//                                                           its parent: Spanner's interleaving)
//   0x03 locators   0x03 u32 entity pk...                -> the row key of a clustered row
//   0x04 indexes    0x04 u32 index cols... [pk...]       -> pk... of the row
//   0x05 changes    0x05 u64 version u32 part            -> a commit's change events (engine/changes.h)
//
// `pk...` is the primary key's memcomparable columns (schema/key_codec.h);
// u32 are big-endian. A unique index's key omits the pk unless a column is
// null (nulls never collide, as in SQL), other indexes always append it.
// docs/record-format.md, "Keyspace", is the reference.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "schema/key_codec.h"

namespace ormdb::engine {

constexpr char kCatalogSpace = 0x01;
constexpr char kRowSpace = 0x02;
constexpr char kLocatorSpace = 0x03;
constexpr char kIndexSpace = 0x04;
constexpr char kChangeSpace = 0x05;

constexpr char kCatalogVersionTag = 'C';
constexpr char kMigrationRecordTag = 'H';
constexpr char kChangeHorizonTag = 'X';

std::string CatalogKey(char tag, uint32_t version);

// The first key of a model's own range, or of its locators, or of an index:
// the namespace and the id. Every key of the range starts with it.
std::string SpacePrefix(char space, uint32_t id);

// The smallest key greater than every key that starts with `prefix`, or
// empty when there is none (all bytes 0xff).
std::string PrefixEnd(std::string_view prefix);

}  // namespace ormdb::engine

// The canonical text of a resolved schema: a schema.prisma file that reads
// back to the same Schema, in a fixed layout (enums, then models, in
// declaration order; attributes in a fixed order; only what was written,
// so defaults chosen by ormDB are not spelled out). What the resolver derived
// (relation kinds and actions, primary keys taken from a unique, clustering
// and its reason, hidden join models) is written as `//` comments, so the
// text doubles as a readable dump for golden tests and tools.
//
// Print(LoadSchema(Print(s))) == Print(s); the schema fuzzer checks it.
#pragma once

#include <string>

#include "schema/model.h"

namespace ormdb::schema {

std::string Print(const Schema& schema);

// A field's @default argument as written in a schema: "autoincrement()",
// "uuid(7)", "now()", a quoted string, 42, true...; empty without a default.
std::string DefaultText(const Field& f);

}  // namespace ormdb::schema

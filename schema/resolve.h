// From a syntax tree to a resolved, checked Schema (model.h): names bound,
// attributes checked, relation fields paired, primary keys and clustering
// chosen. Anything the file says that ormDB does not understand is an error
// (InvalidArgument) or, for a Prisma feature ormDB does not implement,
// NotSupported; nothing is silently ignored. docs/schema.md is the reference.
#pragma once

#include <string_view>

#include "schema/ast.h"
#include "schema/model.h"
#include "util/status.h"

namespace ormdb::schema {

// The first error, as "<file>:<line>:<column>: <what>".
Result<Schema> Resolve(const ast::File& file);

// Parses and resolves schema text; `file_name` labels error messages.
Result<Schema> LoadSchema(std::string_view text, std::string_view file_name = "schema.prisma");

}  // namespace ormdb::schema

// Parses schema.prisma text into a syntax tree (ast.h). Only syntax is
// checked here: whether `Post` names a model, or `@relation` has the
// arguments it needs, is the resolver's business (resolve.h).
//
// Blocks: model, enum, datasource, generator. `type` (composite types,
// MongoDB-only in Prisma), `view` and `Unsupported("...")` field types are
// refused with NotSupported. Inside parentheses and brackets newlines are
// allowed, so long argument lists may span lines.
#pragma once

#include <string_view>

#include "schema/ast.h"
#include "util/status.h"

namespace ormdb::schema {

// Expressions nest at most this deep (`[[[...]]]`, `f(g(h()))`): the parser
// recurses, and no real schema nests more than three levels.
constexpr int kMaxExpressionDepth = 32;

// `file_name` only labels error messages ("schema.prisma:3:7: ...").
// Returns the first error in source order.
Result<ast::File> ParseSchemaText(std::string_view text, std::string_view file_name);

}  // namespace ormdb::schema

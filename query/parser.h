// The JSON text form of requests (docs/query.md): Prisma Client's argument
// objects with the operation as a key naming the model,
//
//   {"findMany": "User", "where": {"email": {"endsWith": "@x.org"}},
//    "include": {"posts": {"orderBy": {"createdAt": "desc"}, "take": 5}}}
//
// read against a schema into a bound Request. Every error names the path
// inside the request where it is, e.g.
//   include.posts.where.title: expected String, got 42
#pragma once

#include <optional>
#include <string_view>

#include "query/request.h"
#include "schema/model.h"
#include "util/json.h"
#include "util/status.h"

namespace ormdb::query {

struct ParseLimits {
  int max_include_depth = 16;     // include/select nesting below the root
  int max_filter_depth = 32;      // AND/OR/NOT and relation filters nested
  size_t max_list_values = 10000; // in/notIn lists, createMany rows
};

Result<Request> ParseRequest(std::string_view text, const schema::Schema& schema, const ParseLimits& limits = {});
Result<Request> ParseRequest(const json::Value& request, const schema::Schema& schema,
                             const ParseLimits& limits = {});

// A JSON value as a value of a stored field (used by the parser, and by
// clients of the embedded API that build requests from JSON values).
Result<schema::Value> ValueFromJson(const schema::Schema& schema, const schema::Field& field, const json::Value& v);

}  // namespace ormdb::query

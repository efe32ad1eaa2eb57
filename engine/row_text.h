// Rows and keys in words, for error messages: "User(id = 7)".
#pragma once

#include <string>
#include <vector>

#include "engine/catalog.h"

namespace ormdb::engine {

// "email = \"a@x\", id = 7": the named fields of `row` (positions in m.fields).
std::string Describe(const ModelInfo& m, const std::vector<size_t>& cols, const std::vector<schema::Value>& row);
// "authorId,title": the fields' names.
std::string ColumnNames(const ModelInfo& m, const std::vector<size_t>& cols);

}  // namespace ormdb::engine

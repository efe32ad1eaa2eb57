// Where something is in a schema file, and the errors that point there. Every
// error of the schema language reads "<file>:<line>:<column>: <what>", so an
// editor can jump to it; a syntax or semantic error is InvalidArgument, a
// Prisma feature ormDB does not implement is NotSupported.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace ormdb::schema {

// 1-based; columns count characters (UTF-8 code points), a tab counts as one.
struct SourceLocation {
  uint32_t line = 0;
  uint32_t column = 0;
};

inline std::string FormatLocation(std::string_view file, SourceLocation loc) {
  return std::string(file) + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.column);
}

inline Status SchemaError(std::string_view file, SourceLocation loc, std::string_view what) {
  return Status::InvalidArgument(FormatLocation(file, loc) + ": " + std::string(what));
}

inline Status SchemaUnsupported(std::string_view file, SourceLocation loc, std::string_view what) {
  return Status::NotSupported(FormatLocation(file, loc) + ": " + std::string(what));
}

}  // namespace ormdb::schema

// The syntax tree of a schema.prisma file, as written: names are not yet
// bound and attributes not yet checked (resolve.h does both). Every node keeps
// its location so later errors can point at it.
#pragma once

#include <string>
#include <vector>

#include "schema/diagnostic.h"

namespace ormdb::schema::ast {

struct Argument;

// A value in an attribute argument or a datasource/generator entry.
struct Expression {
  enum class Kind : uint8_t {
    kString,      // text: the unescaped value
    kNumber,      // text: as written
    kIdentifier,  // text: the name (a field, an enum value, Cascade, true...)
    kCall,        // text: the function; args: its arguments (now(), title(sort: Desc))
    kArray,       // items
  };
  Kind kind = Kind::kIdentifier;
  std::string text;
  std::vector<Argument> args;
  std::vector<Expression> items;
  SourceLocation loc;
};

struct Argument {
  std::string name;  // empty when positional
  Expression value;
  SourceLocation loc;
};

// `@id`, `@db.VarChar(255)`, `@@index([a, b])`.
struct Attribute {
  std::string name;  // without the @ or @@; "db.VarChar" for a native type
  bool block = false;  // @@
  std::vector<Argument> args;
  SourceLocation loc;  // of the @ or @@
};

struct FieldType {
  std::string name;
  bool optional = false;  // Type?
  bool list = false;      // Type[]
  SourceLocation loc;
};

struct Field {
  std::string name;
  FieldType type;
  std::vector<Attribute> attributes;
  std::string doc;  // its /// lines, joined by '\n'
  SourceLocation loc;
};

struct EnumValue {
  std::string name;
  std::vector<Attribute> attributes;
  std::string doc;
  SourceLocation loc;
};

// `key = value` in a datasource or generator block.
struct ConfigEntry {
  std::string key;
  Expression value;
  SourceLocation loc;
};

struct Block {
  enum class Kind : uint8_t { kModel, kEnum, kDatasource, kGenerator };
  Kind kind = Kind::kModel;
  std::string name;
  SourceLocation name_loc;
  std::vector<Field> fields;            // kModel
  std::vector<EnumValue> values;        // kEnum
  std::vector<Attribute> attributes;    // @@ attributes of a model or an enum
  std::vector<ConfigEntry> entries;     // kDatasource, kGenerator
  std::string doc;
  SourceLocation loc;  // of the keyword
};

struct File {
  std::string name;  // for error messages: "schema.prisma"
  std::vector<Block> blocks;
};

}  // namespace ormdb::schema::ast

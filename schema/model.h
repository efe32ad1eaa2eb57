// The resolved schema: what a schema.prisma file declares once names are
// bound, relations paired, keys chosen and every constraint checked. It is
// plain data for the catalog, the migration planner and the query layer.
//
// Positions (ModelIndex, FieldIndex, ...) follow declaration order; they are
// how this layer refers to things, not persistent ids (the catalog assigns
// those, so renaming or reordering a declaration doesn't renumber storage).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "schema/diagnostic.h"
#include "util/strong_id.h"

namespace ormdb::schema {

using ModelIndex = StrongId<struct ModelIndexTag>;        // into Schema::models
using EnumIndex = StrongId<struct EnumIndexTag>;          // into Schema::enums
using RelationIndex = StrongId<struct RelationIndexTag>;  // into Schema::relations
using FieldIndex = StrongId<struct FieldIndexTag>;        // into Model::fields

enum class ScalarType : uint8_t {
  kBoolean,
  kInt,       // 32-bit
  kBigInt,    // 64-bit
  kFloat,     // IEEE 754 double
  kDecimal,
  kString,
  kBytes,
  kDateTime,  // UTC, microseconds
  kJson,
};
std::string_view ScalarTypeName(ScalarType t);
std::optional<ScalarType> ScalarTypeFromName(std::string_view name);

enum class FieldKind : uint8_t { kScalar, kEnum, kRelation };

enum class DefaultKind : uint8_t {
  kNone,
  kAutoincrement,  // Int, BigInt
  kUuid,           // String; version 4 unless uuid(7)
  kCuid,           // String; version 1 unless cuid(2)
  kNow,            // DateTime: the time of the insert
  kConstant,
};

struct DefaultValue {
  DefaultKind kind = DefaultKind::kNone;
  // kUuid, kCuid: the version given as argument, 0 when none was written.
  int version = 0;
  // kConstant, by the field's type: Boolean -> bool; Int, BigInt -> int64_t;
  // DateTime -> int64_t microseconds since the Unix epoch, UTC; Float ->
  // double; Decimal -> its decimal text as written; String, Json (checked to
  // be valid JSON) -> the text; Bytes -> the bytes (written as base64); an
  // enum -> the value's name.
  std::variant<std::monostate, bool, int64_t, double, std::string> constant;
  std::string map;  // @default(..., map: "...")
};

// A database-specific type attribute such as @db.VarChar(255) (name
// "VarChar", args {"255"}). Recorded for the catalog; only @db.Uuid changes
// how ormDB stores a value (see Field::uuid_bytes).
struct NativeType {
  std::string name;
  std::vector<std::string> args;  // numbers, as written
};

struct Field {
  FieldIndex index;
  std::string name;
  std::string db_name;  // @map, else the name
  FieldKind kind = FieldKind::kScalar;
  ScalarType scalar = ScalarType::kString;  // kScalar
  EnumIndex enum_type;                       // kEnum
  ModelIndex related_model;                  // kRelation
  RelationIndex relation;                    // kRelation
  bool optional = false;
  bool list = false;        // relation fields only: scalar lists are not supported
  bool id = false;          // a single-field @id
  bool unique = false;      // @unique on the field
  bool updated_at = false;  // @updatedAt
  // A String stored as 16 bytes: it has @db.Uuid, or it is a single-field
  // @id with @default(uuid()), or it is a foreign key to such a field. Its
  // values must be UUIDs (in their usual text form).
  bool uuid_bytes = false;
  DefaultValue default_value;
  std::optional<NativeType> native_type;
  std::string doc;  // /// comments
  SourceLocation loc;

  bool is_relation() const { return kind == FieldKind::kRelation; }
};

enum class SortOrder : uint8_t { kAsc, kDesc };

struct KeyPart {
  FieldIndex field;
  SortOrder sort = SortOrder::kAsc;
};

struct PrimaryKey {
  enum class Source : uint8_t {
    kFieldId,  // @id on one field
    kBlockId,  // @@id([...])
    kUnique,   // no id: the first @unique / @@unique whose fields are all required (as Prisma does)
  };
  Source source = Source::kFieldId;
  std::vector<KeyPart> parts;
  std::string name;  // @@id(name: ...)
  std::string map;   // @id(map: ...), @@id(map: ...)
  SourceLocation loc;
};

// @unique on a field or @@unique on the model.
struct UniqueConstraint {
  std::vector<KeyPart> parts;
  bool field_level = false;  // @unique
  std::string name;  // @@unique(name: ...)
  std::string map;
  SourceLocation loc;
};

// @@index.
struct Index {
  std::vector<KeyPart> parts;
  std::string name;
  std::string map;
  SourceLocation loc;
};

// Where a model's rows are stored: under the parent row of a relation
// (co-location, DESIGN.md "Storage") or in their own key range.
struct Clustering {
  std::optional<RelationIndex> relation;  // the parent is the relation's `to` model
  bool explicit_choice = false;           // @@cluster, rather than the default rule
  std::string reason;                     // why, in words, for `migrate plan`
  SourceLocation loc;                     // of @@cluster, when explicit
};

struct Model {
  ModelIndex index;
  std::string name;
  std::string db_name;  // @@map, else the name
  std::vector<Field> fields;
  PrimaryKey primary_key;
  std::vector<UniqueConstraint> uniques;  // in declaration order, @unique fields first
  std::vector<Index> indexes;
  Clustering clustering;
  // The hidden join model of this implicit many-to-many relation (named
  // "_AToB" or "_<relation name>" like Prisma's join table).
  std::optional<RelationIndex> join_of;
  std::string doc;
  SourceLocation loc;

  const Field& field(FieldIndex i) const { return fields[i.value()]; }
  const Field* FindField(std::string_view name) const;
};

struct EnumValue {
  std::string name;
  std::string db_name;  // @map, else the name
  std::string doc;
  SourceLocation loc;
};

struct Enum {
  EnumIndex index;
  std::string name;
  std::string db_name;  // @@map, else the name
  std::vector<EnumValue> values;
  std::string doc;
  SourceLocation loc;
};

enum class RelationKind : uint8_t { kOneToOne, kOneToMany, kManyToMany };
std::string_view RelationKindName(RelationKind k);  // "one-to-one", ...

enum class ReferentialAction : uint8_t { kCascade, kRestrict, kNoAction, kSetNull, kSetDefault };
std::string_view ReferentialActionName(ReferentialAction a);  // "Cascade", ... as in the schema

struct RelationSide {
  ModelIndex model;
  std::optional<FieldIndex> field;  // none on the join model's side of a join key
};

// A pair of relation fields (or, for a join model's keys, a foreign key
// without fields).
struct Relation {
  RelationIndex index;
  std::string name;  // @relation's name, else Prisma's default "<A>To<B>" (model names sorted)
  bool named = false;
  RelationKind kind = RelationKind::kOneToMany;
  // One-to-one and one-to-many: `from` holds the foreign key (its @relation
  // has fields and references) and `to` is referenced; in a one-to-many,
  // `from` is the many side. Many-to-many: `from` and `to` are Prisma's sides
  // A and B, and the foreign keys are in the join model.
  RelationSide from;
  RelationSide to;
  std::vector<FieldIndex> fk_fields;          // in from.model, pairwise with
  std::vector<FieldIndex> referenced_fields;  // in to.model: a unique key there
  bool required = false;                      // every fk field is required
  ReferentialAction on_delete = ReferentialAction::kRestrict;
  ReferentialAction on_update = ReferentialAction::kCascade;
  bool on_delete_explicit = false;
  bool on_update_explicit = false;
  std::string map;  // @relation(map: ...): the foreign key's name
  // kManyToMany: the hidden join model and its two keys (to sides A and B).
  std::optional<ModelIndex> join_model;
  std::array<RelationIndex, 2> join_keys{};
  bool hidden = false;  // a join model's key: no relation field on either side
};

// The datasource block is accepted and otherwise ignored; its name is the
// prefix of native type attributes (@db.VarChar).
struct Datasource {
  std::string name;
  std::string provider;
};

struct Schema {
  std::string file;
  std::optional<Datasource> datasource;
  std::vector<Enum> enums;
  std::vector<Model> models;  // declared models, then hidden join models
  std::vector<Relation> relations;

  const Model& model(ModelIndex i) const { return models[i.value()]; }
  const Enum& enum_type(EnumIndex i) const { return enums[i.value()]; }
  const Relation& relation(RelationIndex i) const { return relations[i.value()]; }
  const Model* FindModel(std::string_view name) const;
  const Enum* FindEnum(std::string_view name) const;
};

}  // namespace ormdb::schema

// The migration planner: the difference between the stored schema and a new
// schema file as a list of steps, each graded by what running it costs, with
// the reason for the grade and, for the costly grades, a safer way to get the
// same result (docs/migrations.md is the rule table).
//
//   A  online, nothing blocks:        new model, new optional field, field with
//                                     a constant default, new enum value, drop
//                                     an index, catalog-only renames
//   B  online, background work:       build an index, backfill a field,
//                                     validate a foreign key or required-ness
//   C  blocks writes to a model:      widening type change, new primary key,
//                                     re-clustering (rows are rewritten)
//   D  destroys data:                 drop a model or a field, narrowing type
//                                     change, drop an enum value in use
//
// Models, fields, enums and enum values are matched by their database name
// (@map / @@map, else the name), so renaming only the Prisma name is a
// catalog-only rename and changing the database name is a drop and an add.
//
// Steps come out in an order the executor can run one after the other
// (renames, drops of foreign keys and indexes, new enums and values, new
// models, new and changed fields, primary keys, new indexes, new foreign keys,
// re-clustering, then drops of models, fields and enums; docs/migrations.md,
// "Step order"), and the plan is a pure function of the two schemas and the
// DataFacts, so it is deterministic.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "schema/model.h"
#include "util/status.h"

namespace ormdb::schema {

// Ordered: a later grade is worse. A plan's grade is its worst step's.
enum class Grade : uint8_t { kA, kB, kC, kD };
std::string_view GradeName(Grade g);     // "A"
std::string_view GradeMeaning(Grade g);  // "online", "online, background work", ...

// One kind per operation the executor runs. The grade of most kinds is
// fixed; the comments name the ones that depend on the change or the data.
enum class StepKind : uint8_t {
  // Catalog-only renames of the Prisma name, the database name unchanged (A).
  kRenameEnum,
  kRenameEnumValue,
  kRenameModel,
  kRenameField,
  kRenameConstraint,  // the name: or map: of a primary key, unique, index or foreign key
  // Enums.
  kCreateEnum,     // A
  kAddEnumValue,   // A
  kDropEnumValue,  // A when no row holds it, else D
  kDropEnum,       // A: no field uses it any more
  // Models.
  kCreateModel,      // A
  kCreateJoinModel,  // A: the hidden join model of a new implicit many-to-many relation
  kDropModel,        // D
  kDropJoinModel,    // D: the links of a many-to-many relation
  // Fields.
  kAddField,              // A: optional, constant default, or a model without rows
  kAddFieldWithBackfill,  // B: a generated default (or @updatedAt) computed for each existing row
  kDropField,             // D
  kChangeFieldType,       // C widening, D narrowing; impossible conversions are errors
  kChangeFieldEnum,       // A when every value stays valid, else D when a lost value is in use
  kMakeOptional,          // A
  kMakeRequired,          // B: validate that no row holds null
  kChangeDefault,         // A: set, change or remove
  kAddUpdatedAt,          // A
  kDropUpdatedAt,         // A
  kChangeNativeType,      // A: recorded, not enforced (except @db.Uuid, a type change)
  // Keys.
  kChangePrimaryKey,  // C
  kAddUnique,         // B
  kDropUnique,        // A
  kAddIndex,          // B
  kDropIndex,         // A
  // Relations.
  kAddForeignKey,            // B validate; A on a new model or new all-null fields
  kDropForeignKey,           // A
  kChangeReferentialAction,  // A
  // Storage layout.
  kRecluster,  // C
};
std::string_view StepKindName(StepKind k);  // "create model", "re-cluster", ...

struct MigrationStep {
  StepKind kind = StepKind::kCreateModel;
  Grade grade = Grade::kA;
  // What the step acts on, by database name (how the two schemas are
  // matched; the executor finds the definitions in the old or new Schema):
  std::string model;      // the model; empty for enum steps
  std::string field;      // the field, for field steps
  std::string enum_type;  // the enum, for enum steps and kChangeFieldEnum
  // The second object, by kind: an enum value (enum value steps); the key as
  // "(col, col desc)" (primary key, unique and index steps, the new key for
  // kChangePrimaryKey); "(col) -> model(col)" (foreign key steps); the new
  // Prisma name (renames); the new type (kChangeFieldType); the parent
  // model, empty for its own key range (kRecluster).
  std::string target;
  std::string description;        // one line, with Prisma names: "Post: add field rating Int?"
  std::string reason;             // why this grade, and what it costs
  std::string safer_alternative;  // C and D: how to get there with less risk
};

struct MigrationPlan {
  std::vector<MigrationStep> steps;  // in the order to run them
  Grade overall = Grade::kA;         // the worst step's grade; A when there are none
  // Not steps: the clustering each new model gets (and why), layouts that
  // became explicit, and the like.
  std::vector<std::string> notes;
};

// What the planner may ask about the stored rows. A plan is made with the
// facts of its moment; the executor checks them again when it applies a
// step whose grade depended on them, and fails the step if they changed.
class DataFacts {
 public:
  virtual ~DataFacts() = default;
  virtual bool ModelHasRows(std::string_view model_db_name) const = 0;
  virtual bool EnumValueInUse(std::string_view enum_db_name, std::string_view value_db_name) const = 0;
};

// The conservative facts: every model has rows, every enum value is held.
class AssumeData final : public DataFacts {
 public:
  bool ModelHasRows(std::string_view) const override { return true; }
  bool EnumValueInUse(std::string_view, std::string_view) const override { return true; }
};

// The steps from `old_schema` (nullptr: an empty database) to `target`.
// InvalidArgument, naming every problem (one per line), when a change can't
// be made at all: a type with no conversion (Json to Int), or a required
// field without a default added to a model that has rows.
Result<MigrationPlan> PlanMigration(const Schema* old_schema, const Schema& target, const DataFacts& facts);

// The text `ormdb migrate plan` prints: a line per step ("[C] Post: ..."),
// its reason and, for C and D, the safer alternative, then the overall grade
// and the notes.
std::string FormatPlan(const MigrationPlan& plan);

}  // namespace ormdb::schema

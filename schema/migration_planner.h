// The migration planner's state, shared by its files (internal to schema/):
//   migration_plan.cc    names, matching, enums, models (create, drop, rename)
//   migration_fields.cc  fields: add, drop, rename, type, optionality, defaults
//   migration_keys.cc    primary keys, unique keys, indexes, foreign keys,
//                        clustering
// and the helpers that name things: identities by database name (how the two
// schemas are matched) and texts by Prisma name (what people read).
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "schema/migration_plan.h"
#include "schema/model.h"
#include "schema/print.h"

// Internal names live in their own namespace: print.cc and others have
// file-local helpers with the same short names (Quote, Join).
namespace ormdb::schema::planner {

// Said of a grade that depends on DataFacts.
inline constexpr std::string_view kRechecked = "(as checked when planning; `migrate apply` checks again)";

std::string Quote(std::string_view s);
std::string Join(const std::vector<std::string>& items, std::string_view sep = ", ");
std::string WithArticle(const std::string& noun);                   // "an Int", "a BigInt"
std::string StoredAs(const std::string& name, const std::string& db_name);  // ` (stored as "users")` or ""

// Lookups by database name; FieldByDb finds stored (non-relation) fields.
const Model* ModelByDb(const Schema& s, std::string_view db);
const Field* FieldByDb(const Model& m, std::string_view db);
const Enum* EnumByDb(const Schema& s, std::string_view db);
const EnumValue* ValueByDb(const Enum& e, std::string_view db);

// A key by database names, "(author_id, published_at desc)": its identity;
// KeyText is the same by Prisma names.
std::string KeyId(const Model& m, const std::vector<KeyPart>& parts);
std::string KeyText(const Model& m, const std::vector<KeyPart>& parts);
// "(author_id) -> users(id)": a foreign key's identity (with its model's
// database name in front it is unique in a schema); ForeignKeyText by
// Prisma names.
std::string ForeignKeyId(const Schema& s, const Relation& r);
std::string ForeignKeyText(const Schema& s, const Relation& r);
bool IsForeignKey(const Relation& r);  // not a many-to-many, not a join model's key
// Where a model's rows are stored, by the foreign key it is clustered
// under; "" for its own key range. Layout says it in words.
std::string ClusterId(const Schema& s, const Model& m);
std::string Layout(const Schema& s, const Model& m);  // "under User", "its own key range"
// A join model's side models by database name ("" for other models), and
// its relation by Prisma names ("Post.tags <-> Tag.posts").
std::string JoinShape(const Schema& s, const Model& m);
std::string JoinText(const Schema& s, const Model& m);

std::string PrismaType(const Schema& s, const Field& f);      // "Int?", "Role"
std::string StoredTypeText(const Schema& s, const Field& f);  // "BigInt", "String (a UUID, 16 bytes)", "enum Role"
std::string WrittenType(const Schema& s, const Field& f);     // "String @db.Uuid", "Role"
// `name "a" -> "b", map none -> "c"`: what changed in a constraint's names.
std::string NamesChange(const std::string& old_name, const std::string& old_map, const std::string& new_name,
                        const std::string& new_map);

class MigrationPlanner {
 public:
  MigrationPlanner(const Schema& old_schema, const Schema& target, const DataFacts& facts)
      : old_(old_schema), new_(target), facts_(facts) {}
  Result<MigrationPlan> Run();

 private:
  // Steps run phase by phase. Drops of foreign keys and indexes come before
  // the fields and models they name change or go; new enums and models before
  // the fields and foreign keys that use them; unique keys before the foreign
  // keys that reference them; new foreign keys before the re-clustering that
  // stores rows under them; data is destroyed last, once nothing depends on it.
  enum Phase : size_t {
    kRenames,
    kDropForeignKeys,
    kDropKeys,
    kReplaceModels,  // drops of models whose stored name a new model takes
    kCreateEnums,
    kCreateModels,
    kAddFields,
    kChangeFields,
    kChangePrimaryKeys,
    kAddKeys,
    kAddForeignKeys,
    kRecluster,
    kDropModels,
    kDropFields,
    kDropEnums,
    kPhaseCount,
  };

  void Add(Phase phase, MigrationStep step) { phases_[phase].push_back(std::move(step)); }

  // migration_plan.cc
  void MatchModels();
  const Model* NewOf(const Model& o) const { return old_match_[o.index.value()]; }
  const Model* OldOf(const Model& n) const { return new_match_[n.index.value()]; }
  std::vector<std::string> MovedWith(const Model& o) const;
  void PlanEnums();
  void PlanEnumValues(const Enum& o, const Enum& n);
  void PlanModels();
  void CreateModels();
  void DropModels();
  void DropModel(const Model& o, Phase phase);
  void DropJoinModel(const Model& o, Phase phase);

  // migration_fields.cc
  void PlanFields(const Model& o, const Model& n);
  void AddField(const Model& n, const Field& f);
  void DropField(const Model& o, const Field& f, const Field* renamed);
  void ChangeField(const Model& o, const Model& n, const Field& of, const Field& nf);
  void ChangeFieldType(const Model& o, const Model& n, const Field& of, const Field& nf);
  void ChangeFieldEnum(const Model& n, const Field& nf, const Enum& oe, const Enum& ne);

  // migration_keys.cc
  struct KeyView {  // a unique constraint or an index
    const std::vector<KeyPart>* parts;
    const std::string* name;
    const std::string* map;
  };
  void PlanPrimaryKey(const Model& o, const Model& n);
  void PlanUniques(const Model& o, const Model& n);
  void PlanIndexes(const Model& o, const Model& n);
  void PlanKeys(const Model& o, const Model& n, const std::vector<KeyView>& old_keys,
                const std::vector<KeyView>& new_keys, bool unique);
  void PlanClustering(const Model& o, const Model& n);
  void PlanForeignKeys();
  void AddForeignKey(const Model& n, const Relation& r);

  const Schema& old_;
  const Schema& new_;
  const DataFacts& facts_;
  std::vector<const Model*> old_match_;  // by old ModelIndex: its new model, or null when dropped
  std::vector<const Model*> new_match_;  // by new ModelIndex: its old model, or null when new
  std::array<std::vector<MigrationStep>, kPhaseCount> phases_;  // the steps of each phase, in order
  std::vector<std::string> notes_;
  std::vector<std::string> errors_;
};

}  // namespace ormdb::schema::planner

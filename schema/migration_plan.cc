// The migration planner (migration_plan.h): the public names, the helpers
// that name things, matching models by database name, and the steps for
// enums and whole models. Fields are in migration_fields.cc; keys, foreign
// keys and clustering in migration_keys.cc.
#include "schema/migration_plan.h"

#include <algorithm>
#include <functional>

#include "schema/literal.h"
#include "schema/migration_planner.h"
#include "schema/type_conversion.h"

namespace ormdb::schema::planner {
namespace {

std::string Columns(const Model& m, const std::vector<FieldIndex>& fields, bool db) {
  std::vector<std::string> cols;
  for (FieldIndex f : fields) cols.push_back(db ? m.field(f).db_name : m.field(f).name);
  return "(" + Join(cols) + ")";
}

std::string Side(const Schema& s, const RelationSide& side) {
  const Model& m = s.model(side.model);
  return side.field ? m.name + "." + m.field(*side.field).name : m.name;
}

// The stored field names of a model, sorted: two models with the same set
// are probably one renamed.
std::vector<std::string> StoredFieldNames(const Model& m) {
  std::vector<std::string> names;
  for (const Field& f : m.fields) {
    if (!f.is_relation()) names.push_back(f.db_name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i > 0 ? std::string(sep) : "") + items[i];
  return out;
}

// "a BigInt", "an Int".
std::string WithArticle(const std::string& noun) {
  const bool vowel = !noun.empty() && std::string_view("AEIOUaeiou").find(noun[0]) != std::string_view::npos;
  return (vowel ? "an " : "a ") + noun;
}

// " (stored as "users")" when the database name differs from the name.
std::string StoredAs(const std::string& name, const std::string& db_name) {
  return name == db_name ? "" : " (stored as " + Quote(db_name) + ")";
}

const Model* ModelByDb(const Schema& s, std::string_view db) {
  for (const Model& m : s.models) {
    if (m.db_name == db) return &m;
  }
  return nullptr;
}

// Stored fields only: relation fields hold nothing.
const Field* FieldByDb(const Model& m, std::string_view db) {
  for (const Field& f : m.fields) {
    if (!f.is_relation() && f.db_name == db) return &f;
  }
  return nullptr;
}

const Enum* EnumByDb(const Schema& s, std::string_view db) {
  for (const Enum& e : s.enums) {
    if (e.db_name == db) return &e;
  }
  return nullptr;
}

const EnumValue* ValueByDb(const Enum& e, std::string_view db) {
  for (const EnumValue& v : e.values) {
    if (v.db_name == db) return &v;
  }
  return nullptr;
}

// A key by database names, "(author_id, published_at desc)": its identity.
std::string KeyId(const Model& m, const std::vector<KeyPart>& parts) {
  std::vector<std::string> cols;
  for (const KeyPart& p : parts) cols.push_back(m.field(p.field).db_name + (p.sort == SortOrder::kDesc ? " desc" : ""));
  return "(" + Join(cols) + ")";
}

// The same key by Prisma names, for people.
std::string KeyText(const Model& m, const std::vector<KeyPart>& parts) {
  std::vector<std::string> cols;
  for (const KeyPart& p : parts) cols.push_back(m.field(p.field).name + (p.sort == SortOrder::kDesc ? " desc" : ""));
  return "(" + Join(cols) + ")";
}

bool IsForeignKey(const Relation& r) { return r.kind != RelationKind::kManyToMany && !r.hidden; }

// "(author_id) -> users(id)": a foreign key's identity.
std::string ForeignKeyId(const Schema& s, const Relation& r) {
  const Model& to = s.model(r.to.model);
  return Columns(s.model(r.from.model), r.fk_fields, true) + " -> " + to.db_name +
         Columns(to, r.referenced_fields, true);
}

std::string ForeignKeyText(const Schema& s, const Relation& r) {
  const Model& to = s.model(r.to.model);
  return Columns(s.model(r.from.model), r.fk_fields, false) + " -> " + to.name +
         Columns(to, r.referenced_fields, false);
}

// Where a model's rows are stored: the foreign key it is clustered under
// (with its model, so the identity is global), "" for its own key range.
std::string ClusterId(const Schema& s, const Model& m) {
  if (!m.clustering.relation) return "";
  const Relation& r = s.relation(*m.clustering.relation);
  return s.model(r.from.model).db_name + ForeignKeyId(s, r);
}

std::string Layout(const Schema& s, const Model& m) {
  if (!m.clustering.relation) return "its own key range";
  return "under " + s.model(s.relation(*m.clustering.relation).to.model).name;
}

// A join model's two side models by database name, or "" for other models.
std::string JoinShape(const Schema& s, const Model& m) {
  if (!m.join_of) return "";
  const Relation& r = s.relation(*m.join_of);
  return s.model(r.from.model).db_name + " <-> " + s.model(r.to.model).db_name;
}

std::string JoinText(const Schema& s, const Model& m) {
  const Relation& r = s.relation(*m.join_of);
  return Side(s, r.from) + " <-> " + Side(s, r.to);
}

// The Prisma type as written: "Int?", "Role".
std::string PrismaType(const Schema& s, const Field& f) {
  const std::string t =
      f.kind == FieldKind::kEnum ? s.enum_type(f.enum_type).name : std::string(ScalarTypeName(f.scalar));
  return f.optional ? t + "?" : t;
}

// The stored type: "BigInt", "String (a UUID, 16 bytes)", "enum Role".
std::string StoredTypeText(const Schema& s, const Field& f) {
  if (f.kind == FieldKind::kEnum) return "enum " + s.enum_type(f.enum_type).name;
  return std::string(StoredKindName(StoredKindOf(f)));
}

// The type as one would write it in the schema: "BigInt", "String @db.Uuid", "Role".
std::string WrittenType(const Schema& s, const Field& f) {
  if (f.kind == FieldKind::kEnum) return s.enum_type(f.enum_type).name;
  const std::string prefix = s.datasource ? s.datasource->name : "db";
  return std::string(ScalarTypeName(f.scalar)) + (f.uuid_bytes ? " @" + prefix + ".Uuid" : "");
}

// `name "a" -> "b", map none -> "c"`: what changed in a constraint's names.
std::string NamesChange(const std::string& old_name, const std::string& old_map, const std::string& new_name,
                        const std::string& new_map) {
  auto text = [](const std::string& s) { return s.empty() ? std::string("none") : Quote(s); };
  std::vector<std::string> parts;
  if (old_name != new_name) parts.push_back("name " + text(old_name) + " -> " + text(new_name));
  if (old_map != new_map) parts.push_back("map " + text(old_map) + " -> " + text(new_map));
  return Join(parts);
}

Result<MigrationPlan> MigrationPlanner::Run() {
  MatchModels();
  PlanEnums();
  PlanModels();
  PlanForeignKeys();
  if (!errors_.empty()) return Status::InvalidArgument(Join(errors_, "\n"));
  MigrationPlan plan;
  for (std::vector<MigrationStep>& phase : phases_) {
    for (MigrationStep& s : phase) {
      plan.overall = std::max(plan.overall, s.grade);
      plan.steps.push_back(std::move(s));
    }
  }
  plan.notes = std::move(notes_);
  return plan;
}

// Models match by database name; a join model only matches a join model
// between the same two models (its fields A and B mean those sides).
void MigrationPlanner::MatchModels() {
  old_match_.assign(old_.models.size(), nullptr);
  new_match_.assign(new_.models.size(), nullptr);
  for (const Model& n : new_.models) {
    const Model* o = ModelByDb(old_, n.db_name);
    if (o == nullptr || o->join_of.has_value() != n.join_of.has_value()) continue;
    if (JoinShape(old_, *o) != JoinShape(new_, n)) continue;
    new_match_[n.index.value()] = o;
    old_match_[o->index.value()] = &n;
  }
}

// Models stored under `o` (at any depth) that stay where they are, so they
// move when o's rows move: rows under a parent have its key as a prefix.
std::vector<std::string> MigrationPlanner::MovedWith(const Model& o) const {
  std::vector<std::string> out;
  std::function<void(const Model&)> visit = [&](const Model& parent) {
    for (const Model& c : old_.models) {
      if (!c.clustering.relation || old_.relation(*c.clustering.relation).to.model != parent.index) continue;
      const Model* nc = NewOf(c);
      if (nc == nullptr || ClusterId(old_, c) != ClusterId(new_, *nc)) continue;
      out.push_back(nc->name);
      visit(c);
    }
  };
  visit(o);
  return out;
}

void MigrationPlanner::PlanEnums() {
  for (const Enum& n : new_.enums) {
    const Enum* o = EnumByDb(old_, n.db_name);
    if (o == nullptr) {
      std::vector<std::string> values;
      for (const EnumValue& v : n.values) values.push_back(v.name);
      Add(kCreateEnums, {.kind = StepKind::kCreateEnum,
                         .enum_type = n.db_name,
                         .description = n.name + ": create enum (" + Join(values) + ")" + StoredAs(n.name, n.db_name),
                         .reason = "New enum: nothing is stored with it yet."});
      continue;
    }
    if (o->name != n.name) {
      Add(kRenames, {.kind = StepKind::kRenameEnum,
                     .enum_type = n.db_name,
                     .target = n.name,
                     .description = o->name + ": rename enum to " + n.name + " (stored name " + Quote(n.db_name) +
                                    " unchanged)",
                     .reason = "Catalog only: enums are matched by their stored name (@@map, else the name), "
                               "which is unchanged."});
    }
    PlanEnumValues(*o, n);
  }
  for (const Enum& o : old_.enums) {
    if (EnumByDb(new_, o.db_name) != nullptr) continue;
    Add(kDropEnums, {.kind = StepKind::kDropEnum,
                     .enum_type = o.db_name,
                     .description = o.name + ": drop enum",
                     .reason = "No field of the new schema uses " + o.name +
                               ", so only its catalog entry goes; the values of fields that used it are handled "
                               "by their own steps."});
  }
}

void MigrationPlanner::PlanEnumValues(const Enum& o, const Enum& n) {
  std::vector<const EnumValue*> added;
  for (const EnumValue& v : n.values) {
    const EnumValue* ov = ValueByDb(o, v.db_name);
    if (ov == nullptr) {
      added.push_back(&v);
      Add(kCreateEnums, {.kind = StepKind::kAddEnumValue,
                         .enum_type = n.db_name,
                         .target = v.db_name,
                         .description = n.name + ": add value " + v.name + StoredAs(v.name, v.db_name),
                         .reason = "Values are stored by name, so existing rows and their order are untouched."});
    } else if (ov->name != v.name) {
      Add(kRenames, {.kind = StepKind::kRenameEnumValue,
                     .enum_type = n.db_name,
                     .target = v.name,
                     .description = n.name + ": rename value " + ov->name + " to " + v.name + " (stored name " +
                                    Quote(v.db_name) + " unchanged)",
                     .reason = "Catalog only: enum values are matched by their stored name (@map, else the "
                               "name), which is unchanged; no row changes."});
    }
  }
  for (const EnumValue& v : o.values) {
    if (ValueByDb(n, v.db_name) != nullptr) continue;
    MigrationStep step{.kind = StepKind::kDropEnumValue,
                       .enum_type = o.db_name,
                       .target = v.db_name,
                       .description = n.name + ": drop value " + v.name};
    if (!facts_.EnumValueInUse(o.db_name, v.db_name)) {
      step.reason = "No row holds " + v.name + " " + std::string(kRechecked) + ".";
    } else {
      step.grade = Grade::kD;
      step.reason = "Rows hold " + v.name + ", and lose that value when it goes.";
      step.safer_alternative = "Move those rows to another value first (an updateMany where the field is " +
                               v.name + "), then drop it: once no row holds it, the drop is grade A.";
      // A value whose stored name changed looks like a drop and an add.
      for (const EnumValue* a : added) {
        if (a->name == v.name || added.size() == 1) {
          step.reason += " Values are matched by their stored name (@map, else the name), so a rename is a drop "
                         "and an add.";
          step.safer_alternative += " If " + a->name + " is " + v.name + " renamed, keep its stored name: " +
                                    a->name + " @map(" + Quote(v.db_name) + ").";
          break;
        }
      }
    }
    Add(kDropEnums, std::move(step));
  }
}

void MigrationPlanner::PlanModels() {
  for (const Model& n : new_.models) {
    const Model* o = OldOf(n);
    if (o == nullptr) continue;
    if (!n.join_of && o->name != n.name) {
      Add(kRenames, {.kind = StepKind::kRenameModel,
                     .model = n.db_name,
                     .target = n.name,
                     .description = o->name + ": rename model to " + n.name + " (stored name " + Quote(n.db_name) +
                                    " unchanged)",
                     .reason = "Catalog only: models are matched by their stored name (@@map, else the name), "
                               "which is unchanged; no row changes."});
    }
    PlanFields(*o, n);
    if (n.join_of) continue;  // keys and layout follow from the shape, which matched
    PlanPrimaryKey(*o, n);
    PlanUniques(*o, n);
    PlanIndexes(*o, n);
    PlanClustering(*o, n);
  }
  CreateModels();
  DropModels();
}

// Parents before the models stored under them, join models after their
// sides; the notes say where each new model's rows go and why.
void MigrationPlanner::CreateModels() {
  std::vector<bool> done(new_.models.size(), false);
  std::function<void(const Model&)> create = [&](const Model& n) {
    if (done[n.index.value()]) return;
    done[n.index.value()] = true;
    if (n.clustering.relation) {
      const Model& parent = new_.model(new_.relation(*n.clustering.relation).to.model);
      if (OldOf(parent) == nullptr) create(parent);
    }
    if (n.join_of) {
      Add(kCreateModels, {.kind = StepKind::kCreateJoinModel,
                          .model = n.db_name,
                          .description = n.name + ": create the join model of " + JoinText(new_, n),
                          .reason = "New many-to-many relation: its join model starts empty."});
      return;
    }
    Add(kCreateModels, {.kind = StepKind::kCreateModel,
                        .model = n.db_name,
                        .description = n.name + ": create model" + StoredAs(n.name, n.db_name),
                        .reason = "New model: nothing to rewrite or check."});
    notes_.push_back(n.name + ": " + n.clustering.reason);
  };
  for (const Model& n : new_.models) {
    if (OldOf(n) == nullptr) create(n);
  }
}

// A model goes after every dropped model that references it (or is stored
// under it), so no remaining foreign key or clustered row points into a
// dropped model. Within a cycle of references, old declaration order.
void MigrationPlanner::DropModels() {
  std::vector<const Model*> dropped;
  std::vector<bool> seen(old_.models.size(), false);
  std::function<void(const Model&)> visit = [&](const Model& m) {
    seen[m.index.value()] = true;
    for (const Relation& r : old_.relations) {
      if (r.kind == RelationKind::kManyToMany || r.to.model != m.index || r.from.model == m.index) continue;
      const Model& child = old_.model(r.from.model);
      if (NewOf(child) == nullptr && !seen[child.index.value()]) visit(child);
    }
    dropped.push_back(&m);
  };
  for (const Model& o : old_.models) {
    if (NewOf(o) == nullptr && !seen[o.index.value()]) visit(o);
  }
  for (const Model* o : dropped) {
    // A join model between other models (or a declared model) may take the
    // stored name of a dropped one: that drop must come first.
    const Phase phase = ModelByDb(new_, o->db_name) != nullptr ? kReplaceModels : kDropModels;
    if (o->join_of) {
      DropJoinModel(*o, phase);
    } else {
      DropModel(*o, phase);
    }
  }
}

void MigrationPlanner::DropModel(const Model& o, Phase phase) {
  MigrationStep step{.kind = StepKind::kDropModel,
                     .grade = Grade::kD,
                     .model = o.db_name,
                     .description = o.name + ": drop model" + StoredAs(o.name, o.db_name),
                     .reason = "Destroys every row of " + o.name + "."};
  // A new model with the old name, or with the same stored fields, is
  // probably this one renamed.
  const Model* renamed = nullptr;
  for (const Model& n : new_.models) {
    if (OldOf(n) != nullptr || n.join_of) continue;
    if (n.name == o.name || StoredFieldNames(n) == StoredFieldNames(o)) {
      renamed = &n;
      break;
    }
  }
  if (renamed != nullptr) {
    step.reason += " Models are matched by their stored name (@@map, else the name), so " + o.name + " (" +
                   Quote(o.db_name) + ") and " + renamed->name + " (" + Quote(renamed->db_name) +
                   ") are different models: a rename is a drop and an add.";
    step.safer_alternative = "If " + renamed->name + " is " + o.name + " renamed, keep its stored name: add @@map(" +
                             Quote(o.db_name) + ") to model " + renamed->name + ", a catalog-only rename (A).";
  } else {
    step.safer_alternative = "Stop using " + o.name +
                             " in the application first, and export its rows if you may need them; drop it in a "
                             "later migration, once nothing reads it. A drop can't be undone.";
  }
  Add(phase, std::move(step));
}

void MigrationPlanner::DropJoinModel(const Model& o, Phase phase) {
  const Relation& r = old_.relation(*o.join_of);
  MigrationStep step{.kind = StepKind::kDropJoinModel,
                     .grade = Grade::kD,
                     .model = o.db_name,
                     .description = o.name + ": drop the join model of " + JoinText(old_, o),
                     .reason = "Destroys the links between " + old_.model(r.from.model).name + " and " +
                               old_.model(r.to.model).name + " rows."};
  const Model* renamed = nullptr;
  for (const Model& n : new_.models) {
    if (OldOf(n) != nullptr || !n.join_of) continue;
    const Relation& nr = new_.relation(*n.join_of);
    const std::string sides = new_.model(nr.to.model).db_name + " <-> " + new_.model(nr.from.model).db_name;
    if (JoinShape(new_, n) == JoinShape(old_, o) || sides == JoinShape(old_, o)) {
      renamed = &n;
      break;
    }
  }
  if (renamed != nullptr) {
    step.reason += " A join model is named after its relation, so the relation " +
                   Quote(new_.relation(*renamed->join_of).name) + " gets a new, empty one (" + renamed->name + ").";
    step.safer_alternative = "Keep the links: name the relation as before, @relation(" + Quote(r.name) +
                             ") on both of its fields.";
  } else {
    step.safer_alternative = "Stop using the relation in the application first, and export its links if you may "
                             "need them. A drop can't be undone.";
  }
  Add(phase, std::move(step));
}

}  // namespace ormdb::schema::planner

namespace ormdb::schema {

std::string_view GradeName(Grade g) {
  switch (g) {
    case Grade::kA: return "A";
    case Grade::kB: return "B";
    case Grade::kC: return "C";
    case Grade::kD: return "D";
  }
  return "?";
}

std::string_view GradeMeaning(Grade g) {
  switch (g) {
    case Grade::kA: return "online";
    case Grade::kB: return "online, background work";
    case Grade::kC: return "blocks writes";
    case Grade::kD: return "destroys data";
  }
  return "?";
}

std::string_view StepKindName(StepKind k) {
  switch (k) {
    case StepKind::kRenameEnum: return "rename enum";
    case StepKind::kRenameEnumValue: return "rename enum value";
    case StepKind::kRenameModel: return "rename model";
    case StepKind::kRenameField: return "rename field";
    case StepKind::kRenameConstraint: return "rename constraint";
    case StepKind::kCreateEnum: return "create enum";
    case StepKind::kAddEnumValue: return "add enum value";
    case StepKind::kDropEnumValue: return "drop enum value";
    case StepKind::kDropEnum: return "drop enum";
    case StepKind::kCreateModel: return "create model";
    case StepKind::kCreateJoinModel: return "create join model";
    case StepKind::kDropModel: return "drop model";
    case StepKind::kDropJoinModel: return "drop join model";
    case StepKind::kAddField: return "add field";
    case StepKind::kAddFieldWithBackfill: return "add field with backfill";
    case StepKind::kDropField: return "drop field";
    case StepKind::kChangeFieldType: return "change field type";
    case StepKind::kChangeFieldEnum: return "change field enum";
    case StepKind::kMakeOptional: return "make optional";
    case StepKind::kMakeRequired: return "make required";
    case StepKind::kChangeDefault: return "change default";
    case StepKind::kAddUpdatedAt: return "add @updatedAt";
    case StepKind::kDropUpdatedAt: return "drop @updatedAt";
    case StepKind::kChangeNativeType: return "change native type";
    case StepKind::kChangePrimaryKey: return "change primary key";
    case StepKind::kAddUnique: return "add unique index";
    case StepKind::kDropUnique: return "drop unique index";
    case StepKind::kAddIndex: return "add index";
    case StepKind::kDropIndex: return "drop index";
    case StepKind::kAddForeignKey: return "add foreign key";
    case StepKind::kDropForeignKey: return "drop foreign key";
    case StepKind::kChangeReferentialAction: return "change referential action";
    case StepKind::kRecluster: return "re-cluster";
  }
  return "?";
}

Result<MigrationPlan> PlanMigration(const Schema* old_schema, const Schema& target, const DataFacts& facts) {
  static const Schema kEmpty;
  return planner::MigrationPlanner(old_schema != nullptr ? *old_schema : kEmpty, target, facts).Run();
}

}  // namespace ormdb::schema

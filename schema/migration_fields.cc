// The planner's steps for fields (migration_planner.h): added, dropped and
// renamed fields, type changes graded by schema/type_conversion.h, moves to
// another enum, optionality, defaults, @updatedAt and native types.
#include <algorithm>

#include "schema/migration_planner.h"
#include "schema/type_conversion.h"

namespace ormdb::schema::planner {
namespace {

// Why a String field is stored as 16 bytes.
std::string UuidCause(const Field& f) {
  if (f.native_type && f.native_type->name == "Uuid") return "It has @db.Uuid, so it is stored as 16 bytes.";
  if (f.id && f.default_value.kind == DefaultKind::kUuid && !f.native_type) {
    return "A String @id with @default(uuid()) is stored as its 16 bytes.";
  }
  return "It references a UUID stored as 16 bytes, so it is stored that way too.";
}

bool SameDefault(const DefaultValue& a, const DefaultValue& b) {
  return a.kind == b.kind && a.version == b.version && a.constant == b.constant && a.map == b.map;
}

std::string NativeText(const Schema& s, const std::optional<NativeType>& n) {
  if (!n) return "none";
  const std::string prefix = s.datasource ? s.datasource->name : "db";
  return "@" + prefix + "." + n->name + (n->args.empty() ? "" : "(" + Join(n->args) + ")");
}

bool SameNative(const std::optional<NativeType>& a, const std::optional<NativeType>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || (a->name == b->name && a->args == b->args);
}

}  // namespace

void MigrationPlanner::PlanFields(const Model& o, const Model& n) {
  std::vector<const Field*> added;
  for (const Field& nf : n.fields) {
    if (nf.is_relation()) continue;
    const Field* of = FieldByDb(o, nf.db_name);
    if (of == nullptr) {
      added.push_back(&nf);
      AddField(n, nf);
    } else {
      ChangeField(o, n, *of, nf);
    }
  }
  std::vector<bool> taken(added.size(), false);
  for (const Field& of : o.fields) {
    if (of.is_relation() || FieldByDb(n, of.db_name) != nullptr) continue;
    // An added field with the old name, or else the old stored type, is
    // probably this one renamed.
    const Field* renamed = nullptr;
    for (int pass = 0; pass < 2 && renamed == nullptr; ++pass) {
      for (size_t i = 0; i < added.size(); ++i) {
        const Field& a = *added[i];
        const bool same_type = StoredTypeText(new_, a) == StoredTypeText(old_, of) && a.optional == of.optional;
        if (!taken[i] && (pass == 0 ? a.name == of.name : same_type)) {
          taken[i] = true;
          renamed = &a;
          break;
        }
      }
    }
    DropField(o, of, renamed);
  }
}

void MigrationPlanner::AddField(const Model& n, const Field& f) {
  std::string type = PrismaType(new_, f);
  if (f.default_value.kind != DefaultKind::kNone) type += " @default(" + DefaultText(f) + ")";
  if (f.updated_at) type += " @updatedAt";
  MigrationStep step{.kind = StepKind::kAddField,
                     .model = n.db_name,
                     .field = f.db_name,
                     .description = n.name + ": add field " + f.name + " " + type + StoredAs(f.name, f.db_name)};
  const DefaultKind d = f.default_value.kind;
  if (d == DefaultKind::kConstant) {
    step.reason = "Existing rows read the default " + DefaultText(f) + " without being rewritten.";
  } else if (d != DefaultKind::kNone || (f.updated_at && !f.optional)) {
    step.kind = StepKind::kAddFieldWithBackfill;
    step.grade = Grade::kB;
    const std::string value = d == DefaultKind::kNone ? "the time of the migration" : "its own " + DefaultText(f) +
                                                                                          " value";
    step.reason = "Backfill: each existing row of " + n.name + " gets " + value +
                  ", written in the background while reads and writes go on.";
  } else if (f.optional) {
    step.reason = "New optional field: existing rows read it as null; nothing is rewritten.";
  } else if (!facts_.ModelHasRows(n.db_name)) {
    step.reason = "Required without a default, which works only because " + n.name + " has no rows " +
                  std::string(kRechecked) + ".";
  } else {
    errors_.push_back(FormatLocation(new_.file, f.loc) + ": " + n.name + "." + f.name +
                      " is required and has no default, but " + n.name +
                      " has rows, which would have no value: give it a @default(...), make it optional (" + f.name +
                      " " + PrismaType(new_, f) + "?), or add it optional, fill it, and make it required in a "
                      "later migration.");
    return;
  }
  Add(kAddFields, std::move(step));
}

void MigrationPlanner::DropField(const Model& o, const Field& f, const Field* renamed) {
  const Model& n = *NewOf(o);
  MigrationStep step{.kind = StepKind::kDropField,
                     .grade = Grade::kD,
                     .model = o.db_name,
                     .field = f.db_name,
                     .description = n.name + ": drop field " + f.name + " " + PrismaType(old_, f) +
                                    StoredAs(f.name, f.db_name),
                     .reason = "Destroys the values of " + f.name + " in every row of " + n.name + "."};
  if (renamed != nullptr && renamed->name == f.name) {
    step.reason += " Fields are matched by their stored name (@map, else the name), so storing " + f.name +
                   " as " + Quote(renamed->db_name) + " instead of " + Quote(f.db_name) +
                   " makes it a different field: a drop and an add.";
    step.safer_alternative = "Keep its stored name: " + f.name + " " + PrismaType(new_, *renamed) + " @map(" +
                             Quote(f.db_name) + "), and the values stay.";
  } else if (renamed != nullptr) {
    step.reason += " Fields are matched by their stored name (@map, else the name), so " + f.name + " (" +
                   Quote(f.db_name) + ") and " + renamed->name + " (" + Quote(renamed->db_name) +
                   ") are different fields: a rename is a drop and an add.";
    step.safer_alternative = "If " + renamed->name + " is " + f.name + " renamed, keep its stored name: " +
                             renamed->name + " " + PrismaType(new_, *renamed) + " @map(" + Quote(f.db_name) +
                             "), a catalog-only rename (A).";
  } else {
    step.safer_alternative = "Stop reading and writing " + f.name +
                             " in the application first, and export its values if you may need them; drop it in "
                             "a later migration, once nothing uses it. A drop can't be undone.";
  }
  Add(kDropFields, std::move(step));
}

void MigrationPlanner::ChangeField(const Model& o, const Model& n, const Field& of, const Field& nf) {
  auto step = [&](StepKind kind, Grade grade, std::string what, std::string reason) {
    return MigrationStep{.kind = kind,
                         .grade = grade,
                         .model = n.db_name,
                         .field = nf.db_name,
                         .description = n.name + ": " + std::move(what),
                         .reason = std::move(reason)};
  };
  if (of.name != nf.name) {
    MigrationStep s = step(StepKind::kRenameField, Grade::kA,
                           "rename field " + of.name + " to " + nf.name + " (stored name " + Quote(nf.db_name) +
                               " unchanged)",
                           "Catalog only: fields are matched by their stored name (@map, else the name), which "
                           "is unchanged; no row changes.");
    s.target = nf.name;
    Add(kRenames, std::move(s));
  }
  const StoredKind from = StoredKindOf(of);
  const StoredKind to = StoredKindOf(nf);
  if (from == StoredKind::kEnum && to == StoredKind::kEnum) {
    const Enum& oe = old_.enum_type(of.enum_type);
    const Enum& ne = new_.enum_type(nf.enum_type);
    if (oe.db_name != ne.db_name) ChangeFieldEnum(n, nf, oe, ne);
  } else if (from != to) {
    ChangeFieldType(o, n, of, nf);
  } else if (!SameNative(of.native_type, nf.native_type)) {
    Add(kChangeFields, step(StepKind::kChangeNativeType, Grade::kA,
                            "change native type of " + nf.name + " from " + NativeText(old_, of.native_type) +
                                " to " + NativeText(new_, nf.native_type),
                            "Native types are recorded in the catalog, not enforced by storage (only @db.Uuid "
                            "changes how a value is stored, and that is a type change): no row changes."));
  }
  if (of.optional && !nf.optional) {
    Add(kChangeFields, step(StepKind::kMakeRequired, Grade::kB, "make " + nf.name + " required",
                            "New writes must set " + nf.name + " from the start; existing rows of " + n.name +
                                " are checked in the background, and the step fails if one holds null (fill "
                                "those first)."));
  } else if (!of.optional && nf.optional) {
    Add(kChangeFields, step(StepKind::kMakeOptional, Grade::kA, "make " + nf.name + " optional",
                            "Only drops the not-null check: no row changes."));
  }
  if (!SameDefault(of.default_value, nf.default_value)) {
    std::string what;
    if (of.default_value.kind == DefaultKind::kNone) {
      what = "set default of " + nf.name + " to " + DefaultText(nf);
    } else if (nf.default_value.kind == DefaultKind::kNone) {
      what = "remove default of " + nf.name + " (was " + DefaultText(of) + ")";
    } else if (DefaultText(of) == DefaultText(nf)) {
      what = "rename default of " + nf.name + ": " +
             NamesChange("", of.default_value.map, "", nf.default_value.map);
    } else {
      what = "change default of " + nf.name + " from " + DefaultText(of) + " to " + DefaultText(nf);
    }
    Add(kChangeFields, step(StepKind::kChangeDefault, Grade::kA, what,
                            "Only inserts use a default: stored rows keep their values."));
  }
  if (!of.updated_at && nf.updated_at) {
    Add(kChangeFields, step(StepKind::kAddUpdatedAt, Grade::kA, "set @updatedAt on " + nf.name,
                            "Only later updates set it; stored values stay as they are."));
  } else if (of.updated_at && !nf.updated_at) {
    Add(kChangeFields, step(StepKind::kDropUpdatedAt, Grade::kA, "remove @updatedAt from " + nf.name,
                            "Updates stop setting it; stored values stay as they are."));
  }
}

void MigrationPlanner::ChangeFieldType(const Model& o, const Model& n, const Field& of, const Field& nf) {
  const std::string from = StoredTypeText(old_, of);
  const std::string to = StoredTypeText(new_, nf);
  const ConversionRule rule = ClassifyConversion(StoredKindOf(of), StoredKindOf(nf));
  if (rule.conversion == Conversion::kImpossible) {
    errors_.push_back(FormatLocation(new_.file, nf.loc) + ": " + n.name + "." + nf.name + ": no conversion from " +
                      from + " to " + to + " keeps its values. Add " + WithArticle(WrittenType(new_, nf)) +
                      " field under another name, fill it from " + nf.name +
                      " in the application, then drop " + nf.name + " in a later migration.");
    return;
  }
  std::string rewrite = "Every row of " + n.name + " is rewritten";
  const std::vector<std::string> moved = MovedWith(o);
  const bool in_key = std::any_of(n.primary_key.parts.begin(), n.primary_key.parts.end(),
                                  [&](const KeyPart& p) { return p.field == nf.index; });
  if (in_key && !moved.empty()) rewrite += " and re-keyed, with the rows stored under it (" + Join(moved) + ")";
  rewrite += ", and writes to " + n.name + " wait until it is done.";
  MigrationStep step{.kind = StepKind::kChangeFieldType,
                     .grade = Grade::kC,
                     .model = n.db_name,
                     .field = nf.db_name,
                     .target = to,
                     .description = n.name + ": change type of " + nf.name + " from " + from + " to " + to};
  const bool widening = rule.conversion == Conversion::kWidening;
  if (nf.uuid_bytes && !of.uuid_bytes) step.reason = UuidCause(nf) + " ";
  step.reason += widening ? "Widening: " + rule.why + ". " : "Narrowing: " + rule.why + ", and such values are lost. ";
  step.reason += rewrite;
  if (!widening) step.grade = Grade::kD;
  const std::string written = WithArticle(WrittenType(new_, nf));
  if (n.join_of) {
    // A join model's key follows the id of its side.
    const Relation& r = new_.relation(*n.join_of);
    const Model& side = new_.model(nf.index.value() == 0 ? r.from.model : r.to.model);
    step.reason = "The join model's key follows the id of " + side.name + ". " + step.reason;
    step.safer_alternative = "Keep the type of " + side.name + "'s id: changing it rewrites the links of its "
                             "many-to-many relations too.";
  } else if (nf.uuid_bytes && !of.uuid_bytes && !nf.native_type && nf.id) {
    step.safer_alternative = "Keep it stored as text with a native type: " + nf.name + " String @id @default(" +
                             DefaultText(nf) + ") @" + (new_.datasource ? new_.datasource->name : "db") + ".Text.";
  } else if (widening) {
    step.safer_alternative = "Expand and contract: add " + written + " field beside " + nf.name +
                             ", write both from the application, backfill the new one (B), move reads to it, then "
                             "drop " + nf.name + " once nothing uses it.";
  } else {
    step.safer_alternative = "Check first that every stored value converts, or expand and contract: add " +
                             written + " field beside " + nf.name + ", copy the values that convert from the "
                             "application, move reads to it, then drop " + nf.name + " once nothing uses it.";
  }
  Add(kChangeFields, std::move(step));
}

// Enum values are stored by name, so moving a field to another enum
// rewrites nothing; only values the new enum lacks are at risk.
void MigrationPlanner::ChangeFieldEnum(const Model& n, const Field& nf, const Enum& oe, const Enum& ne) {
  std::vector<std::string> missing, held;
  for (const EnumValue& v : oe.values) {
    if (ValueByDb(ne, v.db_name) != nullptr) continue;
    missing.push_back(v.name);
    if (facts_.EnumValueInUse(oe.db_name, v.db_name)) held.push_back(v.name);
  }
  MigrationStep step{.kind = StepKind::kChangeFieldEnum,
                     .model = n.db_name,
                     .field = nf.db_name,
                     .enum_type = ne.db_name,
                     .target = ne.db_name,
                     .description = n.name + ": change type of " + nf.name + " from enum " + oe.name + " to enum " +
                                    ne.name};
  if (missing.empty()) {
    step.reason = "Enum values are stored by name, and every value of " + oe.name + " is one of " + ne.name +
                  ": no row changes.";
  } else if (held.empty()) {
    step.reason = "Enum values are stored by name, and no row holds " + Join(missing) + ", which " + ne.name +
                  " lacks " + std::string(kRechecked) + ".";
  } else {
    step.grade = Grade::kD;
    step.reason = "Rows hold " + Join(held) + ", which " + ne.name + " lacks: they lose that value.";
    step.safer_alternative = "Move those rows to a value both enums have first, or add " + Join(held) + " to " +
                             ne.name + "; then no row loses its value and the change is grade A.";
  }
  Add(kChangeFields, std::move(step));
}

}  // namespace ormdb::schema::planner

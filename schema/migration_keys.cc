// The planner's steps for keys and relations (migration_planner.h): the
// primary key, unique keys and indexes (matched by their fields), foreign
// keys (matched by their fields and the referenced key), and clustering
// (matched by the foreign key a model is stored under).
#include <algorithm>
#include <map>

#include "schema/migration_planner.h"
#include "schema/resolver.h"

namespace ormdb::schema::planner {
namespace {

std::string ConstraintLabel(const std::string& name, const std::string& map) {
  if (!map.empty()) return " " + Quote(map);
  if (!name.empty()) return " " + Quote(name);
  return "";
}

}  // namespace

void MigrationPlanner::PlanPrimaryKey(const Model& o, const Model& n) {
  const PrimaryKey& ok = o.primary_key;
  const PrimaryKey& nk = n.primary_key;
  if (KeyId(o, ok.parts) == KeyId(n, nk.parts)) {
    if (ok.name != nk.name || ok.map != nk.map) {
      Add(kRenames, {.kind = StepKind::kRenameConstraint,
                     .model = n.db_name,
                     .target = KeyId(n, nk.parts),
                     .description = n.name + ": rename primary key " + KeyText(n, nk.parts) + ": " +
                                    NamesChange(ok.name, ok.map, nk.name, nk.map),
                     .reason = "Catalog only: no row changes."});
    }
    return;
  }
  std::string reason = "Every row of " + n.name + " is re-keyed and rewritten, with its index entries";
  const std::vector<std::string> moved = MovedWith(o);
  if (!moved.empty()) reason += " and the rows stored under it (" + Join(moved) + ")";
  reason += ", and writes to " + n.name + " wait until it is done.";
  std::vector<std::string> fields;
  for (const KeyPart& p : nk.parts) fields.push_back(n.field(p.field).name);
  const bool already_unique = std::any_of(o.uniques.begin(), o.uniques.end(), [&](const UniqueConstraint& u) {
    return KeyId(o, u.parts) == KeyId(n, nk.parts);
  });
  const std::string safer =
      already_unique ? "Keep the primary key: " + KeyText(n, nk.parts) +
                           " already has a unique index, so lookups by it are as fast, and no row is rewritten."
                     : "Keep the primary key and add @@unique([" + Join(fields) +
                           "]) instead: lookups by those fields get an index built online (B), and no row is "
                           "rewritten.";
  Add(kChangePrimaryKeys, {.kind = StepKind::kChangePrimaryKey,
                            .grade = Grade::kC,
                            .model = n.db_name,
                            .target = KeyId(n, nk.parts),
                            .description = n.name + ": change primary key from " + KeyText(o, ok.parts) + " to " +
                                           KeyText(n, nk.parts),
                            .reason = reason,
                            .safer_alternative = safer});
}

// Unique constraints and indexes are matched by their fields (stored names
// and sort order); a unique that is the primary key itself has no index of
// its own, so it is left out.
void MigrationPlanner::PlanUniques(const Model& o, const Model& n) {
  auto views = [](const Model& m) {
    std::vector<KeyView> out;
    for (const UniqueConstraint& u : m.uniques) {
      if (KeyId(m, u.parts) != KeyId(m, m.primary_key.parts)) out.push_back(KeyView{&u.parts, &u.name, &u.map});
    }
    return out;
  };
  PlanKeys(o, n, views(o), views(n), /*unique=*/true);
}

void MigrationPlanner::PlanIndexes(const Model& o, const Model& n) {
  auto views = [](const Model& m) {
    std::vector<KeyView> out;
    for (const Index& i : m.indexes) out.push_back(KeyView{&i.parts, &i.name, &i.map});
    return out;
  };
  PlanKeys(o, n, views(o), views(n), /*unique=*/false);
}

void MigrationPlanner::PlanKeys(const Model& o, const Model& n, const std::vector<KeyView>& old_keys,
                                const std::vector<KeyView>& new_keys, bool unique) {
  const std::string what = unique ? "unique index" : "index";
  // The first of keys with the same fields stands for them (the schema
  // may declare a key twice; storage builds one).
  std::map<std::string, const KeyView*> old_by_id, new_by_id;
  for (const KeyView& k : old_keys) old_by_id.emplace(KeyId(o, *k.parts), &k);
  for (const KeyView& k : new_keys) new_by_id.emplace(KeyId(n, *k.parts), &k);
  for (const KeyView& k : old_keys) {
    const std::string id = KeyId(o, *k.parts);
    if (old_by_id.at(id) != &k || new_by_id.count(id) != 0) continue;
    Add(kDropKeys, {.kind = unique ? StepKind::kDropUnique : StepKind::kDropIndex,
                    .model = n.db_name,
                    .target = id,
                    .description = n.name + ": drop " + what + " " + KeyText(o, *k.parts) +
                                   ConstraintLabel(*k.name, *k.map),
                    .reason = unique ? "Only removes the index and its uniqueness check; no row changes."
                                     : "Only removes the index; no row changes."});
  }
  for (const KeyView& k : new_keys) {
    const std::string id = KeyId(n, *k.parts);
    if (new_by_id.at(id) != &k) continue;
    auto old = old_by_id.find(id);
    if (old == old_by_id.end()) {
      Add(kAddKeys, {.kind = unique ? StepKind::kAddUnique : StepKind::kAddIndex,
                     .grade = Grade::kB,
                     .model = n.db_name,
                     .target = id,
                     .description = n.name + ": build " + what + " " + KeyText(n, *k.parts) +
                                    ConstraintLabel(*k.name, *k.map),
                     .reason = "Built in the background from the existing rows of " + n.name +
                               " while reads and writes go on" +
                               (unique ? "; the step fails if two rows share a value of " + KeyText(n, *k.parts) + "."
                                       : "; queries use it once it is complete.")});
    } else if (*old->second->name != *k.name || *old->second->map != *k.map) {
      Add(kRenames, {.kind = StepKind::kRenameConstraint,
                     .model = n.db_name,
                     .target = id,
                     .description = n.name + ": rename " + what + " " + KeyText(n, *k.parts) + ": " +
                                    NamesChange(*old->second->name, *old->second->map, *k.name, *k.map),
                     .reason = "Catalog only: no row changes."});
    }
  }
}

void MigrationPlanner::PlanClustering(const Model& o, const Model& n) {
  if (ClusterId(old_, o) == ClusterId(new_, n)) {
    if (n.clustering.explicit_choice && !o.clustering.explicit_choice) {
      notes_.push_back(n.name + ": @@cluster now pins the layout it had by default (" + Layout(new_, n) +
                       "); nothing moves.");
    } else if (!n.clustering.explicit_choice && o.clustering.explicit_choice) {
      notes_.push_back(n.name + ": without @@cluster, the default rule keeps its layout (" + Layout(new_, n) +
                       "); nothing moves.");
    }
    return;
  }
  const bool clustered = n.clustering.relation.has_value();
  std::string reason = "Every row of " + n.name;
  const std::vector<std::string> moved = MovedWith(o);
  if (!moved.empty()) reason += ", with the rows stored under it (" + Join(moved) + "),";
  reason += " is rewritten into its new place, and writes to " + n.name + " wait until it is done. New layout: " +
            n.clustering.reason + ".";
  MigrationStep step{.kind = StepKind::kRecluster,
                     .grade = Grade::kC,
                     .model = n.db_name,
                     .target = clustered ? new_.model(new_.relation(*n.clustering.relation).to.model).db_name : "",
                     .description = n.name + ": " +
                                    (clustered ? "re-cluster " + Layout(new_, n) : "move to its own key range") +
                                    " (was: " + Layout(old_, o) + ")",
                     .reason = reason};
  // When the default rule moved the rows, @@cluster can keep them where
  // they are, if the old parent relation still qualifies.
  const Relation* pin = nullptr;
  if (!n.clustering.explicit_choice && o.clustering.relation) {
    const std::string old_fk = ForeignKeyId(old_, old_.relation(*o.clustering.relation));
    for (const Relation& r : new_.relations) {
      if (IsForeignKey(r) && r.from.model == n.index && r.from.field && ForeignKeyId(new_, r) == old_fk &&
          r.required && r.to.model != n.index && IsPrimaryKey(new_.model(r.to.model), r.referenced_fields)) {
        pin = &r;
      }
    }
  }
  if (pin != nullptr) {
    step.safer_alternative = "Keep the current layout: add @@cluster(" + n.field(*pin->from.field).name + ") to " +
                             n.name + ", so the default rule no longer decides.";
  } else {
    step.safer_alternative = "Run it when writes to " + n.name +
                             " can wait, or expand and contract: copy the rows in the background into a new model "
                             "with the layout you want and move the application over to it.";
  }
  Add(kRecluster, std::move(step));
}

void MigrationPlanner::PlanForeignKeys() {
  std::map<std::string, const Relation*> old_by_id, new_by_id;
  for (const Relation& r : old_.relations) {
    if (IsForeignKey(r)) old_by_id.emplace(old_.model(r.from.model).db_name + ForeignKeyId(old_, r), &r);
  }
  for (const Relation& r : new_.relations) {
    if (IsForeignKey(r)) new_by_id.emplace(new_.model(r.from.model).db_name + ForeignKeyId(new_, r), &r);
  }
  for (const Relation& r : old_.relations) {
    if (!IsForeignKey(r)) continue;
    const Model* n = NewOf(old_.model(r.from.model));
    if (n == nullptr) continue;  // goes with its model
    if (new_by_id.count(old_.model(r.from.model).db_name + ForeignKeyId(old_, r)) != 0) continue;
    Add(kDropForeignKeys, {.kind = StepKind::kDropForeignKey,
                           .model = n->db_name,
                           .target = ForeignKeyId(old_, r),
                           .description = n->name + ": drop foreign key " + ForeignKeyText(old_, r),
                           .reason = "Only removes the check; no row changes."});
  }
  for (const Relation& r : new_.relations) {
    if (!IsForeignKey(r)) continue;
    const Model& n = new_.model(r.from.model);
    const std::string id = ForeignKeyId(new_, r);
    auto old = old_by_id.find(n.db_name + id);
    if (old == old_by_id.end()) {
      AddForeignKey(n, r);
      continue;
    }
    const Relation& o = *old->second;
    if (o.on_delete != r.on_delete || o.on_update != r.on_update) {
      // An action not written is Prisma's default, which follows the
      // relation's optionality: say so, since nothing in the diff shows it.
      auto change = [&](std::string_view what, ReferentialAction from, ReferentialAction to, bool written) {
        return std::string(what) + " " + std::string(ReferentialActionName(from)) + " -> " +
               std::string(ReferentialActionName(to)) +
               (written ? "" : r.required ? " (the default for a required relation)"
                                          : " (the default for an optional relation)");
      };
      std::vector<std::string> changes;
      if (o.on_delete != r.on_delete) {
        changes.push_back(change("onDelete", o.on_delete, r.on_delete, r.on_delete_explicit));
      }
      if (o.on_update != r.on_update) {
        changes.push_back(change("onUpdate", o.on_update, r.on_update, r.on_update_explicit));
      }
      Add(kAddForeignKeys, {.kind = StepKind::kChangeReferentialAction,
                            .model = n.db_name,
                            .target = id,
                            .description = n.name + ": change foreign key " + ForeignKeyText(new_, r) + ": " +
                                           Join(changes),
                            .reason = "Only changes what deleting or updating a " + new_.model(r.to.model).name +
                                      " does from now on; no row changes."});
    }
    if (o.map != r.map) {
      Add(kRenames, {.kind = StepKind::kRenameConstraint,
                     .model = n.db_name,
                     .target = id,
                     .description = n.name + ": rename foreign key " + ForeignKeyText(new_, r) + ": " +
                                    NamesChange("", o.map, "", r.map),
                     .reason = "Catalog only: no row changes."});
    }
  }
}

void MigrationPlanner::AddForeignKey(const Model& n, const Relation& r) {
  MigrationStep step{.kind = StepKind::kAddForeignKey,
                     .model = n.db_name,
                     .target = ForeignKeyId(new_, r),
                     .description = n.name + ": add foreign key " + ForeignKeyText(new_, r)};
  const Model* o = OldOf(n);
  const bool null_everywhere = o != nullptr && std::all_of(r.fk_fields.begin(), r.fk_fields.end(), [&](FieldIndex i) {
    const Field& f = n.field(i);
    return FieldByDb(*o, f.db_name) == nullptr && f.optional && f.default_value.kind == DefaultKind::kNone;
  });
  if (o == nullptr) {
    step.reason = n.name + " is new: it has no rows to validate.";
  } else if (null_everywhere) {
    step.reason = "Its fields are new and hold null in every existing row: nothing to validate.";
  } else {
    step.grade = Grade::kB;
    step.reason = "New writes are checked from the start; existing rows of " + n.name + " are validated against " +
                  new_.model(r.to.model).name + " in the background, and the step fails if one references a "
                  "missing row.";
  }
  Add(kAddForeignKeys, std::move(step));
}

}  // namespace ormdb::schema::planner

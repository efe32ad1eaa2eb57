// Pairs relation fields into relations, as Prisma does: two fields form a
// relation when they point at each other's models and carry the same
// @relation name (or none). The side whose @relation has fields/references
// holds the foreign key; list fields on both sides make an implicit
// many-to-many relation with a hidden join model.
#include <algorithm>
#include <map>
#include <tuple>

#include "schema/resolver.h"

namespace ormdb::schema {
namespace {

std::string DefaultRelationName(const std::string& a, const std::string& b) {
  return a < b ? a + "To" + b : b + "To" + a;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " and " : ", ";
    out += names[i];
  }
  return out;
}

}  // namespace

std::string Resolver::FieldPath(ModelIndex m, FieldIndex f) const {
  const Model& model = schema_.model(m);
  return model.name + "." + model.field(f).name;
}

Status Resolver::ResolveRelations() {
  // Group the fields by (unordered model pair, relation name), in order of
  // first appearance so relation positions follow the declarations.
  std::map<std::tuple<ModelIndex, ModelIndex, std::string>, size_t> group_of;
  std::vector<std::vector<size_t>> groups;
  for (size_t i = 0; i < relation_specs_.size(); ++i) {
    const RelationSpec& s = relation_specs_[i];
    const ModelIndex target = schema_.model(s.model).field(s.field).related_model;
    auto key = std::make_tuple(std::min(s.model, target), std::max(s.model, target), s.name);
    auto [it, fresh] = group_of.emplace(key, groups.size());
    if (fresh) groups.emplace_back();
    groups[it->second].push_back(i);
  }
  for (const std::vector<size_t>& g : groups) RETURN_IF_ERROR(PairGroup(g));
  RETURN_IF_ERROR(PropagateUuidStorage());
  const size_t declared = schema_.relations.size();
  for (size_t r = 0; r < declared; ++r) {
    if (schema_.relations[r].kind == RelationKind::kManyToMany) AddJoinModel(RelationIndex(r));
  }
  return Status::OK();
}

Status Resolver::PairGroup(const std::vector<size_t>& members) {
  const RelationSpec& first = relation_specs_[members[0]];
  const ModelIndex a = first.model;
  const ModelIndex b = schema_.model(a).field(first.field).related_model;
  const std::string named = first.name.empty() ? "" : "relation \"" + first.name + "\" ";
  if (a == b) {
    if (members.size() == 1) return MissingOpposite(first);
    if (members.size() > 2) {
      std::vector<std::string> names;
      for (size_t i : members) names.push_back(schema_.model(a).field(relation_specs_[i].field).name);
      const RelationSpec& third = relation_specs_[members[2]];
      if (first.name.empty()) {
        return Error(third.loc, "ambiguous self-relation on model " + schema_.model(a).name + ": fields " +
                                    JoinNames(names) + " refer to it without a relation name; name each pair with "
                                    "@relation(\"...\") on both of its fields");
      }
      return Error(third.loc, named + "has " + std::to_string(names.size()) + " fields on model " +
                                  schema_.model(a).name + " (" + JoinNames(names) +
                                  "); a relation name pairs exactly two fields");
    }
    return Pair(first, relation_specs_[members[1]]);
  }
  std::vector<size_t> on_a, on_b;
  for (size_t i : members) (relation_specs_[i].model == a ? on_a : on_b).push_back(i);
  if (on_b.empty()) return MissingOpposite(first);
  for (const std::vector<size_t>* side : {&on_a, &on_b}) {
    if (side->size() < 2) continue;
    const RelationSpec& s1 = relation_specs_[(*side)[0]];
    const RelationSpec& s2 = relation_specs_[(*side)[1]];
    const Model& m = schema_.model(s1.model);
    const std::string other = schema_.model(s1.model == a ? b : a).name;
    if (first.name.empty()) {
      return Error(s2.loc, "ambiguous relation: fields " + FieldPath(m.index, s1.field) + " and " +
                               m.field(s2.field).name + " both refer to model " + other +
                               " without a relation name; name each relation with @relation(\"...\") on both sides");
    }
    return Error(s2.loc, named + "has two fields on model " + m.name + " (" + m.field(s1.field).name + " and " +
                             m.field(s2.field).name + "); a relation name pairs one field on each side");
  }
  return Pair(relation_specs_[on_a[0]], relation_specs_[on_b[0]]);
}

Status Resolver::MissingOpposite(const RelationSpec& s) const {
  const Model& m = schema_.model(s.model);
  const Field& f = m.field(s.field);
  const Model& target = schema_.model(f.related_model);
  std::string msg =
      "relation field " + m.name + "." + f.name + " has no opposite relation field on model " + target.name;
  if (!s.name.empty()) msg += " with the relation name \"" + s.name + "\"";
  if (m.index == target.index) {
    msg += "; a self-relation needs a second field on " + m.name + ", both named with @relation(\"...\")";
  } else {
    msg += "; add a field of type " + m.name + "[] or " + m.name + "? to " + target.name;
  }
  // Say so when a field on the other side points back under another name.
  for (const RelationSpec& other : relation_specs_) {
    const Field& of = schema_.model(other.model).field(other.field);
    if (other.model == target.index && of.related_model == m.index && other.name != s.name &&
        !(other.model == s.model && other.field == s.field)) {
      msg += " (" + target.name + "." + of.name + " refers to " + m.name + " " +
             (other.name.empty() ? std::string("without a relation name") : "as relation \"" + other.name + "\"") +
             ")";
      break;
    }
  }
  return Error(s.loc, msg);
}

Status Resolver::Pair(const RelationSpec& s1, const RelationSpec& s2) {
  const Field& f1 = schema_.model(s1.model).field(s1.field);
  const Field& f2 = schema_.model(s2.model).field(s2.field);
  if (f1.list && f2.list) return AddManyToMany(s1, s2);
  if (f1.list || f2.list) {
    const RelationSpec& owner = f1.list ? s2 : s1;
    const RelationSpec& back = f1.list ? s1 : s2;
    RETURN_IF_ERROR(CheckBackSide(back, owner));
    if (!owner.has_fields && !owner.has_references) {
      return Error(owner.attr_loc, "relation field " + FieldPath(owner.model, owner.field) +
                                       " must name the fields that hold its foreign key: "
                                       "@relation(fields: [...], references: [...])");
    }
    return AddForeignKey(owner, back, RelationKind::kOneToMany);
  }
  const bool defines1 = s1.has_fields || s1.has_references;
  const bool defines2 = s2.has_fields || s2.has_references;
  if (defines1 && defines2) {
    return Error(s2.attr_loc, "both sides of the one-to-one relation " + FieldPath(s1.model, s1.field) + " / " +
                                  FieldPath(s2.model, s2.field) +
                                  " have fields/references; only the side that holds the foreign key has them");
  }
  if (!defines1 && !defines2) {
    return Error(s2.loc, "one side of the one-to-one relation " + FieldPath(s1.model, s1.field) + " / " +
                             FieldPath(s2.model, s2.field) +
                             " must hold the foreign key: @relation(fields: [...], references: [...])");
  }
  const RelationSpec& owner = defines1 ? s1 : s2;
  const RelationSpec& back = defines1 ? s2 : s1;
  RETURN_IF_ERROR(CheckBackSide(back, owner));
  const Field& back_field = schema_.model(back.model).field(back.field);
  if (!back_field.optional) {
    return Error(back.loc, "relation field " + FieldPath(back.model, back.field) +
                               " must be optional: it is the side of a one-to-one relation without the foreign key, "
                               "so its row can exist first");
  }
  return AddForeignKey(owner, back, RelationKind::kOneToOne);
}

// Arguments that belong to the side holding the foreign key.
Status Resolver::CheckBackSide(const RelationSpec& back, const RelationSpec& owner) const {
  const std::string here = FieldPath(back.model, back.field);
  const std::string there = FieldPath(owner.model, owner.field);
  if (back.has_fields || back.has_references) {
    return Error(back.attr_loc, here + " cannot have fields/references: the foreign key of this relation is held by " +
                                    there);
  }
  const std::string holder = " belongs on " + there + ", which holds the foreign key";
  if (back.on_delete) return Error(back.on_delete_loc, "onDelete" + holder);
  if (back.on_update) return Error(back.on_update_loc, "onUpdate" + holder);
  if (back.map) return Error(back.map_loc, "map (the foreign key's name) belongs on " + there);
  return Status::OK();
}

Status Resolver::AddForeignKey(const RelationSpec& owner, const RelationSpec& back, RelationKind kind) {
  const Model& om = schema_.model(owner.model);
  const Model& tm = schema_.model(back.model);
  const Field& of = om.field(owner.field);
  const std::string path = om.name + "." + of.name;
  if (!owner.has_fields) return Error(owner.attr_loc, "@relation on " + path + " has references but no fields");
  if (!owner.has_references) return Error(owner.attr_loc, "@relation on " + path + " has fields but no references");
  if (owner.fields.size() != owner.references.size()) {
    return Error(owner.attr_loc, "@relation on " + path + " has " + std::to_string(owner.fields.size()) +
                                     " fields but " + std::to_string(owner.references.size()) +
                                     " references; they pair up one to one");
  }
  std::vector<FieldIndex> fk, refs;
  for (size_t i = 0; i < owner.fields.size(); ++i) {
    for (auto [list, model, out] : {std::tuple{&owner.fields, &om, &fk}, std::tuple{&owner.references, &tm, &refs}}) {
      const NameRef& ref = (*list)[i];
      const char* what = list == &owner.fields ? "fields" : "references";
      const Field* f = model->FindField(ref.name);
      if (f == nullptr) {
        return Error(ref.loc, "unknown field " + ref.name + " in the " + what + " of " + path + " (model " +
                                  model->name + " has no such field)");
      }
      if (f->is_relation()) {
        return Error(ref.loc, "the " + std::string(what) + " of " + path + " name scalar fields, and " + ref.name +
                                  " is a relation field");
      }
      if (std::find(out->begin(), out->end(), f->index) != out->end()) {
        return Error(ref.loc, "field " + ref.name + " appears twice in the " + what + " of " + path);
      }
      out->push_back(f->index);
    }
    const Field& a = om.field(fk[i]);
    const Field& b = tm.field(refs[i]);
    const bool same =
        a.kind == b.kind && (a.kind == FieldKind::kEnum ? a.enum_type == b.enum_type : a.scalar == b.scalar);
    if (!same) {
      auto type = [&](const Field& f) {
        return f.kind == FieldKind::kEnum ? schema_.enum_type(f.enum_type).name : std::string(ScalarTypeName(f.scalar));
      };
      return Error(owner.fields[i].loc, "foreign key field " + om.name + "." + a.name + " has type " + type(a) +
                                            " but references " + tm.name + "." + b.name + " of type " + type(b));
    }
  }
  if (!IsUniqueKey(tm, refs)) {
    return Error(owner.references[0].loc, "the references of " + path + " must be a unique key of " + tm.name +
                                              " (its id, an @unique field or an @@unique)");
  }
  if (kind == RelationKind::kOneToOne && !IsUniqueKey(om, fk)) {
    return Error(owner.fields[0].loc, "the foreign key of the one-to-one relation " + path +
                                          " must be unique: add @unique to " + om.field(fk[0]).name +
                                          (fk.size() > 1 ? " (or an @@unique over its fields)" : ""));
  }
  const bool required =
      std::none_of(fk.begin(), fk.end(), [&](FieldIndex f) { return om.field(f).optional; });
  if (!required && !of.optional) {
    return Error(owner.loc, "relation field " + path + " must be optional (" + tm.name +
                                "?): a field of its foreign key is optional");
  }
  for (const auto& [action, loc, name] : {std::tuple{owner.on_delete, owner.on_delete_loc, "onDelete"},
                                          std::tuple{owner.on_update, owner.on_update_loc, "onUpdate"}}) {
    if (action == ReferentialAction::kSetNull) {
      for (FieldIndex f : fk) {
        if (!om.field(f).optional) {
          return Error(loc, std::string(name) + ": SetNull needs optional foreign key fields, and " + om.name + "." +
                                om.field(f).name + " is required");
        }
      }
    }
    if (action == ReferentialAction::kSetDefault) {
      for (FieldIndex f : fk) {
        if (om.field(f).default_value.kind == DefaultKind::kNone) {
          return Error(loc, std::string(name) + ": SetDefault needs a @default on " + om.name + "." +
                                om.field(f).name);
        }
      }
    }
  }

  Relation r;
  r.index = RelationIndex(schema_.relations.size());
  r.named = !owner.name.empty();
  r.name = r.named ? owner.name : DefaultRelationName(om.name, tm.name);
  r.kind = kind;
  r.from = RelationSide{owner.model, owner.field};
  r.to = RelationSide{back.model, back.field};
  r.fk_fields = std::move(fk);
  r.referenced_fields = std::move(refs);
  r.required = required;
  // Prisma's defaults: Restrict for a required relation, SetNull for an
  // optional one; a key mixing required and optional fields can't be set to
  // null, so it restricts too.
  const bool all_optional =
      std::all_of(r.fk_fields.begin(), r.fk_fields.end(), [&](FieldIndex f) { return om.field(f).optional; });
  r.on_delete = owner.on_delete.value_or(all_optional ? ReferentialAction::kSetNull : ReferentialAction::kRestrict);
  r.on_update = owner.on_update.value_or(ReferentialAction::kCascade);
  r.on_delete_explicit = owner.on_delete.has_value();
  r.on_update_explicit = owner.on_update.has_value();
  r.map = owner.map.value_or("");
  schema_.models[owner.model.value()].fields[owner.field.value()].relation = r.index;
  schema_.models[back.model.value()].fields[back.field.value()].relation = r.index;
  schema_.relations.push_back(std::move(r));
  return Status::OK();
}

Status Resolver::AddManyToMany(const RelationSpec& s1, const RelationSpec& s2) {
  for (const RelationSpec* s : {&s1, &s2}) {
    const std::string path = FieldPath(s->model, s->field);
    if (s->has_fields || s->has_references || s->on_delete || s->on_update || s->map) {
      return Error(s->attr_loc, "an implicit many-to-many relation takes no fields, references, onDelete, onUpdate "
                                "or map (" + path + "); declare a join model to control the join");
    }
    const Model& target = schema_.model(schema_.model(s->model).field(s->field).related_model);
    if (target.primary_key.source != PrimaryKey::Source::kFieldId) {
      return Error(s->loc, "the implicit many-to-many relation " + path + " needs a single-field @id on model " +
                               target.name + "; declare a join model instead");
    }
  }
  // Prisma's side A is the model whose name sorts first (for a self-relation,
  // the field whose name does).
  auto key = [&](const RelationSpec& s) {
    return std::make_pair(schema_.model(s.model).name, schema_.model(s.model).field(s.field).name);
  };
  const RelationSpec& a = key(s1) <= key(s2) ? s1 : s2;
  const RelationSpec& b = &a == &s1 ? s2 : s1;
  Relation r;
  r.index = RelationIndex(schema_.relations.size());
  r.named = !s1.name.empty();
  r.name = r.named ? s1.name : DefaultRelationName(schema_.model(a.model).name, schema_.model(b.model).name);
  r.kind = RelationKind::kManyToMany;
  r.from = RelationSide{a.model, a.field};
  r.to = RelationSide{b.model, b.field};
  r.on_delete = ReferentialAction::kCascade;  // of the join rows
  r.on_update = ReferentialAction::kCascade;
  schema_.models[a.model.value()].fields[a.field.value()].relation = r.index;
  schema_.models[b.model.value()].fields[b.field.value()].relation = r.index;
  schema_.relations.push_back(std::move(r));
  return Status::OK();
}

// A foreign key to a UUID stored as 16 bytes is stored the same way; a
// foreign key declared @db.Uuid must reference a UUID.
Status Resolver::PropagateUuidStorage() {
  for (bool changed = true; changed;) {
    changed = false;
    for (const Relation& r : schema_.relations) {
      for (size_t i = 0; i < r.fk_fields.size(); ++i) {
        Field& fk = schema_.models[r.from.model.value()].fields[r.fk_fields[i].value()];
        const Field& ref = schema_.model(r.to.model).field(r.referenced_fields[i]);
        if (!ref.uuid_bytes || fk.uuid_bytes) continue;
        if (fk.native_type) {
          return Error(fk.loc, "foreign key field " + FieldPath(r.from.model, fk.index) + " has @" + native_prefix_ +
                                   "." + fk.native_type->name + " but references " +
                                   FieldPath(r.to.model, ref.index) + ", a UUID stored as 16 bytes");
        }
        fk.uuid_bytes = true;
        changed = true;
      }
    }
  }
  for (const Relation& r : schema_.relations) {
    for (size_t i = 0; i < r.fk_fields.size(); ++i) {
      const Field& fk = schema_.model(r.from.model).field(r.fk_fields[i]);
      const Field& ref = schema_.model(r.to.model).field(r.referenced_fields[i]);
      if (fk.uuid_bytes && !ref.uuid_bytes) {
        return Error(fk.loc, "foreign key field " + FieldPath(r.from.model, fk.index) + " is a UUID (@" +
                                 native_prefix_ + ".Uuid) but references " + FieldPath(r.to.model, ref.index) +
                                 ", which is not; give both @" + native_prefix_ + ".Uuid");
      }
    }
  }
  return Status::OK();
}

// The hidden join model of an implicit many-to-many relation, shaped like
// Prisma's join table: "_<relation name>" with fields A and B referencing
// the ids of sides A and B, keyed by (A, B) and indexed by B.
void Resolver::AddJoinModel(RelationIndex ri) {
  const ModelIndex join_index(schema_.models.size());
  Model j;
  j.index = join_index;
  j.name = "_" + schema_.relation(ri).name;
  j.db_name = j.name;
  j.join_of = ri;
  j.loc = schema_.model(schema_.relation(ri).from.model).field(*schema_.relation(ri).from.field).loc;
  for (int side = 0; side < 2; ++side) {
    const Relation& r = schema_.relation(ri);
    const Model& target = schema_.model(side == 0 ? r.from.model : r.to.model);
    const Field& id = target.field(target.primary_key.parts[0].field);
    Field f;
    f.index = FieldIndex(static_cast<uint64_t>(side));
    f.name = side == 0 ? "A" : "B";
    f.db_name = f.name;
    f.kind = id.kind;
    f.scalar = id.scalar;
    f.enum_type = id.enum_type;
    f.uuid_bytes = id.uuid_bytes;
    f.native_type = id.native_type;
    f.loc = j.loc;
    j.fields.push_back(std::move(f));
  }
  j.primary_key = PrimaryKey{PrimaryKey::Source::kBlockId, {KeyPart{FieldIndex(0)}, KeyPart{FieldIndex(1)}}, "", "",
                             j.loc};
  j.indexes.push_back(Index{{KeyPart{FieldIndex(1)}}, "", "", j.loc});
  schema_.models.push_back(std::move(j));

  for (int side = 0; side < 2; ++side) {
    const Relation& r = schema_.relation(ri);
    const ModelIndex target = side == 0 ? r.from.model : r.to.model;
    Relation key;
    key.index = RelationIndex(schema_.relations.size());
    key.name = schema_.model(join_index).name + (side == 0 ? "_A" : "_B");
    key.kind = RelationKind::kOneToMany;
    key.from = RelationSide{join_index, std::nullopt};
    key.to = RelationSide{target, std::nullopt};
    key.fk_fields = {FieldIndex(static_cast<uint64_t>(side))};
    key.referenced_fields = {schema_.model(target).primary_key.parts[0].field};
    key.required = true;
    key.on_delete = ReferentialAction::kCascade;
    key.on_update = ReferentialAction::kCascade;
    key.hidden = true;
    schema_.relations[ri.value()].join_keys[static_cast<size_t>(side)] = key.index;
    schema_.relations.push_back(std::move(key));
  }
  schema_.relations[ri.value()].join_model = join_index;
}

}  // namespace ormdb::schema

#include "engine/catalog.h"

#include <algorithm>

#include "schema/resolve.h"
#include "util/coding.h"

namespace ormdb::engine {

using schema::StorageType;
using schema::Value;

// ------------------------------------------------------------------ IdTable

uint32_t IdTable::Assign(const std::string& name) {
  used_[name] = true;
  auto it = ids_.find(name);
  if (it != ids_.end()) return it->second;
  uint32_t id = next_++;
  ids_.emplace(name, id);
  return id;
}

std::optional<uint32_t> IdTable::Find(const std::string& name) const {
  auto it = ids_.find(name);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

void IdTable::ForgetUnused() {
  for (auto it = ids_.begin(); it != ids_.end();) {
    it = used_.count(it->first) ? std::next(it) : ids_.erase(it);
  }
  used_.clear();
}

void IdTable::ForgetModel(std::string_view db_name) {
  const std::string model = "m/" + std::string(db_name);
  for (auto it = ids_.begin(); it != ids_.end();) {
    const std::string& n = it->first;
    bool of_model = n == model;
    for (const char* kind : {"f/", "u/", "i/", "r/"}) {
      std::string prefix = kind + std::string(db_name) + "/";
      of_model = of_model || n.starts_with(prefix);
    }
    it = of_model ? ids_.erase(it) : std::next(it);
  }
}

namespace {

void PutString(std::string* out, std::string_view s) {
  coding::PutVarint64(out, s.size());
  out->append(s);
}

bool GetString(std::string_view* in, std::string* s) {
  uint64_t n;
  if (!coding::GetVarint64(in, &n) || n > in->size()) return false;
  s->assign(in->substr(0, n));
  in->remove_prefix(n);
  return true;
}

}  // namespace

void IdTable::Encode(std::string* out) const {
  coding::PutVarint64(out, next_);
  coding::PutVarint64(out, ids_.size());
  for (const auto& [name, id] : ids_) {
    PutString(out, name);
    coding::PutVarint64(out, id);
  }
}

Status IdTable::Decode(std::string_view* in, IdTable* out) {
  uint64_t next, n;
  if (!coding::GetVarint64(in, &next) || next == 0 || next > UINT32_MAX || !coding::GetVarint64(in, &n)) {
    return Status::Corruption("catalog: id table header cut short or out of range");
  }
  out->next_ = static_cast<uint32_t>(next);
  for (uint64_t i = 0; i < n; ++i) {
    std::string name;
    uint64_t id;
    if (!GetString(in, &name) || !coding::GetVarint64(in, &id)) {
      return Status::Corruption("catalog: id table entry " + std::to_string(i) + " cut short");
    }
    if (id == 0 || id >= next) {
      return Status::Corruption("catalog: id " + std::to_string(id) + " of \"" + name + "\" is not below the next id " +
                                std::to_string(next));
    }
    out->ids_[name] = static_cast<uint32_t>(id);
  }
  return Status::OK();
}

// ------------------------------------------------------------------ defaults

Result<Value> ConstantDefault(const schema::Field& f, StorageType type) {
  const schema::DefaultValue& d = f.default_value;
  if (d.kind != schema::DefaultKind::kConstant) return Value::Null();
  const auto& c = d.constant;
  auto bad = [&] {
    return Status::InvalidArgument("field " + f.name + ": default value does not fit its type " +
                                   std::string(schema::StorageTypeName(type)));
  };
  switch (type) {
    case StorageType::kBoolean:
      if (!std::holds_alternative<bool>(c)) return bad();
      return Value::Bool(std::get<bool>(c));
    case StorageType::kInt: {
      if (!std::holds_alternative<int64_t>(c)) return bad();
      int64_t v = std::get<int64_t>(c);
      if (v < INT32_MIN || v > INT32_MAX) return bad();
      return Value::Int32(static_cast<int32_t>(v));
    }
    case StorageType::kBigInt:
    case StorageType::kDateTime:
      if (!std::holds_alternative<int64_t>(c)) return bad();
      return Value::Int64(std::get<int64_t>(c));
    case StorageType::kFloat:
      if (std::holds_alternative<double>(c)) return Value::Double(std::get<double>(c));
      if (std::holds_alternative<int64_t>(c)) return Value::Double(static_cast<double>(std::get<int64_t>(c)));
      return bad();
    case StorageType::kDecimal: {
      if (!std::holds_alternative<std::string>(c)) return bad();
      ASSIGN_OR_RETURN(schema::Decimal dec, schema::Decimal::Parse(std::get<std::string>(c)));
      return Value::FromDecimal(std::move(dec));
    }
    case StorageType::kString:
    case StorageType::kJson:
    case StorageType::kEnum:
      if (!std::holds_alternative<std::string>(c)) return bad();
      return Value::String(std::get<std::string>(c));
    case StorageType::kBytes:
      if (!std::holds_alternative<std::string>(c)) return bad();
      return Value::Bytes(std::get<std::string>(c));
    case StorageType::kUuid:
      return Status::InvalidArgument("field " + f.name + ": a Uuid field cannot have a constant default");
  }
  return bad();
}

// ------------------------------------------------------------------ Catalog

std::shared_ptr<const Catalog> Catalog::Empty() {
  return std::shared_ptr<const Catalog>(new Catalog());
}

std::optional<size_t> ModelInfo::FindField(std::string_view name) const {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].def->name == name) return i;
  }
  return std::nullopt;
}

const ModelInfo* Catalog::FindModel(std::string_view name) const {
  for (const ModelInfo& m : models_) {
    if (m.def->name == name) return &m;
  }
  return nullptr;
}

const ModelInfo* Catalog::FindEntity(uint32_t entity) const {
  for (const ModelInfo& m : models_) {
    if (m.entity == entity) return &m;
  }
  return nullptr;
}

Result<std::shared_ptr<const Catalog>> Catalog::Build(uint32_t version, std::string file_name, std::string text,
                                                      IdTable ids, CatalogOverrides overrides) {
  std::shared_ptr<Catalog> c(new Catalog());
  c->version_ = version;
  c->file_name_ = std::move(file_name);
  c->text_ = std::move(text);
  c->ids_ = std::move(ids);
  c->overrides_ = std::move(overrides);
  ASSIGN_OR_RETURN(c->schema_, schema::LoadSchema(c->text_, c->file_name_));
  RETURN_IF_ERROR(c->Layout());
  c->ids_.ForgetUnused();
  return std::shared_ptr<const Catalog>(std::move(c));
}

Status Catalog::Layout() {
  using schema::SortOrder;
  models_.resize(schema_.models.size());
  // Failed index builds are left out of the schema itself, so a later plan
  // sees them as still to be added.
  auto suppressed = [&](const std::string& name) { return overrides_.suppressed.count(name) != 0; };
  auto key_name = [&](const schema::Model& def, const std::vector<schema::KeyPart>& parts) {
    std::string cols;
    for (const schema::KeyPart& p : parts) {
      if (!cols.empty()) cols.push_back(',');
      cols.append(def.field(p.field).db_name);
      if (p.sort == SortOrder::kDesc) cols.append(":desc");
    }
    return cols;
  };
  for (schema::Model& def : schema_.models) {
    std::erase_if(def.uniques, [&](const schema::UniqueConstraint& u) {
      return suppressed("u/" + def.db_name + "/" + key_name(def, u.parts));
    });
    std::erase_if(def.indexes,
                  [&](const schema::Index& x) { return suppressed("i/" + def.db_name + "/" + key_name(def, x.parts)); });
  }
  for (size_t mi = 0; mi < schema_.models.size(); ++mi) {
    const schema::Model& def = schema_.models[mi];
    ModelInfo& m = models_[mi];
    m.def = &def;
    m.position = mi;
    m.entity = ids_.Assign("m/" + def.db_name);
    m.field_position.assign(def.fields.size(), -1);
    std::vector<schema::RecordField> layout;
    for (const schema::Field& f : def.fields) {
      std::optional<StorageType> type = schema::StorageTypeOf(f);
      if (!type) continue;
      FieldInfo fi;
      fi.def = &f;
      fi.type = *type;
      fi.nullable = f.optional;
      fi.id = ids_.Assign("f/" + def.db_name + "/" + f.db_name + "/" + std::string(schema::StorageTypeName(*type)));
      m.field_position[f.index.value()] = static_cast<int>(m.fields.size());
      ASSIGN_OR_RETURN(Value dflt, ConstantDefault(f, *type));
      if (*type == StorageType::kEnum && !dflt.is_null()) {
        for (const schema::EnumValue& ev : schema_.enum_type(f.enum_type).values) {
          if (ev.name == dflt.string_value()) dflt = Value::String(ev.db_name);  // stored by database name
        }
      }
      m.defaults.push_back(std::move(dflt));
      layout.push_back(schema::RecordField{fi.id, fi.type, fi.nullable});
      m.fields.push_back(fi);
    }
    Result<schema::RecordLayout> l = schema::RecordLayout::Make(version_, std::move(layout));
    if (!l.ok()) return l.status().Annotate("model " + def.name);
    m.layout.emplace(std::move(l).value());

    auto columns_of = [&](const std::vector<schema::KeyPart>& parts, std::vector<size_t>* cols,
                          std::vector<schema::KeyColumn>* key, std::string* name) -> Status {
      for (const schema::KeyPart& p : parts) {
        int pos = m.field_position[p.field.value()];
        if (pos < 0) return Status::InvalidArgument("model " + def.name + ": a key names a relation field");
        const FieldInfo& f = m.fields[static_cast<size_t>(pos)];
        RETURN_IF_ERROR(schema::CheckKeyType(f.type).Annotate("model " + def.name + ", field " + f.def->name));
        cols->push_back(static_cast<size_t>(pos));
        key->push_back(schema::KeyColumn{f.type, p.sort});
        if (!name->empty()) name->push_back(',');
        name->append(f.def->db_name);
        if (p.sort == SortOrder::kDesc) name->append(":desc");
      }
      return Status::OK();
    };
    std::string pk_name;
    RETURN_IF_ERROR(columns_of(def.primary_key.parts, &m.pk, &m.pk_key, &pk_name));
    for (const schema::UniqueConstraint& u : def.uniques) {
      IndexInfo ix;
      ix.kind = IndexInfo::Kind::kUnique;
      std::string cols;
      RETURN_IF_ERROR(columns_of(u.parts, &ix.columns, &ix.key, &cols));
      if (ix.columns == m.pk) continue;  // the primary key is unique by itself
      ix.id_name = "u/" + def.db_name + "/" + cols;
      ix.name = def.name + "(" + cols + ")";
      m.indexes.push_back(std::move(ix));
    }
    for (const schema::Index& x : def.indexes) {
      IndexInfo ix;
      ix.kind = IndexInfo::Kind::kIndex;
      std::string cols;
      RETURN_IF_ERROR(columns_of(x.parts, &ix.columns, &ix.key, &cols));
      ix.id_name = "i/" + def.db_name + "/" + cols;
      ix.name = def.name + "(" + cols + ")";
      m.indexes.push_back(std::move(ix));
    }
  }
  // Clustering and the indexes that find a row's children.
  for (const schema::Relation& r : schema_.relations) {
    if (r.kind == schema::RelationKind::kManyToMany || r.fk_fields.empty()) continue;
    ModelInfo& child = models_[r.from.model.value()];
    const ModelInfo& parent = models_[r.to.model.value()];
    std::vector<size_t> fk;
    for (schema::FieldIndex f : r.fk_fields) fk.push_back(static_cast<size_t>(child.field_position[f.value()]));
    const schema::Clustering& cl = child.def->clustering;
    if (cl.relation && *cl.relation == r.index) {
      ClusterInfo ci;
      ci.relation = r.index;
      ci.parent = parent.position;
      for (size_t p : parent.pk) {
        schema::FieldIndex pf = parent.fields[p].def->index;
        auto it = std::find(r.referenced_fields.begin(), r.referenced_fields.end(), pf);
        if (it == r.referenced_fields.end()) {
          return Status::InvalidArgument("model " + child.def->name + " is clustered under " + parent.def->name +
                                         " by a relation that does not reference its primary key");
        }
        ci.fk.push_back(fk[static_cast<size_t>(it - r.referenced_fields.begin())]);
      }
      child.cluster = std::move(ci);
      continue;  // children are found under the parent's key
    }
    bool covered = false;
    for (const IndexInfo& ix : child.indexes) {
      if (ix.columns.size() >= fk.size() && std::equal(fk.begin(), fk.end(), ix.columns.begin())) covered = true;
    }
    if (covered) continue;
    IndexInfo ix;
    ix.kind = IndexInfo::Kind::kForeignKey;
    ix.relation = r.index;
    std::string cols;
    for (size_t p : fk) {
      ix.columns.push_back(p);
      ix.key.push_back(schema::KeyColumn{child.fields[p].type, SortOrder::kAsc});
      if (!cols.empty()) cols.push_back(',');
      cols.append(child.fields[p].def->db_name);
    }
    ix.id_name = "r/" + child.def->db_name + "/" + cols;
    if (suppressed(ix.id_name)) continue;
    ix.name = child.def->name + "(" + cols + ")";
    child.indexes.push_back(std::move(ix));
  }
  for (ModelInfo& m : models_) {
    for (IndexInfo& ix : m.indexes) {
      ix.id = ids_.Assign(ix.id_name);
      ix.building = overrides_.building.count(ix.id_name) != 0;
    }
  }
  // A cycle of clustering would make a row its own ancestor.
  for (const ModelInfo& m : models_) {
    const ModelInfo* at = &m;
    for (size_t depth = 0; at->cluster; ++depth) {
      if (depth > models_.size()) {
        return Status::InvalidArgument("model " + m.def->name + ": clustering relations form a cycle");
      }
      at = &models_[at->cluster->parent];
    }
  }
  for (ModelInfo& m : models_) {
    if (m.cluster) models_[m.cluster->parent].has_clustered_children = true;
  }
  // What the query planner may use, per model: the primary key, then the
  // indexes readers may use (not those a migration is still building).
  for (ModelInfo& m : models_) {
    for (const FieldInfo& f : m.fields) m.columns.fields.push_back(f.def->index);
    m.columns.column_of_field = m.field_position;
    m.columns.primary_key = m.pk;
    query::IndexDesc pk;
    pk.handle = query::IndexDesc::kPrimaryKey;
    std::string cols;
    for (size_t c : m.pk) cols += (cols.empty() ? "" : ",") + m.fields[c].def->name;
    pk.name = m.def->name + "(" + cols + ")";
    pk.columns = m.pk;
    for (const schema::KeyColumn& k : m.pk_key) pk.order.push_back(k.order);
    pk.unique = true;
    pk.primary = true;
    m.query_indexes.push_back(std::move(pk));
    for (size_t i = 0; i < m.indexes.size(); ++i) {
      const IndexInfo& ix = m.indexes[i];
      if (ix.building) continue;
      query::IndexDesc d;
      d.handle = static_cast<int>(i);
      d.name = ix.name;
      d.columns = ix.columns;
      for (const schema::KeyColumn& k : ix.key) d.order.push_back(k.order);
      d.unique = ix.kind == IndexInfo::Kind::kUnique;
      m.query_indexes.push_back(std::move(d));
    }
  }
  return Status::OK();
}

namespace {
constexpr uint8_t kCatalogFormat = 1;
}

std::string Catalog::Encode() const {
  std::string out(1, static_cast<char>(kCatalogFormat));
  coding::PutVarint64(&out, version_);
  PutString(&out, file_name_);
  PutString(&out, text_);
  ids_.Encode(&out);
  for (const std::set<std::string>* names : {&overrides_.building, &overrides_.suppressed}) {
    coding::PutVarint64(&out, names->size());
    for (const std::string& n : *names) PutString(&out, n);
  }
  return out;
}

Result<std::shared_ptr<const Catalog>> Catalog::Decode(std::string_view bytes) {
  if (bytes.empty() || static_cast<uint8_t>(bytes[0]) != kCatalogFormat) {
    return Status::Corruption("catalog: unknown format " +
                              (bytes.empty() ? std::string("(empty)") : std::to_string(static_cast<uint8_t>(bytes[0]))));
  }
  bytes.remove_prefix(1);
  uint64_t version;
  std::string file, text;
  if (!coding::GetVarint64(&bytes, &version) || version > UINT32_MAX || !GetString(&bytes, &file) ||
      !GetString(&bytes, &text)) {
    return Status::Corruption("catalog: header cut short");
  }
  IdTable ids;
  RETURN_IF_ERROR(IdTable::Decode(&bytes, &ids));
  CatalogOverrides overrides;
  for (std::set<std::string>* names : {&overrides.building, &overrides.suppressed}) {
    uint64_t n;
    if (!coding::GetVarint64(&bytes, &n)) return Status::Corruption("catalog: index overrides cut short");
    for (uint64_t i = 0; i < n; ++i) {
      std::string name;
      if (!GetString(&bytes, &name)) return Status::Corruption("catalog: index override cut short");
      names->insert(std::move(name));
    }
  }
  if (!bytes.empty()) return Status::Corruption("catalog: " + std::to_string(bytes.size()) + " bytes after the end");
  if (version == 0) return Empty();
  Result<std::shared_ptr<const Catalog>> c = Build(static_cast<uint32_t>(version), file, text, ids, overrides);
  if (!c.ok()) return c.status().Annotate("catalog version " + std::to_string(version));
  if ((*c)->ids_.next_id() != ids.next_id()) {
    return Status::Corruption("catalog version " + std::to_string(version) +
                              ": the stored schema needs ids the stored id table lacks");
  }
  return c;
}

}  // namespace ormdb::engine

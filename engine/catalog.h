// The catalog: one schema version as storage sees it. The schema text is
// kept as written (the catalog stores it and parses it again at open); what
// the text alone cannot say is the persistent id of every model, field and
// index, assigned once and never reused, which keys and records use instead
// of names. So renaming a Prisma model or field while keeping its database
// name (@map, @@map) changes nothing stored, and a dropped field's bytes in
// old rows can never be read as a new field's.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "query/storage.h"
#include "schema/key_codec.h"
#include "schema/model.h"
#include "schema/record.h"
#include "schema/value.h"
#include "util/status.h"

namespace ormdb::engine {

// Persistent ids by name. Names (built by the catalog) are:
//   m/<model>                         a model's entity id
//   f/<model>/<field>/<storage type>  a stored field (a type change is a new field)
//   u/<model>/<columns>, i/<model>/<columns>, r/<model>/<relation>
//                                     a unique index, an index, a foreign-key index
// with database names (@map/@@map). Ids start at 1 and only grow.
class IdTable {
 public:
  uint32_t Assign(const std::string& name);  // its id, or the next one
  std::optional<uint32_t> Find(const std::string& name) const;
  // Forgets every name not assigned since the last call (dropped things);
  // their ids are not given out again.
  void ForgetUnused();
  // Forgets the ids of a model and of its fields and indexes: the next
  // catalog gives them new ones (a migration that rewrites every row writes
  // them beside the old ones, which stay readable until the switch).
  void ForgetModel(std::string_view db_name);

  void Encode(std::string* out) const;
  static Status Decode(std::string_view* in, IdTable* out);
  uint32_t next_id() const { return next_; }

 private:
  std::map<std::string, uint32_t, std::less<>> ids_;
  std::map<std::string, bool, std::less<>> used_;
  uint32_t next_ = 1;
};

struct FieldInfo {
  const schema::Field* def = nullptr;
  uint32_t id = 0;
  schema::StorageType type = schema::StorageType::kString;
  bool nullable = true;
};

struct IndexInfo {
  enum class Kind : uint8_t { kUnique, kIndex, kForeignKey };
  uint32_t id = 0;
  Kind kind = Kind::kIndex;
  std::string id_name;           // its name in the IdTable
  // Being built by a migration: writers maintain it (and a unique one is
  // enforced), readers may not use it yet.
  bool building = false;
  std::string name;              // for messages: "User(email)"
  std::vector<size_t> columns;   // positions in ModelInfo::fields
  std::vector<schema::KeyColumn> key;
  std::optional<schema::RelationIndex> relation;  // kForeignKey
};

// A model stored under its parent: the row key is the parent's row key,
// this model's entity id, then its own primary key.
struct ClusterInfo {
  schema::RelationIndex relation;
  size_t parent = 0;        // position of the parent model in Catalog::models
  std::vector<size_t> fk;   // positions in this model's fields, in the order of the parent's pk
};

struct ModelInfo {
  const schema::Model* def = nullptr;
  size_t position = 0;  // in Catalog::models
  uint32_t entity = 0;
  std::vector<FieldInfo> fields;             // stored fields, in declaration order
  std::vector<int> field_position;           // by schema field index; -1 for relation fields
  std::vector<size_t> pk;                    // positions in fields
  std::vector<schema::KeyColumn> pk_key;
  std::vector<IndexInfo> indexes;
  std::optional<ClusterInfo> cluster;
  bool has_clustered_children = false;       // some model is stored under this one's rows
  std::optional<schema::RecordLayout> layout;  // always set once built
  std::vector<schema::Value> defaults;       // per field: its constant default, else null
  std::vector<query::IndexDesc> query_indexes;  // for the planner: the primary key, then usable indexes
  query::ModelColumns columns;                  // for the executor: fields, field_position and pk again

  const std::string& name() const { return def->name; }
  // Position of a stored field by its schema name.
  std::optional<size_t> FindField(std::string_view name) const;
};

// What a catalog version says beyond its schema text, by IdTable name:
// indexes a migration is still building, and indexes whose build failed
// (left out, as if the text did not declare them).
struct CatalogOverrides {
  std::set<std::string> building;
  std::set<std::string> suppressed;
};

class Catalog {
 public:
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  // The empty catalog of a new database (version 0, no models).
  static std::shared_ptr<const Catalog> Empty();
  // Parses `text` and lays it out as `version`, keeping the ids of `ids`
  // for everything that still exists.
  static Result<std::shared_ptr<const Catalog>> Build(uint32_t version, std::string file_name, std::string text,
                                                      IdTable ids, CatalogOverrides overrides = {});
  static Result<std::shared_ptr<const Catalog>> Decode(std::string_view bytes);
  std::string Encode() const;

  uint32_t version() const { return version_; }
  const std::string& file_name() const { return file_name_; }
  const std::string& text() const { return text_; }
  const schema::Schema& schema() const { return schema_; }
  const IdTable& ids() const { return ids_; }
  const CatalogOverrides& overrides() const { return overrides_; }
  bool building() const { return !overrides_.building.empty(); }
  const std::vector<ModelInfo>& models() const { return models_; }
  const ModelInfo& model(schema::ModelIndex i) const { return models_[i.value()]; }
  const ModelInfo* FindModel(std::string_view name) const;
  const ModelInfo* FindEntity(uint32_t entity) const;

 private:
  Catalog() = default;
  Status Layout();

  uint32_t version_ = 0;
  std::string file_name_;
  std::string text_;
  schema::Schema schema_;
  IdTable ids_;
  CatalogOverrides overrides_;
  std::vector<ModelInfo> models_;  // in schema order: models_[i].def == &schema_.models[i]
};

// A field's constant default as a value of its storage type; null when it
// has none (or a generated one: autoincrement, uuid, cuid, now).
Result<schema::Value> ConstantDefault(const schema::Field& f, schema::StorageType type);

}  // namespace ormdb::engine

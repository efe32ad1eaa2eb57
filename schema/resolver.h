// The resolver's state, shared by its three files (internal to schema/):
//   resolve.cc     names, enums, fields, attributes, defaults, keys, indexes
//   relations.cc   pairing relation fields, foreign keys, implicit join models
//   clustering.cc  where each model's rows are stored
// Phases run in that order and each reports the first error it finds, in
// declaration order (enums are resolved before models, since a model's
// defaults may name enum values).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "schema/arguments.h"
#include "schema/ast.h"
#include "schema/model.h"

namespace ormdb::schema {

class Resolver {
 public:
  explicit Resolver(const ast::File& file) : file_(file) {}
  Result<Schema> Run();

 private:
  struct NameRef {
    std::string name;
    SourceLocation loc;
  };
  // What a relation field's @relation says, kept until the fields are paired.
  struct RelationSpec {
    ModelIndex model;
    FieldIndex field;
    std::string name;  // empty when unnamed
    bool has_fields = false;      // `fields:` was given
    bool has_references = false;  // `references:` was given
    std::vector<NameRef> fields;
    std::vector<NameRef> references;
    std::optional<ReferentialAction> on_delete;
    std::optional<ReferentialAction> on_update;
    SourceLocation on_delete_loc;
    SourceLocation on_update_loc;
    std::optional<std::string> map;
    SourceLocation map_loc;
    SourceLocation loc;       // the field
    SourceLocation attr_loc;  // its @relation, else the field
  };
  struct ClusterRequest {
    std::string field;
    SourceLocation loc;        // of @@cluster
    SourceLocation field_loc;  // of its argument
  };

  Status Error(SourceLocation loc, std::string_view what) const { return SchemaError(file_.name, loc, what); }
  Status Unsupported(SourceLocation loc, std::string_view what) const {
    return SchemaUnsupported(file_.name, loc, what);
  }
  Result<Arguments> Args(const ast::Attribute& a, std::string_view main) const;
  Result<std::string> StringValue(const ast::Expression* e, std::string_view what) const;
  Result<std::string> MapName(const ast::Attribute& a) const;

  // resolve.cc
  Status DeclareBlocks();
  Status ResolveEnum(const ast::Block& b, Enum* e);
  Status ResolveFieldType(const ast::Field& f, Field* out) const;
  Status ResolveFieldAttributes(const ast::Field& f, Model* m, Field* out);
  Status ResolveKeyAttribute(const ast::Attribute& a, Model* m, Field* out);
  Status ResolveNativeType(const ast::Attribute& a, Field* out);
  Status ResolveDefault(const ast::Attribute& a, Field* out) const;
  Status ResolveGenerator(const ast::Expression& e, Field* out) const;
  Status ResolveConstant(const ast::Expression& e, Field* out) const;
  Status ResolveRelationAttribute(const ast::Attribute& a, RelationSpec* spec) const;
  Result<std::vector<NameRef>> FieldNameList(const ast::Expression& e, std::string_view what) const;
  Status ResolveModelAttributes(const ast::Block& b, Model* m);
  Status ResolveBlockKey(const ast::Attribute& a, Model* m);
  Result<std::vector<KeyPart>> ResolveKeyParts(const Model& m, const ast::Expression* fields, std::string_view what,
                                               SourceLocation attr_loc, bool required_only) const;
  Result<SortOrder> ResolveSort(const ast::Expression& e) const;
  Status CheckConstraintName(const Model& m, const std::string& name, SourceLocation loc) const;
  Status ChoosePrimaryKey(Model* m) const;
  Status CheckDbNames() const;

  // relations.cc
  Status ResolveRelations();
  Status PairGroup(const std::vector<size_t>& members);
  Status MissingOpposite(const RelationSpec& s) const;
  Status Pair(const RelationSpec& s1, const RelationSpec& s2);
  Status CheckBackSide(const RelationSpec& back, const RelationSpec& owner) const;
  Status AddForeignKey(const RelationSpec& owner, const RelationSpec& back, RelationKind kind);
  Status AddManyToMany(const RelationSpec& s1, const RelationSpec& s2);
  Status PropagateUuidStorage();
  void AddJoinModel(RelationIndex r);
  std::string FieldPath(ModelIndex m, FieldIndex f) const;  // "Post.author"

  // clustering.cc
  Status ResolveClustering();
  Status ApplyClusterRequest(Model* m, const ClusterRequest& req);
  // `keys`: the relations whose foreign key is in m.
  void ChooseDefaultClustering(Model* m, const std::vector<const Relation*>& keys);
  Status BreakClusterCycles();
  bool ReferencesPrimaryKey(const Relation& r) const;

  const ast::File& file_;
  Schema schema_;
  std::string native_prefix_ = "db";  // the datasource's name
  std::unordered_map<std::string, ModelIndex> model_names_;
  std::unordered_map<std::string, EnumIndex> enum_names_;
  std::vector<const ast::Block*> model_blocks_;  // by ModelIndex (declared models)
  std::vector<const ast::Block*> enum_blocks_;   // by EnumIndex
  std::vector<RelationSpec> relation_specs_;     // in declaration order
  std::vector<std::optional<ClusterRequest>> cluster_requests_;  // by ModelIndex
};

// Whether `fields` (in any order) is exactly the primary key or a unique
// constraint of `m`.
bool IsUniqueKey(const Model& m, std::vector<FieldIndex> fields);
bool IsPrimaryKey(const Model& m, std::vector<FieldIndex> fields);

}  // namespace ormdb::schema

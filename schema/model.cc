#include "schema/model.h"

namespace ormdb::schema {

namespace {
constexpr std::array<std::pair<ScalarType, std::string_view>, 9> kScalarNames = {{
    {ScalarType::kBoolean, "Boolean"},
    {ScalarType::kInt, "Int"},
    {ScalarType::kBigInt, "BigInt"},
    {ScalarType::kFloat, "Float"},
    {ScalarType::kDecimal, "Decimal"},
    {ScalarType::kString, "String"},
    {ScalarType::kBytes, "Bytes"},
    {ScalarType::kDateTime, "DateTime"},
    {ScalarType::kJson, "Json"},
}};
}  // namespace

std::string_view ScalarTypeName(ScalarType t) {
  for (const auto& [type, name] : kScalarNames) {
    if (type == t) return name;
  }
  return "?";
}

std::optional<ScalarType> ScalarTypeFromName(std::string_view name) {
  for (const auto& [type, n] : kScalarNames) {
    if (n == name) return type;
  }
  return std::nullopt;
}

std::string_view RelationKindName(RelationKind k) {
  switch (k) {
    case RelationKind::kOneToOne: return "one-to-one";
    case RelationKind::kOneToMany: return "one-to-many";
    case RelationKind::kManyToMany: return "many-to-many";
  }
  return "?";
}

std::string_view ReferentialActionName(ReferentialAction a) {
  switch (a) {
    case ReferentialAction::kCascade: return "Cascade";
    case ReferentialAction::kRestrict: return "Restrict";
    case ReferentialAction::kNoAction: return "NoAction";
    case ReferentialAction::kSetNull: return "SetNull";
    case ReferentialAction::kSetDefault: return "SetDefault";
  }
  return "?";
}

const Field* Model::FindField(std::string_view name) const {
  for (const Field& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const Model* Schema::FindModel(std::string_view name) const {
  for (const Model& m : models) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

const Enum* Schema::FindEnum(std::string_view name) const {
  for (const Enum& e : enums) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

}  // namespace ormdb::schema

// Helpers the request reader's files share (private to query/): paths
// inside a request, error messages that quote what they got, and the
// questions asked of JSON values and fields.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "schema/model.h"
#include "util/json.h"
#include "util/status.h"

namespace ormdb::query::parse {

inline std::string Join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

inline std::string At(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

inline Status Error(const std::string& path, std::string msg) {
  return Status::InvalidArgument(path.empty() ? msg : path + ": " + msg);
}

inline std::string Got(const json::Value& v) { return v.ToString(40); }

// A list of names for "expected one of" messages.
inline std::string Names(std::initializer_list<std::string_view> names) {
  std::string s;
  for (std::string_view n : names) s += (s.empty() ? "" : ", ") + std::string(n);
  return s;
}

inline bool IsInt(const json::Value& v) { return v.is_number() && v.is_integer(); }

// Arguments that take one value or a list of them ("by", "distinct", "data"
// of createMany): the values.
inline std::vector<const json::Value*> OneOrList(const json::Value& v) {
  std::vector<const json::Value*> out;
  if (v.kind() == json::Value::Kind::kArray) {
    for (const json::Value& x : v.items()) out.push_back(&x);
  } else {
    out.push_back(&v);
  }
  return out;
}

inline std::string TypeNameOf(const schema::Schema& schema, const schema::Field& f) {
  if (f.kind == schema::FieldKind::kEnum) return schema.enum_type(f.enum_type).name;
  return std::string(schema::ScalarTypeName(f.scalar));
}

inline bool IsNumeric(const schema::Field& f) {
  if (f.kind != schema::FieldKind::kScalar) return false;
  switch (f.scalar) {
    case schema::ScalarType::kInt:
    case schema::ScalarType::kBigInt:
    case schema::ScalarType::kFloat:
    case schema::ScalarType::kDecimal: return true;
    default: return false;
  }
}

}  // namespace ormdb::query::parse

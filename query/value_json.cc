// JSON values as values of stored fields: the conversions the request
// reader applies to every value a request gives (docs/query.md, "Values").
#include "query/parse_util.h"
#include "query/parser.h"
#include "schema/literal.h"
#include "schema/value.h"

namespace ormdb::query {

using json::Value;
namespace sv = schema;
using namespace parse;

Result<sv::Value> ValueFromJson(const sv::Schema& schema, const sv::Field& fd, const Value& v) {
  using K = Value::Kind;
  if (v.is_null()) return sv::Value::Null();
  auto expected = [&]() { return Status::InvalidArgument("expected " + TypeNameOf(schema, fd) + ", got " + Got(v)); };
  if (fd.kind == sv::FieldKind::kEnum) {
    if (v.kind() != K::kString) return expected();
    for (const sv::EnumValue& ev : schema.enum_type(fd.enum_type).values) {
      if (ev.name == v.string_value()) return sv::Value::String(ev.db_name);
    }
    return Status::InvalidArgument("expected " + TypeNameOf(schema, fd) + ", got " + Got(v) + " (not one of its values)");
  }
  switch (fd.scalar) {
    case sv::ScalarType::kBoolean:
      if (v.kind() != K::kBool) return expected();
      return sv::Value::Bool(v.bool_value());
    case sv::ScalarType::kInt:
      if (!IsInt(v) || v.int_value() < INT32_MIN || v.int_value() > INT32_MAX) return expected();
      return sv::Value::Int32(static_cast<int32_t>(v.int_value()));
    case sv::ScalarType::kBigInt:
      if (IsInt(v)) return sv::Value::Int64(v.int_value());
      if (v.kind() == K::kString) {
        if (std::optional<int64_t> n = sv::ParseInteger(v.string_value(), INT64_MIN, INT64_MAX)) return sv::Value::Int64(*n);
      }
      return expected();
    case sv::ScalarType::kFloat:
      if (v.kind() != K::kNumber) return expected();
      return sv::Value::Double(v.double_value());
    case sv::ScalarType::kDecimal: {
      std::string_view text;
      if (v.kind() == K::kNumber) text = v.number_text();
      else if (v.kind() == K::kString) text = v.string_value();
      else return expected();
      Result<sv::Decimal> d = sv::Decimal::Parse(text);
      if (!d.ok()) return Status::InvalidArgument("expected Decimal, got " + Got(v) + " (" + d.status().message() + ")");
      return sv::Value::FromDecimal(std::move(d).value());
    }
    case sv::ScalarType::kString:
      if (v.kind() != K::kString) return expected();
      if (fd.uuid_bytes) {
        std::optional<std::string> b = sv::ParseUuid(v.string_value());
        if (!b) return Status::InvalidArgument("expected a UUID, got " + Got(v));
        return sv::Value::Bytes(std::move(*b));
      }
      return sv::Value::String(v.string_value());
    case sv::ScalarType::kBytes: {
      if (v.kind() != K::kString) return expected();
      std::optional<std::string> b = sv::DecodeBase64(v.string_value());
      if (!b) return Status::InvalidArgument("expected Bytes as base64 text, got " + Got(v));
      return sv::Value::Bytes(std::move(*b));
    }
    case sv::ScalarType::kDateTime: {
      if (v.kind() != K::kString) return expected();
      std::optional<int64_t> t = sv::ParseTimestampMicros(v.string_value());
      if (!t) return Status::InvalidArgument("expected DateTime as ISO 8601 text, got " + Got(v));
      return sv::Value::Int64(*t);
    }
    case sv::ScalarType::kJson:
      return sv::Value::String(v.ToString());
  }
  return expected();
}

}  // namespace ormdb::query

// The values of the differential test (tests/query_diff.h): cells, the
// view of the resolved schema (stored columns, keys, relation links), the
// small domains values are drawn from, and a value's JSON form.
#include <algorithm>
#include <cstring>

#include "schema/literal.h"
#include "schema/value.h"
#include "tests/query_diff.h"

namespace ormdb::querydiff {

// ================================================================ cells

Cell Cell::Int(int64_t v) {
  Cell c;
  c.kind = Kind::kInt;
  c.i = v;
  return c;
}

Cell Cell::Real(double v) {
  Cell c;
  c.kind = Kind::kReal;
  c.d = v;
  return c;
}

Cell Cell::Text(std::string v) {
  Cell c;
  c.kind = Kind::kText;
  c.s = std::move(v);
  return c;
}

Cell Cell::Blob(std::string v) {
  Cell c;
  c.kind = Kind::kBlob;
  c.s = std::move(v);
  return c;
}

bool operator==(const Cell& a, const Cell& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Cell::Kind::kNull: return true;
    case Cell::Kind::kInt: return a.i == b.i;
    case Cell::Kind::kReal: return std::memcmp(&a.d, &b.d, sizeof a.d) == 0;
    case Cell::Kind::kText:
    case Cell::Kind::kBlob: return a.s == b.s;
  }
  return false;
}

std::string KeyOf(const std::vector<Cell>& cells) {
  std::string k;
  for (const Cell& c : cells) {
    k += static_cast<char>('0' + static_cast<int>(c.kind));
    switch (c.kind) {
      case Cell::Kind::kNull: break;
      case Cell::Kind::kInt: k += std::to_string(c.i); break;
      case Cell::Kind::kReal: k += std::to_string(c.d); break;
      case Cell::Kind::kText:
      case Cell::Kind::kBlob: k += std::to_string(c.s.size()) + ":" + c.s; break;
    }
    k += '|';
  }
  return k;
}

bool AnyNull(const std::vector<Cell>& cells) {
  return std::any_of(cells.begin(), cells.end(), [](const Cell& c) { return c.is_null(); });
}

Cell::Kind CellKindOf(FieldClass c) {
  switch (c) {
    case FieldClass::kBool:
    case FieldClass::kInt:
    case FieldClass::kBigInt:
    case FieldClass::kDateTime: return Cell::Kind::kInt;
    case FieldClass::kFloat: return Cell::Kind::kReal;
    case FieldClass::kBytes: return Cell::Kind::kBlob;
    default: return Cell::Kind::kText;
  }
}

// ================================================================ schema

namespace {

FieldClass ClassOf(const schema::Field& f) {
  if (f.kind == schema::FieldKind::kEnum) return FieldClass::kEnum;
  switch (f.scalar) {
    case schema::ScalarType::kBoolean: return FieldClass::kBool;
    case schema::ScalarType::kInt: return FieldClass::kInt;
    case schema::ScalarType::kBigInt: return FieldClass::kBigInt;
    case schema::ScalarType::kFloat: return FieldClass::kFloat;
    case schema::ScalarType::kDecimal: return FieldClass::kDecimal;
    case schema::ScalarType::kString: return f.uuid_bytes ? FieldClass::kUuid : FieldClass::kText;
    case schema::ScalarType::kBytes: return FieldClass::kBytes;
    case schema::ScalarType::kDateTime: return FieldClass::kDateTime;
    case schema::ScalarType::kJson: return FieldClass::kJson;
  }
  return FieldClass::kText;
}

bool IsFromSide(const schema::Relation& r, schema::ModelIndex m, const schema::Field& f) {
  return r.from.model == m && r.from.field && *r.from.field == f.index;
}

}  // namespace

SchemaView::SchemaView(const schema::Schema& schema) : schema_(schema) {
  for (const schema::Model& m : schema.models) {
    ModelView v;
    v.model = &m;
    v.column_of_field.assign(m.fields.size(), -1);
    for (const schema::Field& f : m.fields) {
      if (f.is_relation()) {
        v.relations.push_back(f.index);
        continue;
      }
      v.column_of_field[f.index.value()] = static_cast<int>(v.columns.size());
      StoredColumn c;
      c.field = &f;
      c.cls = ClassOf(f);
      c.filterable = c.cls != FieldClass::kDecimal && c.cls != FieldClass::kBytes && c.cls != FieldClass::kJson;
      c.ordered = c.filterable && c.cls != FieldClass::kBool && c.cls != FieldClass::kEnum;
      c.text = c.cls == FieldClass::kText;
      v.columns.push_back(c);
    }
    auto columns = [&](const std::vector<schema::KeyPart>& parts, const std::string& given) {
      std::vector<size_t> cols;
      std::string name = given;
      for (const schema::KeyPart& kp : parts) {
        cols.push_back(static_cast<size_t>(v.column_of_field[kp.field.value()]));
        if (given.empty()) name += (name.empty() ? "" : "_") + m.field(kp.field).name;
      }
      v.unique_keys.push_back(cols);
      v.unique_key_names.push_back(name);
    };
    columns(m.primary_key.parts, m.primary_key.name);
    v.pk = v.unique_keys[0];
    for (const schema::UniqueConstraint& u : m.uniques) columns(u.parts, u.name);
    models_.push_back(std::move(v));
  }
}

Link SchemaView::LinkOf(schema::ModelIndex m, const schema::Field& f) const {
  const schema::Relation& r = schema_.relation(f.relation);
  Link l;
  l.target = f.related_model;
  auto columns = [&](schema::ModelIndex mi, const std::vector<schema::FieldIndex>& fields) {
    std::vector<size_t> cols;
    for (schema::FieldIndex fi : fields) cols.push_back(static_cast<size_t>(model(mi).column_of_field[fi.value()]));
    return cols;
  };
  if (r.kind == schema::RelationKind::kManyToMany) {
    const size_t side = IsFromSide(r, m, f) ? 0 : 1;
    const schema::Relation& near = schema_.relation(r.join_keys[side]);
    const schema::Relation& far = schema_.relation(r.join_keys[1 - side]);
    l.kind = Link::Kind::kJoin;
    l.join = near.from.model;
    l.here = columns(m, near.referenced_fields);
    l.join_near = columns(l.join, near.fk_fields);
    l.join_far = columns(l.join, far.fk_fields);
    l.there = columns(l.target, far.referenced_fields);
  } else if (IsFromSide(r, m, f)) {
    l.kind = Link::Kind::kForeignKeyHere;
    l.here = columns(m, r.fk_fields);
    l.there = columns(l.target, r.referenced_fields);
  } else {
    l.kind = Link::Kind::kForeignKeyThere;
    l.here = columns(m, r.referenced_fields);
    l.there = columns(l.target, r.fk_fields);
  }
  return l;
}

std::string SchemaView::EnumName(const StoredColumn& c, const std::string& db_name) const {
  for (const schema::EnumValue& v : schema_.enum_type(c.field->enum_type).values) {
    if (v.db_name == db_name) return v.name;
  }
  return db_name;
}

std::string SchemaView::EnumDbName(const StoredColumn& c, const std::string& name) const {
  for (const schema::EnumValue& v : schema_.enum_type(c.field->enum_type).values) {
    if (v.name == name) return v.db_name;
  }
  return name;
}

// ================================================================ JSON

void WriteValueJson(const SchemaView& sv, const StoredColumn& c, const Cell& v, json::Writer* w) {
  if (v.is_null()) return w->Null();
  switch (c.cls) {
    case FieldClass::kBool: return w->Bool(v.i != 0);
    case FieldClass::kInt:
    case FieldClass::kBigInt: return w->Int(v.i);
    case FieldClass::kFloat: return w->Double(v.d);
    case FieldClass::kDecimal:
    case FieldClass::kText:
    case FieldClass::kUuid: return w->String(v.s);
    case FieldClass::kBytes: return w->String(schema::EncodeBase64(v.s));
    case FieldClass::kDateTime: return w->String(schema::FormatTimestampMicros(v.i));
    case FieldClass::kJson:
      if (json::Parse(v.s).ok()) return w->Raw(v.s);
      return w->String(v.s);
    case FieldClass::kEnum: return w->String(sv.EnumName(c, v.s));
  }
}

// ================================================================ domains

namespace {

// Strings that tie under insensitive mode (ASCII only: "Éclair" and
// "éclair" must not), that trap a LIKE-based reading ('%', '_'), and that
// need escaping in SQL and JSON.
const std::vector<std::string>& TextPool() {
  static const std::vector<std::string> kPool = {"alpha",
                                                 "Alpha",
                                                 "ALPHA",
                                                 "beta",
                                                 "al",
                                                 "",
                                                 "x%_y",
                                                 "O'Brien \"q\"",
                                                 "\xC3\x89"
                                                 "clair",
                                                 "\xC3\xA9"
                                                 "clair",
                                                 "back\\slash",
                                                 "line\nbreak",
                                                 "zeta",
                                                 "Zeta"};
  return kPool;
}

template <typename T>
const T& Pick(const std::vector<T>& v, std::mt19937_64& rng) {
  return v[rng() % v.size()];
}

}  // namespace

std::string RandomUuid(std::mt19937_64& rng) {
  std::string b(16, '\0');
  for (char& c : b) c = static_cast<char>(rng());
  b[6] = static_cast<char>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3F) | 0x80);
  return schema::FormatUuid(b);
}

Cell DomainValue(const SchemaView& sv, const StoredColumn& c, std::mt19937_64& rng) {
  switch (c.cls) {
    case FieldClass::kBool: return Cell::Int(static_cast<int64_t>(rng() % 2));
    case FieldClass::kInt: {
      static const std::vector<int64_t> kInts = {-2, -1, 0, 1, 2, 3, 5, 7, INT32_MIN, INT32_MAX};
      // The extremes rarely: ties matter more.
      return Cell::Int(kInts[rng() % (rng() % 8 == 0 ? kInts.size() : kInts.size() - 2)]);
    }
    case FieldClass::kBigInt: {
      static const std::vector<int64_t> kInts = {
          -5, 0, 1, 3, int64_t{1} << 40, -(int64_t{1} << 40), 9007199254740993, INT64_MAX, INT64_MIN};
      return Cell::Int(Pick(kInts, rng));
    }
    case FieldClass::kFloat: {
      static const std::vector<double> kDoubles = {-2.5, 0, 0.1, 1, 1.5, 3, 1e300, -1e-300, 0.30000000000000004};
      return Cell::Real(Pick(kDoubles, rng));
    }
    case FieldClass::kDecimal: {
      static const std::vector<std::string> kDecimals = {"0", "12.5", "-3.25", "100", "0.01", "99999999.99", "12.50"};
      return Cell::Text(Pick(kDecimals, rng));
    }
    case FieldClass::kText: return Cell::Text(Pick(TextPool(), rng));
    case FieldClass::kUuid: return Cell::Text(RandomUuid(rng));
    case FieldClass::kBytes: {
      std::string b(rng() % 6, '\0');
      for (char& ch : b) ch = static_cast<char>(rng());
      return Cell::Blob(std::move(b));
    }
    case FieldClass::kDateTime: {
      // The epoch and just before it (negative), fractions, the ends of the
      // year range ormDB takes.
      static const std::vector<int64_t> kTimes = {0,
                                                  -1000000,
                                                  1704067200000000,
                                                  1704067200500000,
                                                  1704067200000001,
                                                  1704153600000000,
                                                  253402300799999999,
                                                  -62167219200000000};
      return Cell::Int(Pick(kTimes, rng));
    }
    case FieldClass::kJson: {
      static const std::vector<std::string> kJson = {R"({"a":1})", "[1,2,3]", R"("s")",
                                                     "42",         "{}",      R"({"k":[true,null]})"};
      return Cell::Text(Pick(kJson, rng));
    }
    case FieldClass::kEnum: {
      const auto& values = sv.schema().enum_type(c.field->enum_type).values;
      return Cell::Text(values[rng() % values.size()].db_name);
    }
  }
  return Cell::Null();
}

}  // namespace ormdb::querydiff

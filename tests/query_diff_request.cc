// Requests of the differential test (tests/query_diff.h): the tree's JSON
// form and the random generator, which walks the schema and draws values
// from the rows (so filters match) and from small domains (so they
// sometimes do not).
#include <algorithm>
#include <set>

#include "tests/query_diff.h"

namespace ormdb::querydiff {

// ================================================================ JSON

std::vector<bool> SelectedColumns(const SchemaView& sv, const Level& l) {
  const size_t n = sv.model(l.model).columns.size();
  if (l.shape != Level::Shape::kSelect) return std::vector<bool>(n, true);
  std::vector<bool> out(n, false);
  for (const SelectKey& k : l.keys) {
    if (k.kind == SelectKey::Kind::kScalar && k.value) out[k.index] = true;
  }
  return out;
}

std::vector<CountSpec> CountsInOrder(const SchemaView& sv, const Level& l) {
  if (!l.count_all) return l.counts;
  std::vector<CountSpec> out;
  for (schema::FieldIndex f : sv.model(l.model).relations) {
    if (sv.field(l.model, f).list) out.push_back(CountSpec{f, {}});
  }
  return out;
}

std::vector<const Level*> ChildrenInOrder(const Level& l) {
  std::vector<const Level*> out;
  for (const SelectKey& k : l.keys) {
    if (k.kind == SelectKey::Kind::kChild) out.push_back(&l.children[k.index]);
  }
  return out;
}

namespace {

class RequestWriter {
 public:
  RequestWriter(const SchemaView& sv, std::string* out) : sv_(sv), w_(out) {}

  void Write(const Request& r) {
    static constexpr const char* kOps[] = {"findMany", "findFirst", "findUnique", "count"};
    w_.BeginObject();
    w_.Key(kOps[static_cast<int>(r.op)]);
    w_.String(sv_.model(r.root.model).model->name);
    Args(r.root);
    w_.EndObject();
  }

 private:
  void Where(schema::ModelIndex m, const WhereObject& where) {
    const ModelView& mv = sv_.model(m);
    w_.BeginObject();
    for (const WhereEntry& e : where.entries) {
      switch (e.kind) {
        case WhereEntry::Kind::kField:
          w_.Key(mv.name(e.column));
          Field(mv.column(e.column), e.scalar);
          break;
        case WhereEntry::Kind::kRelation: {
          const schema::Field& f = sv_.field(m, e.relation);
          w_.Key(f.name);
          Relation(f.related_model, e.related);
          break;
        }
        case WhereEntry::Kind::kAnd:
        case WhereEntry::Kind::kOr:
        case WhereEntry::Kind::kNot:
          w_.Key(e.kind == WhereEntry::Kind::kAnd ? "AND" : e.kind == WhereEntry::Kind::kOr ? "OR" : "NOT");
          if (e.group_list) w_.BeginArray();
          for (const WhereObject& g : e.group) Where(m, g);
          if (e.group_list) w_.EndArray();
          break;
        case WhereEntry::Kind::kCompound:
          w_.Key(e.key_name);
          w_.BeginObject();
          for (size_t i = 0; i < e.key.size(); ++i) {
            w_.Key(mv.name(e.key[i]));
            WriteValueJson(sv_, mv.column(e.key[i]), e.key_values[i], &w_);
          }
          w_.EndObject();
          break;
      }
    }
    w_.EndObject();
  }

  void Field(const StoredColumn& c, const FieldFilter& f) {
    if (f.bare) return WriteValueJson(sv_, c, f.bare_value, &w_);
    w_.BeginObject();
    for (const FieldFilter::Op& op : f.ops) {
      w_.Key(op.name);
      if (op.name == "in" || op.name == "notIn") {
        w_.BeginArray();
        for (const Cell& v : op.values) WriteValueJson(sv_, c, v, &w_);
        w_.EndArray();
      } else if (!op.nested.empty()) {
        Field(c, op.nested[0]);
      } else if (op.name == "isNull") {
        w_.Bool(op.values[0].i != 0);
      } else if (op.name == "contains" || op.name == "startsWith" || op.name == "endsWith") {
        w_.String(op.values[0].s);
      } else {
        WriteValueJson(sv_, c, op.values[0], &w_);
      }
    }
    if (f.insensitive) {
      w_.Key("mode");
      w_.String(*f.insensitive ? "insensitive" : "default");
    }
    w_.EndObject();
  }

  void Relation(schema::ModelIndex target, const RelationFilter& r) {
    if (r.bare) {
      if (r.parts[0].inner.empty()) return w_.Null();
      return Where(target, r.parts[0].inner[0]);
    }
    w_.BeginObject();
    for (const RelationFilter::Part& p : r.parts) {
      w_.Key(p.quantifier);
      if (p.inner.empty()) {
        w_.Null();
      } else {
        Where(target, p.inner[0]);
      }
    }
    w_.EndObject();
  }

  // The arguments of a level, into the open object.
  void Args(const Level& l) {
    const ModelView& mv = sv_.model(l.model);
    if (!l.where.empty()) {
      w_.Key("where");
      Where(l.model, l.where[0]);
    }
    if (!l.order_by.empty()) {
      w_.Key("orderBy");
      if (l.order_list) w_.BeginArray();
      for (size_t i = 0; i < l.order_by.size(); ++i) {
        const OrderSpec& o = l.order_by[i];
        if (l.order_list || i == 0) w_.BeginObject();
        w_.Key(mv.name(o.column));
        if (o.nulls_first) {
          w_.BeginObject();
          w_.Key("sort");
          w_.String(o.desc ? "desc" : "asc");
          w_.Key("nulls");
          w_.String(*o.nulls_first ? "first" : "last");
          w_.EndObject();
        } else {
          w_.String(o.desc ? "desc" : "asc");
        }
        if (l.order_list || i + 1 == l.order_by.size()) w_.EndObject();
      }
      if (l.order_list) w_.EndArray();
    }
    if (l.take) {
      w_.Key("take");
      w_.Int(*l.take);
    }
    if (l.skip) {
      w_.Key("skip");
      w_.Int(*l.skip);
    }
    if (l.cursor) {
      w_.Key("cursor");
      w_.BeginObject();
      if (!l.cursor->compound_name.empty()) {
        w_.Key(l.cursor->compound_name);
        w_.BeginObject();
      }
      for (size_t i = 0; i < l.cursor->columns.size(); ++i) {
        w_.Key(mv.name(l.cursor->columns[i]));
        WriteValueJson(sv_, mv.column(l.cursor->columns[i]), l.cursor->values[i], &w_);
      }
      if (!l.cursor->compound_name.empty()) w_.EndObject();
      w_.EndObject();
    }
    if (!l.distinct.empty()) {
      w_.Key("distinct");
      if (l.distinct.size() == 1) {
        w_.String(mv.name(l.distinct[0]));
      } else {
        w_.BeginArray();
        for (size_t c : l.distinct) w_.String(mv.name(c));
        w_.EndArray();
      }
    }
    if (l.shape != Level::Shape::kSelect && l.shape != Level::Shape::kInclude) return;
    w_.Key(l.shape == Level::Shape::kSelect ? "select" : "include");
    w_.BeginObject();
    for (const SelectKey& k : l.keys) {
      switch (k.kind) {
        case SelectKey::Kind::kScalar:
          w_.Key(mv.name(k.index));
          w_.Bool(k.value);
          break;
        case SelectKey::Kind::kCount:
          w_.Key("_count");
          if (l.count_all) {
            w_.Bool(true);
            break;
          }
          w_.BeginObject();
          w_.Key("select");
          w_.BeginObject();
          for (const CountSpec& c : l.counts) {
            const schema::Field& f = sv_.field(l.model, c.field);
            w_.Key(f.name);
            if (c.where.empty()) {
              w_.Bool(true);
            } else {
              w_.BeginObject();
              w_.Key("where");
              Where(f.related_model, c.where[0]);
              w_.EndObject();
            }
          }
          w_.EndObject();
          w_.EndObject();
          break;
        case SelectKey::Kind::kChild: {
          const Level& child = l.children[k.index];
          w_.Key(sv_.field(l.model, child.via).name);
          if (child.shape == Level::Shape::kTrue) {
            w_.Bool(true);
          } else {
            w_.BeginObject();
            Args(child);
            w_.EndObject();
          }
          break;
        }
      }
    }
    w_.EndObject();
  }

  const SchemaView& sv_;
  json::Writer w_;
};

}  // namespace

std::string RequestJson(const SchemaView& sv, const Request& r) {
  std::string out;
  RequestWriter(sv, &out).Write(r);
  return out;
}

// ================================================================ generator

namespace {

const std::vector<std::string>& NeedlePool() {
  static const std::vector<std::string> kPool = {"",   "a",        "A",        "al",    "ALP",  "ha", "%",  "_", "'",
                                                 "\"", "\xC3\x89", "\xC3\xA9", "clair", "ZETA", "e",  "\\", "zz"};
  return kPool;
}

template <typename T>
const T& Pick(const std::vector<T>& v, std::mt19937_64& rng) {
  return v[rng() % v.size()];
}

}  // namespace

RequestGenerator::RequestGenerator(const SchemaView& sv, const Dataset& data, std::mt19937_64* rng)
    : sv_(sv), data_(data), rng_(rng) {}

Request RequestGenerator::Next() {
  std::vector<schema::ModelIndex> models;
  for (const schema::Model& m : sv_.schema().models) {
    if (!m.join_of) models.push_back(m.index);
  }
  Request r;
  const double x = std::uniform_real_distribution<double>(0, 1)(*rng_);
  r.op = x < 0.55   ? Operation::kFindMany
         : x < 0.7  ? Operation::kFindFirst
         : x < 0.85 ? Operation::kFindUnique
                    : Operation::kCount;
  r.root = GenLevel(models[Uniform(models.size())], 0, true, r.op, nullptr);
  return r;
}

Level RequestGenerator::GenLevel(schema::ModelIndex m, int depth, bool root, Operation op, const schema::Field* via) {
  const ModelView& mv = sv_.model(m);
  Level l;
  l.model = m;
  l.column_count = mv.columns.size();
  if (via != nullptr) l.via = via->index;
  const bool list = root ? op != Operation::kFindUnique : via->list;

  // The shape first: a child written `true` takes no arguments.
  if (op == Operation::kCount) {
    l.shape = Level::Shape::kAll;
  } else {
    const double x = std::uniform_real_distribution<double>(0, 1)(*rng_);
    if (root) {
      l.shape = x < 0.25 ? Level::Shape::kAll : x < 0.65 ? Level::Shape::kSelect : Level::Shape::kInclude;
    } else {
      l.shape = x < 0.15   ? Level::Shape::kTrue
                : x < 0.3  ? Level::Shape::kAll
                : x < 0.65 ? Level::Shape::kSelect
                           : Level::Shape::kInclude;
    }
  }
  std::vector<size_t> filterable;
  for (size_t c = 0; c < mv.columns.size(); ++c) {
    if (mv.column(c).filterable) filterable.push_back(c);
  }
  if (root && op == Operation::kFindUnique) {
    l.where.push_back(GenUniqueWhere(m));
  } else if (list && l.shape != Level::Shape::kTrue) {
    if (Chance(0.55)) l.where.push_back(GenWhere(m, 2));
    if (Chance(0.5) && !filterable.empty()) {
      std::vector<size_t> cols = filterable;
      std::shuffle(cols.begin(), cols.end(), *rng_);
      const size_t n = std::min(cols.size(), size_t{1} + (Chance(0.35) ? 1 : 0));
      for (size_t i = 0; i < n; ++i) {
        OrderSpec o;
        o.column = cols[i];
        o.desc = Chance(0.5);
        if (Chance(0.15)) o.nulls_first = Chance(0.5);
        l.order_by.push_back(o);
      }
      l.order_list = n > 1 ? Chance(0.7) : Chance(0.3);
    }
    if (Chance(0.4)) l.take = static_cast<int64_t>(Uniform(9)) - 3;
    if (Chance(0.25)) l.skip = static_cast<int64_t>(Uniform(4));
    // The ends of the range the parser takes.
    static const std::vector<int64_t> kExtremes = {INT64_MAX, INT64_MIN, INT64_MIN + 1, INT32_MAX};
    if (Chance(0.01)) l.take = kExtremes[Uniform(kExtremes.size())];
    if (Chance(0.01)) l.skip = Chance(0.5) ? INT64_MAX : int64_t{1} << 62;
    if (Chance(0.25)) ShapeByIndex(&l);
    if (Chance(0.12)) l.cursor = GenCursor(m);
    if (Chance(0.12) && !filterable.empty()) {
      std::vector<size_t> cols = filterable;
      std::shuffle(cols.begin(), cols.end(), *rng_);
      l.distinct.assign(cols.begin(),
                        cols.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(cols.size(), 1 + Uniform(2))));
    }
  }
  if (l.shape != Level::Shape::kSelect && l.shape != Level::Shape::kInclude) return l;

  if (l.shape == Level::Shape::kSelect) {
    for (size_t c = 0; c < mv.columns.size(); ++c) {
      if (Chance(0.45)) {
        l.keys.push_back(SelectKey{SelectKey::Kind::kScalar, c, true});
      } else if (Chance(0.05)) {
        l.keys.push_back(SelectKey{SelectKey::Kind::kScalar, c, false});
      }
    }
  }
  if (depth < 3) {
    std::vector<schema::FieldIndex> rels = mv.relations;
    std::shuffle(rels.begin(), rels.end(), *rng_);
    for (schema::FieldIndex f : rels) {
      if (l.children.size() >= 3 || !Chance(0.4 / (1 + depth))) continue;
      const schema::Field& fd = sv_.field(m, f);
      l.keys.push_back(SelectKey{SelectKey::Kind::kChild, l.children.size(), true});
      l.children.push_back(GenLevel(fd.related_model, depth + 1, false, op, &fd));
    }
  }
  std::vector<schema::FieldIndex> lists;
  for (schema::FieldIndex f : mv.relations) {
    if (sv_.field(m, f).list) lists.push_back(f);
  }
  if (!lists.empty() && Chance(0.2)) {
    if (Chance(0.3)) {
      l.count_all = true;
    } else {
      std::shuffle(lists.begin(), lists.end(), *rng_);
      const size_t n = std::min(lists.size(), size_t{1} + Uniform(2));
      for (size_t i = 0; i < n; ++i) {
        CountSpec c{lists[i], {}};
        if (Chance(0.4)) c.where.push_back(GenWhere(sv_.field(m, lists[i]).related_model, 1));
        l.counts.push_back(std::move(c));
      }
    }
    l.keys.push_back(SelectKey{SelectKey::Kind::kCount, 0, true});
  }
  // Output order is declaration order for fields, request order for the
  // rest: write the keys in any order.
  if (Chance(0.5)) std::shuffle(l.keys.begin(), l.keys.end(), *rng_);
  return l;
}

void RequestGenerator::ShapeByIndex(Level* l) {
  const ModelView& mv = sv_.model(l->model);
  const schema::Model& model = *mv.model;
  // The primary key, unique keys and indexes, as (column, descending).
  std::vector<std::vector<std::pair<size_t, bool>>> indexes;
  auto add = [&](const std::vector<schema::KeyPart>& parts) {
    std::vector<std::pair<size_t, bool>> ix;
    for (const schema::KeyPart& kp : parts) {
      const size_t c = static_cast<size_t>(mv.column_of_field[kp.field.value()]);
      if (!mv.column(c).filterable) break;
      ix.emplace_back(c, kp.sort == schema::SortOrder::kDesc);
    }
    if (!ix.empty()) indexes.push_back(std::move(ix));
  };
  add(model.primary_key.parts);
  for (const schema::UniqueConstraint& u : model.uniques) add(u.parts);
  for (const schema::Index& ix : model.indexes) add(ix.parts);
  if (indexes.empty()) return;
  const std::vector<std::pair<size_t, bool>>& ix = indexes[Uniform(indexes.size())];
  const std::vector<Row>& rows = data_.rows[l->model.value()];
  const Row* row = rows.empty() ? nullptr : &rows[Uniform(rows.size())];
  auto value = [&](size_t c) {
    if (row != nullptr && !(*row)[c].is_null() && Chance(0.8)) return (*row)[c];
    return PickValue(l->model, c, false);
  };
  // Equalities (or in-lists) on a prefix, a range on the next column, the
  // order of the rest forward or backward, and a take to stop early at.
  WhereObject w;
  const size_t eq = Uniform(ix.size() + 1);
  for (size_t i = 0; i < eq; ++i) {
    WhereEntry e;
    e.kind = WhereEntry::Kind::kField;
    e.column = ix[i].first;
    if (Chance(0.2)) {
      FieldFilter::Op in{"in", {value(e.column)}, {}};
      if (Chance(0.5)) in.values.push_back(PickValue(l->model, e.column, false));
      e.scalar.ops.push_back(std::move(in));
    } else {
      e.scalar.bare = true;
      e.scalar.bare_value = value(e.column);
    }
    w.entries.push_back(std::move(e));
  }
  size_t next = eq;
  if (next < ix.size() && mv.column(ix[next].first).ordered && Chance(0.5)) {
    WhereEntry e;
    e.kind = WhereEntry::Kind::kField;
    e.column = ix[next].first;
    static const std::vector<std::string> kLower = {"gt", "gte"}, kUpper = {"lt", "lte"};
    if (Chance(0.7)) e.scalar.ops.push_back(FieldFilter::Op{kLower[Uniform(2)], {value(e.column)}, {}});
    if (e.scalar.ops.empty() || Chance(0.4)) {
      e.scalar.ops.push_back(FieldFilter::Op{kUpper[Uniform(2)], {value(e.column)}, {}});
    }
    w.entries.push_back(std::move(e));
    if (Chance(0.5)) ++next;  // order by the ranged column too, or not
  }
  l->where.clear();
  l->where.push_back(std::move(w));
  const bool flip = Chance(0.5);
  l->order_by.clear();
  for (size_t i = next; i < ix.size() && l->order_by.size() < 2; ++i) {
    OrderSpec o;
    o.column = ix[i].first;
    o.desc = ix[i].second != flip;
    if (Chance(0.1)) o.nulls_first = Chance(0.5);
    l->order_by.push_back(o);
  }
  l->order_list = Chance(0.5);
  if (Chance(0.7)) l->take = static_cast<int64_t>(Uniform(5)) + 1;
  if (Chance(0.15)) l->take = -static_cast<int64_t>(Uniform(3)) - 1;
}

WhereObject RequestGenerator::GenWhere(schema::ModelIndex m, int depth) {
  const ModelView& mv = sv_.model(m);
  std::vector<size_t> filterable;
  for (size_t c = 0; c < mv.columns.size(); ++c) {
    if (mv.column(c).filterable) filterable.push_back(c);
  }
  WhereObject w;
  const size_t n = Chance(0.1) ? 0 : 1 + (Chance(0.35) ? 1 : 0) + (Chance(0.1) ? 1 : 0);
  std::set<std::string> used;  // keys of the object
  for (size_t i = 0; i < n; ++i) {
    const double x = std::uniform_real_distribution<double>(0, 1)(*rng_);
    WhereEntry e;
    if (depth > 0 && x < 0.15) {
      static constexpr WhereEntry::Kind kKinds[] = {WhereEntry::Kind::kAnd, WhereEntry::Kind::kOr,
                                                    WhereEntry::Kind::kNot};
      static constexpr const char* kNames[] = {"AND", "OR", "NOT"};
      const size_t k = Uniform(3);
      if (!used.insert(kNames[k]).second) continue;
      e.kind = kKinds[k];
      e.group_list = Chance(0.7);
      const size_t members = e.group_list ? Uniform(4) : 1;
      for (size_t j = 0; j < members; ++j) e.group.push_back(GenWhere(m, depth - 1));
    } else if (depth > 0 && x < 0.4 && !mv.relations.empty()) {
      const schema::FieldIndex f = mv.relations[Uniform(mv.relations.size())];
      const schema::Field& fd = sv_.field(m, f);
      if (!used.insert(fd.name).second) continue;
      e.kind = WhereEntry::Kind::kRelation;
      e.relation = f;
      e.related = GenRelationFilter(m, fd, depth);
    } else {
      if (filterable.empty()) continue;
      const size_t c = filterable[Uniform(filterable.size())];
      if (!used.insert(mv.name(c)).second) continue;
      e.kind = WhereEntry::Kind::kField;
      e.column = c;
      e.scalar = GenFieldFilter(m, c, true);
    }
    w.entries.push_back(std::move(e));
  }
  return w;
}

FieldFilter RequestGenerator::GenFieldFilter(schema::ModelIndex m, size_t column, bool allow_bare) {
  const StoredColumn& c = sv_.model(m).column(column);
  FieldFilter f;
  if (allow_bare && Chance(0.25)) {
    f.bare = true;
    f.bare_value = PickValue(m, column, true);
    return f;
  }
  std::vector<std::string> names = {"equals", "not", "in", "notIn", "isNull"};
  if (c.ordered) names.insert(names.end(), {"lt", "lte", "gt", "gte"});
  if (c.text) names.insert(names.end(), {"contains", "startsWith", "endsWith", "contains", "startsWith", "endsWith"});
  std::shuffle(names.begin(), names.end(), *rng_);
  const size_t n = 1 + (Chance(0.2) ? 1 : 0) + (Chance(0.05) ? 1 : 0);
  std::set<std::string> used;
  for (const std::string& name : names) {
    if (used.size() == n) break;
    if (!used.insert(name).second) continue;
    FieldFilter::Op op;
    op.name = name;
    if (name == "equals") {
      op.values.push_back(Chance(0.12) ? Cell::Null() : PickValue(m, column, false));
    } else if (name == "not") {
      const double x = std::uniform_real_distribution<double>(0, 1)(*rng_);
      if (x < 0.15) {
        op.values.push_back(Cell::Null());
      } else if (x < 0.4 && allow_bare) {
        op.nested.push_back(GenFieldFilter(m, column, false));
      } else {
        op.values.push_back(PickValue(m, column, false));
      }
    } else if (name == "in" || name == "notIn") {
      const size_t k = Uniform(4);
      for (size_t i = 0; i < k; ++i) op.values.push_back(PickValue(m, column, false));
    } else if (name == "isNull") {
      op.values.push_back(Cell::Int(Chance(0.5) ? 1 : 0));
    } else if (name == "contains" || name == "startsWith" || name == "endsWith") {
      op.values.push_back(Cell::Text(PickNeedle(m, column)));
    } else {
      op.values.push_back(PickValue(m, column, false));
    }
    f.ops.push_back(std::move(op));
  }
  if (c.text && Chance(0.35)) f.insensitive = Chance(0.85);
  return f;
}

RelationFilter RequestGenerator::GenRelationFilter(schema::ModelIndex m, const schema::Field& f, int depth) {
  (void)m;
  RelationFilter r;
  auto inner = [&]() {
    std::vector<WhereObject> w;
    w.push_back(GenWhere(f.related_model, depth - 1));
    return w;
  };
  if (f.list) {
    std::vector<std::string> q = {"some", "every", "none"};
    std::shuffle(q.begin(), q.end(), *rng_);
    const size_t n = 1 + (Chance(0.25) ? 1 : 0);
    for (size_t i = 0; i < n; ++i) r.parts.push_back(RelationFilter::Part{q[i], inner()});
    return r;
  }
  const double x = std::uniform_real_distribution<double>(0, 1)(*rng_);
  if (x < 0.3) {
    r.bare = true;
    r.parts.push_back(RelationFilter::Part{"is", inner()});
  } else if (x < 0.4) {
    r.bare = true;
    r.parts.push_back(RelationFilter::Part{"is", {}});
  } else {
    std::vector<std::string> q = {"is", "isNot"};
    std::shuffle(q.begin(), q.end(), *rng_);
    const size_t n = 1 + (Chance(0.25) ? 1 : 0);
    for (size_t i = 0; i < n; ++i) {
      r.parts.push_back(RelationFilter::Part{q[i], Chance(0.25) ? std::vector<WhereObject>{} : inner()});
    }
  }
  return r;
}

WhereObject RequestGenerator::GenUniqueWhere(schema::ModelIndex m) {
  const ModelView& mv = sv_.model(m);
  const size_t k = Chance(0.6) ? 0 : Uniform(mv.unique_keys.size());
  const std::vector<size_t>& key = mv.unique_keys[k];
  std::vector<Cell> values;
  const std::vector<Row>& rows = data_.rows[m.value()];
  if (!rows.empty() && Chance(0.85)) {
    const Row& row = rows[Uniform(rows.size())];
    for (size_t c : key) values.push_back(row[c]);
  }
  if (values.empty() || AnyNull(values)) {
    values.clear();
    for (size_t c : key) values.push_back(DomainValue(sv_, mv.column(c), *rng_));
  }
  WhereObject w;
  if (key.size() > 1 && Chance(0.6)) {
    WhereEntry e;
    e.kind = WhereEntry::Kind::kCompound;
    e.key_name = mv.unique_key_names[k];
    e.key = key;
    e.key_values = values;
    w.entries.push_back(std::move(e));
  } else {
    for (size_t i = 0; i < key.size(); ++i) {
      WhereEntry e;
      e.kind = WhereEntry::Kind::kField;
      e.column = key[i];
      if (Chance(0.6)) {
        e.scalar.bare = true;
        e.scalar.bare_value = values[i];
      } else {
        e.scalar.ops.push_back(FieldFilter::Op{"equals", {values[i]}, {}});
      }
      w.entries.push_back(std::move(e));
    }
  }
  // Prisma's extended unique where: more conditions beside the key.
  if (Chance(0.3)) {
    WhereObject extra = GenWhere(m, 1);
    for (WhereEntry& e : extra.entries) {
      const bool clash = e.kind == WhereEntry::Kind::kField && std::find(key.begin(), key.end(), e.column) != key.end();
      if (!clash) w.entries.push_back(std::move(e));
    }
  }
  return w;
}

Cursor RequestGenerator::GenCursor(schema::ModelIndex m) {
  const ModelView& mv = sv_.model(m);
  Cursor c;
  c.columns = mv.pk;
  const std::vector<Row>& rows = data_.rows[m.value()];
  if (!rows.empty() && Chance(0.85)) {
    const Row& row = rows[Uniform(rows.size())];
    for (size_t col : mv.pk) c.values.push_back(row[col]);
  } else {
    for (size_t col : mv.pk) c.values.push_back(DomainValue(sv_, mv.column(col), *rng_));
  }
  if (mv.pk.size() > 1 && Chance(0.6)) c.compound_name = mv.unique_key_names[0];
  return c;
}

Cell RequestGenerator::PickValue(schema::ModelIndex m, size_t column, bool allow_null) {
  const std::vector<Row>& rows = data_.rows[m.value()];
  if (!rows.empty() && Chance(0.65)) {
    const Cell& v = rows[Uniform(rows.size())][column];
    if (!v.is_null() || allow_null) return v;
  }
  return DomainValue(sv_, sv_.model(m).column(column), *rng_);
}

std::string RequestGenerator::PickNeedle(schema::ModelIndex m, size_t column) {
  const std::vector<Row>& rows = data_.rows[m.value()];
  if (rows.empty() || Chance(0.5)) return Pick(NeedlePool(), *rng_);
  const Cell& v = rows[Uniform(rows.size())][column];
  if (v.is_null()) return Pick(NeedlePool(), *rng_);
  // A piece of a stored value, cut between UTF-8 characters.
  auto boundary = [&](size_t i) { return i >= v.s.size() || (static_cast<uint8_t>(v.s[i]) & 0xC0) != 0x80; };
  size_t a = Uniform(v.s.size() + 1), b = Uniform(v.s.size() + 1);
  if (a > b) std::swap(a, b);
  while (!boundary(a)) ++a;
  while (!boundary(b)) ++b;
  return v.s.substr(a, std::max(a, b) - a);
}

}  // namespace ormdb::querydiff

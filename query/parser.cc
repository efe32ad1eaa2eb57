// Reads the JSON text form of a request against a schema (docs/query.md).
// The reader walks the argument object once, binding names to positions and
// converting every value to its field's storage type; whatever it rejects is
// reported with its path in the request.
#include "query/parser.h"

#include <algorithm>
#include <map>
#include <set>

#include "query/parse_util.h"
#include "query/storage.h"
#include "schema/literal.h"

namespace ormdb::query {

using json::Value;
namespace sv = schema;
using namespace parse;

namespace {

class Parser {
 public:
  Parser(const sv::Schema& schema, const ParseLimits& limits) : schema_(schema), limits_(limits) {}

  Result<Request> Parse(const Value& v) {
    if (v.kind() != Value::Kind::kObject) return Error("", "a request is a JSON object, got " + Got(v));
    Request req;
    std::optional<std::string> op_key;
    for (const auto& [key, val] : v.members()) {
      // The operation is the key whose value names a model: upsert's
      // "create" and "update" arguments are objects.
      std::optional<Operation> op = OperationFromName(key);
      if (op && val.kind() == Value::Kind::kString) {
        if (op_key) return Error(key, "a request names one operation, and this one also names " + *op_key);
        op_key = key;
        req.op = *op;
        const sv::Model* m = schema_.FindModel(val.string_value());
        if (m == nullptr || m->join_of) return Error(key, "unknown model \"" + val.string_value() + "\"");
        req.selection.model = m->index;
      }
    }
    if (!op_key) {
      return Error("", "no operation: expected one of findUnique, findFirst, findMany, count, aggregate, groupBy, "
                       "create, createMany, update, updateMany, upsert, delete, deleteMany");
    }
    const sv::Model& m = schema_.model(req.selection.model);
    Selection& sel = req.selection;
    AllColumns(m, &sel.columns);
    const Value* where = v.Find("where");
    const Value* select = v.Find("select");
    const Value* include = v.Find("include");
    if (select != nullptr && include != nullptr) return Error("select", "use either select or include, not both");

    // The arguments each operation takes.
    std::set<std::string_view> allowed = {"explain"};
    auto allow = [&](std::initializer_list<std::string_view> keys) { allowed.insert(keys.begin(), keys.end()); };
    switch (req.op) {
      case Operation::kFindUnique: allow({"where", "select", "include"}); break;
      case Operation::kFindFirst:
      case Operation::kFindMany:
        allow({"where", "orderBy", "take", "skip", "cursor", "select", "include", "distinct"});
        break;
      case Operation::kCount: allow({"where", "orderBy", "take", "skip", "cursor", "distinct"}); break;
      case Operation::kAggregate:
        allow({"where", "orderBy", "take", "skip", "cursor", "_count", "_sum", "_avg", "_min", "_max"});
        break;
      case Operation::kGroupBy:
        allow({"by", "where", "orderBy", "take", "skip", "_count", "_sum", "_avg", "_min", "_max", "having"});
        break;
      case Operation::kCreate: allow({"data", "select", "include"}); break;
      case Operation::kCreateMany: allow({"data", "skipDuplicates"}); break;
      case Operation::kUpdate: allow({"where", "data", "select", "include"}); break;
      case Operation::kUpdateMany: allow({"where", "data"}); break;
      case Operation::kUpsert: allow({"where", "create", "update", "select", "include"}); break;
      case Operation::kDelete: allow({"where", "select", "include"}); break;
      case Operation::kDeleteMany: allow({"where"}); break;
    }
    for (const auto& [key, val] : v.members()) {
      if (key == *op_key) continue;
      if (!allowed.count(key)) {
        std::string list;
        for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        return Error(key, "unknown argument for " + *op_key + " (it takes " + list + ")");
      }
    }
    if (const Value* e = v.Find("explain")) {
      if (e->kind() != Value::Kind::kBool) return Error("explain", "expected a boolean, got " + Got(*e));
      req.explain = e->bool_value();
    }
    if (where != nullptr) {
      ASSIGN_OR_RETURN(sel.where, ParseWhere(m, *where, "where", 0));
    }
    const bool unique_op = req.op == Operation::kFindUnique || req.op == Operation::kUpdate ||
                           req.op == Operation::kUpsert || req.op == Operation::kDelete;
    if (unique_op) {
      if (where == nullptr) return Error("", std::string(*op_key) + " needs a where naming a unique key");
      RETURN_IF_ERROR(CheckUniqueWhere(m, sel.where, "where"));
    }
    RETURN_IF_ERROR(ParsePaging(m, v, "", &sel));
    if (select != nullptr) RETURN_IF_ERROR(ParseSelect(m, *select, "select", 0, &sel));
    if (include != nullptr) RETURN_IF_ERROR(ParseInclude(m, *include, "include", 0, &sel));

    switch (req.op) {
      case Operation::kAggregate:
      case Operation::kGroupBy:
        RETURN_IF_ERROR(ParseAggregates(m, v, &req));
        break;
      case Operation::kCreate: {
        const Value* data = v.Find("data");
        if (data == nullptr) return Error("", "create needs data");
        ASSIGN_OR_RETURN(CreateData d, ParseCreate(m, *data, "data", 0));
        req.create.push_back(std::move(d));
        break;
      }
      case Operation::kCreateMany: {
        const Value* data = v.Find("data");
        if (data == nullptr) return Error("", "createMany needs data");
        std::vector<const Value*> rows = OneOrList(*data);
        if (rows.size() > limits_.max_list_values) {
          return Error("data", "createMany of " + std::to_string(rows.size()) + " rows (at most " +
                                   std::to_string(limits_.max_list_values) + " per request)");
        }
        for (size_t i = 0; i < rows.size(); ++i) {
          const std::string p = data->kind() == Value::Kind::kArray ? At("data", i) : "data";
          ASSIGN_OR_RETURN(CreateData d, ParseCreate(m, *rows[i], p, 0));
          if (!d.nested.empty()) return Error(p, "createMany takes no nested writes (use create)");
          req.create.push_back(std::move(d));
        }
        if (const Value* sd = v.Find("skipDuplicates")) {
          if (sd->kind() != Value::Kind::kBool) return Error("skipDuplicates", "expected a boolean, got " + Got(*sd));
          req.skip_duplicates = sd->bool_value();
        }
        break;
      }
      case Operation::kUpdate:
      case Operation::kUpdateMany: {
        const Value* data = v.Find("data");
        if (data == nullptr) return Error("", std::string(*op_key) + " needs data");
        ASSIGN_OR_RETURN(req.update, ParseUpdate(m, *data, "data",
                                                 req.op == Operation::kUpdate ? &req.update_nested : nullptr));
        break;
      }
      case Operation::kUpsert: {
        const Value* create = v.Find("create");
        const Value* update = v.Find("update");
        if (create == nullptr || update == nullptr) return Error("", "upsert needs create and update");
        ASSIGN_OR_RETURN(CreateData d, ParseCreate(m, *create, "create", 0));
        req.create.push_back(std::move(d));
        ASSIGN_OR_RETURN(req.update, ParseUpdate(m, *update, "update", &req.update_nested));
        break;
      }
      default:
        break;
    }
    return req;
  }

 private:
  // ------------------------------------------------------------ fields

  void AllColumns(const sv::Model& m, std::vector<size_t>* columns) {
    columns->clear();
    size_t n = StoredFields(m).size();
    for (size_t i = 0; i < n; ++i) columns->push_back(i);
  }

  size_t ColumnOf(const sv::Model& m, const sv::Field& f) {
    return static_cast<size_t>(ColumnOfField(m)[f.index.value()]);
  }

  Result<const sv::Field*> FindField(const sv::Model& m, std::string_view name, const std::string& path) {
    const sv::Field* f = m.FindField(name);
    if (f == nullptr) return Error(path, "model " + m.name + " has no field \"" + std::string(name) + "\"");
    return f;
  }

  Result<const sv::Field*> ScalarField(const sv::Model& m, std::string_view name, const std::string& path) {
    ASSIGN_OR_RETURN(const sv::Field* f, FindField(m, name, path));
    if (f->is_relation()) return Error(path, m.name + "." + f->name + " is a relation, not a scalar field");
    return f;
  }

  const sv::Relation& RelationOf(const sv::Field& f) { return schema_.relation(f.relation); }

  // ------------------------------------------------------------ filters

  Result<Filter> ParseWhere(const sv::Model& m, const Value& v, const std::string& path, int depth) {
    if (depth > limits_.max_filter_depth) {
      return Error(path, "filters nest deeper than " + std::to_string(limits_.max_filter_depth));
    }
    if (v.kind() != Value::Kind::kObject) return Error(path, "expected a filter object, got " + Got(v));
    Filter f;
    f.kind = Filter::Kind::kAnd;
    for (const auto& [key, val] : v.members()) {
      const std::string p = Join(path, key);
      if (key == "AND" || key == "OR" || key == "NOT") {
        Filter group;
        group.kind = key == "AND" ? Filter::Kind::kAnd : key == "OR" ? Filter::Kind::kOr : Filter::Kind::kNot;
        if (val.kind() == Value::Kind::kArray) {
          for (size_t i = 0; i < val.items().size(); ++i) {
            ASSIGN_OR_RETURN(Filter c, ParseWhere(m, val.items()[i], At(p, i), depth + 1));
            group.children.push_back(std::move(c));
          }
        } else {
          ASSIGN_OR_RETURN(Filter c, ParseWhere(m, val, p, depth + 1));
          group.children.push_back(std::move(c));
        }
        f.children.push_back(std::move(group));
        continue;
      }
      // A compound unique key written as Prisma does: {"a_b": {"a": 1, "b": 2}}.
      if (const std::vector<size_t>* cols = CompoundUnique(m, key)) {
        if (val.kind() != Value::Kind::kObject) return Error(p, "expected an object of the key's fields, got " + Got(val));
        std::vector<sv::FieldIndex> fields = StoredFields(m);
        for (size_t c : *cols) {
          const sv::Field& fd = m.field(fields[c]);
          const Value* part = val.Find(fd.name);
          if (part == nullptr) return Error(p, "missing " + fd.name);
          ASSIGN_OR_RETURN(sv::Value x, ParseValue(fd, *part, Join(p, fd.name)));
          f.children.push_back(Compare(c, CompareOp::kEquals, {std::move(x)}));
        }
        for (const auto& [k2, v2] : val.members()) {
          const sv::Field* fd = m.FindField(k2);
          if (fd == nullptr || std::find(cols->begin(), cols->end(), ColumnOf(m, *fd)) == cols->end()) {
            return Error(Join(p, k2), "not a field of the key " + key);
          }
        }
        continue;
      }
      ASSIGN_OR_RETURN(const sv::Field* fd, FindField(m, key, p));
      if (fd->is_relation()) {
        ASSIGN_OR_RETURN(Filter rf, ParseRelationFilter(m, *fd, val, p, depth));
        f.children.push_back(std::move(rf));
      } else {
        ASSIGN_OR_RETURN(Filter sf, ParseFieldFilter(*fd, ColumnOf(m, *fd), val, p, depth));
        f.children.push_back(std::move(sf));
      }
    }
    if (f.children.empty()) f.kind = Filter::Kind::kTrue;
    return f;
  }

  static Filter Compare(size_t column, CompareOp op, std::vector<sv::Value> values, bool insensitive = false) {
    Filter f;
    f.kind = Filter::Kind::kCompare;
    f.column = column;
    f.op = op;
    f.values = std::move(values);
    f.insensitive = insensitive;
    return f;
  }

  Result<Filter> ParseFieldFilter(const sv::Field& fd, size_t column, const Value& v, const std::string& path,
                                  int depth) {
    if (depth > limits_.max_filter_depth) {
      return Error(path, "filters nest deeper than " + std::to_string(limits_.max_filter_depth));
    }
    if (v.kind() != Value::Kind::kObject || fd.scalar == sv::ScalarType::kJson) {
      // A bare value means equals (null: is null). A Json field's object is its value.
      if (v.is_null()) return Compare(column, CompareOp::kIsNull, {sv::Value::Bool(true)});
      if (v.kind() == Value::Kind::kObject && v.Find("equals") != nullptr && v.members().size() == 1) {
        return ParseFieldFilter(fd, column, *v.Find("equals"), Join(path, "equals"), depth);
      }
      ASSIGN_OR_RETURN(sv::Value x, ParseValue(fd, v, path));
      return Compare(column, CompareOp::kEquals, {std::move(x)});
    }
    bool insensitive = false;
    if (const Value* mode = v.Find("mode")) {
      if (mode->kind() != Value::Kind::kString ||
          (mode->string_value() != "insensitive" && mode->string_value() != "default")) {
        return Error(Join(path, "mode"), "expected \"default\" or \"insensitive\", got " + Got(*mode));
      }
      insensitive = mode->string_value() == "insensitive";
      if (insensitive && !(fd.kind == sv::FieldKind::kScalar && fd.scalar == sv::ScalarType::kString && !fd.uuid_bytes)) {
        return Error(Join(path, "mode"), "insensitive mode applies to String fields, and " + fd.name + " is " +
                                             TypeNameOf(schema_, fd));
      }
    }
    Filter all;
    all.kind = Filter::Kind::kAnd;
    const bool text = fd.kind == sv::FieldKind::kScalar && fd.scalar == sv::ScalarType::kString && !fd.uuid_bytes;
    const bool ordered = fd.kind == sv::FieldKind::kScalar && fd.scalar != sv::ScalarType::kBoolean;
    for (const auto& [key, val] : v.members()) {
      const std::string p = Join(path, key);
      if (key == "mode") continue;
      if (key == "equals") {
        ASSIGN_OR_RETURN(Filter e, ParseFieldFilter(fd, column, val, p, depth + 1));
        if (e.kind == Filter::Kind::kCompare) e.insensitive = insensitive;
        all.children.push_back(std::move(e));
      } else if (key == "not") {
        Filter n;
        n.kind = Filter::Kind::kNot;
        if (val.is_null()) {
          n.children.push_back(Compare(column, CompareOp::kIsNull, {sv::Value::Bool(true)}));
        } else if (val.kind() == Value::Kind::kObject) {
          ASSIGN_OR_RETURN(Filter inner, ParseFieldFilter(fd, column, val, p, depth + 1));
          n.children.push_back(std::move(inner));
        } else {
          ASSIGN_OR_RETURN(sv::Value x, ParseValue(fd, val, p));
          n.children.push_back(Compare(column, CompareOp::kEquals, {std::move(x)}, insensitive));
        }
        all.children.push_back(std::move(n));
      } else if (key == "in" || key == "notIn") {
        if (val.kind() != Value::Kind::kArray) return Error(p, "expected a list, got " + Got(val));
        if (val.items().size() > limits_.max_list_values) {
          return Error(p, "a list of " + std::to_string(val.items().size()) + " values (at most " +
                              std::to_string(limits_.max_list_values) + ")");
        }
        std::vector<sv::Value> xs;
        for (size_t i = 0; i < val.items().size(); ++i) {
          ASSIGN_OR_RETURN(sv::Value x, ParseValue(fd, val.items()[i], At(p, i)));
          if (x.is_null()) return Error(At(p, i), "a list of in/notIn holds no null (use equals: null)");
          xs.push_back(std::move(x));
        }
        all.children.push_back(Compare(column, key == "in" ? CompareOp::kIn : CompareOp::kNotIn, std::move(xs),
                                       insensitive));
      } else if (key == "lt" || key == "lte" || key == "gt" || key == "gte") {
        if (!ordered) return Error(p, key + " needs an ordered field, and " + fd.name + " is " + TypeNameOf(schema_, fd));
        if (val.is_null()) return Error(p, "expected " + TypeNameOf(schema_, fd) + ", got null");
        ASSIGN_OR_RETURN(sv::Value x, ParseValue(fd, val, p));
        CompareOp op = key == "lt" ? CompareOp::kLt : key == "lte" ? CompareOp::kLte
                     : key == "gt" ? CompareOp::kGt : CompareOp::kGte;
        all.children.push_back(Compare(column, op, {std::move(x)}, insensitive));
      } else if (key == "contains" || key == "startsWith" || key == "endsWith") {
        if (!text) return Error(p, key + " needs a String field, and " + fd.name + " is " + TypeNameOf(schema_, fd));
        if (val.kind() != Value::Kind::kString) return Error(p, "expected String, got " + Got(val));
        CompareOp op = key == "contains" ? CompareOp::kContains : key == "startsWith" ? CompareOp::kStartsWith
                                                                                      : CompareOp::kEndsWith;
        all.children.push_back(Compare(column, op, {sv::Value::String(val.string_value())}, insensitive));
      } else if (key == "isNull") {
        if (val.kind() != Value::Kind::kBool) return Error(p, "expected a boolean, got " + Got(val));
        all.children.push_back(Compare(column, CompareOp::kIsNull, {sv::Value::Bool(val.bool_value())}));
      } else {
        return Error(p, "unknown filter (a field takes " +
                            Names({"equals", "not", "in", "notIn", "lt", "lte", "gt", "gte", "contains", "startsWith",
                                   "endsWith", "isNull", "mode"}) +
                            ")");
      }
    }
    if (all.children.size() == 1) return std::move(all.children[0]);
    if (all.children.empty()) all.kind = Filter::Kind::kTrue;
    return all;
  }

  Result<Filter> ParseRelationFilter(const sv::Model& m, const sv::Field& fd, const Value& v, const std::string& path,
                                     int depth) {
    (void)m;
    const sv::Model& target = schema_.model(fd.related_model);
    Filter f;
    f.kind = Filter::Kind::kRelation;
    f.relation_field = fd.index;
    if (fd.list) {
      if (v.kind() != Value::Kind::kObject || v.members().empty()) {
        return Error(path, "expected {some|every|none: filter} for the list relation " + fd.name + ", got " + Got(v));
      }
      Filter all;
      all.kind = Filter::Kind::kAnd;
      for (const auto& [key, val] : v.members()) {
        const std::string p = Join(path, key);
        Filter q = f;
        if (key == "some") q.quantifier = RelationQuantifier::kSome;
        else if (key == "every") q.quantifier = RelationQuantifier::kEvery;
        else if (key == "none") q.quantifier = RelationQuantifier::kNone;
        else return Error(p, "unknown relation filter (a list relation takes some, every, none)");
        ASSIGN_OR_RETURN(Filter inner, ParseWhere(target, val, p, depth + 1));
        q.related = std::make_shared<Filter>(std::move(inner));
        all.children.push_back(std::move(q));
      }
      if (all.children.size() == 1) return std::move(all.children[0]);
      return all;
    }
    // A to-one relation: {is: filter|null}, {isNot: filter|null}, or the filter itself (is), or null.
    if (v.is_null()) {
      f.quantifier = RelationQuantifier::kIs;
      f.null_target = true;
      f.related = std::make_shared<Filter>();
      return f;
    }
    if (v.kind() != Value::Kind::kObject) return Error(path, "expected a filter for " + fd.name + ", got " + Got(v));
    const Value* is = v.Find("is");
    const Value* is_not = v.Find("isNot");
    if (is == nullptr && is_not == nullptr) {
      f.quantifier = RelationQuantifier::kIs;
      ASSIGN_OR_RETURN(Filter inner, ParseWhere(target, v, path, depth + 1));
      f.related = std::make_shared<Filter>(std::move(inner));
      return f;
    }
    Filter all;
    all.kind = Filter::Kind::kAnd;
    for (const auto& [key, val] : v.members()) {
      const std::string p = Join(path, key);
      Filter q = f;
      if (key == "is") q.quantifier = RelationQuantifier::kIs;
      else if (key == "isNot") q.quantifier = RelationQuantifier::kIsNot;
      else return Error(p, "unknown relation filter (a to-one relation takes is, isNot)");
      if (val.is_null()) {
        q.null_target = true;
        q.related = std::make_shared<Filter>();
      } else {
        ASSIGN_OR_RETURN(Filter inner, ParseWhere(target, val, p, depth + 1));
        q.related = std::make_shared<Filter>(std::move(inner));
      }
      all.children.push_back(std::move(q));
    }
    if (all.children.size() == 1) return std::move(all.children[0]);
    return all;
  }

  // The columns of a compound unique key by its Prisma name ("a_b", or
  // @@unique(name:)), or null.
  const std::vector<size_t>* CompoundUnique(const sv::Model& m, std::string_view name) {
    auto& cache = compound_[m.index.value()];
    if (!cache.built) {
      cache.built = true;
      auto add = [&](const std::vector<sv::KeyPart>& parts, const std::string& given) {
        if (parts.size() < 2) return;
        std::string n = given;
        std::vector<size_t> cols;
        for (const sv::KeyPart& kp : parts) {
          if (given.empty()) n += (n.empty() ? "" : "_") + m.field(kp.field).name;
          cols.push_back(ColumnOf(m, m.field(kp.field)));
        }
        cache.keys.emplace_back(std::move(n), std::move(cols));
      };
      add(m.primary_key.parts, m.primary_key.name);
      for (const sv::UniqueConstraint& u : m.uniques) add(u.parts, u.name);
    }
    for (const auto& [n, cols] : cache.keys) {
      if (n == name) return &cols;
    }
    return nullptr;
  }

  // The unique keys of a model as column lists (the primary key first).
  std::vector<std::vector<size_t>> UniqueKeys(const sv::Model& m) {
    std::vector<std::vector<size_t>> keys;
    auto cols = [&](const std::vector<sv::KeyPart>& parts) {
      std::vector<size_t> c;
      for (const sv::KeyPart& kp : parts) c.push_back(ColumnOf(m, m.field(kp.field)));
      return c;
    };
    keys.push_back(cols(m.primary_key.parts));
    for (const sv::UniqueConstraint& u : m.uniques) keys.push_back(cols(u.parts));
    return keys;
  }

  // findUnique, update, upsert and delete name one row: the where's
  // top-level equalities must cover a unique key.
  Status CheckUniqueWhere(const sv::Model& m, const Filter& where, const std::string& path) {
    std::set<size_t> eq;
    std::vector<const Filter*> stack = {&where};
    while (!stack.empty()) {
      const Filter* f = stack.back();
      stack.pop_back();
      if (f->kind == Filter::Kind::kAnd) {
        for (const Filter& c : f->children) stack.push_back(&c);
      } else if (f->kind == Filter::Kind::kCompare && f->op == CompareOp::kEquals && !f->insensitive &&
                 !f->values[0].is_null()) {
        eq.insert(f->column);
      }
    }
    for (const std::vector<size_t>& key : UniqueKeys(m)) {
      if (std::all_of(key.begin(), key.end(), [&](size_t c) { return eq.count(c) != 0; })) return Status::OK();
    }
    std::string keys;
    std::vector<sv::FieldIndex> fields = StoredFields(m);
    for (const std::vector<size_t>& key : UniqueKeys(m)) {
      std::string k;
      for (size_t c : key) k += (k.empty() ? "" : ", ") + m.field(fields[c]).name;
      keys += (keys.empty() ? "" : " or ") + ("(" + k + ")");
    }
    return Error(path, "must name a unique key of " + m.name + " with equalities: " + keys);
  }

  // ------------------------------------------------------------ selection

  Status ParsePaging(const sv::Model& m, const Value& v, const std::string& path, Selection* sel) {
    if (const Value* ob = v.Find("orderBy")) RETURN_IF_ERROR(ParseOrderBy(m, *ob, Join(path, "orderBy"), sel));
    if (const Value* t = v.Find("take")) {
      if (!IsInt(*t)) return Error(Join(path, "take"), "expected an integer, got " + Got(*t));
      sel->take = t->int_value();
    }
    if (const Value* s = v.Find("skip")) {
      if (!IsInt(*s) || s->int_value() < 0) {
        return Error(Join(path, "skip"), "expected a non-negative integer, got " + Got(*s));
      }
      sel->skip = s->int_value();
    }
    if (const Value* c = v.Find("cursor")) {
      const std::string p = Join(path, "cursor");
      ASSIGN_OR_RETURN(Filter cf, ParseWhere(m, *c, p, 0));
      RETURN_IF_ERROR(CheckUniqueWhere(m, cf, p));
      Row cursor(StoredFields(m).size());
      for (const Filter& e : cf.kind == Filter::Kind::kAnd ? cf.children : std::vector<Filter>{cf}) {
        if (e.kind != Filter::Kind::kCompare || e.op != CompareOp::kEquals) {
          return Error(p, "a cursor names a row by equalities on a unique key");
        }
        cursor[e.column] = e.values[0];
        sel->cursor_columns.push_back(e.column);
      }
      sel->cursor = std::move(cursor);
    }
    if (const Value* d = v.Find("distinct")) {
      const std::string p = Join(path, "distinct");
      std::vector<const Value*> names = OneOrList(*d);
      for (const Value* n : names) {
        if (n->kind() != Value::Kind::kString) return Error(p, "expected field names, got " + Got(*n));
        ASSIGN_OR_RETURN(const sv::Field* fd, ScalarField(m, n->string_value(), p));
        sel->distinct.push_back(ColumnOf(m, *fd));
      }
    }
    return Status::OK();
  }

  Status ParseOrderBy(const sv::Model& m, const Value& v, const std::string& path, Selection* sel) {
    std::vector<std::pair<const Value*, std::string>> items;
    if (v.kind() == Value::Kind::kArray) {
      for (size_t i = 0; i < v.items().size(); ++i) items.emplace_back(&v.items()[i], At(path, i));
    } else {
      items.emplace_back(&v, path);
    }
    for (const auto& [item, p] : items) {
      if (item->kind() != Value::Kind::kObject) return Error(p, "expected {field: \"asc\"|\"desc\"}, got " + Got(*item));
      for (const auto& [key, dir] : item->members()) {
        const std::string fp = Join(p, key);
        ASSIGN_OR_RETURN(const sv::Field* fd, ScalarField(m, key, fp));
        if (fd->kind == sv::FieldKind::kScalar && fd->scalar == sv::ScalarType::kJson) {
          return Error(fp, "a Json field has no order");
        }
        OrderTerm t;
        t.column = ColumnOf(m, *fd);
        const Value* sort = &dir;
        if (dir.kind() == Value::Kind::kObject) {
          sort = dir.Find("sort");
          if (sort == nullptr) return Error(fp, "expected {sort: \"asc\"|\"desc\", nulls?: \"first\"|\"last\"}");
          if (const Value* nulls = dir.Find("nulls")) {
            if (nulls->kind() != Value::Kind::kString ||
                (nulls->string_value() != "first" && nulls->string_value() != "last")) {
              return Error(Join(fp, "nulls"), "expected \"first\" or \"last\", got " + Got(*nulls));
            }
            t.nulls_first = nulls->string_value() == "first";
          }
        }
        if (sort->kind() != Value::Kind::kString || (sort->string_value() != "asc" && sort->string_value() != "desc")) {
          return Error(fp, "expected \"asc\" or \"desc\", got " + Got(*sort));
        }
        t.descending = sort->string_value() == "desc";
        sel->order_by.push_back(t);
      }
    }
    return Status::OK();
  }

  Status ParseCount(const sv::Model& m, const Value& v, const std::string& path, Selection* sel) {
    if (v.kind() == Value::Kind::kBool) {
      if (!v.bool_value()) return Status::OK();
      for (const sv::Field& f : m.fields) {
        if (f.is_relation() && f.list) sel->counts.push_back(RelationCount{f.index, f.name, Filter{}});
      }
      return Status::OK();
    }
    const Value* s = v.kind() == Value::Kind::kObject ? v.Find("select") : nullptr;
    if (s == nullptr || s->kind() != Value::Kind::kObject) {
      return Error(path, "expected true or {select: {relation: true}}, got " + Got(v));
    }
    for (const auto& [key, val] : s->members()) {
      const std::string p = Join(Join(path, "select"), key);
      ASSIGN_OR_RETURN(const sv::Field* fd, FindField(m, key, p));
      if (!fd->is_relation() || !fd->list) return Error(p, "_count counts list relations, and " + fd->name + " is not one");
      RelationCount rc{fd->index, fd->name, Filter{}};
      if (val.kind() == Value::Kind::kBool) {
        if (!val.bool_value()) continue;
      } else if (val.kind() == Value::Kind::kObject) {
        for (const auto& [k2, v2] : val.members()) {
          if (k2 != "where") return Error(Join(p, k2), "unknown argument (a count takes where)");
          ASSIGN_OR_RETURN(rc.where, ParseWhere(schema_.model(fd->related_model), v2, Join(p, "where"), 0));
        }
      } else {
        return Error(p, "expected true or {where: ...}, got " + Got(val));
      }
      sel->counts.push_back(std::move(rc));
    }
    return Status::OK();
  }

  // The arguments of an included relation: true, or an object of where,
  // orderBy, take, skip, cursor, distinct (list relations), select, include.
  Status ParseRelationArgs(const sv::Model& parent, const sv::Field& fd, const Value& v, const std::string& path,
                           int depth, Selection* parent_sel) {
    (void)parent;
    if (depth >= limits_.max_include_depth) {
      return Error(path, "includes nest deeper than " + std::to_string(limits_.max_include_depth));
    }
    if (v.kind() == Value::Kind::kBool && !v.bool_value()) return Status::OK();
    const sv::Model& target = schema_.model(fd.related_model);
    auto sel = std::make_unique<Selection>();
    sel->model = target.index;
    sel->path = parent_sel->path.empty() ? fd.name : parent_sel->path + "." + fd.name;
    AllColumns(target, &sel->columns);
    if (v.kind() == Value::Kind::kObject) {
      for (const auto& [key, val] : v.members()) {
        (void)val;
        static const std::set<std::string_view> kList = {"where", "orderBy", "take", "skip", "cursor",
                                                         "distinct", "select", "include"};
        static const std::set<std::string_view> kOne = {"select", "include"};
        if (!(fd.list ? kList : kOne).count(key)) {
          return Error(Join(path, key), fd.list ? "unknown argument (an included list takes where, orderBy, take, skip, "
                                                  "cursor, distinct, select, include)"
                                                : "unknown argument (an included to-one relation takes select, include)");
        }
      }
      if (const Value* w = v.Find("where")) {
        ASSIGN_OR_RETURN(sel->where, ParseWhere(target, *w, Join(path, "where"), 0));
      }
      RETURN_IF_ERROR(ParsePaging(target, v, path, sel.get()));
      const Value* s = v.Find("select");
      const Value* i = v.Find("include");
      if (s != nullptr && i != nullptr) return Error(Join(path, "select"), "use either select or include, not both");
      if (s != nullptr) RETURN_IF_ERROR(ParseSelect(target, *s, Join(path, "select"), depth + 1, sel.get()));
      if (i != nullptr) RETURN_IF_ERROR(ParseInclude(target, *i, Join(path, "include"), depth + 1, sel.get()));
    } else if (v.kind() != Value::Kind::kBool) {
      return Error(path, "expected true or an object of arguments, got " + Got(v));
    }
    Include inc;
    inc.field = fd.index;
    inc.name = fd.name;
    inc.selection = std::move(sel);
    parent_sel->includes.push_back(std::move(inc));
    return Status::OK();
  }

  Status ParseInclude(const sv::Model& m, const Value& v, const std::string& path, int depth, Selection* sel) {
    if (v.kind() != Value::Kind::kObject) return Error(path, "expected an object of relations, got " + Got(v));
    for (const auto& [key, val] : v.members()) {
      const std::string p = Join(path, key);
      if (key == "_count") {
        RETURN_IF_ERROR(ParseCount(m, val, p, sel));
        continue;
      }
      ASSIGN_OR_RETURN(const sv::Field* fd, FindField(m, key, p));
      if (!fd->is_relation()) return Error(p, m.name + "." + key + " is a scalar field (include takes relations)");
      RETURN_IF_ERROR(ParseRelationArgs(m, *fd, val, p, depth, sel));
    }
    return Status::OK();
  }

  Status ParseSelect(const sv::Model& m, const Value& v, const std::string& path, int depth, Selection* sel) {
    if (v.kind() != Value::Kind::kObject) return Error(path, "expected an object of fields, got " + Got(v));
    sel->columns.clear();
    for (const auto& [key, val] : v.members()) {
      const std::string p = Join(path, key);
      if (key == "_count") {
        RETURN_IF_ERROR(ParseCount(m, val, p, sel));
        continue;
      }
      ASSIGN_OR_RETURN(const sv::Field* fd, FindField(m, key, p));
      if (fd->is_relation()) {
        RETURN_IF_ERROR(ParseRelationArgs(m, *fd, val, p, depth, sel));
        continue;
      }
      if (val.kind() != Value::Kind::kBool) return Error(p, "expected a boolean, got " + Got(val));
      if (val.bool_value()) sel->columns.push_back(ColumnOf(m, *fd));
    }
    std::sort(sel->columns.begin(), sel->columns.end());
    return Status::OK();
  }

  // ------------------------------------------------------------ aggregates

  Status ParseAggregates(const sv::Model& m, const Value& v, Request* req) {
    if (req->op == Operation::kGroupBy) {
      const Value* by = v.Find("by");
      if (by == nullptr) return Error("", "groupBy needs by");
      std::vector<const Value*> names = OneOrList(*by);
      if (names.empty()) return Error("by", "groupBy needs at least one field");
      for (size_t i = 0; i < names.size(); ++i) {
        const std::string p = by->kind() == Value::Kind::kArray ? At("by", i) : "by";
        if (names[i]->kind() != Value::Kind::kString) return Error(p, "expected a field name, got " + Got(*names[i]));
        ASSIGN_OR_RETURN(const sv::Field* fd, ScalarField(m, names[i]->string_value(), p));
        req->group_by.push_back(ColumnOf(m, *fd));
      }
      if (v.Find("having") != nullptr) {
        return Error("having", "groupBy with having is not supported yet (filter the groups in the client)");
      }
      for (const OrderTerm& t : req->selection.order_by) {
        if (std::find(req->group_by.begin(), req->group_by.end(), t.column) == req->group_by.end()) {
          return Error("orderBy", "groupBy orders by fields of by");
        }
      }
    }
    static constexpr std::pair<std::string_view, AggregateFn> kFns[] = {
        {"_count", AggregateFn::kCount}, {"_sum", AggregateFn::kSum}, {"_avg", AggregateFn::kAvg},
        {"_min", AggregateFn::kMin},     {"_max", AggregateFn::kMax}};
    for (const auto& [name, fn] : kFns) {
      const Value* a = v.Find(name);
      if (a == nullptr) continue;
      const std::string p(name);
      if (fn == AggregateFn::kCount && a->kind() == Value::Kind::kBool) {
        if (a->bool_value()) req->aggregates.push_back(AggregateTerm{fn, std::nullopt});
        continue;
      }
      if (a->kind() != Value::Kind::kObject) return Error(p, "expected {field: true}, got " + Got(*a));
      for (const auto& [key, val] : a->members()) {
        const std::string fp = Join(p, key);
        if (val.kind() != Value::Kind::kBool) return Error(fp, "expected a boolean, got " + Got(val));
        if (!val.bool_value()) continue;
        if (fn == AggregateFn::kCount && key == "_all") {
          req->aggregates.push_back(AggregateTerm{fn, std::nullopt});
          continue;
        }
        ASSIGN_OR_RETURN(const sv::Field* fd, ScalarField(m, key, fp));
        if ((fn == AggregateFn::kSum || fn == AggregateFn::kAvg) && !IsNumeric(*fd)) {
          return Error(fp, std::string(name) + " needs a number field, and " + fd->name + " is " + TypeNameOf(schema_, *fd));
        }
        if ((fn == AggregateFn::kMin || fn == AggregateFn::kMax) && fd->kind == sv::FieldKind::kScalar &&
            fd->scalar == sv::ScalarType::kJson) {
          return Error(fp, "a Json field has no order");
        }
        req->aggregates.push_back(AggregateTerm{fn, ColumnOf(m, *fd)});
      }
    }
    if (req->op == Operation::kAggregate && req->aggregates.empty()) {
      return Error("", "aggregate needs at least one of _count, _sum, _avg, _min, _max");
    }
    return Status::OK();
  }

  // ------------------------------------------------------------ writes

  Result<CreateData> ParseCreate(const sv::Model& m, const Value& v, const std::string& path, int depth) {
    if (depth > limits_.max_include_depth) {
      return Error(path, "nested writes nest deeper than " + std::to_string(limits_.max_include_depth));
    }
    if (v.kind() != Value::Kind::kObject) return Error(path, "expected an object of field values, got " + Got(v));
    CreateData d;
    const size_t n = StoredFields(m).size();
    d.values.assign(n, sv::Value::Null());
    d.given.assign(n, false);
    for (const auto& [key, val] : v.members()) {
      const std::string p = Join(path, key);
      ASSIGN_OR_RETURN(const sv::Field* fd, FindField(m, key, p));
      if (!fd->is_relation()) {
        ASSIGN_OR_RETURN(d.values[ColumnOf(m, *fd)], ParseValue(*fd, val, p));
        d.given[ColumnOf(m, *fd)] = true;
        continue;
      }
      ASSIGN_OR_RETURN(std::vector<NestedWrite> writes, ParseNested(*fd, val, p, depth, false));
      for (NestedWrite& w : writes) d.nested.push_back(std::move(w));
    }
    return d;
  }

  // The nested writes of one relation field: {create: ...}, {connect: ...}
  // and, in an update, {disconnect: ...}.
  Result<std::vector<NestedWrite>> ParseNested(const sv::Field& field, const Value& val, const std::string& p, int depth,
                                               bool in_update) {
    const sv::Field* fd = &field;
    std::vector<NestedWrite> out;
    const char* ops = in_update ? "create, connect, disconnect" : "create, connect";
    if (val.kind() != Value::Kind::kObject) {
      return Error(p, std::string("expected an object of nested writes (") + ops + "), got " + Got(val));
    }
    const sv::Model& target = schema_.model(fd->related_model);
    for (const auto& [op, arg] : val.members()) {
      const std::string op_path = Join(p, op);
      if (op == "disconnect" && in_update && !fd->list) {
        if (!(arg.kind() == Value::Kind::kBool && arg.bool_value())) {
          return Error(op_path, fd->name + " is a to-one relation: disconnect takes true");
        }
        NestedWrite w;
        w.kind = NestedWrite::Kind::kDisconnect;
        w.field = fd->index;
        w.path = op_path;
        out.push_back(std::move(w));
        continue;
      }
      std::vector<std::pair<const Value*, std::string>> items;
      if (arg.kind() == Value::Kind::kArray) {
        if (!fd->list) return Error(op_path, fd->name + " is a to-one relation: expected one object, not a list");
        for (size_t i = 0; i < arg.items().size(); ++i) items.emplace_back(&arg.items()[i], At(op_path, i));
      } else {
        items.emplace_back(&arg, op_path);
      }
      NestedWrite w;
      w.field = fd->index;
      w.path = op_path;
      if (op == "create") {
        w.kind = NestedWrite::Kind::kCreate;
        for (const auto& [item, ip] : items) {
          ASSIGN_OR_RETURN(CreateData c, ParseCreate(target, *item, ip, depth + 1));
          w.create.push_back(std::move(c));
        }
      } else if (op == "connect" || (op == "disconnect" && in_update)) {
        w.kind = op == "connect" ? NestedWrite::Kind::kConnect : NestedWrite::Kind::kDisconnect;
        for (const auto& [item, ip] : items) {
          ASSIGN_OR_RETURN(Filter f, ParseWhere(target, *item, ip, 0));
          RETURN_IF_ERROR(CheckUniqueWhere(target, f, ip));
          Row key(StoredFields(target).size());
          std::vector<size_t> cols;
          for (const Filter& e : f.kind == Filter::Kind::kAnd ? f.children : std::vector<Filter>{f}) {
            if (e.kind != Filter::Kind::kCompare || e.op != CompareOp::kEquals) {
              return Error(ip, op + " names a row by equalities on a unique key");
            }
            key[e.column] = e.values[0];
            cols.push_back(e.column);
          }
          w.connect.emplace_back(std::move(key), std::move(cols));
        }
      } else {
        return Error(op_path, std::string("unknown nested write (a relation takes ") + ops + ")");
      }
      out.push_back(std::move(w));
    }
    return out;
  }

  // `nested`: where an update's nested writes go; null (updateMany) refuses them.
  Result<std::vector<FieldUpdate>> ParseUpdate(const sv::Model& m, const Value& v, const std::string& path,
                                               std::vector<NestedWrite>* nested) {
    if (v.kind() != Value::Kind::kObject) return Error(path, "expected an object of field values, got " + Got(v));
    std::vector<FieldUpdate> out;
    for (const auto& [key, val] : v.members()) {
      const std::string p = Join(path, key);
      ASSIGN_OR_RETURN(const sv::Field* fd, FindField(m, key, p));
      if (fd->is_relation()) {
        if (nested == nullptr) {
          return Error(p, "updateMany sets fields only: nested writes belong to update and upsert");
        }
        ASSIGN_OR_RETURN(std::vector<NestedWrite> writes, ParseNested(*fd, val, p, 0, true));
        for (NestedWrite& w : writes) nested->push_back(std::move(w));
        continue;
      }
      FieldUpdate u;
      u.column = ColumnOf(m, *fd);
      if (val.kind() == Value::Kind::kObject && fd->scalar != sv::ScalarType::kJson) {
        if (val.members().size() != 1) return Error(p, "expected one of set, increment, decrement, multiply, divide");
        const auto& [op, arg] = val.members()[0];
        const std::string op_path = Join(p, op);
        if (op == "set") u.op = UpdateOp::kSet;
        else if (op == "increment") u.op = UpdateOp::kIncrement;
        else if (op == "decrement") u.op = UpdateOp::kDecrement;
        else if (op == "multiply") u.op = UpdateOp::kMultiply;
        else if (op == "divide") u.op = UpdateOp::kDivide;
        else if (op == "push") return Error(op_path, "push applies to scalar lists, which this schema has none of");
        else return Error(op_path, "unknown update (a field takes set, increment, decrement, multiply, divide)");
        if (u.op != UpdateOp::kSet) {
          if (!IsNumeric(*fd) || fd->scalar == sv::ScalarType::kDecimal) {
            return Error(op_path, op + " needs an Int, BigInt or Float field, and " + fd->name + " is " +
                                      TypeNameOf(schema_, *fd));
          }
          if (arg.is_null()) return Error(op_path, "expected a number, got null");
        }
        ASSIGN_OR_RETURN(u.value, ParseValue(*fd, arg, op_path));
      } else {
        ASSIGN_OR_RETURN(u.value, ParseValue(*fd, val, p));
      }
      out.push_back(std::move(u));
    }
    return out;
  }

  // ------------------------------------------------------------ values

  Result<sv::Value> ParseValue(const sv::Field& fd, const Value& v, const std::string& path) {
    Result<sv::Value> x = ValueFromJson(schema_, fd, v);
    if (!x.ok()) return Error(path, x.status().message());
    return x;
  }

  struct CompoundCache {
    bool built = false;
    std::vector<std::pair<std::string, std::vector<size_t>>> keys;
  };

  const sv::Schema& schema_;
  const ParseLimits& limits_;
  std::map<uint64_t, CompoundCache> compound_;
};

}  // namespace

Result<Request> ParseRequest(const json::Value& request, const schema::Schema& schema, const ParseLimits& limits) {
  return Parser(schema, limits).Parse(request);
}

Result<Request> ParseRequest(std::string_view text, const schema::Schema& schema, const ParseLimits& limits) {
  Result<json::Value> v = json::Parse(text);
  if (!v.ok()) return v.status();
  return ParseRequest(*v, schema, limits);
}

}  // namespace ormdb::query

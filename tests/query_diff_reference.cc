// The SQLite side of the differential test: tables mirroring the models,
// and each request answered level by level with SQL, following the
// semantics ormDB defines (docs/query.md):
//
//   - rows sort by the orderBy terms, nulls first ascending and last
//     descending unless told, ties broken by the primary key in the
//     direction of the last term (ascending without terms);
//   - where is SQL's three-valued logic; only true passes;
//   - insensitive mode folds ASCII letters (SQLite's lower() does exactly
//     that); strings compare by bytes (the BINARY collation);
//   - distinct keeps the first row of each value combination in the order,
//     before cursor, skip and take; a cursor keeps the rows at or after its
//     row in the order (at or before with a negative take), nothing when the
//     row does not exist; a negative take keeps the last rows of the window.
//
// Each level is one statement: every row of the model ranked once in the
// full order (`pos`), the candidates (joined to the parent keys, filtered),
// distinct and the window per parent with ROW_NUMBER().
#include <sqlite3.h>

#include <cctype>
#include <cstdio>
#include <map>

#include "tests/query_diff.h"

namespace ormdb::querydiff {

namespace {

std::string Quote(std::string_view name) { return "\"" + std::string(name) + "\""; }

std::string Col(const std::string& alias, const ModelView& mv, size_t c) { return alias + "." + Quote(mv.name(c)); }

// a.x = b.y AND ..., the columns paired by position.
std::string Equal(const std::string& a, const ModelView& ma, const std::vector<size_t>& ca, const std::string& b,
                  const ModelView& mb, const std::vector<size_t>& cb) {
  std::string s;
  for (size_t i = 0; i < ca.size(); ++i) s += (i ? " AND " : "") + Col(a, ma, ca[i]) + " = " + Col(b, mb, cb[i]);
  return s.empty() ? "1" : s;
}

std::string Join(const std::vector<std::string>& parts, const std::string& sep, const std::string& empty) {
  if (parts.empty()) return empty;
  std::string s;
  for (size_t i = 0; i < parts.size(); ++i) s += (i ? sep : "") + parts[i];
  return s;
}

std::string SqlLiteral(const Cell& v) {
  switch (v.kind) {
    case Cell::Kind::kNull: return "NULL";
    case Cell::Kind::kInt: return std::to_string(v.i);
    case Cell::Kind::kReal: {
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.17g", v.d);
      return buf;
    }
    case Cell::Kind::kText: {
      std::string s = "'";
      for (char c : v.s) s += c == '\'' ? std::string("''") : std::string(1, c);
      return s + "'";
    }
    case Cell::Kind::kBlob: {
      static constexpr char kHex[] = "0123456789ABCDEF";
      std::string s = "X'";
      for (char c : v.s) {
        s += kHex[static_cast<uint8_t>(c) >> 4];
        s += kHex[static_cast<uint8_t>(c) & 15];
      }
      return s + "'";
    }
  }
  return "NULL";
}

std::string SqlType(FieldClass c) {
  switch (CellKindOf(c)) {
    case Cell::Kind::kInt: return "INTEGER";
    case Cell::Kind::kReal: return "REAL";
    case Cell::Kind::kBlob: return "BLOB";
    default: return "TEXT";
  }
}

void Bind(sqlite3_stmt* stmt, int at, const Cell& v) {
  switch (v.kind) {
    case Cell::Kind::kNull: sqlite3_bind_null(stmt, at); break;
    case Cell::Kind::kInt: sqlite3_bind_int64(stmt, at, v.i); break;
    case Cell::Kind::kReal: sqlite3_bind_double(stmt, at, v.d); break;
    case Cell::Kind::kText:
      sqlite3_bind_text(stmt, at, v.s.data(), static_cast<int>(v.s.size()), SQLITE_TRANSIENT);
      break;
    case Cell::Kind::kBlob:
      sqlite3_bind_blob(stmt, at, v.s.data(), static_cast<int>(v.s.size()), SQLITE_TRANSIENT);
      break;
  }
}

Cell ReadCell(sqlite3_stmt* stmt, int col) {
  switch (sqlite3_column_type(stmt, col)) {
    case SQLITE_INTEGER: return Cell::Int(sqlite3_column_int64(stmt, col));
    case SQLITE_FLOAT: return Cell::Real(sqlite3_column_double(stmt, col));
    case SQLITE_TEXT: {
      const char* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
      return Cell::Text(std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt, col))));
    }
    case SQLITE_BLOB: {
      const char* p = static_cast<const char*>(sqlite3_column_blob(stmt, col));
      return Cell::Blob(std::string(p == nullptr ? "" : p, static_cast<size_t>(sqlite3_column_bytes(stmt, col))));
    }
    default: return Cell::Null();
  }
}

}  // namespace

// One statement being built: its parameters (numbered, so pieces can be
// built in any order) and fresh table aliases.
class Reference::Sql {
 public:
  explicit Sql(const SchemaView& sv) : sv_(sv) {}

  std::string Param(const Cell& v) {
    args_.push_back(v);
    return "?" + std::to_string(args_.size());
  }
  std::string Alias() { return "t" + std::to_string(next_alias_++); }
  const std::vector<Cell>& args() const { return args_; }

  // `sql` with its parameters written in, for messages.
  std::string Inline(const std::string& sql) const {
    std::string out;
    for (size_t i = 0; i < sql.size(); ++i) {
      if (sql[i] == '?' && i + 1 < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
        size_t j = i + 1, n = 0;
        while (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j])))
          n = n * 10 + static_cast<size_t>(sql[j++] - '0');
        out += n >= 1 && n <= args_.size() ? SqlLiteral(args_[n - 1]) : sql.substr(i, j - i);
        i = j - 1;
      } else {
        out += sql[i];
      }
    }
    return out;
  }

  // The related rows of relation `link` of the row `outer`: a FROM clause
  // naming them `*alias`, and the condition tying them to `outer`.
  std::string Related(const ModelView& outer_model, const Link& link, const std::string& outer, std::string* alias,
                      std::string* condition) {
    const ModelView& target = sv_.model(link.target);
    *alias = Alias();
    if (link.kind != Link::Kind::kJoin) {
      *condition = Equal(*alias, target, link.there, outer, outer_model, link.here);
      return Quote(target.model->name) + " " + *alias;
    }
    const ModelView& join = sv_.model(link.join);
    const std::string j = Alias();
    *condition = Equal(j, join, link.join_near, outer, outer_model, link.here);
    return Quote(join.model->name) + " " + j + " JOIN " + Quote(target.model->name) + " " + *alias + " ON " +
           Equal(*alias, target, link.there, j, join, link.join_far);
  }

  // The where object on the row `a` of model `m`, as an SQL condition.
  std::string Where(schema::ModelIndex m, const WhereObject& w, const std::string& a) {
    std::vector<std::string> parts;
    for (const WhereEntry& e : w.entries) parts.push_back("(" + Entry(m, e, a) + ")");
    return Join(parts, " AND ", "1");
  }

 private:
  std::string Entry(schema::ModelIndex m, const WhereEntry& e, const std::string& a) {
    const ModelView& mv = sv_.model(m);
    switch (e.kind) {
      case WhereEntry::Kind::kField: return Field(Col(a, mv, e.column), e.scalar);
      case WhereEntry::Kind::kCompound: {
        std::vector<std::string> parts;
        for (size_t i = 0; i < e.key.size(); ++i)
          parts.push_back(Col(a, mv, e.key[i]) + " = " + Param(e.key_values[i]));
        return Join(parts, " AND ", "1");
      }
      case WhereEntry::Kind::kAnd:
      case WhereEntry::Kind::kOr:
      case WhereEntry::Kind::kNot: {
        std::vector<std::string> parts;
        for (const WhereObject& g : e.group) parts.push_back("(" + Where(m, g, a) + ")");
        if (e.kind == WhereEntry::Kind::kOr) return Join(parts, " OR ", "0");
        // A NOT list holds when every condition is false: NOT a AND NOT b
        // (query/request.h, as Prisma reads it); NOT [] is no condition.
        if (e.kind == WhereEntry::Kind::kNot) {
          for (std::string& p : parts) p = "NOT " + p;
        }
        return Join(parts, " AND ", "1");
      }
      case WhereEntry::Kind::kRelation: {
        const schema::Field& f = sv_.field(m, e.relation);
        const Link link = sv_.LinkOf(m, f);
        std::vector<std::string> parts;
        for (const RelationFilter::Part& p : e.related.parts) {
          std::string alias, cond;
          const std::string from = Related(mv, link, a, &alias, &cond);
          const std::string rows = "SELECT 1 FROM " + from + " WHERE " + cond;
          if (p.inner.empty()) {  // is null / isNot null
            parts.push_back((p.quantifier == "is" ? "NOT EXISTS (" : "EXISTS (") + rows + ")");
            continue;
          }
          const std::string inner = Where(link.target, p.inner[0], alias);
          if (p.quantifier == "some" || p.quantifier == "is") {
            parts.push_back("EXISTS (" + rows + " AND (" + inner + "))");
          } else if (p.quantifier == "none" || p.quantifier == "isNot") {
            parts.push_back("NOT EXISTS (" + rows + " AND (" + inner + "))");
          } else {  // every: no related row for which the filter is not true
            parts.push_back("NOT EXISTS (" + rows + " AND ((" + inner + ") IS NOT TRUE))");
          }
        }
        return Join(parts, " AND ", "1");
      }
    }
    return "1";
  }

  // One scalar field's filter on the column expression `x`.
  std::string Field(const std::string& x, const FieldFilter& f) {
    if (f.bare) return f.bare_value.is_null() ? x + " IS NULL" : x + " = " + Param(f.bare_value);
    const bool fold = f.insensitive.value_or(false);
    const std::string fx = fold ? "lower(" + x + ")" : x;
    auto value = [&](const Cell& v) { return fold ? "lower(" + Param(v) + ")" : Param(v); };
    // Unknown for a null field, else `known`.
    auto unless_null = [&](const char* known) {
      return "CASE WHEN " + x + " IS NULL THEN NULL ELSE " + known + " END";
    };
    std::vector<std::string> parts;
    for (const FieldFilter::Op& op : f.ops) {
      const std::string& n = op.name;
      std::string p;
      if (n == "equals") {
        p = op.values[0].is_null() ? x + " IS NULL" : fx + " = " + value(op.values[0]);
      } else if (n == "not") {
        if (!op.nested.empty()) {
          p = "NOT (" + Field(x, op.nested[0]) + ")";
        } else {
          p = op.values[0].is_null() ? "NOT (" + x + " IS NULL)" : "NOT (" + fx + " = " + value(op.values[0]) + ")";
        }
      } else if (n == "in" || n == "notIn") {
        // SQLite answers x IN () false and x NOT IN () true even for a null
        // x; ormDB (like PostgreSQL's = ANY) leaves a null unknown.
        if (op.values.empty()) {
          p = unless_null(n == "in" ? "0" : "1");
        } else {
          std::vector<std::string> vs;
          for (const Cell& v : op.values) vs.push_back(value(v));
          p = fx + (n == "in" ? " IN (" : " NOT IN (") + Join(vs, ", ", "") + ")";
        }
      } else if (n == "lt" || n == "lte" || n == "gt" || n == "gte") {
        const char* sym = n == "lt" ? " < " : n == "lte" ? " <= " : n == "gt" ? " > " : " >= ";
        p = fx + sym + value(op.values[0]);
      } else if (n == "contains") {
        // instr, not LIKE: LIKE folds ASCII case and reads % and _.
        p = "instr(" + fx + ", " + value(op.values[0]) + ") > 0";
      } else if (n == "startsWith") {
        p = "substr(" + fx + ", 1, length(" + Param(op.values[0]) + ")) = " + value(op.values[0]);
      } else if (n == "endsWith") {
        p = op.values[0].s.empty()
                ? unless_null("1")
                : "substr(" + fx + ", -length(" + Param(op.values[0]) + ")) = " + value(op.values[0]);
      } else if (n == "isNull") {
        p = x + (op.values[0].i != 0 ? " IS NULL" : " IS NOT NULL");
      }
      parts.push_back("(" + p + ")");
    }
    return Join(parts, " AND ", "1");
  }

  const SchemaView& sv_;
  std::vector<Cell> args_;
  int next_alias_ = 0;
};

// The rows of one level: all their stored columns, their counts, which
// parent key each belongs to, and the levels below.
struct Reference::Fetched {
  std::vector<Row> rows;
  std::vector<std::vector<int64_t>> counts;              // per row, CountsInOrder
  std::map<std::string, std::vector<size_t>> by_parent;  // KeyOf(parent key) -> rows, in order
  std::vector<Fetched> children;                         // ChildrenInOrder
};

Reference::Reference(const SchemaView& sv) : sv_(sv) {
  if (sqlite3_open(":memory:", &db_) != SQLITE_OK) std::abort();
  for (size_t m = 0; m < sv_.size(); ++m) {
    const std::string sql = CreateTable(sv_.model(schema::ModelIndex(static_cast<uint32_t>(m))));
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      std::fprintf(stderr, "SQLite: %s in %s\n", error, sql.c_str());
      std::abort();
    }
  }
}

Reference::~Reference() { sqlite3_close(db_); }

std::string Reference::CreateTable(const ModelView& mv) const {
  std::string sql = "CREATE TABLE " + Quote(mv.model->name) + " (";
  for (size_t c = 0; c < mv.columns.size(); ++c) {
    sql += (c ? ", " : "") + Quote(mv.name(c)) + " " + SqlType(mv.column(c).cls);
    if (!mv.column(c).field->optional) sql += " NOT NULL";
  }
  std::vector<std::string> pk;
  for (size_t c : mv.pk) pk.push_back(Quote(mv.name(c)));
  return sql + ", PRIMARY KEY (" + Join(pk, ", ", "") + ")) STRICT;";
}

std::string Reference::Insert(schema::ModelIndex m, const Row& row) {
  const ModelView& mv = sv_.model(m);
  std::string cols, marks;
  for (size_t c = 0; c < mv.columns.size(); ++c) {
    cols += (c ? ", " : "") + Quote(mv.name(c));
    marks += (c ? ", ?" : "?");
  }
  const std::string sql = "INSERT INTO " + Quote(mv.model->name) + " (" + cols + ") VALUES (" + marks + ")";
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) return sqlite3_errmsg(db_);
  for (size_t c = 0; c < row.size(); ++c) Bind(stmt, static_cast<int>(c) + 1, row[c]);
  const int rc = sqlite3_step(stmt);
  std::string error = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db_);
  sqlite3_finalize(stmt);
  return error;
}

std::string Reference::Delete(schema::ModelIndex m, const Row& row) {
  const ModelView& mv = sv_.model(m);
  std::string where;
  for (size_t i = 0; i < mv.pk.size(); ++i) where += (i ? " AND " : "") + Quote(mv.name(mv.pk[i])) + " = ?";
  const std::string sql = "DELETE FROM " + Quote(mv.model->name) + " WHERE " + where;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) return sqlite3_errmsg(db_);
  for (size_t i = 0; i < mv.pk.size(); ++i) Bind(stmt, static_cast<int>(i) + 1, row[mv.pk[i]]);
  const int rc = sqlite3_step(stmt);
  std::string error = rc != SQLITE_DONE ? sqlite3_errmsg(db_) : sqlite3_changes(db_) != 1 ? "no such row" : "";
  sqlite3_finalize(stmt);
  return error;
}

Reference::Fetched Reference::Fetch(const Level& l, const Link* link, const std::vector<std::vector<Cell>>& parent_keys,
                                    std::string* error) {
  Fetched out;
  const ModelView& mv = sv_.model(l.model);
  const std::vector<CountSpec> counts = CountsInOrder(sv_, l);
  Sql q(sv_);
  const std::string table = Quote(mv.model->name);

  // Every row of the model ranked in the full order: positions compare
  // rows exactly as the order does, the cursor's row included (which need
  // not pass the where).
  std::vector<std::string> terms, pk;
  for (const OrderSpec& o : l.order_by) {
    terms.push_back(Quote(mv.name(o.column)) + (o.desc ? " DESC" : " ASC") +
                    (o.nulls_first.value_or(!o.desc) ? " NULLS FIRST" : " NULLS LAST"));
  }
  const bool tie_desc = !l.order_by.empty() && l.order_by.back().desc;
  for (size_t c : mv.pk) {
    pk.push_back(Quote(mv.name(c)));
    bool present = false;
    for (const OrderSpec& o : l.order_by) present = present || o.column == c;
    if (!present) terms.push_back(Quote(mv.name(c)) + (tie_desc ? " DESC" : " ASC"));
  }
  std::string sql = "WITH pos AS (SELECT " + Join(pk, ", ", "") + ", ROW_NUMBER() OVER (ORDER BY " +
                    Join(terms, ", ", "") + ") AS __pos FROM " + table + "),\n";

  // The candidates: related to one of the parents, passing the where.
  const std::string b = q.Alias();
  std::string from = table + " " + b;
  std::vector<std::string> key_exprs;
  std::vector<std::string> conditions;
  if (link != nullptr) {
    if (link->kind == Link::Kind::kJoin) {
      const ModelView& join = sv_.model(link->join);
      const std::string j = q.Alias();
      from +=
          " JOIN " + Quote(join.model->name) + " " + j + " ON " + Equal(b, mv, link->there, j, join, link->join_far);
      for (size_t c : link->join_near) key_exprs.push_back(Col(j, join, c));
    } else {
      for (size_t c : link->there) key_exprs.push_back(Col(b, mv, c));
    }
    std::vector<std::string> tuples;
    for (const std::vector<Cell>& k : parent_keys) {
      std::vector<std::string> vs;
      for (const Cell& v : k) vs.push_back(q.Param(v));
      tuples.push_back(key_exprs.size() == 1 ? vs[0] : "(" + Join(vs, ", ", "") + ")");
    }
    conditions.push_back(key_exprs.size() == 1
                             ? key_exprs[0] + " IN (" + Join(tuples, ", ", "") + ")"
                             : "(" + Join(key_exprs, ", ", "") + ") IN (VALUES " + Join(tuples, ", ", "") + ")");
  }
  if (!l.where.empty()) conditions.push_back("(" + q.Where(l.model, l.where[0], b) + ")");
  std::vector<std::string> keys;  // the parent key columns of the candidates
  std::string select = b + ".*";
  for (size_t i = 0; i < key_exprs.size(); ++i) {
    keys.push_back("__k" + std::to_string(i));
    select += ", " + key_exprs[i] + " AS " + keys.back();
  }
  std::vector<std::string> pk_match;
  for (size_t c : mv.pk) pk_match.push_back("p." + Quote(mv.name(c)) + " = " + Col(b, mv, c));
  sql += "cand AS (SELECT " + select + ", p.__pos AS __pos FROM " + from + " JOIN pos p ON " +
         Join(pk_match, " AND ", "1") + " WHERE " + Join(conditions, " AND ", "1") + "),\n";

  // distinct: the first row of each combination, per parent.
  if (l.distinct.empty()) {
    sql += "dist AS (SELECT *, 1 AS __d FROM cand),\n";
  } else {
    std::vector<std::string> by = keys;
    for (size_t c : l.distinct) by.push_back(Quote(mv.name(c)));
    sql += "dist AS (SELECT *, ROW_NUMBER() OVER (PARTITION BY " + Join(by, ", ", "") +
           " ORDER BY __pos) AS __d FROM cand),\n";
  }

  // The window per parent: from the cursor on (back to it with a negative
  // take), numbered from the end a negative take counts from.
  const bool backwards = l.take && *l.take < 0;
  std::string cursor;
  if (l.cursor) {
    std::vector<std::string> match;
    for (size_t i = 0; i < l.cursor->columns.size(); ++i) {
      match.push_back(Quote(mv.name(l.cursor->columns[i])) + " = " + q.Param(l.cursor->values[i]));
    }
    cursor = std::string(" AND __pos ") + (backwards ? "<=" : ">=") + " (SELECT __pos FROM pos WHERE " +
             Join(match, " AND ", "1") + ")";
  }
  const std::string partition = keys.empty() ? "" : "PARTITION BY " + Join(keys, ", ", "") + " ";
  sql += "win AS (SELECT *, ROW_NUMBER() OVER (" + partition + "ORDER BY __pos" + (backwards ? " DESC" : "") +
         ") AS __n FROM dist WHERE __d = 1" + cursor + ")\n";

  std::string outputs;
  for (size_t c = 0; c < mv.columns.size(); ++c) outputs += (c ? ", " : "") + Col("w", mv, c);
  for (const std::string& k : keys) outputs += ", w." + k;
  for (const CountSpec& c : counts) {
    const schema::Field& f = sv_.field(l.model, c.field);
    const Link cl = sv_.LinkOf(l.model, f);
    std::string alias, cond;
    const std::string rel = q.Related(mv, cl, "w", &alias, &cond);
    std::string filter = c.where.empty() ? "" : " AND (" + q.Where(f.related_model, c.where[0], alias) + ")";
    outputs += ", (SELECT COUNT(*) FROM " + rel + " WHERE " + cond + filter + ")";
  }
  const int64_t skip = l.skip.value_or(0);
  std::string window = "w.__n > " + std::to_string(skip);
  if (l.take) {
    // skip + |take|, which may pass INT64_MAX: then no table is that long.
    const unsigned __int128 take =
        *l.take < 0 ? static_cast<unsigned __int128>(-(*l.take + 1)) + 1 : static_cast<unsigned __int128>(*l.take);
    const unsigned __int128 end = static_cast<unsigned __int128>(skip) + take;
    if (end <= INT64_MAX) window += " AND w.__n <= " + std::to_string(static_cast<int64_t>(end));
  }
  std::string order;
  for (const std::string& k : keys) order += "w." + k + ", ";
  sql += "SELECT " + outputs + " FROM win w WHERE " + window + " ORDER BY " + order + "w.__pos";

  statements_.push_back(q.Inline(sql));
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    *error = std::string(sqlite3_errmsg(db_)) + " in\n" + q.Inline(sql);
    return out;
  }
  for (size_t i = 0; i < q.args().size(); ++i) Bind(stmt, static_cast<int>(i) + 1, q.args()[i]);
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    Row row;
    int col = 0;
    for (size_t c = 0; c < mv.columns.size(); ++c) row.push_back(ReadCell(stmt, col++));
    std::vector<Cell> key;
    for (size_t k = 0; k < keys.size(); ++k) key.push_back(ReadCell(stmt, col++));
    std::vector<int64_t> n;
    for (size_t k = 0; k < counts.size(); ++k) n.push_back(sqlite3_column_int64(stmt, col++));
    out.by_parent[KeyOf(key)].push_back(out.rows.size());
    out.rows.push_back(std::move(row));
    out.counts.push_back(std::move(n));
  }
  if (rc != SQLITE_DONE) *error = std::string(sqlite3_errmsg(db_)) + " in\n" + q.Inline(sql);
  sqlite3_finalize(stmt);
  return out;
}

void Reference::FetchChildren(const Level& l, Fetched* f, std::string* error) {
  for (const Level* child : ChildrenInOrder(l)) {
    const Link link = sv_.LinkOf(l.model, sv_.field(l.model, child->via));
    // Each parent key once; a parent with a null key has no related rows.
    std::map<std::string, std::vector<Cell>> keys;
    for (const Row& row : f->rows) {
      std::vector<Cell> k;
      for (size_t c : link.here) k.push_back(row[c]);
      if (!AnyNull(k)) keys.emplace(KeyOf(k), k);
    }
    std::vector<std::vector<Cell>> list;
    for (auto& [s, k] : keys) list.push_back(k);
    Fetched cf;
    if (!list.empty()) cf = Fetch(*child, &link, list, error);
    FetchChildren(*child, &cf, error);
    f->children.push_back(std::move(cf));
  }
}

void Reference::WriteRow(const Level& l, const Fetched& f, size_t row, json::Writer* w) const {
  const ModelView& mv = sv_.model(l.model);
  const std::vector<bool> selected = SelectedColumns(sv_, l);
  w->BeginObject();
  for (size_t c = 0; c < mv.columns.size(); ++c) {
    if (!selected[c]) continue;
    w->Key(mv.name(c));
    WriteValueJson(sv_, mv.column(c), f.rows[row][c], w);
  }
  const std::vector<CountSpec> counts = CountsInOrder(sv_, l);
  if (!counts.empty()) {
    w->Key("_count");
    w->BeginObject();
    for (size_t k = 0; k < counts.size(); ++k) {
      w->Key(sv_.field(l.model, counts[k].field).name);
      w->Int(f.counts[row][k]);
    }
    w->EndObject();
  }
  const std::vector<const Level*> children = ChildrenInOrder(l);
  for (size_t i = 0; i < children.size(); ++i) {
    const schema::Field& fd = sv_.field(l.model, children[i]->via);
    const Link link = sv_.LinkOf(l.model, fd);
    std::vector<Cell> key;
    for (size_t c : link.here) key.push_back(f.rows[row][c]);
    const Fetched& cf = f.children[i];
    const std::vector<size_t>* group = nullptr;
    if (!AnyNull(key)) {
      auto it = cf.by_parent.find(KeyOf(key));
      if (it != cf.by_parent.end()) group = &it->second;
    }
    w->Key(fd.name);
    if (fd.list) {
      w->BeginArray();
      for (size_t k = 0; group != nullptr && k < group->size(); ++k) WriteRow(*children[i], cf, (*group)[k], w);
      w->EndArray();
    } else if (group == nullptr || group->empty()) {
      w->Null();
    } else {
      WriteRow(*children[i], cf, (*group)[0], w);
    }
  }
  w->EndObject();
}

std::string Reference::Answer(const Request& r) {
  statements_.clear();
  std::string error;
  Fetched root = Fetch(r.root, nullptr, {}, &error);
  if (r.op != Operation::kCount) FetchChildren(r.root, &root, &error);
  if (!error.empty()) return "SQLite error: " + error;
  std::string out;
  json::Writer w(&out);
  switch (r.op) {
    case Operation::kCount: w.Int(static_cast<int64_t>(root.rows.size())); break;
    case Operation::kFindMany:
      w.BeginArray();
      for (size_t i = 0; i < root.rows.size(); ++i) WriteRow(r.root, root, i, &w);
      w.EndArray();
      break;
    case Operation::kFindFirst:
    case Operation::kFindUnique:
      if (root.rows.empty()) {
        w.Null();
      } else {
        WriteRow(r.root, root, 0, &w);
      }
      break;
  }
  return out;
}

std::string Reference::RowJson(schema::ModelIndex m, const Row& row) const {
  Level l;
  l.model = m;
  Fetched f;
  f.rows.push_back(row);
  f.counts.emplace_back();
  std::string out;
  json::Writer w(&out);
  WriteRow(l, f, 0, &w);
  return out;
}

std::string Reference::Dump(const std::vector<schema::ModelIndex>& models) const {
  std::string out;
  for (schema::ModelIndex m : models) {
    const ModelView& mv = sv_.model(m);
    out += CreateTable(mv) + "\n";
    const std::string sql = "SELECT * FROM " + Quote(mv.model->name);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) continue;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      std::vector<std::string> vs;
      for (size_t c = 0; c < mv.columns.size(); ++c) vs.push_back(SqlLiteral(ReadCell(stmt, static_cast<int>(c))));
      out += "INSERT INTO " + Quote(mv.model->name) + " VALUES (" + Join(vs, ", ", "") + ");\n";
    }
    sqlite3_finalize(stmt);
  }
  return out;
}

}  // namespace ormdb::querydiff

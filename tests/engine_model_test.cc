// Model test of the entity engine against SQLite: random inserts, updates
// (of plain, unique, foreign-key and primary-key fields), deletes, lookups
// and index scans run on ormDB and on SQLite holding the same tables and
// constraints. Both must agree on every outcome (success, no such row, or
// which kind of constraint failed) and hold the same rows. Ids are chosen
// by the test, so both systems see identical keys. Transactions of one or
// several operations commit or roll back in both, and ormDB is closed and
// reopened mid-run.
//
// A failure prints the seed (ORMDB_TEST_SEED=<seed> reruns it,
// ORMDB_TEST_SCALE=<n> runs n times longer) and a reproduction in SQL: the
// rows at the last full check, then every statement since.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "engine/database.h"
#include "tests/test_util.h"

namespace ormdb::engine {
namespace {

using schema::StorageType;
using schema::Value;

// Every kind of relation the engine treats differently: Post is clustered
// under its User and Comment under its Post (required foreign keys to the
// parent's id, the default clustering), Audit is clustered under its User
// but restricts the User's deletion, Audit.category restricts through a
// foreign-key index, Post.category sets null, and Category is a tree.
// Unique constraints on one column and on two, some with nullable columns
// (nulls never collide), and an index with a descending column.
constexpr char kSchema[] = R"(
model User {
  id     Int     @id
  email  String  @unique
  handle String? @unique
  karma  Int
  posts  Post[]
  audits Audit[]
}

model Post {
  id         Int       @id
  title      String
  rank       Int?
  score      Float?
  published  Boolean
  author     User      @relation(fields: [authorId], references: [id], onDelete: Cascade)
  authorId   Int
  category   Category? @relation(fields: [categoryId], references: [id], onDelete: SetNull)
  categoryId Int?
  comments   Comment[]

  @@unique([authorId, title])
  @@index([categoryId, rank(sort: Desc)])
}

model Comment {
  id     Int    @id
  body   String
  post   Post   @relation(fields: [postId], references: [id], onDelete: Cascade)
  postId Int
}

model Audit {
  id         Int       @id
  what       String
  seq        Int?
  user       User      @relation(fields: [userId], references: [id], onDelete: Restrict)
  userId     Int
  category   Category? @relation(fields: [categoryId], references: [id], onDelete: Restrict)
  categoryId Int?

  @@unique([userId, seq])
}

model Category {
  id       Int        @id
  name     String     @unique
  parent   Category?  @relation("Tree", fields: [parentId], references: [id], onDelete: Cascade)
  parentId Int?
  children Category[] @relation("Tree")
  posts    Post[]
  audits   Audit[]
}
)";

// The same in SQL. Prisma's onUpdate defaults to Cascade, so every foreign
// key says ON UPDATE CASCADE.
constexpr char kSqliteSchema[] = R"(
PRAGMA foreign_keys = ON;
CREATE TABLE "User" (
  "id"     INTEGER NOT NULL PRIMARY KEY,
  "email"  TEXT NOT NULL UNIQUE,
  "handle" TEXT UNIQUE,
  "karma"  INTEGER NOT NULL
) STRICT;
CREATE TABLE "Category" (
  "id"       INTEGER NOT NULL PRIMARY KEY,
  "name"     TEXT NOT NULL UNIQUE,
  "parentId" INTEGER REFERENCES "Category"("id") ON DELETE CASCADE ON UPDATE CASCADE
) STRICT;
CREATE INDEX "Category_parentId" ON "Category"("parentId");
CREATE TABLE "Post" (
  "id"         INTEGER NOT NULL PRIMARY KEY,
  "title"      TEXT NOT NULL,
  "rank"       INTEGER,
  "score"      REAL,
  "published"  INTEGER NOT NULL,
  "authorId"   INTEGER NOT NULL REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE,
  "categoryId" INTEGER REFERENCES "Category"("id") ON DELETE SET NULL ON UPDATE CASCADE,
  UNIQUE ("authorId", "title")
) STRICT;
CREATE INDEX "Post_categoryId_rank" ON "Post"("categoryId", "rank" DESC);
CREATE TABLE "Comment" (
  "id"     INTEGER NOT NULL PRIMARY KEY,
  "body"   TEXT NOT NULL,
  "postId" INTEGER NOT NULL REFERENCES "Post"("id") ON DELETE CASCADE ON UPDATE CASCADE
) STRICT;
CREATE INDEX "Comment_postId" ON "Comment"("postId");
CREATE TABLE "Audit" (
  "id"         INTEGER NOT NULL PRIMARY KEY,
  "what"       TEXT NOT NULL,
  "seq"        INTEGER,
  "userId"     INTEGER NOT NULL REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE,
  "categoryId" INTEGER REFERENCES "Category"("id") ON DELETE RESTRICT ON UPDATE CASCADE,
  UNIQUE ("userId", "seq")
) STRICT;
CREATE INDEX "Audit_userId" ON "Audit"("userId");
CREATE INDEX "Audit_categoryId" ON "Audit"("categoryId");
)";

// Ids are drawn from 1..n per model: small enough that inserts collide and
// foreign keys often name a row, large enough that some dangle.
int IdSpace(std::string_view model) {
  static const std::map<std::string, int, std::less<>> kSpaces = {
      {"User", 40}, {"Post", 80}, {"Comment", 100}, {"Audit", 40}, {"Category", 30}};
  return kSpaces.find(model)->second;
}

// Strings are the field name and a number below this: a small pool for
// unique fields, so they collide.
constexpr int kLargePool = 1000;
int StringPool(std::string_view field) {
  static const std::map<std::string, int, std::less<>> kPools = {
      {"email", 50}, {"handle", 20}, {"title", 6}, {"name", 40}};
  auto it = kPools.find(field);
  return it == kPools.end() ? kLargePool : it->second;
}

// How an operation ended. ormDB reports constraint failures as
// InvalidArgument naming the constraint; SQLite by extended result code.
enum class Outcome { kOk, kNotFound, kUnique, kForeignKey, kRequired, kOther };

std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kOk: return "ok";
    case Outcome::kNotFound: return "not found";
    case Outcome::kUnique: return "unique violation";
    case Outcome::kForeignKey: return "foreign key violation";
    case Outcome::kRequired: return "required field missing";
    case Outcome::kOther: return "other error";
  }
  return "?";
}

Outcome EngineOutcome(const Status& st) {
  if (st.ok()) return Outcome::kOk;
  if (st.IsNotFound()) return Outcome::kNotFound;
  if (!st.IsInvalidArgument()) return Outcome::kOther;
  const std::string text = st.ToString();
  auto has = [&](const char* what) { return text.find(what) != std::string::npos; };
  if (has("Unique constraint failed")) return Outcome::kUnique;
  if (has("Foreign key constraint failed") || has("cannot delete") || has("cannot change the key")) {
    return Outcome::kForeignKey;
  }
  if (has("is required")) return Outcome::kRequired;
  return Outcome::kOther;
}

// `rows_changed`: an UPDATE or DELETE that matched no row is ormDB's NotFound.
Outcome SqliteOutcome(int rc, bool counts_rows, int rows_changed) {
  switch (rc) {
    case SQLITE_OK: return counts_rows && rows_changed == 0 ? Outcome::kNotFound : Outcome::kOk;
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_ROWID:
    case SQLITE_CONSTRAINT_UNIQUE: return Outcome::kUnique;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
    case SQLITE_CONSTRAINT_TRIGGER:  // ON DELETE RESTRICT is a trigger inside SQLite; the schema has no others
      return Outcome::kForeignKey;
    case SQLITE_CONSTRAINT_NOTNULL: return Outcome::kRequired;
    default: return Outcome::kOther;
  }
}

std::string Quote(std::string_view name) { return "\"" + std::string(name) + "\""; }

std::string SqlLiteral(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull: return "NULL";
    case Value::Kind::kBool: return v.bool_value() ? "TRUE" : "FALSE";
    case Value::Kind::kString: {
      std::string s = "'";
      for (char c : v.string_value()) s += c == '\'' ? std::string("''") : std::string(1, c);
      return s + "'";
    }
    default: return v.ToString();
  }
}

// `sql` with each ? replaced by its argument (the values hold no '?').
std::string Inline(const std::string& sql, const std::vector<Value>& args) {
  std::string out;
  size_t next = 0;
  for (char c : sql) {
    if (c == '?' && next < args.size()) {
      out += SqlLiteral(args[next++]);
    } else {
      out += c;
    }
  }
  return out;
}

std::string Show(const Fields& row) {
  std::string s = "{";
  for (const auto& [name, v] : row) s += (s.size() > 1 ? ", " : "") + name + ": " + v.ToString();
  return s + "}";
}

std::string Show(const std::vector<Fields>& rows) {
  std::string s;
  for (const Fields& r : rows) s += "\n  " + Show(r);
  return s.empty() ? " (none)" : s;
}

// The reference: an in-memory SQLite database, statements prepared once.
class Reference {
 public:
  Reference() {
    if (sqlite3_open(":memory:", &db_) != SQLITE_OK) std::abort();
    sqlite3_extended_result_codes(db_, 1);
  }
  ~Reference() {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
  }
  Reference(const Reference&) = delete;
  Reference& operator=(const Reference&) = delete;

  void ExecScript(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      ADD_FAILURE() << "SQLite: " << error;
      sqlite3_free(error);
    }
  }

  // Runs one statement to completion; returns its extended result code
  // (SQLITE_OK when it succeeded) and the rows it changed itself.
  int Exec(const std::string& sql, const std::vector<Value>& args = {}, int* rows_changed = nullptr) {
    sqlite3_stmt* stmt = Prepare(sql, args);
    if (stmt == nullptr) return SQLITE_ERROR;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    const int code = rc == SQLITE_DONE ? SQLITE_OK : sqlite3_extended_errcode(db_);
    error_ = code == SQLITE_OK ? "" : sqlite3_errmsg(db_);
    sqlite3_reset(stmt);
    if (rows_changed != nullptr) *rows_changed = sqlite3_changes(db_);
    return code;
  }

  // Rows of a query selecting the stored fields of `m`, in their order.
  std::vector<Fields> Query(const std::string& sql, const std::vector<Value>& args, const ModelInfo& m) {
    std::vector<Fields> rows;
    sqlite3_stmt* stmt = Prepare(sql, args);
    if (stmt == nullptr) return rows;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      Fields& row = rows.emplace_back();
      for (size_t i = 0; i < m.fields.size(); ++i) {
        const int col = static_cast<int>(i);
        Value v;
        if (sqlite3_column_type(stmt, col) != SQLITE_NULL) {
          switch (m.fields[i].type) {
            case StorageType::kInt: v = Value::Int32(sqlite3_column_int(stmt, col)); break;
            case StorageType::kBoolean: v = Value::Bool(sqlite3_column_int(stmt, col) != 0); break;
            case StorageType::kFloat: v = Value::Double(sqlite3_column_double(stmt, col)); break;
            case StorageType::kString:
              v = Value::String(reinterpret_cast<const char*>(sqlite3_column_text(stmt, col)));
              break;
            default: ADD_FAILURE() << "no SQLite mapping for " << m.fields[i].def->name;
          }
        }
        row[m.fields[i].def->name] = std::move(v);
      }
    }
    if (rc != SQLITE_DONE) ADD_FAILURE() << "SQLite: " << sqlite3_errmsg(db_) << " in " << Inline(sql, args);
    sqlite3_reset(stmt);
    return rows;
  }

  int64_t Count(std::string_view table) {
    sqlite3_stmt* stmt = Prepare("SELECT count(*) FROM " + Quote(table), {});
    if (stmt == nullptr) return 0;
    int64_t n = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
    sqlite3_reset(stmt);
    return n;
  }

  // The error of the last Exec, if it failed.
  const std::string& error() const { return error_; }
  bool in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

 private:
  sqlite3_stmt* Prepare(const std::string& sql, const std::vector<Value>& args) {
    sqlite3_stmt*& stmt = statements_[sql];
    if (stmt == nullptr && sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << "SQLite: " << sqlite3_errmsg(db_) << " in " << sql;
      statements_.erase(sql);
      return nullptr;
    }
    sqlite3_clear_bindings(stmt);
    for (size_t i = 0; i < args.size(); ++i) {
      const int at = static_cast<int>(i) + 1;
      const Value& v = args[i];
      switch (v.kind()) {
        case Value::Kind::kNull: sqlite3_bind_null(stmt, at); break;
        case Value::Kind::kBool: sqlite3_bind_int(stmt, at, v.bool_value()); break;
        case Value::Kind::kInt32: sqlite3_bind_int(stmt, at, v.int32_value()); break;
        case Value::Kind::kInt64: sqlite3_bind_int64(stmt, at, v.int64_value()); break;
        case Value::Kind::kDouble: sqlite3_bind_double(stmt, at, v.double_value()); break;
        case Value::Kind::kString:
          sqlite3_bind_text(stmt, at, v.string_value().data(), static_cast<int>(v.string_value().size()),
                            SQLITE_TRANSIENT);
          break;
        default: ADD_FAILURE() << "no SQLite binding for " << v.ToString();
      }
    }
    return stmt;
  }

  sqlite3* db_ = nullptr;
  std::map<std::string, sqlite3_stmt*> statements_;
  std::string error_;
};

// One write, as both systems take it.
struct Op {
  enum class Kind { kInsert, kUpdate, kDelete };
  Kind kind = Kind::kInsert;
  const ModelInfo* model = nullptr;
  Fields where;   // update, delete: the primary key or one unique constraint
  Fields values;  // insert: the row; update: the changes
};

// " WHERE a = ? AND b = ?", its values appended to *args.
std::string WhereSql(const Fields& where, std::vector<Value>* args) {
  std::string sql;
  for (const auto& [name, v] : where) {
    sql += (sql.empty() ? " WHERE " : " AND ") + Quote(name) + " = ?";
    args->push_back(v);
  }
  return sql;
}

std::string ColumnList(const ModelInfo& m) {
  std::string cols;
  for (const FieldInfo& f : m.fields) cols += (cols.empty() ? "" : ", ") + Quote(f.def->name);
  return cols;
}

std::string OpSql(const Op& op, std::vector<Value>* args) {
  const std::string table = Quote(op.model->name());
  std::string sql;
  switch (op.kind) {
    case Op::Kind::kInsert: {
      std::string cols, marks;
      for (const auto& [name, v] : op.values) {
        cols += (cols.empty() ? "" : ", ") + Quote(name);
        marks += marks.empty() ? "?" : ", ?";
        args->push_back(v);
      }
      return "INSERT INTO " + table + " (" + cols + ") VALUES (" + marks + ")";
    }
    case Op::Kind::kUpdate:
      for (const auto& [name, v] : op.values) {
        sql += (sql.empty() ? "" : ", ") + Quote(name) + " = ?";
        args->push_back(v);
      }
      return "UPDATE " + table + " SET " + sql + WhereSql(op.where, args);
    case Op::Kind::kDelete: return "DELETE FROM " + table + WhereSql(op.where, args);
  }
  return sql;
}

// A column of an index as ordered by the engine.
struct KeyOrder {
  std::string name;
  bool desc = false;
};

// SQL true for rows at or past `bound` (a prefix of `cols`) in index order:
// at or after it for a lower bound, at or before it for an upper one. Nulls
// sort first in an ascending column (last in a descending one), as in the
// engine's keys; bound values are never null.
std::string BoundSql(const std::vector<KeyOrder>& cols, const std::vector<Value>& bound, bool lower,
                     std::vector<Value>* args) {
  std::string any;
  for (size_t i = 0; i <= bound.size(); ++i) {
    std::string term;
    for (size_t j = 0; j < i; ++j) {
      term += (term.empty() ? "" : " AND ") + Quote(cols[j].name) + " = ?";
      args->push_back(bound[j]);
    }
    if (i < bound.size()) {
      const std::string c = Quote(cols[i].name);
      const bool greater = lower != cols[i].desc;  // past the bound means a greater value
      term += (term.empty() ? "" : " AND ") + (greater ? c + " > ?" : "(" + c + " IS NULL OR " + c + " < ?)");
      args->push_back(bound[i]);
    }
    any += (any.empty() ? "(" : " OR (") + term + ")";
  }
  return "(" + any + ")";
}

struct Tally {
  std::map<std::string, int> outcomes;  // "insert Post: unique violation" -> count
  int transactions = 0, committed = 0, rolled_back = 0, finds = 0, scans = 0, scanned_rows = 0, reopens = 0;
};

class EngineModelTest : public ::testing::Test {
 protected:
  // Transactions per run at scale 1, a full comparison after every
  // kCheckEvery of them, and about kReopens reopens whatever the length.
  static constexpr int kTransactions = 2500;
  static constexpr int kCheckEvery = 25;
  static constexpr int kReopens = 6;

  void SetUp() override {
    seed_ = testing::TestSeed();
    std::printf("seed %" PRIu64 " (ORMDB_TEST_SEED to reproduce)\n", seed_);
    rng_.seed(seed_);
    ASSERT_NO_FATAL_FAILURE(Open());
    ASSERT_OK(db_->InstallSchema("schema.prisma", kSchema).status());
    catalog_ = db_->catalog();
    sql_.ExecScript(kSqliteSchema);
    for (const char* m : {"User", "Post", "Comment", "Audit", "Category"}) {
      ASSERT_NE(catalog_->FindModel(m), nullptr) << m;
    }
    ASSERT_TRUE(catalog_->FindModel("Post")->cluster) << "Post should be stored under its User";
    ASSERT_TRUE(catalog_->FindModel("Comment")->cluster) << "Comment should be stored under its Post";
    ASSERT_TRUE(catalog_->FindModel("Audit")->cluster) << "Audit should be stored under its User";
    ASSERT_FALSE(catalog_->FindModel("Category")->cluster);
  }

  // Small pages, so the few hundred rows span many of them (long strings go
  // to overflow pages), and a small log, so checkpoints run mid-run. Half
  // the closes skip the checkpoint: the next open replays the log.
  void Open() {
    DatabaseOptions o;
    o.store.tree.direct_io = false;
    o.store.tree.page_size = 512;
    o.store.log.sync = false;
    o.store.checkpoint_log_bytes = 256 << 10;
    o.store.checkpoint_on_close = OneIn(2);
    auto db = Database::Open(dir_.path(), o);
    ASSERT_OK(db.status());
    db_ = std::move(db).value();
    checkpoint_on_close_ = o.store.checkpoint_on_close;
  }

  void Reopen() {
    log_ += checkpoint_on_close_ ? "-- close ormDB (checkpoint) and reopen\n"
                                 : "-- close ormDB (no checkpoint: the log is replayed) and reopen\n";
    db_.reset();
    ASSERT_NO_FATAL_FAILURE(Open());
    ASSERT_EQ(db_->catalog()->version(), catalog_->version());
    catalog_ = db_->catalog();
    ++tally_.reopens;
  }

  uint64_t Below(uint64_t n) { return rng_() % n; }
  bool OneIn(uint64_t n) { return Below(n) == 0; }

  // Audits are picked least: each one pins a User (and maybe a Category)
  // against deletion, and with many of them nothing could be deleted.
  const ModelInfo& RandomModel() {
    static const char* kModels[] = {"User",    "User",    "Post",  "Post",     "Post",
                                    "Comment", "Comment", "Audit", "Category", "Category"};
    return *catalog_->FindModel(kModels[Below(std::size(kModels))]);
  }

  bool IsPrimaryKey(const ModelInfo& m, size_t field) const {
    return std::find(m.pk.begin(), m.pk.end(), field) != m.pk.end();
  }

  // The model a foreign-key field references, if it is one.
  const ModelInfo* Referenced(const ModelInfo& m, size_t field) const {
    for (const schema::Relation& r : catalog_->schema().relations) {
      if (r.from.model != m.def->index) continue;
      for (schema::FieldIndex f : r.fk_fields) {
        if (m.field_position[f.value()] == static_cast<int>(field)) return &catalog_->model(r.to.model);
      }
    }
    return nullptr;
  }

  // A row of `m` in the reference (as of this transaction), if any.
  std::optional<Fields> RandomRow(const ModelInfo& m) {
    const int64_t n = sql_.Count(m.name());
    if (n == 0) return std::nullopt;
    auto rows = sql_.Query("SELECT " + ColumnList(m) + " FROM " + Quote(m.name()) + " ORDER BY \"id\" LIMIT 1 OFFSET ?",
                           {Value::Int64(static_cast<int64_t>(Below(static_cast<uint64_t>(n))))}, m);
    if (rows.empty()) return std::nullopt;
    return rows[0];
  }

  // Mostly an existing row's id; sometimes any id, which may name no row.
  Value RandomId(const ModelInfo& m) {
    if (!OneIn(6)) {
      if (std::optional<Fields> row = RandomRow(m)) return (*row)["id"];
    }
    return Value::Int32(1 + static_cast<int32_t>(Below(static_cast<uint64_t>(IdSpace(m.name())))));
  }

  Value RandomValue(const ModelInfo& m, size_t field, bool allow_null) {
    const FieldInfo& f = m.fields[field];
    if (allow_null && f.nullable && OneIn(3)) return Value::Null();
    if (IsPrimaryKey(m, field)) return Value::Int32(1 + static_cast<int32_t>(Below(IdSpace(m.name()))));
    if (const ModelInfo* parent = Referenced(m, field)) return RandomId(*parent);
    switch (f.type) {
      case StorageType::kInt: return Value::Int32(static_cast<int32_t>(Below(20)) - 5);
      case StorageType::kFloat: return Value::Double(static_cast<double>(static_cast<int>(Below(41)) - 20) / 4);
      case StorageType::kBoolean: return Value::Bool(OneIn(2));
      case StorageType::kString: {
        const int pool = StringPool(f.def->name);
        std::string text = f.def->name + std::to_string(Below(static_cast<uint64_t>(pool)));
        if (pool == kLargePool && OneIn(4)) text.append(Below(1500), '.');  // past a page sometimes
        return Value::String(std::move(text));
      }
      default: ADD_FAILURE() << "no generator for " << f.def->name; return Value::Null();
    }
  }

  // The primary key and the unique constraints of `m`, as field positions.
  std::vector<std::vector<size_t>> UniqueKeys(const ModelInfo& m) const {
    std::vector<std::vector<size_t>> keys = {m.pk};
    for (const IndexInfo& ix : m.indexes) {
      if (ix.kind == IndexInfo::Kind::kUnique) keys.push_back(ix.columns);
    }
    return keys;
  }

  // Whether a row holds the values `row` gives the columns of `key`.
  bool Holds(const ModelInfo& m, const std::vector<size_t>& key, const Fields& row) {
    Fields where;
    for (size_t c : key) {
      auto it = row.find(m.fields[c].def->name);
      if (it == row.end() || it->second.is_null()) return false;
      where.insert(*it);
    }
    std::vector<Value> args;
    const std::string sql = "SELECT " + ColumnList(m) + " FROM " + Quote(m.name()) + WhereSql(where, &args);
    return !sql_.Query(sql, args, m).empty();
  }

  // A where naming one row by its primary key (mostly) or a unique
  // constraint: usually an existing row's values, sometimes random ones.
  Fields RandomWhere(const ModelInfo& m) {
    const auto keys = UniqueKeys(m);
    const std::vector<size_t>& key = OneIn(3) ? keys[Below(keys.size())] : m.pk;
    std::optional<Fields> row = OneIn(5) ? std::nullopt : RandomRow(m);
    Fields where;
    for (size_t c : key) {
      const std::string& name = m.fields[c].def->name;
      where[name] = row ? (*row)[name] : RandomValue(m, c, false);
    }
    return where;
  }

  // A random write that steers clear of the known bugs.
  Op RandomOp() {
    Op op = NewOp();
    return op;
  }

  Op NewOp() {
    const ModelInfo& m = RandomModel();
    Op op;
    op.model = &m;
    const uint64_t r = Below(100);
    if (r < 40) {
      op.kind = Op::Kind::kInsert;
      for (size_t i = 0; i < m.fields.size(); ++i) {
        if (m.fields[i].nullable && OneIn(4)) continue;  // left out: null
        op.values[m.fields[i].def->name] = RandomValue(m, i, true);
      }
      // Most inserts get keys no row holds, so that transactions of several
      // operations often commit; the rest collide as the pools make them.
      if (!OneIn(4)) {
        for (const std::vector<size_t>& key : UniqueKeys(m)) {
          for (int attempt = 0; attempt < 3 && Holds(m, key, op.values); ++attempt) {
            for (size_t c : key) op.values[m.fields[c].def->name] = RandomValue(m, c, false);
          }
        }
      }
    } else if (r < 75) {
      op.kind = Op::Kind::kUpdate;
      op.where = RandomWhere(m);
      const size_t changes = 1 + Below(3);
      for (size_t k = 0; k < changes; ++k) {
        const size_t i = Below(m.fields.size());
        if (!IsPrimaryKey(m, i)) op.values[m.fields[i].def->name] = RandomValue(m, i, true);
      }
      if (op.values.empty() || OneIn(8)) op.values["id"] = RandomValue(m, m.pk[0], false);
    } else {
      op.kind = Op::Kind::kDelete;
      op.where = RandomWhere(m);
    }
    if (op.kind != Op::Kind::kDelete && OneIn(40)) {
      // A required field set to null.
      const size_t i = Below(m.fields.size());
      if (!m.fields[i].nullable && !IsPrimaryKey(m, i)) op.values[m.fields[i].def->name] = Value::Null();
    }
    return op;
  }

  // Runs `op` on both; they must end alike, and a successful insert or
  // update must return the row as the reference now holds it.
  void Apply(Transaction& t, const Op& op, Outcome* outcome) {
    std::vector<Value> args;
    const std::string sql = OpSql(op, &args);
    log_ += Inline(sql, args) + ";\n";
    int rows_changed = 0;
    const int rc = sql_.Exec(sql, args, &rows_changed);
    const Outcome want = SqliteOutcome(rc, op.kind != Op::Kind::kInsert, rows_changed);
    const std::string sqlite_error = rc == SQLITE_OK ? "" : sql_.error() + " (" + std::to_string(rc) + ")";
    Status st;
    std::optional<Fields> returned;
    const std::string& model = op.model->name();
    switch (op.kind) {
      case Op::Kind::kInsert: {
        auto r = t.Insert(model, op.values);
        st = r.status();
        if (r.ok()) returned = *r;
        break;
      }
      case Op::Kind::kUpdate: {
        auto r = t.Update(model, op.where, op.values);
        st = r.status();
        if (r.ok()) returned = *r;
        break;
      }
      case Op::Kind::kDelete: st = t.Delete(model, op.where); break;
    }
    *outcome = EngineOutcome(st);
    static const char* kKinds[] = {"insert", "update", "delete"};
    ++tally_.outcomes[std::string(kKinds[static_cast<int>(op.kind)]) + " " + model + ": " +
                      std::string(OutcomeName(want))];
    ASSERT_EQ(OutcomeName(*outcome), OutcomeName(want))
        << "\nstatement: " << Inline(sql, args) << "\normDB: " << st.ToString() << "\nSQLite: " << sqlite_error
        << Reproduction();
    if (!returned) return;
    std::vector<Value> key_args;
    const std::string where = WhereSql({{"id", (*returned)["id"]}}, &key_args);
    auto stored = sql_.Query("SELECT " + ColumnList(*op.model) + " FROM " + Quote(model) + where, key_args, *op.model);
    ASSERT_EQ(stored.size(), 1u) << Inline(sql, args) << Reproduction();
    ASSERT_TRUE(*returned == stored[0]) << "\nstatement: " << Inline(sql, args) << "\normDB returned "
                                        << Show(*returned) << "\nSQLite holds   " << Show(stored[0])
                                        << Reproduction();
  }

  void CheckFind(Transaction& t) {
    const ModelInfo& m = RandomModel();
    const Fields where = RandomWhere(m);
    std::vector<Value> args;
    const std::string sql = "SELECT " + ColumnList(m) + " FROM " + Quote(m.name()) + WhereSql(where, &args);
    log_ += Inline(sql, args) + ";\n";
    std::vector<Fields> want = sql_.Query(sql, args, m);
    auto got = t.FindUnique(m.name(), where);
    ASSERT_OK(got.status());
    std::vector<Fields> rows;
    if (*got) rows.push_back(**got);
    ++tally_.finds;
    ASSERT_TRUE(rows == want) << "\nquery: " << Inline(sql, args) << "\normDB:" << Show(rows)
                              << "\nSQLite:" << Show(want) << Reproduction();
  }

  // The primary key and every index of `m`, with the columns each orders by
  // (the primary key last: it ends non-unique keys and keys with nulls).
  std::vector<std::pair<std::string, std::vector<KeyOrder>>> ScanTargets(const ModelInfo& m) const {
    std::vector<std::pair<std::string, std::vector<KeyOrder>>> targets = {{"", {{"id", false}}}};
    for (const IndexInfo& ix : m.indexes) {
      if (ix.building) continue;
      std::string name;
      std::vector<KeyOrder> order;
      for (size_t i = 0; i < ix.columns.size(); ++i) {
        const std::string& field = m.fields[ix.columns[i]].def->name;
        name += (name.empty() ? "" : ",") + field;
        order.push_back({field, ix.key[i].order == schema::SortOrder::kDesc});
      }
      order.push_back({"id", false});
      targets.emplace_back(std::move(name), std::move(order));
    }
    return targets;
  }

  // Compares a scan with the query that says it. With `bounded`, a random
  // range of a random index, either way, sometimes limited.
  void CheckScan(Transaction& t, const ModelInfo& m, const std::string& index, const std::vector<KeyOrder>& order,
                 bool bounded) {
    ScanSpec spec;
    spec.index = index;
    const size_t index_columns = index.empty() ? 1 : order.size() - 1;
    auto random_bound = [&]() {
      std::vector<Value> b;
      const size_t n = 1 + Below(index_columns);
      for (size_t i = 0; i < n; ++i) b.push_back(RandomValue(m, *m.FindField(order[i].name), false));
      return b;
    };
    if (bounded) {
      if (!OneIn(3)) spec.from = random_bound();
      if (!OneIn(3)) spec.to = random_bound();
      spec.reverse = OneIn(2);
      if (OneIn(3)) spec.limit = 1 + Below(8);
    }
    std::vector<Value> args;
    std::string conditions;
    if (spec.from) conditions += BoundSql(order, *spec.from, true, &args);
    if (spec.to) conditions += (conditions.empty() ? "" : " AND ") + BoundSql(order, *spec.to, false, &args);
    std::string order_by;
    for (const KeyOrder& k : order) {
      order_by += (order_by.empty() ? "" : ", ") + Quote(k.name) + (k.desc != spec.reverse ? " DESC" : "");
    }
    std::string sql = "SELECT " + ColumnList(m) + " FROM " + Quote(m.name()) +
                      (conditions.empty() ? "" : " WHERE " + conditions) + " ORDER BY " + order_by;
    if (spec.limit != SIZE_MAX) {
      sql += " LIMIT ?";
      args.push_back(Value::Int64(static_cast<int64_t>(spec.limit)));
    }
    log_ += Inline(sql, args) + ";\n";
    std::vector<Fields> want = sql_.Query(sql, args, m);
    auto got = t.Scan(m.name(), spec);
    ASSERT_OK(got.status());
    ++tally_.scans;
    tally_.scanned_rows += static_cast<int>(got->size());
    ASSERT_TRUE(*got == want) << "\nscan of " << m.name() << " by (" << index << ")\nquery: " << Inline(sql, args)
                              << "\normDB:" << Show(*got) << "\nSQLite:" << Show(want) << Reproduction();
  }

  void CheckRandomScan(Transaction& t) {
    const ModelInfo& m = RandomModel();
    auto targets = ScanTargets(m);
    const auto& [index, order] = targets[Below(targets.size())];
    CheckScan(t, m, index, order, true);
  }

  // Every row of every model, in primary-key order and in the order of each
  // index, equal in both; then the reproduction starts again from here.
  void CheckAll() {
    auto t = db_->Begin();
    std::string dump;
    for (const ModelInfo& m : catalog_->models()) {
      for (const auto& [index, order] : ScanTargets(m)) ASSERT_NO_FATAL_FAILURE(CheckScan(*t, m, index, order, false));
      for (const Fields& row : sql_.Query("SELECT " + ColumnList(m) + " FROM " + Quote(m.name()), {}, m)) {
        std::string cols, vals;
        for (const auto& [name, v] : row) {
          cols += (cols.empty() ? "" : ", ") + Quote(name);
          vals += (vals.empty() ? "" : ", ") + SqlLiteral(v);
        }
        dump += "INSERT INTO " + Quote(m.name()) + " (" + cols + ") VALUES (" + vals + ");\n";
      }
    }
    t->Rollback();
    checked_rows_ = std::move(dump);
    log_.clear();
  }

  // One transaction of `writes` operations with reads between them, the
  // same in both. An operation that fails ends it: ormDB's transaction is
  // then aborted, so both roll back (or ormDB's commit must fail).
  void RunTransaction(int writes) {
    auto t = db_->Begin();
    ASSERT_EQ(sql_.Exec("BEGIN"), SQLITE_OK);
    log_ += "BEGIN;\n";
    ++tally_.transactions;
    Outcome outcome = Outcome::kOk;
    for (int i = 0; i < writes && outcome == Outcome::kOk; ++i) {
      if (OneIn(4)) {
        ASSERT_NO_FATAL_FAILURE(CheckFind(*t));
      }
      if (OneIn(6)) {
        ASSERT_NO_FATAL_FAILURE(CheckRandomScan(*t));
      }
      ASSERT_NO_FATAL_FAILURE(Apply(*t, RandomOp(), &outcome));
    }
    if (outcome == Outcome::kOk && !OneIn(6)) {
      ASSERT_OK(t->Commit().status());
      ASSERT_EQ(sql_.Exec("COMMIT"), SQLITE_OK);
      log_ += "COMMIT;\n";
      ++tally_.committed;
      return;
    }
    if (outcome != Outcome::kOk && OneIn(2)) {
      Status st = t->Commit().status();
      ASSERT_TRUE(st.ToString().find("transaction aborted") != std::string::npos) << st.ToString();
    } else {
      t->Rollback();
    }
    ASSERT_EQ(sql_.Exec("ROLLBACK"), SQLITE_OK);
    log_ += "ROLLBACK;\n";
    ++tally_.rolled_back;
  }

  // For a failure message: how to get back to the failing statement. Rolls
  // the reference's open transaction back (the run is over by then).
  std::string Reproduction() {
    if (sql_.in_transaction()) sql_.Exec("ROLLBACK");
    return "\n\nseed " + std::to_string(seed_) + "; to reproduce, the rows at the last full check:\n" +
           "PRAGMA foreign_keys = OFF;\n" + checked_rows_ +
           "PRAGMA foreign_keys = ON;\n-- and the statements since:\n" +
           log_;
  }

  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
  bool checkpoint_on_close_ = true;
  std::shared_ptr<const Catalog> catalog_;
  Reference sql_;
  std::string checked_rows_;  // INSERTs of every row as of the last CheckAll
  std::string log_;           // every statement since
  Tally tally_;
};

TEST_F(EngineModelTest, RandomOperationsMatchSqlite) {
  const int transactions = static_cast<int>(kTransactions * testing::TestScale());
  const int reopen_every = std::max(1, transactions / kReopens);
  for (int i = 1; i <= transactions; ++i) {
    ASSERT_NO_FATAL_FAILURE(RunTransaction(OneIn(5) ? 2 + static_cast<int>(Below(5)) : 1));
    if (OneIn(10)) {
      // A scan outside any write, through a transaction that only reads.
      auto t = db_->Begin();
      ASSERT_NO_FATAL_FAILURE(CheckRandomScan(*t));
    }
    if (i % kCheckEvery == 0) {
      ASSERT_NO_FATAL_FAILURE(CheckAll());
    }
    if (i % reopen_every == 0) {
      ASSERT_NO_FATAL_FAILURE(Reopen());
      ASSERT_NO_FATAL_FAILURE(CheckAll());
    }
  }
  ASSERT_NO_FATAL_FAILURE(CheckAll());
  std::printf("%d transactions (%d committed, %d rolled back), %d finds, %d scans (%d rows), %d reopens\n",
              tally_.transactions, tally_.committed, tally_.rolled_back, tally_.finds, tally_.scans,
              tally_.scanned_rows, tally_.reopens);
  for (const auto& [what, n] : tally_.outcomes) std::printf("  %-45s %d\n", what.c_str(), n);
  for (const ModelInfo& m : catalog_->models()) {
    std::printf("  %-10s %" PRId64 " rows\n", m.name().c_str(), sql_.Count(m.name()));
  }
}

// Single cases the model test found, on the same schema.
class EngineSelfReferenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DatabaseOptions o;
    o.store.tree.direct_io = false;
    o.store.log.sync = false;
    auto db = Database::Open(dir_.path(), o);
    ASSERT_OK(db.status());
    db_ = std::move(db).value();
    ASSERT_OK(db_->InstallSchema("schema.prisma", kSchema).status());
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
};

Value I(int32_t i) { return Value::Int32(i); }
Value S(std::string s) { return Value::String(std::move(s)); }

// Changing the key of a row that references itself: SQL (SQLite, PostgreSQL)
// changes the row and, by ON UPDATE CASCADE, its reference to itself.
TEST_F(EngineSelfReferenceTest, KeyChangeOfARowReferencingItselfCascadesToItself) {
  auto t = db_->Begin();
  ASSERT_OK(t->Insert("Category", {{"id", I(1)}, {"name", S("a")}}).status());
  ASSERT_OK(t->Update("Category", {{"id", I(1)}}, {{"parentId", I(1)}}).status());
  auto moved = t->Update("Category", {{"id", I(1)}}, {{"id", I(2)}});
  ASSERT_OK(moved.status());
  EXPECT_EQ((*moved)["parentId"], I(2));
}

// A row may be inserted referencing itself: SQL checks the foreign key once
// the row is written.
TEST_F(EngineSelfReferenceTest, InsertOfARowReferencingItself) {
  auto t = db_->Begin();
  ASSERT_OK(t->Insert("Category", {{"id", I(1)}, {"name", S("a")}, {"parentId", I(1)}}).status());
}

// Likewise an update giving a row a new key and a reference to that key.
TEST_F(EngineSelfReferenceTest, UpdateToANewKeyReferencingItself) {
  auto t = db_->Begin();
  ASSERT_OK(t->Insert("Category", {{"id", I(1)}, {"name", S("a")}}).status());
  auto moved = t->Update("Category", {{"id", I(1)}}, {{"id", I(2)}, {"parentId", I(2)}});
  ASSERT_OK(moved.status());
  EXPECT_EQ((*moved)["parentId"], I(2));
}

// Giving a row a new key while pointing it at its old key: SQL cascades the
// key change to every row referencing the old key, this one included, so
// nothing dangles: Category(id = 2, parentId = 2).
TEST_F(EngineSelfReferenceTest, UpdateToANewKeyReferencingTheOldKey) {
  auto t = db_->Begin();
  ASSERT_OK(t->Insert("Category", {{"id", I(1)}, {"name", S("a")}}).status());
  auto moved = t->Update("Category", {{"id", I(1)}}, {{"id", I(2)}, {"parentId", I(1)}});
  ASSERT_OK(moved.status());
  EXPECT_EQ((*moved)["parentId"], I(2));
  auto old = t->FindUnique("Category", {{"id", I(1)}});
  ASSERT_OK(old.status());
  EXPECT_FALSE(*old);
}

}  // namespace
}  // namespace ormdb::engine

#include "bench/commit_engines.h"

#include <lmdb.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstring>

#include "mvcc/store.h"

namespace ormdb::bench {
namespace {

constexpr uint64_t kKeySeed = 0x6a09e667f3bcc909ull;
constexpr size_t kLmdbMapBytes = size_t{4} << 30;
constexpr int kSqliteBusyMs = 60000;

uint64_t SplitMix(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void PutBigEndian(uint64_t v, char* out) {
  for (int b = 7; b >= 0; --b) {
    out[b] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

void PutLittleEndian(uint64_t v, char* out, size_t n) {
  for (size_t b = 0; b < n; ++b) {
    out[b] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

// ------------------------------------------------------------------ ormDB

class OrmdbSession final : public CommitSession {
 public:
  explicit OrmdbSession(mvcc::Store* store) : store_(store) {}
  Status Commit(std::string_view key, std::string_view value) override {
    auto txn = store_->BeginWrite();
    RETURN_IF_ERROR(txn->Put(key, value));
    return txn->Commit().status();
  }

 private:
  mvcc::Store* store_;
};

class OrmdbEngine final : public CommitEngine {
 public:
  explicit OrmdbEngine(std::unique_ptr<mvcc::Store> store, const mvcc::StoreOptions& options)
      : store_(std::move(store)), options_(options) {}
  const char* name() const override { return "ormDB"; }
  std::string Describe() override {
    return std::string("mvcc::Store, log.sync=") + (options_.log.sync ? "on" : "off") +
           " (group commit), tree direct_io=" + (store_->tree().pager().direct_io() ? "on" : "off") +
           ", cache " + std::to_string(options_.tree.cache_bytes >> 20) + " MiB, background checkpoints every " +
           std::to_string(options_.checkpoint_log_bytes >> 20) + " MiB of log, snapshot isolation";
  }
  Result<std::unique_ptr<CommitSession>> NewSession() override {
    return std::unique_ptr<CommitSession>(new OrmdbSession(store_.get()));
  }
  Result<uint64_t> Count() override { return store_->tree().GetSnapshot().entries(); }
  bool SyncCounters(uint64_t* syncs, uint64_t* records) override {
    mvcc::StoreStats s = store_->stats();
    *syncs = s.log.syncs;
    *records = s.log.records;
    return true;
  }

 private:
  std::unique_ptr<mvcc::Store> store_;
  mvcc::StoreOptions options_;
};

Result<std::unique_ptr<CommitEngine>> OpenOrmdb(const std::string& dir) {
  mvcc::StoreOptions options;
  options.log.sync = true;
  ASSIGN_OR_RETURN(auto store, mvcc::Store::Open(dir, options));
  return std::unique_ptr<CommitEngine>(new OrmdbEngine(std::move(store), options));
}

// ----------------------------------------------------------------- SQLite

Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  std::string msg = "sqlite: " + std::string(what) + ": " + sqlite3_errstr(rc);
  if (db != nullptr) msg += std::string(" (") + sqlite3_errmsg(db) + ")";
  return rc == SQLITE_BUSY ? Status::Busy(msg) : Status::IOError(msg);
}

Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::OK();
  std::string msg = std::string("sqlite: ") + sql + ": " + (err != nullptr ? err : sqlite3_errstr(rc));
  sqlite3_free(err);
  return rc == SQLITE_BUSY ? Status::Busy(msg) : Status::IOError(msg);
}

class SqliteSession final : public CommitSession {
 public:
  ~SqliteSession() override {
    sqlite3_finalize(begin_);
    sqlite3_finalize(insert_);
    sqlite3_finalize(commit_);
    sqlite3_finalize(rollback_);
    sqlite3_close_v2(db_);
  }

  // Opens a connection with the benchmark's settings.
  static Result<std::unique_ptr<SqliteSession>> Open(const std::string& path) {
    std::unique_ptr<SqliteSession> s(new SqliteSession);
    int rc = sqlite3_open_v2(path.c_str(), &s->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) return SqliteError(s->db_, rc, "open " + path);
    sqlite3_busy_timeout(s->db_, kSqliteBusyMs);
    RETURN_IF_ERROR(Exec(s->db_, "PRAGMA journal_mode=WAL"));
    RETURN_IF_ERROR(Exec(s->db_, "PRAGMA synchronous=FULL"));
    RETURN_IF_ERROR(Exec(s->db_, "PRAGMA cache_size=-65536"));
    RETURN_IF_ERROR(Exec(s->db_, "CREATE TABLE IF NOT EXISTS kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID"));
    RETURN_IF_ERROR(s->Prepare("BEGIN IMMEDIATE", &s->begin_));
    RETURN_IF_ERROR(s->Prepare("INSERT INTO kv(k, v) VALUES(?1, ?2)", &s->insert_));
    RETURN_IF_ERROR(s->Prepare("COMMIT", &s->commit_));
    RETURN_IF_ERROR(s->Prepare("ROLLBACK", &s->rollback_));
    return s;
  }

  Status Commit(std::string_view key, std::string_view value) override {
    RETURN_IF_ERROR(Step(begin_, "BEGIN IMMEDIATE"));
    sqlite3_bind_blob(insert_, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
    sqlite3_bind_blob(insert_, 2, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
    Status st = Step(insert_, "INSERT");
    if (st.ok()) st = Step(commit_, "COMMIT");
    if (!st.ok()) (void)Step(rollback_, "ROLLBACK");
    return st;
  }

  Result<uint64_t> Count() {
    sqlite3_stmt* stmt = nullptr;
    RETURN_IF_ERROR(Prepare("SELECT count(*) FROM kv", &stmt));
    int rc = sqlite3_step(stmt);
    uint64_t n = rc == SQLITE_ROW ? static_cast<uint64_t>(sqlite3_column_int64(stmt, 0)) : 0;
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW) return SqliteError(db_, rc, "count");
    return n;
  }

 private:
  SqliteSession() = default;
  Status Prepare(const char* sql, sqlite3_stmt** stmt) {
    int rc = sqlite3_prepare_v2(db_, sql, -1, stmt, nullptr);
    return rc == SQLITE_OK ? Status::OK() : SqliteError(db_, rc, std::string("prepare ") + sql);
  }
  Status Step(sqlite3_stmt* stmt, const char* what) {
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    return rc == SQLITE_DONE ? Status::OK() : SqliteError(db_, rc, what);
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* rollback_ = nullptr;
};

class SqliteEngine final : public CommitEngine {
 public:
  const char* name() const override { return "SQLite"; }
  std::string Describe() override {
    return std::string("SQLite ") + sqlite3_libversion() +
           ", journal_mode=WAL, synchronous=FULL, one connection per client, busy_timeout " +
           std::to_string(kSqliteBusyMs) + " ms, BEGIN IMMEDIATE, cache_size 64 MiB, default wal_autocheckpoint, "
           "kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID";
  }
  Result<std::unique_ptr<CommitSession>> NewSession() override {
    ASSIGN_OR_RETURN(auto s, SqliteSession::Open(path_));
    return std::unique_ptr<CommitSession>(std::move(s));
  }
  Result<uint64_t> Count() override { return setup_->Count(); }

  static Result<std::unique_ptr<CommitEngine>> Open(const std::string& dir) {
    std::unique_ptr<SqliteEngine> e(new SqliteEngine);
    e->path_ = dir + "/bench.sqlite";
    ASSIGN_OR_RETURN(e->setup_, SqliteSession::Open(e->path_));  // creates the table; kept open for Count
    return std::unique_ptr<CommitEngine>(std::move(e));
  }

 private:
  std::string path_;
  std::unique_ptr<SqliteSession> setup_;
};

// ------------------------------------------------------------------- LMDB

Status LmdbError(int rc, std::string_view what) {
  return Status::IOError("lmdb: " + std::string(what) + ": " + mdb_strerror(rc));
}

class LmdbSession final : public CommitSession {
 public:
  LmdbSession(MDB_env* env, MDB_dbi dbi) : env_(env), dbi_(dbi) {}
  Status Commit(std::string_view key, std::string_view value) override {
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, 0, &txn);  // waits for the writer lock
    if (rc != 0) return LmdbError(rc, "mdb_txn_begin");
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    MDB_val v{value.size(), const_cast<char*>(value.data())};
    rc = mdb_put(txn, dbi_, &k, &v, 0);
    if (rc != 0) {
      mdb_txn_abort(txn);
      return LmdbError(rc, "mdb_put");
    }
    rc = mdb_txn_commit(txn);
    return rc == 0 ? Status::OK() : LmdbError(rc, "mdb_txn_commit");
  }

 private:
  MDB_env* env_;
  MDB_dbi dbi_;
};

class LmdbEngine final : public CommitEngine {
 public:
  ~LmdbEngine() override {
    if (env_ != nullptr) mdb_env_close(env_);
  }
  const char* name() const override { return "LMDB"; }
  std::string Describe() override {
    int major = 0, minor = 0, patch = 0;
    mdb_version(&major, &minor, &patch);
    return "LMDB " + std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch) +
           ", default flags (sync and meta sync on, no MDB_WRITEMAP), map " + std::to_string(kLmdbMapBytes >> 30) +
           " GiB, writers serialized by LMDB's writer lock";
  }
  Result<std::unique_ptr<CommitSession>> NewSession() override {
    return std::unique_ptr<CommitSession>(new LmdbSession(env_, dbi_));
  }
  Result<uint64_t> Count() override {
    MDB_stat st;
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
    if (rc != 0) return LmdbError(rc, "mdb_txn_begin");
    rc = mdb_stat(txn, dbi_, &st);
    mdb_txn_abort(txn);
    if (rc != 0) return LmdbError(rc, "mdb_stat");
    return static_cast<uint64_t>(st.ms_entries);
  }

  static Result<std::unique_ptr<CommitEngine>> Open(const std::string& dir) {
    std::unique_ptr<LmdbEngine> e(new LmdbEngine);
    int rc = mdb_env_create(&e->env_);
    if (rc != 0) return LmdbError(rc, "mdb_env_create");
    rc = mdb_env_set_mapsize(e->env_, kLmdbMapBytes);
    if (rc != 0) return LmdbError(rc, "mdb_env_set_mapsize");
    rc = mdb_env_open(e->env_, dir.c_str(), 0, 0644);
    if (rc != 0) return LmdbError(rc, "mdb_env_open " + dir);
    MDB_txn* txn = nullptr;
    rc = mdb_txn_begin(e->env_, nullptr, 0, &txn);
    if (rc != 0) return LmdbError(rc, "mdb_txn_begin");
    rc = mdb_dbi_open(txn, nullptr, 0, &e->dbi_);
    if (rc != 0) {
      mdb_txn_abort(txn);
      return LmdbError(rc, "mdb_dbi_open");
    }
    rc = mdb_txn_commit(txn);
    if (rc != 0) return LmdbError(rc, "mdb_txn_commit");
    return std::unique_ptr<CommitEngine>(std::move(e));
  }

 private:
  LmdbEngine() = default;
  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
};

}  // namespace

void CommitKey(uint64_t i, char* out) {
  uint64_t state = i ^ kKeySeed;
  PutBigEndian(SplitMix(&state), out);
  PutBigEndian(i, out + 8);
}

void CommitValue(uint64_t i, char* out) {
  uint64_t state = i;
  for (size_t off = 0; off < kCommitValueBytes; off += 8) {
    PutLittleEndian(SplitMix(&state), out + off, std::min<size_t>(8, kCommitValueBytes - off));
  }
}

const char* EngineName(EngineKind kind) {
  switch (kind) {
    case EngineKind::kOrmdb: return "ormDB";
    case EngineKind::kSqlite: return "SQLite";
    case EngineKind::kLmdb: return "LMDB";
  }
  return "?";
}

Result<std::unique_ptr<CommitEngine>> OpenCommitEngine(EngineKind kind, const std::string& dir) {
  switch (kind) {
    case EngineKind::kOrmdb: return OpenOrmdb(dir);
    case EngineKind::kSqlite: return SqliteEngine::Open(dir);
    case EngineKind::kLmdb: return LmdbEngine::Open(dir);
  }
  return Status::InvalidArgument("unknown engine");
}

}  // namespace ormdb::bench

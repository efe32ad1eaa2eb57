// graph_bench's SQLite database: the tables, indexes and settings, and
// loading the dataset into them.
#include <sqlite3.h>

#include "bench/graph_sqlite.h"

namespace ormdb::bench::graph {

Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  std::string msg = "sqlite: " + std::string(what) + ": " + sqlite3_errstr(rc);
  if (db != nullptr) msg += std::string(" (") + sqlite3_errmsg(db) + ")";
  return Status::IOError(msg);
}

Status SqliteExec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::OK();
  std::string msg = "sqlite: " + sql + ": " + (err != nullptr ? err : sqlite3_errstr(rc));
  sqlite3_free(err);
  return Status::IOError(msg);
}

std::string DescribeSqlite(const SqliteOptions& o) {
  return std::string("SQLite ") + sqlite3_libversion() + " (embedded), journal_mode=WAL, synchronous=FULL, cache_size " +
         std::to_string(o.cache_kib >> 10) + " MiB per connection, mmap off, one connection per thread, prepared "
         "statements, ANALYZE; INTEGER PRIMARY KEY ids, UNIQUE(User.email), indexes Post(authorId), Post(createdAt), "
         "Comment(postId), Comment(authorId), _PostToTag PRIMARY KEY(A,B) WITHOUT ROWID + index (B); "
         "DateTime as INTEGER microseconds";
}

// ------------------------------------------------------------------ loading

Status LoadSqlite(const std::string& path, const Dataset& d, size_t batch, const Progress& progress) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> owner(db, sqlite3_close_v2);
  if (rc != SQLITE_OK) return SqliteError(db, rc, "open " + path);
  RETURN_IF_ERROR(SqliteExec(db, "PRAGMA journal_mode=WAL"));
  RETURN_IF_ERROR(SqliteExec(db, "PRAGMA synchronous=NORMAL"));
  RETURN_IF_ERROR(SqliteExec(db, "PRAGMA cache_size=-262144"));
  // Indexes exist before the rows arrive, as in an application's database.
  RETURN_IF_ERROR(SqliteExec(db, R"(
    CREATE TABLE User (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,
                       bio TEXT NOT NULL, createdAt INTEGER NOT NULL);
    CREATE UNIQUE INDEX User_email_key ON User(email);
    CREATE TABLE Post (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL, views INTEGER NOT NULL,
                       published INTEGER NOT NULL, createdAt INTEGER NOT NULL,
                       authorId INTEGER NOT NULL REFERENCES User(id));
    CREATE INDEX Post_authorId_idx ON Post(authorId);
    CREATE INDEX Post_createdAt_idx ON Post(createdAt);
    CREATE TABLE Comment (id INTEGER PRIMARY KEY, body TEXT NOT NULL, createdAt INTEGER NOT NULL,
                          postId INTEGER NOT NULL REFERENCES Post(id), authorId INTEGER NOT NULL REFERENCES User(id));
    CREATE INDEX Comment_postId_idx ON Comment(postId);
    CREATE INDEX Comment_authorId_idx ON Comment(authorId);
    CREATE TABLE Tag (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
    CREATE UNIQUE INDEX Tag_name_key ON Tag(name);
    CREATE TABLE _PostToTag (A INTEGER NOT NULL REFERENCES Post(id), B INTEGER NOT NULL REFERENCES Tag(id),
                             PRIMARY KEY (A, B)) WITHOUT ROWID;
    CREATE INDEX _PostToTag_B_index ON _PostToTag(B);
  )"));

  auto load = [&](const char* sql, std::string_view what, size_t n, auto bind) -> Status {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db, rc, std::string("prepare ") + sql);
    Statement owner(s);
    for (size_t start = 0; start < n; start += batch) {
      RETURN_IF_ERROR(SqliteExec(db, "BEGIN"));
      const size_t end = std::min(n, start + batch);
      for (size_t i = start; i < end; ++i) {
        bind(s, i);
        rc = sqlite3_step(s);
        sqlite3_reset(s);
        if (rc != SQLITE_DONE) return SqliteError(db, rc, "insert into " + std::string(what));
      }
      RETURN_IF_ERROR(SqliteExec(db, "COMMIT"));
      if (progress) progress(what, end, n);
    }
    return Status::OK();
  };
  auto text = [](sqlite3_stmt* s, int i, const std::string& v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  };
  RETURN_IF_ERROR(load("INSERT INTO User VALUES (?1, ?2, ?3, ?4, ?5, ?6)", "users", d.users.size(),
                       [&](sqlite3_stmt* s, size_t i) {
                         const UserRow& u = d.users[i];
                         sqlite3_bind_int64(s, 1, u.id);
                         text(s, 2, u.email);
                         text(s, 3, u.name);
                         text(s, 4, u.status);
                         text(s, 5, u.bio);
                         sqlite3_bind_int64(s, 6, u.created_at_us);
                       }));
  RETURN_IF_ERROR(load("INSERT INTO Tag VALUES (?1, ?2)", "tags", d.tags.size(), [&](sqlite3_stmt* s, size_t i) {
    sqlite3_bind_int64(s, 1, d.tags[i].id);
    text(s, 2, d.tags[i].name);
  }));
  RETURN_IF_ERROR(load("INSERT INTO Post VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", "posts", d.posts.size(),
                       [&](sqlite3_stmt* s, size_t i) {
                         const PostRow& p = d.posts[i];
                         sqlite3_bind_int64(s, 1, p.id);
                         text(s, 2, p.title);
                         text(s, 3, p.body);
                         sqlite3_bind_int64(s, 4, p.views);
                         sqlite3_bind_int64(s, 5, p.published ? 1 : 0);
                         sqlite3_bind_int64(s, 6, p.created_at_us);
                         sqlite3_bind_int64(s, 7, p.author_id);
                       }));
  RETURN_IF_ERROR(load("INSERT INTO _PostToTag VALUES (?1, ?2)", "post tags", d.post_tags.size(),
                       [&](sqlite3_stmt* s, size_t i) {
                         sqlite3_bind_int64(s, 1, d.post_tags[i].first);
                         sqlite3_bind_int64(s, 2, d.post_tags[i].second);
                       }));
  RETURN_IF_ERROR(load("INSERT INTO Comment VALUES (?1, ?2, ?3, ?4, ?5)", "comments", d.comments.size(),
                       [&](sqlite3_stmt* s, size_t i) {
                         const CommentRow& c = d.comments[i];
                         sqlite3_bind_int64(s, 1, c.id);
                         text(s, 2, c.body);
                         sqlite3_bind_int64(s, 3, c.created_at_us);
                         sqlite3_bind_int64(s, 4, c.post_id);
                         sqlite3_bind_int64(s, 5, c.author_id);
                       }));
  RETURN_IF_ERROR(SqliteExec(db, "ANALYZE"));
  return SqliteExec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
}

}  // namespace ormdb::bench::graph

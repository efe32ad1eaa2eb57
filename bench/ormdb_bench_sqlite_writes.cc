#include "bench/ormdb_bench_sqlite_writes.h"

#include <sqlite3.h>

#include "bench/ormdb_bench_meters.h"

namespace ormdb::bench::whole {

namespace {

std::string CommentValues(int rows) {
  std::string sql = "INSERT INTO Comment (id, body, createdAt, postId, authorId) VALUES ";
  for (int i = 0; i < rows; ++i) sql += i > 0 ? ", (?, ?, ?, ?, ?)" : "(?, ?, ?, ?, ?)";
  return sql;
}

void BindComment(sqlite3_stmt* s, int at, const NewComment& c) {
  sqlite3_bind_int64(s, at + 1, c.id);
  sqlite3_bind_text(s, at + 2, c.body.data(), static_cast<int>(c.body.size()), SQLITE_STATIC);
  sqlite3_bind_int64(s, at + 3, c.created_at_us);
  sqlite3_bind_int64(s, at + 4, c.post_id);
  sqlite3_bind_int64(s, at + 5, c.author_id);
}

}  // namespace

Result<std::unique_ptr<SqliteWriter>> SqliteWriter::Open(const std::string& path) {
  std::unique_ptr<SqliteWriter> w(new SqliteWriter);
  int rc = sqlite3_open_v2(path.c_str(), &w->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, CountingSqliteVfs());
  if (rc != SQLITE_OK) return graph::SqliteError(w->db_, rc, "open " + path);
  RETURN_IF_ERROR(graph::SqliteExec(w->db_, "PRAGMA journal_mode=WAL"));
  RETURN_IF_ERROR(graph::SqliteExec(w->db_, "PRAGMA synchronous=FULL"));
  RETURN_IF_ERROR(graph::SqliteExec(w->db_, "PRAGMA foreign_keys=ON"));
  sqlite3_busy_timeout(w->db_, 10'000);
  auto prepare = [&](const std::string& sql, graph::Statement* out) -> Status {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v3(w->db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) return graph::SqliteError(w->db_, rc, "prepare " + sql);
    *out = graph::Statement(s);
    return Status::OK();
  };
  RETURN_IF_ERROR(prepare(CommentValues(1), &w->comment_));
  RETURN_IF_ERROR(prepare("INSERT INTO Post (id, title, body, views, published, createdAt, authorId) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?)",
                          &w->post_));
  RETURN_IF_ERROR(prepare(CommentValues(10), &w->comments10_));
  RETURN_IF_ERROR(prepare(CommentValues(100), &w->comments100_));
  RETURN_IF_ERROR(prepare("BEGIN IMMEDIATE", &w->begin_));
  RETURN_IF_ERROR(prepare("COMMIT", &w->commit_));
  RETURN_IF_ERROR(prepare("ROLLBACK", &w->rollback_));
  return w;
}

SqliteWriter::~SqliteWriter() { sqlite3_close_v2(db_); }

Status SqliteWriter::Step(graph::Statement& s) {
  int rc = sqlite3_step(s.get());
  sqlite3_reset(s.get());
  sqlite3_clear_bindings(s.get());
  return rc == SQLITE_DONE ? Status::OK() : graph::SqliteError(db_, rc, sqlite3_sql(s.get()));
}

Status SqliteWriter::InsertComment(const NewComment& c) {
  BindComment(comment_.get(), 0, c);
  return Step(comment_);
}

Status SqliteWriter::InsertPost(const NewPost& p) {
  RETURN_IF_ERROR(Step(begin_));
  sqlite3_stmt* s = post_.get();
  sqlite3_bind_int64(s, 1, p.id);
  sqlite3_bind_text(s, 2, p.title.data(), static_cast<int>(p.title.size()), SQLITE_STATIC);
  sqlite3_bind_text(s, 3, p.body.data(), static_cast<int>(p.body.size()), SQLITE_STATIC);
  sqlite3_bind_int64(s, 4, p.views);
  sqlite3_bind_int64(s, 5, p.published ? 1 : 0);
  sqlite3_bind_int64(s, 6, p.created_at_us);
  sqlite3_bind_int64(s, 7, p.author_id);
  Status st = Step(post_);
  if (st.ok()) {
    for (size_t i = 0; i < p.comments.size() && i < 10; ++i) BindComment(comments10_.get(), 5 * static_cast<int>(i), p.comments[i]);
    st = Step(comments10_);
  }
  if (!st.ok()) {
    (void)Step(rollback_);
    return st;
  }
  return Step(commit_);
}

Status SqliteWriter::InsertComments(const std::vector<NewComment>& cs) {
  for (size_t i = 0; i < cs.size() && i < 100; ++i) BindComment(comments100_.get(), 5 * static_cast<int>(i), cs[i]);
  return Step(comments100_);
}

}  // namespace ormdb::bench::whole

// ormdb-bench's SQLite writes (W6-W8): one connection per client thread,
// WAL with synchronous=FULL (durable at commit, as ormDB's and PostgreSQL's
// defaults), a 10 s busy timeout so concurrent writers queue for the lock.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bench/graph_sqlite.h"
#include "bench/ormdb_bench_pg.h"

namespace ormdb::bench::whole {

class SqliteWriter {
 public:
  static Result<std::unique_ptr<SqliteWriter>> Open(const std::string& path);
  ~SqliteWriter();
  Status InsertComment(const NewComment& c);                   // one INSERT, autocommit
  Status InsertPost(const NewPost& p);                         // BEGIN, 2 statements, COMMIT
  Status InsertComments(const std::vector<NewComment>& cs);   // one 100-row INSERT

 private:
  SqliteWriter() = default;
  Status Step(graph::Statement& s);
  sqlite3* db_ = nullptr;
  graph::Statement comment_, post_, comments10_, comments100_, begin_, commit_, rollback_;
};

}  // namespace ormdb::bench::whole

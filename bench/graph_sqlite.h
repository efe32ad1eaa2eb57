// graph_bench's SQLite side: the same tables and rows as ormDB's schema
// (Prisma's SQLite layout, with the indexes Prisma's migrations create),
// and each workload in the strategies ORMs use, each building the nested
// answer (bench/graph_result.h) from prepared statements:
//
//   N+1   one query per parent row at each level (W2: 1 + 1 + 10 queries)
//   JOIN  one query joining the levels (a window function for per-parent
//         take), its flat rows folded into the graph by id
//   IN    one query per level with the parent ids as an IN list (a window
//         per parent for per-parent take): Prisma's default
//   json  one query nesting json_group_array / json_object subqueries
//         (Prisma's "join" strategy), its text read into the graph
//
// W1 is the primary-key query alone (Strategy::kNPlusOne, reported as "pk").
// One SqliteSession is one connection and its statements: one per thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bench/graph_dataset.h"
#include "bench/graph_ormdb.h"
#include "bench/graph_result.h"
#include "util/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ormdb::bench::graph {

enum class Strategy : uint8_t { kNPlusOne, kJoin, kIn, kJson };
constexpr int kStrategies = 4;
constexpr Strategy kAllStrategies[kStrategies] = {Strategy::kNPlusOne, Strategy::kJoin, Strategy::kIn,
                                                  Strategy::kJson};
std::string_view StrategyName(Strategy s, Workload w);  // "N+1" ("pk" for W1), "JOIN", "IN", "json"

struct SqliteOptions {
  int64_t cache_kib = 256 * 1024;  // PRAGMA cache_size, per connection
};

std::string DescribeSqlite(const SqliteOptions& o);

// A failed call's Status: what was done, SQLite's error code and message.
Status SqliteError(sqlite3* db, int rc, std::string_view what);
// Runs `sql` (one or more statements without results).
Status SqliteExec(sqlite3* db, const std::string& sql);

// Creates the database file `path` and loads `d` in id order, `batch_rows`
// per transaction, then ANALYZE and a WAL checkpoint.
Status LoadSqlite(const std::string& path, const Dataset& d, size_t batch_rows, const Progress& progress);

// Reads one json-strategy answer (W2: one user object; W3: an array of
// users; W4: an array of posts, their authors kept once each in g->authors
// through `authors`, id -> index) into *g. Booleans are read as 0 / 1.
// Shared with ormdb-bench's PostgreSQL json_agg strategy.
Status ReadJsonAnswer(std::string_view text, Workload w, Graph* g, std::unordered_map<int64_t, size_t>* authors);

// A prepared statement, finalized with its owner.
class Statement {
 public:
  Statement() = default;
  explicit Statement(sqlite3_stmt* s) : s_(s) {}
  Statement(Statement&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  Statement& operator=(Statement&& o) noexcept;
  ~Statement();
  sqlite3_stmt* get() const { return s_; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

class SqliteSession {
 public:
  static Result<std::unique_ptr<SqliteSession>> Open(const std::string& path, const SqliteOptions& options);
  ~SqliteSession();
  SqliteSession(const SqliteSession&) = delete;
  SqliteSession& operator=(const SqliteSession&) = delete;

  // Runs workload `w` (parameter as for RequestText) with strategy `s`,
  // building the answer in *g.
  Status Fetch(Workload w, Strategy s, int64_t param, Graph* g);
  // Queries sent by the last Fetch.
  int queries() const { return queries_; }

 private:
  SqliteSession() = default;
  Status Prepare(const std::string& sql, Statement* out);
  // The statement `prefix` + "?1,...,?n" + `suffix`, prepared once per n.
  Result<sqlite3_stmt*> InList(int which, int n);
  // Steps `s` to the end, calling row(s) for each row; resets it.
  template <typename Row>
  Status Each(sqlite3_stmt* s, Row row);

  Status Point(int64_t id, Graph* g);
  Status PostsAndCommentsNPlusOne(sqlite3_stmt* posts, sqlite3_stmt* comments, Graph* g);
  Status GraphNPlusOne(int64_t id, Graph* g);
  Status GraphJoin(int64_t id, Graph* g);
  Status GraphIn(int64_t id, Graph* g);
  Status GraphJson(int64_t id, Graph* g);
  Status PageNPlusOne(int64_t cursor, Graph* g);
  Status PageJoin(int64_t cursor, Graph* g);
  Status PageIn(int64_t cursor, Graph* g);
  Status PageJson(int64_t cursor, Graph* g);
  Status FilteredNPlusOne(int64_t t, Graph* g);
  Status FilteredJoin(int64_t t, Graph* g);
  Status FilteredIn(int64_t t, Graph* g);
  Status FilteredJson(int64_t t, Graph* g);
  // Children by IN list for the IN strategy: users' posts and posts' comments.
  Status PostsOfUsers(int which, std::vector<UserObj>* users);
  Status CommentsOfPosts(int which, std::vector<PostObj*>& posts);
  Status ReadJson(sqlite3_stmt* s, Workload w, Graph* g);

  sqlite3* db_ = nullptr;
  int queries_ = 0;
  Statement user_, posts_of_user_, comments_of_post_, graph_join_, graph_json_;
  Statement page_users_, page_posts_of_user_, page_comments_of_post_, page_join_, page_json_;
  Statement filtered_posts_, filtered_comments_of_post_, filtered_join_, filtered_json_;
  struct InListSql {
    std::string prefix, suffix;
    std::map<int, Statement> by_arity;
  };
  std::vector<InListSql> in_lists_;
  std::unordered_map<int64_t, size_t> index_;  // id -> position, reused
  std::vector<PostObj*> post_ptrs_;
  std::vector<int64_t> ids_;
};

}  // namespace ormdb::bench::graph

// graph_bench's SQLite sessions: each workload in each strategy, from
// prepared statements to the nested objects.
#include "bench/graph_sqlite.h"

#include <sqlite3.h>

#include "bench/graph_json_reader.h"

namespace ormdb::bench::graph {

namespace {

// Column lists in ormDB's declaration order (the order of its blocks' columns).
constexpr std::string_view kUserCols[] = {"id", "email", "name", "status", "bio", "createdAt"};
constexpr std::string_view kPostCols[] = {"id", "title", "body", "views", "published", "createdAt", "authorId"};
constexpr std::string_view kCommentCols[] = {"id", "body", "createdAt", "postId", "authorId"};
constexpr int kUserWidth = 6, kPostWidth = 7;

template <size_t N>
std::string Cols(const std::string_view (&cols)[N], std::string_view alias = {}) {
  std::string out;
  for (std::string_view c : cols) {
    if (!out.empty()) out += ", ";
    if (!alias.empty()) out.append(alias).append(".");
    out.append(c);
  }
  return out;
}

// json_object('id', a.id, ...) over the columns, then `extra` members.
template <size_t N>
std::string JsonObject(const std::string_view (&cols)[N], std::string_view alias, const std::string& extra = {}) {
  std::string out = "json_object(";
  bool first = true;
  for (std::string_view c : cols) {
    if (!first) out += ", ";
    first = false;
    out.append("'").append(c).append("', ").append(alias).append(".").append(c);
  }
  if (!extra.empty()) out += ", " + extra;
  return out + ")";
}

void Text(sqlite3_stmt* s, int col, std::string* out) {
  const unsigned char* p = sqlite3_column_text(s, col);
  out->assign(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s, col)));
}

void ReadUser(sqlite3_stmt* s, int c, UserObj* u) {
  u->id = sqlite3_column_int64(s, c);
  Text(s, c + 1, &u->email);
  Text(s, c + 2, &u->name);
  Text(s, c + 3, &u->status);
  Text(s, c + 4, &u->bio);
  u->created_at_us = sqlite3_column_int64(s, c + 5);
}

void ReadPost(sqlite3_stmt* s, int c, PostObj* p) {
  p->id = sqlite3_column_int64(s, c);
  Text(s, c + 1, &p->title);
  Text(s, c + 2, &p->body);
  p->views = sqlite3_column_int64(s, c + 3);
  p->published = sqlite3_column_int64(s, c + 4) != 0;
  p->created_at_us = sqlite3_column_int64(s, c + 5);
  p->author_id = sqlite3_column_int64(s, c + 6);
}

void ReadComment(sqlite3_stmt* s, int c, CommentObj* m) {
  m->id = sqlite3_column_int64(s, c);
  Text(s, c + 1, &m->body);
  m->created_at_us = sqlite3_column_int64(s, c + 2);
  m->post_id = sqlite3_column_int64(s, c + 3);
  m->author_id = sqlite3_column_int64(s, c + 4);
}

// The IN-list statements (InList's `which`).
enum InListId : int {
  kGraphPostsIn,       // W2: posts of the users, by createdAt
  kGraphCommentsIn,    // W2: comments of the posts, by createdAt
  kPagePostsIn,        // W3: the first 5 posts by createdAt of each user
  kPageCommentsIn,     // W3: comments of the posts, by id
  kAuthorsIn,          // W4: the posts' authors
  kFilteredCommentsIn, // W4: the first 3 comments by id of each post
  kInLists
};

}  // namespace

std::string_view StrategyName(Strategy s, Workload w) {
  switch (s) {
    case Strategy::kNPlusOne: return w == Workload::kPoint ? "pk" : "N+1";
    case Strategy::kJoin: return "JOIN";
    case Strategy::kIn: return "IN";
    case Strategy::kJson: return "json";
  }
  return "?";
}

// ---------------------------------------------------------------- sessions

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(s_);
    s_ = o.s_;
    o.s_ = nullptr;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(s_); }

Status SqliteSession::Prepare(const std::string& sql, Statement* out) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, "prepare " + sql);
  *out = Statement(s);
  return Status::OK();
}

// sqlite3_close_v2 leaves the connection open until the statements, members
// destroyed after this body, are finalized.
SqliteSession::~SqliteSession() { sqlite3_close_v2(db_); }

Result<std::unique_ptr<SqliteSession>> SqliteSession::Open(const std::string& path, const SqliteOptions& options) {
  std::unique_ptr<SqliteSession> s(new SqliteSession);
  int rc = sqlite3_open_v2(path.c_str(), &s->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) return SqliteError(s->db_, rc, "open " + path);
  RETURN_IF_ERROR(SqliteExec(s->db_, "PRAGMA journal_mode=WAL"));
  RETURN_IF_ERROR(SqliteExec(s->db_, "PRAGMA synchronous=FULL"));
  RETURN_IF_ERROR(SqliteExec(s->db_, "PRAGMA cache_size=-" + std::to_string(options.cache_kib)));

  const std::string U = Cols(kUserCols), P = Cols(kPostCols), C = Cols(kCommentCols);
  const std::string uU = Cols(kUserCols, "u"), pP = Cols(kPostCols, "p"), cC = Cols(kCommentCols, "c");
  const std::string aU = Cols(kUserCols, "a");
  // W1, and the N+1 strategy's queries.
  RETURN_IF_ERROR(s->Prepare("SELECT " + U + " FROM User WHERE id = ?1", &s->user_));
  RETURN_IF_ERROR(s->Prepare("SELECT " + P + " FROM Post WHERE authorId = ?1 ORDER BY createdAt", &s->posts_of_user_));
  RETURN_IF_ERROR(
      s->Prepare("SELECT " + C + " FROM Comment WHERE postId = ?1 ORDER BY createdAt", &s->comments_of_post_));
  RETURN_IF_ERROR(s->Prepare("SELECT " + U + " FROM User WHERE id > ?1 ORDER BY id LIMIT 100", &s->page_users_));
  RETURN_IF_ERROR(s->Prepare("SELECT " + P + " FROM Post WHERE authorId = ?1 ORDER BY createdAt LIMIT 5",
                             &s->page_posts_of_user_));
  RETURN_IF_ERROR(
      s->Prepare("SELECT " + C + " FROM Comment WHERE postId = ?1 ORDER BY id", &s->page_comments_of_post_));
  RETURN_IF_ERROR(s->Prepare("SELECT " + P +
                                 ", (SELECT count(*) FROM Comment WHERE Comment.postId = Post.id) FROM Post "
                                 "WHERE createdAt >= ?1 AND published = 1 ORDER BY createdAt DESC LIMIT 20",
                             &s->filtered_posts_));
  RETURN_IF_ERROR(s->Prepare("SELECT " + C + " FROM Comment WHERE postId = ?1 ORDER BY id LIMIT 3",
                             &s->filtered_comments_of_post_));
  // JOIN.
  RETURN_IF_ERROR(s->Prepare("SELECT " + uU + ", " + pP + ", " + cC +
                                 " FROM User AS u LEFT JOIN Post AS p ON p.authorId = u.id"
                                 " LEFT JOIN Comment AS c ON c.postId = p.id WHERE u.id = ?1"
                                 " ORDER BY p.createdAt, c.createdAt",
                             &s->graph_join_));
  RETURN_IF_ERROR(s->Prepare(
      "WITH u AS (SELECT " + U + " FROM User WHERE id > ?1 ORDER BY id LIMIT 100),"
      " p AS (SELECT * FROM (SELECT " + P + ", row_number() OVER (PARTITION BY authorId ORDER BY createdAt) AS rn"
      " FROM Post WHERE authorId IN (SELECT id FROM u)) WHERE rn <= 5)"
      " SELECT " + uU + ", " + pP + ", " + cC +
      " FROM u LEFT JOIN p ON p.authorId = u.id LEFT JOIN Comment AS c ON c.postId = p.id"
      " ORDER BY u.id, p.createdAt, c.id",
      &s->page_join_));
  RETURN_IF_ERROR(s->Prepare(
      "WITH p AS (SELECT " + P + ", (SELECT count(*) FROM Comment WHERE Comment.postId = Post.id) AS cnt FROM Post"
      " WHERE createdAt >= ?1 AND published = 1 ORDER BY createdAt DESC LIMIT 20),"
      " c AS (SELECT * FROM (SELECT " + C + ", row_number() OVER (PARTITION BY postId ORDER BY id) AS rn"
      " FROM Comment WHERE postId IN (SELECT id FROM p)) WHERE rn <= 3)"
      " SELECT " + pP + ", p.cnt, " + aU + ", " + cC +
      " FROM p JOIN User AS a ON a.id = p.authorId LEFT JOIN c ON c.postId = p.id"
      " ORDER BY p.createdAt DESC, c.id",
      &s->filtered_join_));
  // json: subquery results lose their JSON subtype, hence json(...) around them.
  const std::string comment_obj = JsonObject(kCommentCols, "c");
  const std::string user_obj = JsonObject(kUserCols, "a");
  RETURN_IF_ERROR(s->Prepare(
      "SELECT " +
          JsonObject(kUserCols, "u",
                     "'posts', json((SELECT json_group_array(" +
                         JsonObject(kPostCols, "p",
                                    "'comments', json((SELECT json_group_array(" + comment_obj +
                                        ") FROM (SELECT * FROM Comment WHERE postId = p.id ORDER BY createdAt) AS c))") +
                         ") FROM (SELECT * FROM Post WHERE authorId = u.id ORDER BY createdAt) AS p))") +
          " FROM User AS u WHERE u.id = ?1",
      &s->graph_json_));
  RETURN_IF_ERROR(s->Prepare(
      "SELECT json_group_array(" +
          JsonObject(kUserCols, "u",
                     "'posts', json((SELECT json_group_array(" +
                         JsonObject(kPostCols, "p",
                                    "'comments', json((SELECT json_group_array(" + comment_obj +
                                        ") FROM (SELECT * FROM Comment WHERE postId = p.id ORDER BY id) AS c))") +
                         ") FROM (SELECT * FROM Post WHERE authorId = u.id ORDER BY createdAt LIMIT 5) AS p))") +
          ") FROM (SELECT * FROM User WHERE id > ?1 ORDER BY id LIMIT 100) AS u",
      &s->page_json_));
  RETURN_IF_ERROR(s->Prepare(
      "SELECT json_group_array(" +
          JsonObject(kPostCols, "p",
                     "'_count', (SELECT count(*) FROM Comment WHERE Comment.postId = p.id), "
                     "'author', json((SELECT " + user_obj + " FROM User AS a WHERE a.id = p.authorId)), "
                     "'comments', json((SELECT json_group_array(" + comment_obj +
                         ") FROM (SELECT * FROM Comment WHERE postId = p.id ORDER BY id LIMIT 3) AS c))") +
          ") FROM (SELECT * FROM Post WHERE createdAt >= ?1 AND published = 1 ORDER BY createdAt DESC LIMIT 20) AS p",
      &s->filtered_json_));
  // IN per level.
  s->in_lists_.resize(kInLists);
  s->in_lists_[kGraphPostsIn] = {"SELECT " + P + " FROM Post WHERE authorId IN (", ") ORDER BY authorId, createdAt", {}};
  s->in_lists_[kGraphCommentsIn] = {"SELECT " + C + " FROM Comment WHERE postId IN (", ") ORDER BY postId, createdAt",
                                    {}};
  s->in_lists_[kPagePostsIn] = {"SELECT " + P + " FROM (SELECT " + P +
                                    ", row_number() OVER (PARTITION BY authorId ORDER BY createdAt) AS rn"
                                    " FROM Post WHERE authorId IN (",
                                ")) WHERE rn <= 5 ORDER BY authorId, createdAt", {}};
  s->in_lists_[kPageCommentsIn] = {"SELECT " + C + " FROM Comment WHERE postId IN (", ") ORDER BY postId, id", {}};
  s->in_lists_[kAuthorsIn] = {"SELECT " + U + " FROM User WHERE id IN (", ")", {}};
  s->in_lists_[kFilteredCommentsIn] = {"SELECT " + C + " FROM (SELECT " + C +
                                           ", row_number() OVER (PARTITION BY postId ORDER BY id) AS rn"
                                           " FROM Comment WHERE postId IN (",
                                       ")) WHERE rn <= 3 ORDER BY postId, id", {}};
  return s;
}

Result<sqlite3_stmt*> SqliteSession::InList(int which, int n) {
  InListSql& l = in_lists_[which];
  auto it = l.by_arity.find(n);
  if (it == l.by_arity.end()) {
    std::string sql = l.prefix;
    for (int i = 1; i <= n; ++i) sql += (i > 1 ? ",?" : "?") + std::to_string(i);
    sql += l.suffix;
    Statement st;
    RETURN_IF_ERROR(Prepare(sql, &st));
    it = l.by_arity.emplace(n, std::move(st)).first;
  }
  sqlite3_stmt* s = it->second.get();
  for (int i = 0; i < n; ++i) sqlite3_bind_int64(s, i + 1, ids_[static_cast<size_t>(i)]);
  return s;
}

template <typename Row>
Status SqliteSession::Each(sqlite3_stmt* s, Row row) {
  ++queries_;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) row(s);
  sqlite3_reset(s);
  return rc == SQLITE_DONE ? Status::OK() : SqliteError(db_, rc, sqlite3_sql(s));
}

Status SqliteSession::Fetch(Workload w, Strategy s, int64_t param, Graph* g) {
  g->Clear();
  queries_ = 0;
  switch (w) {
    case Workload::kPoint: return Point(param, g);
    case Workload::kGraph:
      switch (s) {
        case Strategy::kNPlusOne: return GraphNPlusOne(param, g);
        case Strategy::kJoin: return GraphJoin(param, g);
        case Strategy::kIn: return GraphIn(param, g);
        case Strategy::kJson: return GraphJson(param, g);
      }
      break;
    case Workload::kPage:
      switch (s) {
        case Strategy::kNPlusOne: return PageNPlusOne(param, g);
        case Strategy::kJoin: return PageJoin(param, g);
        case Strategy::kIn: return PageIn(param, g);
        case Strategy::kJson: return PageJson(param, g);
      }
      break;
    case Workload::kFiltered:
      switch (s) {
        case Strategy::kNPlusOne: return FilteredNPlusOne(param, g);
        case Strategy::kJoin: return FilteredJoin(param, g);
        case Strategy::kIn: return FilteredIn(param, g);
        case Strategy::kJson: return FilteredJson(param, g);
      }
      break;
  }
  return Status::InvalidArgument("unknown workload or strategy");
}

// ---------------------------------------------------------------- W1, W2

Status SqliteSession::Point(int64_t id, Graph* g) {
  sqlite3_bind_int64(user_.get(), 1, id);
  return Each(user_.get(), [&](sqlite3_stmt* s) {
    g->users.emplace_back();
    ReadUser(s, 0, &g->users.back());
  });
}

// N+1 below the users: one query for each user's posts, then one for each
// post's comments.
Status SqliteSession::PostsAndCommentsNPlusOne(sqlite3_stmt* posts, sqlite3_stmt* comments, Graph* g) {
  for (UserObj& u : g->users) {
    sqlite3_bind_int64(posts, 1, u.id);
    RETURN_IF_ERROR(Each(posts, [&](sqlite3_stmt* s) {
      u.posts.emplace_back();
      ReadPost(s, 0, &u.posts.back());
    }));
    for (PostObj& p : u.posts) {
      sqlite3_bind_int64(comments, 1, p.id);
      RETURN_IF_ERROR(Each(comments, [&](sqlite3_stmt* s) {
        p.comments.emplace_back();
        ReadComment(s, 0, &p.comments.back());
      }));
    }
  }
  return Status::OK();
}

Status SqliteSession::GraphNPlusOne(int64_t id, Graph* g) {
  RETURN_IF_ERROR(Point(id, g));
  return PostsAndCommentsNPlusOne(posts_of_user_.get(), comments_of_post_.get(), g);
}

Status SqliteSession::GraphJoin(int64_t id, Graph* g) {
  sqlite3_bind_int64(graph_join_.get(), 1, id);
  return Each(graph_join_.get(), [&](sqlite3_stmt* s) {
    if (g->users.empty()) {
      g->users.emplace_back();
      ReadUser(s, 0, &g->users.back());
    }
    UserObj& u = g->users.back();
    const int pc = kUserWidth, cc = kUserWidth + kPostWidth;
    if (sqlite3_column_type(s, pc) == SQLITE_NULL) return;
    if (u.posts.empty() || u.posts.back().id != sqlite3_column_int64(s, pc)) {
      u.posts.emplace_back();
      ReadPost(s, pc, &u.posts.back());
    }
    if (sqlite3_column_type(s, cc) == SQLITE_NULL) return;
    u.posts.back().comments.emplace_back();
    ReadComment(s, cc, &u.posts.back().comments.back());
  });
}

Status SqliteSession::PostsOfUsers(int which, std::vector<UserObj>* users) {
  if (users->empty()) return Status::OK();
  ids_.clear();
  index_.clear();
  for (size_t i = 0; i < users->size(); ++i) {
    ids_.push_back((*users)[i].id);
    index_[(*users)[i].id] = i;
  }
  ASSIGN_OR_RETURN(sqlite3_stmt * st, InList(which, static_cast<int>(ids_.size())));
  return Each(st, [&](sqlite3_stmt* s) {
    UserObj& u = (*users)[index_[sqlite3_column_int64(s, 6)]];
    u.posts.emplace_back();
    ReadPost(s, 0, &u.posts.back());
  });
}

Status SqliteSession::CommentsOfPosts(int which, std::vector<PostObj*>& posts) {
  if (posts.empty()) return Status::OK();
  ids_.clear();
  index_.clear();
  for (size_t i = 0; i < posts.size(); ++i) {
    ids_.push_back(posts[i]->id);
    index_[posts[i]->id] = i;
  }
  ASSIGN_OR_RETURN(sqlite3_stmt * st, InList(which, static_cast<int>(ids_.size())));
  return Each(st, [&](sqlite3_stmt* s) {
    PostObj& p = *posts[index_[sqlite3_column_int64(s, 3)]];
    p.comments.emplace_back();
    ReadComment(s, 0, &p.comments.back());
  });
}

Status SqliteSession::GraphIn(int64_t id, Graph* g) {
  RETURN_IF_ERROR(Point(id, g));
  RETURN_IF_ERROR(PostsOfUsers(kGraphPostsIn, &g->users));
  post_ptrs_.clear();
  for (UserObj& u : g->users) {
    for (PostObj& p : u.posts) post_ptrs_.push_back(&p);
  }
  return CommentsOfPosts(kGraphCommentsIn, post_ptrs_);
}

// -------------------------------------------------------------------- W3

Status SqliteSession::PageNPlusOne(int64_t cursor, Graph* g) {
  sqlite3_bind_int64(page_users_.get(), 1, cursor);
  RETURN_IF_ERROR(Each(page_users_.get(), [&](sqlite3_stmt* s) {
    g->users.emplace_back();
    ReadUser(s, 0, &g->users.back());
  }));
  return PostsAndCommentsNPlusOne(page_posts_of_user_.get(), page_comments_of_post_.get(), g);
}

Status SqliteSession::PageJoin(int64_t cursor, Graph* g) {
  sqlite3_bind_int64(page_join_.get(), 1, cursor);
  return Each(page_join_.get(), [&](sqlite3_stmt* s) {
    if (g->users.empty() || g->users.back().id != sqlite3_column_int64(s, 0)) {
      g->users.emplace_back();
      ReadUser(s, 0, &g->users.back());
    }
    UserObj& u = g->users.back();
    const int pc = kUserWidth, cc = kUserWidth + kPostWidth;
    if (sqlite3_column_type(s, pc) == SQLITE_NULL) return;
    if (u.posts.empty() || u.posts.back().id != sqlite3_column_int64(s, pc)) {
      u.posts.emplace_back();
      ReadPost(s, pc, &u.posts.back());
    }
    if (sqlite3_column_type(s, cc) == SQLITE_NULL) return;
    u.posts.back().comments.emplace_back();
    ReadComment(s, cc, &u.posts.back().comments.back());
  });
}

Status SqliteSession::PageIn(int64_t cursor, Graph* g) {
  sqlite3_bind_int64(page_users_.get(), 1, cursor);
  RETURN_IF_ERROR(Each(page_users_.get(), [&](sqlite3_stmt* s) {
    g->users.emplace_back();
    ReadUser(s, 0, &g->users.back());
  }));
  RETURN_IF_ERROR(PostsOfUsers(kPagePostsIn, &g->users));
  post_ptrs_.clear();
  for (UserObj& u : g->users) {
    for (PostObj& p : u.posts) post_ptrs_.push_back(&p);
  }
  return CommentsOfPosts(kPageCommentsIn, post_ptrs_);
}

// -------------------------------------------------------------------- W4

namespace {

// Adds the author to the graph's identity map of authors unless there.
int64_t AddAuthor(Graph* g, std::unordered_map<int64_t, size_t>* index, UserObj&& u) {
  auto [it, fresh] = index->emplace(u.id, g->authors.size());
  if (fresh) g->authors.push_back(std::move(u));
  return static_cast<int64_t>(it->second);
}

}  // namespace

Status SqliteSession::FilteredNPlusOne(int64_t t, Graph* g) {
  sqlite3_bind_int64(filtered_posts_.get(), 1, t);
  RETURN_IF_ERROR(Each(filtered_posts_.get(), [&](sqlite3_stmt* s) {
    g->posts.emplace_back();
    ReadPost(s, 0, &g->posts.back());
    g->posts.back().comment_count = sqlite3_column_int64(s, kPostWidth);
  }));
  index_.clear();
  for (PostObj& p : g->posts) {
    sqlite3_bind_int64(user_.get(), 1, p.author_id);
    RETURN_IF_ERROR(Each(user_.get(), [&](sqlite3_stmt* s) {
      UserObj u;
      ReadUser(s, 0, &u);
      p.author = AddAuthor(g, &index_, std::move(u));
    }));
    sqlite3_bind_int64(filtered_comments_of_post_.get(), 1, p.id);
    RETURN_IF_ERROR(Each(filtered_comments_of_post_.get(), [&](sqlite3_stmt* s) {
      p.comments.emplace_back();
      ReadComment(s, 0, &p.comments.back());
    }));
  }
  return Status::OK();
}

Status SqliteSession::FilteredJoin(int64_t t, Graph* g) {
  sqlite3_bind_int64(filtered_join_.get(), 1, t);
  index_.clear();
  return Each(filtered_join_.get(), [&](sqlite3_stmt* s) {
    const int uc = kPostWidth + 1, cc = kPostWidth + 1 + kUserWidth;
    if (g->posts.empty() || g->posts.back().id != sqlite3_column_int64(s, 0)) {
      g->posts.emplace_back();
      PostObj& p = g->posts.back();
      ReadPost(s, 0, &p);
      p.comment_count = sqlite3_column_int64(s, kPostWidth);
      auto known = index_.find(sqlite3_column_int64(s, uc));
      if (known != index_.end()) {
        p.author = static_cast<int64_t>(known->second);
      } else {
        UserObj u;
        ReadUser(s, uc, &u);
        p.author = AddAuthor(g, &index_, std::move(u));
      }
    }
    if (sqlite3_column_type(s, cc) == SQLITE_NULL) return;
    g->posts.back().comments.emplace_back();
    ReadComment(s, cc, &g->posts.back().comments.back());
  });
}

Status SqliteSession::FilteredIn(int64_t t, Graph* g) {
  sqlite3_bind_int64(filtered_posts_.get(), 1, t);
  RETURN_IF_ERROR(Each(filtered_posts_.get(), [&](sqlite3_stmt* s) {
    g->posts.emplace_back();
    ReadPost(s, 0, &g->posts.back());
    g->posts.back().comment_count = sqlite3_column_int64(s, kPostWidth);
  }));
  if (g->posts.empty()) return Status::OK();
  // Authors: the distinct ids, one query.
  ids_.clear();
  index_.clear();
  for (const PostObj& p : g->posts) {
    if (index_.emplace(p.author_id, 0).second) ids_.push_back(p.author_id);
  }
  index_.clear();
  ASSIGN_OR_RETURN(sqlite3_stmt * st, InList(kAuthorsIn, static_cast<int>(ids_.size())));
  RETURN_IF_ERROR(Each(st, [&](sqlite3_stmt* s) {
    UserObj u;
    ReadUser(s, 0, &u);
    AddAuthor(g, &index_, std::move(u));
  }));
  for (PostObj& p : g->posts) {
    auto it = index_.find(p.author_id);
    if (it != index_.end()) p.author = static_cast<int64_t>(it->second);
  }
  post_ptrs_.clear();
  for (PostObj& p : g->posts) post_ptrs_.push_back(&p);
  return CommentsOfPosts(kFilteredCommentsIn, post_ptrs_);
}

// -------------------------------------------------------------------- json

namespace {

void ReadCommentJson(JsonReader* r, CommentObj* c) {
  r->Expect('{');
  if (r->TryConsume('}')) return;
  do {
    std::string_view k = r->Key();
    if (k == "id") c->id = r->Int();
    else if (k == "body") r->String(&c->body);
    else if (k == "createdAt") c->created_at_us = r->Int();
    else if (k == "postId") c->post_id = r->Int();
    else if (k == "authorId") c->author_id = r->Int();
    else r->Skip();
  } while (r->ok() && r->TryConsume(','));
  r->Expect('}');
}

template <typename T, typename ReadOne>
void ReadArray(JsonReader* r, std::vector<T>* out, ReadOne one) {
  r->Expect('[');
  if (r->TryConsume(']')) return;
  do {
    out->emplace_back();
    one(r, &out->back());
  } while (r->ok() && r->TryConsume(','));
  r->Expect(']');
}

void ReadUserJson(JsonReader* r, UserObj* u);

void ReadPostJson(JsonReader* r, PostObj* p, Graph* g, std::unordered_map<int64_t, size_t>* authors) {
  r->Expect('{');
  if (r->TryConsume('}')) return;
  do {
    std::string_view k = r->Key();
    if (k == "id") p->id = r->Int();
    else if (k == "title") r->String(&p->title);
    else if (k == "body") r->String(&p->body);
    else if (k == "views") p->views = r->Int();
    else if (k == "published") p->published = r->Int() != 0;
    else if (k == "createdAt") p->created_at_us = r->Int();
    else if (k == "authorId") p->author_id = r->Int();
    else if (k == "comments") ReadArray(r, &p->comments, ReadCommentJson);
    else if (k == "_count") p->comment_count = r->Int();
    else if (k == "author" && g != nullptr) {
      UserObj u;
      ReadUserJson(r, &u);
      p->author = AddAuthor(g, authors, std::move(u));
    } else {
      r->Skip();
    }
  } while (r->ok() && r->TryConsume(','));
  r->Expect('}');
}

void ReadUserJson(JsonReader* r, UserObj* u) {
  r->Expect('{');
  if (r->TryConsume('}')) return;
  do {
    std::string_view k = r->Key();
    if (k == "id") u->id = r->Int();
    else if (k == "email") r->String(&u->email);
    else if (k == "name") r->String(&u->name);
    else if (k == "status") r->String(&u->status);
    else if (k == "bio") r->String(&u->bio);
    else if (k == "createdAt") u->created_at_us = r->Int();
    else if (k == "posts") {
      ReadArray(r, &u->posts, [](JsonReader* r, PostObj* p) { ReadPostJson(r, p, nullptr, nullptr); });
    } else {
      r->Skip();
    }
  } while (r->ok() && r->TryConsume(','));
  r->Expect('}');
}

}  // namespace

Status ReadJsonAnswer(std::string_view text, Workload w, Graph* g, std::unordered_map<int64_t, size_t>* authors) {
  JsonReader r(text);
  if (w == Workload::kGraph) {
    g->users.emplace_back();
    ReadUserJson(&r, &g->users.back());
  } else if (w == Workload::kPage) {
    ReadArray(&r, &g->users, ReadUserJson);
  } else {
    ReadArray(&r, &g->posts, [&](JsonReader* r, PostObj* p) { ReadPostJson(r, p, g, authors); });
  }
  if (!r.ok() || !r.AtEnd()) {
    return Status::Corruption("json answer unreadable at byte " + std::to_string(r.position()) + ": " +
                              std::string(text.substr(0, 200)));
  }
  return Status::OK();
}

Status SqliteSession::ReadJson(sqlite3_stmt* st, Workload w, Graph* g) {
  Status bad;
  index_.clear();
  RETURN_IF_ERROR(Each(st, [&](sqlite3_stmt* s) {
    if (sqlite3_column_type(s, 0) == SQLITE_NULL) return;
    std::string_view text(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)),
                          static_cast<size_t>(sqlite3_column_bytes(s, 0)));
    Status st = ReadJsonAnswer(text, w, g, &index_);
    if (!st.ok()) bad = st.Annotate("sqlite");
  }));
  return bad;
}

Status SqliteSession::GraphJson(int64_t id, Graph* g) {
  sqlite3_bind_int64(graph_json_.get(), 1, id);
  return ReadJson(graph_json_.get(), Workload::kGraph, g);
}

Status SqliteSession::PageJson(int64_t cursor, Graph* g) {
  sqlite3_bind_int64(page_json_.get(), 1, cursor);
  return ReadJson(page_json_.get(), Workload::kPage, g);
}

Status SqliteSession::FilteredJson(int64_t t, Graph* g) {
  sqlite3_bind_int64(filtered_json_.get(), 1, t);
  return ReadJson(filtered_json_.get(), Workload::kFiltered, g);
}

}  // namespace ormdb::bench::graph

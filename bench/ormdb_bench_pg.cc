// ormdb-bench's PostgreSQL sessions: each workload in each strategy, from
// prepared statements to the nested objects, and the write workloads.
#include "bench/ormdb_bench_pg.h"

#include <libpq-fe.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>

namespace ormdb::bench::whole {

using graph::CommentObj;
using graph::PostObj;
using graph::UserObj;

namespace {

// Column lists in ormDB's declaration order, quoted as Prisma names them.
constexpr const char* kUserCols[] = {"id", "email", "name", "status", "bio", "\"createdAt\""};
constexpr const char* kPostCols[] = {"id", "title", "body", "views", "published", "\"createdAt\"", "\"authorId\""};
constexpr const char* kCommentCols[] = {"id", "body", "\"createdAt\"", "\"postId\"", "\"authorId\""};
constexpr int kUserWidth = 6, kPostWidth = 7;

template <size_t N>
std::string Cols(const char* const (&cols)[N], const char* alias = nullptr) {
  std::string out;
  for (const char* c : cols) {
    if (!out.empty()) out += ", ";
    if (alias != nullptr) out.append(alias).append(".");
    out.append(c);
  }
  return out;
}

// 'id', a.id, ... for json_build_object; booleans as 0 / 1 (the shared
// JSON reader reads integers).
template <size_t N>
std::string JsonFields(const char* const (&cols)[N], const char* alias) {
  std::string out;
  for (const char* c : cols) {
    if (!out.empty()) out += ", ";
    std::string key = c;
    if (key.front() == '"') key = key.substr(1, key.size() - 2);
    out += "'" + key + "', " + alias + "." + c;
    if (key == "published") out += "::int";
  }
  return out;
}

int64_t Int(pg_result* r, int row, int col) { return std::strtoll(PQgetvalue(r, row, col), nullptr, 10); }
void Text(pg_result* r, int row, int col, std::string* out) {
  out->assign(PQgetvalue(r, row, col), static_cast<size_t>(PQgetlength(r, row, col)));
}

void ReadUser(pg_result* r, int row, int c, UserObj* u) {
  u->id = Int(r, row, c);
  Text(r, row, c + 1, &u->email);
  Text(r, row, c + 2, &u->name);
  Text(r, row, c + 3, &u->status);
  Text(r, row, c + 4, &u->bio);
  u->created_at_us = Int(r, row, c + 5);
}

void ReadPost(pg_result* r, int row, int c, PostObj* p) {
  p->id = Int(r, row, c);
  Text(r, row, c + 1, &p->title);
  Text(r, row, c + 2, &p->body);
  p->views = Int(r, row, c + 3);
  p->published = PQgetvalue(r, row, c + 4)[0] == 't';
  p->created_at_us = Int(r, row, c + 5);
  p->author_id = Int(r, row, c + 6);
}

void ReadComment(pg_result* r, int row, int c, CommentObj* m) {
  m->id = Int(r, row, c);
  Text(r, row, c + 1, &m->body);
  m->created_at_us = Int(r, row, c + 2);
  m->post_id = Int(r, row, c + 3);
  m->author_id = Int(r, row, c + 4);
}

int64_t AddAuthor(Graph* g, std::unordered_map<int64_t, size_t>* index, UserObj&& u) {
  auto [it, fresh] = index->emplace(u.id, g->authors.size());
  if (fresh) g->authors.push_back(std::move(u));
  return static_cast<int64_t>(it->second);
}

std::string CommentValues(int rows) {
  std::string sql = "INSERT INTO \"Comment\" (" + Cols(kCommentCols) + ") VALUES ";
  for (int i = 0; i < rows; ++i) {
    if (i > 0) sql += ", ";
    sql += "(";
    for (int k = 1; k <= 5; ++k) sql += (k > 1 ? ", $" : "$") + std::to_string(5 * i + k);
    sql += ")";
  }
  return sql;
}

void AppendComment(const NewComment& c, std::vector<std::string>* params) {
  params->push_back(std::to_string(c.id));
  params->push_back(c.body);
  params->push_back(std::to_string(c.created_at_us));
  params->push_back(std::to_string(c.post_id));
  params->push_back(std::to_string(c.author_id));
}

}  // namespace

// ----------------------------------------------------------------- sessions

Result<std::unique_ptr<PgSession>> PgSession::Open(const std::string& conninfo) {
  std::unique_ptr<PgSession> s(new PgSession);
  s->conn_ = PQconnectdb(conninfo.c_str());
  if (PQstatus(s->conn_) != CONNECTION_OK) {
    return Status::IOError("postgres: connect " + conninfo + ": " + PQerrorMessage(s->conn_));
  }
  const std::string U = Cols(kUserCols), P = Cols(kPostCols), C = Cols(kCommentCols);
  const std::string uU = Cols(kUserCols, "u"), pP = Cols(kPostCols, "p"), cC = Cols(kCommentCols, "c");
  const std::string aU = Cols(kUserCols, "a");
  // W1, and the N+1 strategy's queries.
  RETURN_IF_ERROR(s->Prepare("user", "SELECT " + U + " FROM \"User\" WHERE id = $1"));
  RETURN_IF_ERROR(s->Prepare("posts_of_user", "SELECT " + P + " FROM \"Post\" WHERE \"authorId\" = $1 ORDER BY \"createdAt\""));
  RETURN_IF_ERROR(
      s->Prepare("comments_of_post", "SELECT " + C + " FROM \"Comment\" WHERE \"postId\" = $1 ORDER BY \"createdAt\""));
  RETURN_IF_ERROR(s->Prepare("page_users", "SELECT " + U + " FROM \"User\" WHERE id > $1 ORDER BY id LIMIT 100"));
  RETURN_IF_ERROR(s->Prepare("page_posts_of_user", "SELECT " + P +
                                                        " FROM \"Post\" WHERE \"authorId\" = $1 ORDER BY \"createdAt\" LIMIT 5"));
  RETURN_IF_ERROR(
      s->Prepare("page_comments_of_post", "SELECT " + C + " FROM \"Comment\" WHERE \"postId\" = $1 ORDER BY id"));
  const std::string count = "(SELECT count(*) FROM \"Comment\" x WHERE x.\"postId\" = \"Post\".id)";
  RETURN_IF_ERROR(s->Prepare("filtered_posts", "SELECT " + P + ", " + count +
                                                   " FROM \"Post\" WHERE \"createdAt\" >= $1 AND published"
                                                   " ORDER BY \"createdAt\" DESC LIMIT 20"));
  RETURN_IF_ERROR(s->Prepare("filtered_comments_of_post",
                             "SELECT " + C + " FROM \"Comment\" WHERE \"postId\" = $1 ORDER BY id LIMIT 3"));
  // JOIN.
  RETURN_IF_ERROR(s->Prepare("graph_join", "SELECT " + uU + ", " + pP + ", " + cC +
                                               " FROM \"User\" u LEFT JOIN \"Post\" p ON p.\"authorId\" = u.id"
                                               " LEFT JOIN \"Comment\" c ON c.\"postId\" = p.id WHERE u.id = $1"
                                               " ORDER BY p.\"createdAt\", c.\"createdAt\""));
  RETURN_IF_ERROR(s->Prepare(
      "page_join", "WITH u AS (SELECT " + U + " FROM \"User\" WHERE id > $1 ORDER BY id LIMIT 100),"
                   " p AS (SELECT * FROM (SELECT " + P +
                       ", row_number() OVER (PARTITION BY \"authorId\" ORDER BY \"createdAt\") AS rn"
                       " FROM \"Post\" WHERE \"authorId\" IN (SELECT id FROM u)) t WHERE rn <= 5)"
                       " SELECT " + uU + ", " + pP + ", " + cC +
                       " FROM u LEFT JOIN p ON p.\"authorId\" = u.id LEFT JOIN \"Comment\" c ON c.\"postId\" = p.id"
                       " ORDER BY u.id, p.\"createdAt\", c.id"));
  RETURN_IF_ERROR(s->Prepare(
      "filtered_join", "WITH p AS (SELECT " + P + ", " + count +
                           " AS cnt FROM \"Post\" WHERE \"createdAt\" >= $1 AND published"
                           " ORDER BY \"createdAt\" DESC LIMIT 20),"
                           " c AS (SELECT * FROM (SELECT " + C +
                           ", row_number() OVER (PARTITION BY \"postId\" ORDER BY id) AS rn"
                           " FROM \"Comment\" WHERE \"postId\" IN (SELECT id FROM p)) t WHERE rn <= 3)"
                           " SELECT " + pP + ", p.cnt, " + aU + ", " + cC +
                           " FROM p JOIN \"User\" a ON a.id = p.\"authorId\" LEFT JOIN c ON c.\"postId\" = p.id"
                           " ORDER BY p.\"createdAt\" DESC, c.id"));
  // IN per level: the parent ids as one int[] parameter.
  RETURN_IF_ERROR(s->Prepare("in_graph_posts", "SELECT " + P +
                                                   " FROM \"Post\" WHERE \"authorId\" = ANY($1::int[])"
                                                   " ORDER BY \"authorId\", \"createdAt\""));
  RETURN_IF_ERROR(s->Prepare("in_graph_comments", "SELECT " + C +
                                                      " FROM \"Comment\" WHERE \"postId\" = ANY($1::int[])"
                                                      " ORDER BY \"postId\", \"createdAt\""));
  RETURN_IF_ERROR(s->Prepare("in_page_posts", "SELECT " + P + " FROM (SELECT " + P +
                                                  ", row_number() OVER (PARTITION BY \"authorId\" ORDER BY "
                                                  "\"createdAt\") AS rn FROM \"Post\" WHERE \"authorId\" = "
                                                  "ANY($1::int[])) t WHERE rn <= 5 ORDER BY \"authorId\", \"createdAt\""));
  RETURN_IF_ERROR(s->Prepare("in_page_comments", "SELECT " + C +
                                                     " FROM \"Comment\" WHERE \"postId\" = ANY($1::int[])"
                                                     " ORDER BY \"postId\", id"));
  RETURN_IF_ERROR(s->Prepare("in_authors", "SELECT " + U + " FROM \"User\" WHERE id = ANY($1::int[])"));
  RETURN_IF_ERROR(s->Prepare("in_filtered_comments",
                             "SELECT " + C + " FROM (SELECT " + C +
                                 ", row_number() OVER (PARTITION BY \"postId\" ORDER BY id) AS rn FROM \"Comment\""
                                 " WHERE \"postId\" = ANY($1::int[])) t WHERE rn <= 3 ORDER BY \"postId\", id"));
  // json: nested json_agg under LEFT JOIN LATERAL, as Prisma's relationJoins.
  const std::string uJ = JsonFields(kUserCols, "u"), pJ = JsonFields(kPostCols, "p"),
                    cJ = JsonFields(kCommentCols, "c"), aJ = JsonFields(kUserCols, "a");
  RETURN_IF_ERROR(s->Prepare(
      "graph_json",
      "SELECT json_build_object(" + uJ + ", 'posts', coalesce(pp.j, '[]'::json)) FROM \"User\" u"
      " LEFT JOIN LATERAL (SELECT json_agg(json_build_object(" + pJ +
          ", 'comments', coalesce(cc.j, '[]'::json)) ORDER BY p.\"createdAt\") AS j FROM \"Post\" p"
          " LEFT JOIN LATERAL (SELECT json_agg(json_build_object(" + cJ +
          ") ORDER BY c.\"createdAt\") AS j FROM \"Comment\" c WHERE c.\"postId\" = p.id) cc ON true"
          " WHERE p.\"authorId\" = u.id) pp ON true WHERE u.id = $1"));
  RETURN_IF_ERROR(s->Prepare(
      "page_json",
      "SELECT coalesce(json_agg(json_build_object(" + uJ +
          ", 'posts', coalesce(pp.j, '[]'::json)) ORDER BY u.id), '[]'::json)"
          " FROM (SELECT * FROM \"User\" WHERE id > $1 ORDER BY id LIMIT 100) u"
          " LEFT JOIN LATERAL (SELECT json_agg(json_build_object(" + pJ +
          ", 'comments', coalesce(cc.j, '[]'::json)) ORDER BY p.\"createdAt\") AS j"
          " FROM (SELECT * FROM \"Post\" WHERE \"authorId\" = u.id ORDER BY \"createdAt\" LIMIT 5) p"
          " LEFT JOIN LATERAL (SELECT json_agg(json_build_object(" + cJ +
          ") ORDER BY c.id) AS j FROM \"Comment\" c WHERE c.\"postId\" = p.id) cc ON true) pp ON true"));
  RETURN_IF_ERROR(s->Prepare(
      "filtered_json",
      "SELECT coalesce(json_agg(json_build_object(" + pJ +
          ", '_count', (SELECT count(*) FROM \"Comment\" x WHERE x.\"postId\" = p.id), 'author', json_build_object(" +
          aJ + "), 'comments', coalesce(cc.j, '[]'::json)) ORDER BY p.\"createdAt\" DESC), '[]'::json)"
               " FROM (SELECT * FROM \"Post\" WHERE \"createdAt\" >= $1 AND published"
               " ORDER BY \"createdAt\" DESC LIMIT 20) p JOIN \"User\" a ON a.id = p.\"authorId\""
               " LEFT JOIN LATERAL (SELECT json_agg(json_build_object(" + cJ +
          ") ORDER BY c.id) AS j FROM (SELECT * FROM \"Comment\" WHERE \"postId\" = p.id ORDER BY id LIMIT 3) c)"
          " cc ON true"));
  // Writes.
  RETURN_IF_ERROR(s->Prepare("ins_comment", CommentValues(1)));
  RETURN_IF_ERROR(s->Prepare("ins_post", "INSERT INTO \"Post\" (" + P + ") VALUES ($1, $2, $3, $4, $5, $6, $7)"));
  RETURN_IF_ERROR(s->Prepare("ins_comments10", CommentValues(10)));
  RETURN_IF_ERROR(s->Prepare("ins_comments100", CommentValues(100)));
  return s;
}

PgSession::~PgSession() {
  if (res_ != nullptr) PQclear(res_);
  if (conn_ != nullptr) PQfinish(conn_);
}

Status PgSession::Prepare(const char* name, const std::string& sql) {
  pg_result* r = PQprepare(conn_, name, sql.c_str(), 0, nullptr);
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string err = ok ? "" : PQresultErrorMessage(r);
  PQclear(r);
  if (!ok) return Status::IOError("postgres: prepare " + sql + ": " + err);
  return Status::OK();
}

Status PgSession::Exec(const char* name, const std::vector<std::string>& params) {
  if (res_ != nullptr) PQclear(res_);
  const char* values[512];
  if (params.size() > 512) return Status::InvalidArgument("too many parameters");
  for (size_t i = 0; i < params.size(); ++i) values[i] = params[i].c_str();
  ++queries_;
  res_ = PQexecPrepared(conn_, name, static_cast<int>(params.size()), values, nullptr, nullptr, 0);
  ExecStatusType st = PQresultStatus(res_);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    return Status::IOError(std::string("postgres: ") + name + ": " + PQresultErrorMessage(res_));
  }
  return Status::OK();
}

Status PgSession::ExecSimple(const char* sql) {
  if (res_ != nullptr) PQclear(res_);
  ++queries_;
  res_ = PQexec(conn_, sql);
  if (PQresultStatus(res_) != PGRES_COMMAND_OK) {
    return Status::IOError(std::string("postgres: ") + sql + ": " + PQresultErrorMessage(res_));
  }
  return Status::OK();
}

Result<uint64_t> PgSession::WalSyncs() {
  if (res_ != nullptr) PQclear(res_);
  res_ = PQexec(conn_, "SELECT wal_sync FROM pg_stat_wal");
  if (PQresultStatus(res_) != PGRES_TUPLES_OK || PQntuples(res_) != 1) {
    return Status::IOError(std::string("postgres: reading pg_stat_wal: ") + PQresultErrorMessage(res_));
  }
  return std::strtoull(PQgetvalue(res_, 0, 0), nullptr, 10);
}

Status PgSession::FlushStats() {
  if (res_ != nullptr) PQclear(res_);
  res_ = PQexec(conn_, "SELECT pg_stat_force_next_flush()");
  if (PQresultStatus(res_) != PGRES_TUPLES_OK) {
    return Status::IOError(std::string("postgres: pg_stat_force_next_flush: ") + PQresultErrorMessage(res_));
  }
  return Status::OK();
}

void PgSession::WireBytes(uint64_t* sent, uint64_t* received) const {
  struct tcp_info info {};
  socklen_t len = sizeof(info);
  if (::getsockopt(PQsocket(conn_), IPPROTO_TCP, TCP_INFO, &info, &len) != 0) {
    *sent = *received = 0;
    return;
  }
  *sent = info.tcpi_bytes_acked;
  *received = info.tcpi_bytes_received;
}

Status PgSession::Fetch(Workload w, Strategy s, int64_t param, Graph* g) {
  g->Clear();
  queries_ = 0;
  switch (w) {
    case Workload::kPoint: return Point(param, g);
    case Workload::kGraph:
      switch (s) {
        case Strategy::kNPlusOne:
          RETURN_IF_ERROR(Point(param, g));
          return PostsAndCommentsNPlusOne("posts_of_user", "comments_of_post", g);
        case Strategy::kJoin: return Join("graph_join", param, w, g);
        case Strategy::kIn:
          RETURN_IF_ERROR(Point(param, g));
          RETURN_IF_ERROR(PostsOfUsers("in_graph_posts", &g->users));
          break;
        case Strategy::kJson: return Json("graph_json", param, w, g);
      }
      break;
    case Workload::kPage:
      switch (s) {
        case Strategy::kNPlusOne:
          RETURN_IF_ERROR(Users("page_users", param, g));
          return PostsAndCommentsNPlusOne("page_posts_of_user", "page_comments_of_post", g);
        case Strategy::kJoin: return Join("page_join", param, w, g);
        case Strategy::kIn:
          RETURN_IF_ERROR(Users("page_users", param, g));
          RETURN_IF_ERROR(PostsOfUsers("in_page_posts", &g->users));
          break;
        case Strategy::kJson: return Json("page_json", param, w, g);
      }
      break;
    case Workload::kFiltered:
      if (s == Strategy::kJoin) return Join("filtered_join", param, w, g);
      if (s == Strategy::kJson) return Json("filtered_json", param, w, g);
      return Filtered(param, s == Strategy::kNPlusOne, g);
  }
  // IN, W2 and W3: the comments of every post, one query.
  post_ptrs_.clear();
  for (UserObj& u : g->users) {
    for (PostObj& p : u.posts) post_ptrs_.push_back(&p);
  }
  return CommentsOfPosts(w == Workload::kGraph ? "in_graph_comments" : "in_page_comments", post_ptrs_);
}

Status PgSession::Point(int64_t id, Graph* g) { return Users("user", id, g); }

Status PgSession::Users(const char* name, int64_t param, Graph* g) {
  RETURN_IF_ERROR(Exec(name, {std::to_string(param)}));
  const int n = PQntuples(res_);
  for (int i = 0; i < n; ++i) {
    g->users.emplace_back();
    ReadUser(res_, i, 0, &g->users.back());
  }
  return Status::OK();
}

Status PgSession::PostsAndCommentsNPlusOne(const char* posts, const char* comments, Graph* g) {
  for (UserObj& u : g->users) {
    RETURN_IF_ERROR(Exec(posts, {std::to_string(u.id)}));
    for (int i = 0, n = PQntuples(res_); i < n; ++i) {
      u.posts.emplace_back();
      ReadPost(res_, i, 0, &u.posts.back());
    }
    for (PostObj& p : u.posts) {
      RETURN_IF_ERROR(Exec(comments, {std::to_string(p.id)}));
      for (int i = 0, n = PQntuples(res_); i < n; ++i) {
        p.comments.emplace_back();
        ReadComment(res_, i, 0, &p.comments.back());
      }
    }
  }
  return Status::OK();
}

Status PgSession::Join(const char* name, int64_t param, Workload w, Graph* g) {
  RETURN_IF_ERROR(Exec(name, {std::to_string(param)}));
  const int n = PQntuples(res_);
  if (w == Workload::kFiltered) {
    index_.clear();
    const int uc = kPostWidth + 1, cc = kPostWidth + 1 + kUserWidth;
    for (int i = 0; i < n; ++i) {
      if (g->posts.empty() || g->posts.back().id != Int(res_, i, 0)) {
        g->posts.emplace_back();
        PostObj& p = g->posts.back();
        ReadPost(res_, i, 0, &p);
        p.comment_count = Int(res_, i, kPostWidth);
        auto known = index_.find(Int(res_, i, uc));
        if (known != index_.end()) {
          p.author = static_cast<int64_t>(known->second);
        } else {
          UserObj u;
          ReadUser(res_, i, uc, &u);
          p.author = AddAuthor(g, &index_, std::move(u));
        }
      }
      if (PQgetisnull(res_, i, cc)) continue;
      g->posts.back().comments.emplace_back();
      ReadComment(res_, i, cc, &g->posts.back().comments.back());
    }
    return Status::OK();
  }
  const int pc = kUserWidth, cc = kUserWidth + kPostWidth;
  for (int i = 0; i < n; ++i) {
    if (g->users.empty() || g->users.back().id != Int(res_, i, 0)) {
      g->users.emplace_back();
      ReadUser(res_, i, 0, &g->users.back());
    }
    UserObj& u = g->users.back();
    if (PQgetisnull(res_, i, pc)) continue;
    if (u.posts.empty() || u.posts.back().id != Int(res_, i, pc)) {
      u.posts.emplace_back();
      ReadPost(res_, i, pc, &u.posts.back());
    }
    if (PQgetisnull(res_, i, cc)) continue;
    u.posts.back().comments.emplace_back();
    ReadComment(res_, i, cc, &u.posts.back().comments.back());
  }
  return Status::OK();
}

Status PgSession::PostsOfUsers(const char* name, std::vector<UserObj>* users) {
  if (users->empty()) return Status::OK();
  index_.clear();
  ids_ = "{";
  for (size_t i = 0; i < users->size(); ++i) {
    if (i > 0) ids_ += ',';
    ids_ += std::to_string((*users)[i].id);
    index_[(*users)[i].id] = i;
  }
  ids_ += '}';
  RETURN_IF_ERROR(Exec(name, {ids_}));
  for (int i = 0, n = PQntuples(res_); i < n; ++i) {
    UserObj& u = (*users)[index_[Int(res_, i, 6)]];
    u.posts.emplace_back();
    ReadPost(res_, i, 0, &u.posts.back());
  }
  return Status::OK();
}

Status PgSession::CommentsOfPosts(const char* name, std::vector<PostObj*>& posts) {
  if (posts.empty()) return Status::OK();
  index_.clear();
  ids_ = "{";
  for (size_t i = 0; i < posts.size(); ++i) {
    if (i > 0) ids_ += ',';
    ids_ += std::to_string(posts[i]->id);
    index_[posts[i]->id] = i;
  }
  ids_ += '}';
  RETURN_IF_ERROR(Exec(name, {ids_}));
  for (int i = 0, n = PQntuples(res_); i < n; ++i) {
    PostObj& p = *posts[index_[Int(res_, i, 3)]];
    p.comments.emplace_back();
    ReadComment(res_, i, 0, &p.comments.back());
  }
  return Status::OK();
}

// W4 by N+1 or IN: the posts with their comment counts, then the authors
// and the first 3 comments of each post, per post or in one query each.
Status PgSession::Filtered(int64_t t, bool n_plus_one, Graph* g) {
  RETURN_IF_ERROR(Exec("filtered_posts", {std::to_string(t)}));
  for (int i = 0, n = PQntuples(res_); i < n; ++i) {
    g->posts.emplace_back();
    ReadPost(res_, i, 0, &g->posts.back());
    g->posts.back().comment_count = Int(res_, i, kPostWidth);
  }
  index_.clear();
  if (n_plus_one) {
    for (PostObj& p : g->posts) {
      RETURN_IF_ERROR(Exec("user", {std::to_string(p.author_id)}));
      for (int i = 0, n = PQntuples(res_); i < n; ++i) {
        UserObj u;
        ReadUser(res_, i, 0, &u);
        p.author = AddAuthor(g, &index_, std::move(u));
      }
      RETURN_IF_ERROR(Exec("filtered_comments_of_post", {std::to_string(p.id)}));
      for (int i = 0, n = PQntuples(res_); i < n; ++i) {
        p.comments.emplace_back();
        ReadComment(res_, i, 0, &p.comments.back());
      }
    }
    return Status::OK();
  }
  if (g->posts.empty()) return Status::OK();
  ids_ = "{";
  for (const PostObj& p : g->posts) {
    if (index_.emplace(p.author_id, 0).second) {
      if (ids_.size() > 1) ids_ += ',';
      ids_ += std::to_string(p.author_id);
    }
  }
  ids_ += '}';
  index_.clear();
  RETURN_IF_ERROR(Exec("in_authors", {ids_}));
  for (int i = 0, n = PQntuples(res_); i < n; ++i) {
    UserObj u;
    ReadUser(res_, i, 0, &u);
    AddAuthor(g, &index_, std::move(u));
  }
  for (PostObj& p : g->posts) {
    auto it = index_.find(p.author_id);
    if (it != index_.end()) p.author = static_cast<int64_t>(it->second);
  }
  post_ptrs_.clear();
  for (PostObj& p : g->posts) post_ptrs_.push_back(&p);
  return CommentsOfPosts("in_filtered_comments", post_ptrs_);
}

Status PgSession::Json(const char* name, int64_t param, Workload w, Graph* g) {
  RETURN_IF_ERROR(Exec(name, {std::to_string(param)}));
  index_.clear();
  for (int i = 0, n = PQntuples(res_); i < n; ++i) {
    if (PQgetisnull(res_, i, 0)) continue;
    std::string_view text(PQgetvalue(res_, i, 0), static_cast<size_t>(PQgetlength(res_, i, 0)));
    RETURN_IF_ERROR(graph::ReadJsonAnswer(text, w, g, &index_).Annotate("postgres"));
  }
  return Status::OK();
}

// ------------------------------------------------------------------- writes

Status PgSession::InsertComment(const NewComment& c) {
  queries_ = 0;
  std::vector<std::string> params;
  AppendComment(c, &params);
  return Exec("ins_comment", params);
}

Status PgSession::InsertPost(const NewPost& p) {
  queries_ = 0;
  if (p.comments.size() != 10) return Status::InvalidArgument("W7 posts carry 10 comments");
  RETURN_IF_ERROR(ExecSimple("BEGIN"));
  Status st = Exec("ins_post", {std::to_string(p.id), p.title, p.body, std::to_string(p.views),
                                p.published ? "true" : "false", std::to_string(p.created_at_us),
                                std::to_string(p.author_id)});
  if (st.ok()) {
    std::vector<std::string> params;
    for (const NewComment& c : p.comments) AppendComment(c, &params);
    st = Exec("ins_comments10", params);
  }
  if (!st.ok()) {
    (void)ExecSimple("ROLLBACK");
    return st;
  }
  return ExecSimple("COMMIT");
}

Status PgSession::InsertComments(const std::vector<NewComment>& cs) {
  queries_ = 0;
  if (cs.size() != 100) return Status::InvalidArgument("W8 batches hold 100 comments");
  std::vector<std::string> params;
  params.reserve(500);
  for (const NewComment& c : cs) AppendComment(c, &params);
  return Exec("ins_comments100", params);
}

}  // namespace ormdb::bench::whole

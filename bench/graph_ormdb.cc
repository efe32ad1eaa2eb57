#include "bench/graph_ormdb.h"

#include <cstring>

#include "query/parser.h"
#include "query/storage.h"

namespace ormdb::bench::graph {

using schema::Value;

// BENCH.md's schema: posts clustered under their author, comments under
// their post, so one user's graph is one contiguous key range.
const char kOrmdbSchema[] = R"(
enum Status {
  ACTIVE
  INACTIVE
  SUSPENDED
  PENDING
}

model User {
  id        Int       @id
  email     String    @unique
  name      String
  status    Status
  bio       String
  createdAt DateTime
  posts     Post[]
  comments  Comment[]
}

model Post {
  id        Int       @id
  title     String
  body      String
  views     Int
  published Boolean
  createdAt DateTime
  author    User      @relation(fields: [authorId], references: [id])
  authorId  Int
  comments  Comment[]
  tags      Tag[]

  @@index([createdAt])
  @@cluster(author)
}

model Comment {
  id        Int      @id
  body      String
  createdAt DateTime
  post      Post     @relation(fields: [postId], references: [id])
  postId    Int
  author    User     @relation(fields: [authorId], references: [id])
  authorId  Int

  @@cluster(post)
}

model Tag {
  id    Int    @id
  name  String @unique
  posts Post[]
}
)";

engine::DatabaseOptions MakeDatabaseOptions(const OrmdbOptions& o) {
  engine::DatabaseOptions options;
  options.store.tree.cache_bytes = o.cache_bytes;
  return options;
}

std::string DescribeOrmdb(const OrmdbOptions& o) {
  engine::DatabaseOptions d = MakeDatabaseOptions(o);
  return std::string("engine::Database (embedded), tree cache ") + std::to_string(o.cache_bytes >> 20) +
         " MiB, page " + std::to_string(d.store.tree.page_size) + " B, direct_io " +
         (d.store.tree.direct_io ? "on" : "off") + ", log sync " + (d.store.log.sync ? "on" : "off") +
         ", snapshot isolation; Post @@cluster(author), Comment @@cluster(post), @@index([createdAt]) on Post";
}

// ------------------------------------------------------------------ loading

namespace {

// Inserts rows [0, n) of one model, `batch` per transaction.
template <typename MakeFields>
Status LoadModel(engine::Database* db, std::string_view model, std::string_view what, size_t n, size_t batch,
                 const Progress& progress, MakeFields make) {
  for (size_t start = 0; start < n; start += batch) {
    std::unique_ptr<engine::Transaction> txn = db->Begin();
    const size_t end = std::min(n, start + batch);
    for (size_t i = start; i < end; ++i) {
      Result<engine::Fields> r = txn->Insert(model, make(i));
      if (!r.ok()) return r.status().Annotate("loading " + std::string(what) + " row " + std::to_string(i));
    }
    Result<mvcc::CommitVersion> c = txn->Commit();
    if (!c.ok()) return c.status().Annotate("committing " + std::string(what));
    if (progress) progress(what, end, n);
  }
  return Status::OK();
}

}  // namespace

Status LoadOrmdb(engine::Database* db, const Dataset& d, size_t batch, const Progress& progress) {
  RETURN_IF_ERROR(db->InstallSchema("graph_bench.prisma", kOrmdbSchema).status());
  RETURN_IF_ERROR(LoadModel(db, "User", "users", d.users.size(), batch, progress, [&](size_t i) {
    const UserRow& u = d.users[i];
    return engine::Fields{{"id", Value::Int32(u.id)},         {"email", Value::String(u.email)},
                          {"name", Value::String(u.name)},    {"status", Value::String(u.status)},
                          {"bio", Value::String(u.bio)},      {"createdAt", Value::Int64(u.created_at_us)}};
  }));
  RETURN_IF_ERROR(LoadModel(db, "Tag", "tags", d.tags.size(), batch, progress, [&](size_t i) {
    return engine::Fields{{"id", Value::Int32(d.tags[i].id)}, {"name", Value::String(d.tags[i].name)}};
  }));
  RETURN_IF_ERROR(LoadModel(db, "Post", "posts", d.posts.size(), batch, progress, [&](size_t i) {
    const PostRow& p = d.posts[i];
    return engine::Fields{{"id", Value::Int32(p.id)},
                          {"title", Value::String(p.title)},
                          {"body", Value::String(p.body)},
                          {"views", Value::Int32(p.views)},
                          {"published", Value::Bool(p.published)},
                          {"createdAt", Value::Int64(p.created_at_us)},
                          {"authorId", Value::Int32(p.author_id)}};
  }));
  // The implicit many-to-many's join model, as Prisma names it: A = Post, B = Tag.
  RETURN_IF_ERROR(LoadModel(db, "_PostToTag", "post tags", d.post_tags.size(), batch, progress, [&](size_t i) {
    return engine::Fields{{"A", Value::Int32(d.post_tags[i].first)}, {"B", Value::Int32(d.post_tags[i].second)}};
  }));
  RETURN_IF_ERROR(LoadModel(db, "Comment", "comments", d.comments.size(), batch, progress, [&](size_t i) {
    const CommentRow& c = d.comments[i];
    return engine::Fields{{"id", Value::Int32(c.id)},
                          {"body", Value::String(c.body)},
                          {"createdAt", Value::Int64(c.created_at_us)},
                          {"postId", Value::Int32(c.post_id)},
                          {"authorId", Value::Int32(c.author_id)}};
  }));
  return db->store().Checkpoint().Annotate("checkpoint after loading");
}

// ----------------------------------------------------------------- requests

std::string RequestText(Workload w, int64_t param) {
  const std::string p = std::to_string(param);
  switch (w) {
    case Workload::kPoint: return R"({"findUnique":"User","where":{"id":)" + p + "}}";
    case Workload::kGraph:
      return R"({"findUnique":"User","where":{"id":)" + p +
             R"(},"include":{"posts":{"orderBy":{"createdAt":"asc"},"include":{"comments":{"orderBy":{"createdAt":"asc"}}}}}})";
    case Workload::kPage:
      return R"({"findMany":"User","where":{"id":{"gt":)" + p +
             R"(}},"orderBy":{"id":"asc"},"take":100,"include":{"posts":{"orderBy":{"createdAt":"asc"},"take":5,"include":{"comments":true}}}})";
    case Workload::kFiltered:
      return R"({"findMany":"Post","where":{"createdAt":{"gte":")" + FormatDateTime(param) +
             R"("},"published":true},"orderBy":{"createdAt":"desc"},"take":20,"include":{"author":true,"comments":{"take":3},"_count":{"select":{"comments":true}}}})";
  }
  return "";
}

namespace {

// The workload's varying value in a bound request: the first comparison
// with operator `op` in the root's where.
query::Filter* FindCompare(query::Filter* f, query::CompareOp op) {
  if (f->kind == query::Filter::Kind::kCompare && f->op == op) return f;
  for (query::Filter& c : f->children) {
    if (query::Filter* hit = FindCompare(&c, op)) return hit;
  }
  return nullptr;
}

query::CompareOp ParamOp(Workload w) {
  switch (w) {
    case Workload::kPoint:
    case Workload::kGraph: return query::CompareOp::kEquals;
    case Workload::kPage: return query::CompareOp::kGt;
    case Workload::kFiltered: return query::CompareOp::kGte;
  }
  return query::CompareOp::kEquals;
}

// Parameters that name an existing row, for binding.
constexpr int64_t kBindParam[kWorkloads] = {1, 1, 0, 1'700'000'000 * kMicrosPerSecond};

}  // namespace

Result<std::unique_ptr<PreparedRequests>> PreparedRequests::Prepare(engine::Database* db) {
  std::unique_ptr<PreparedRequests> p(new PreparedRequests);
  p->db_ = db;
  p->catalog_ = db->catalog();
  for (Workload w : kAllWorkloads) {
    const int i = static_cast<int>(w);
    ASSIGN_OR_RETURN(p->requests_[i], query::ParseRequest(RequestText(w, kBindParam[i]), p->catalog_->schema()));
    if (FindCompare(&p->requests_[i].selection.where, ParamOp(w)) == nullptr) {
      return Status::Internal("the bound request of " + std::string(WorkloadId(w)) + " has no parameter to replace");
    }
  }
  return p;
}

Result<query::QueryResult> PreparedRequests::Run(Workload w, int64_t param) {
  query::Request& req = requests_[static_cast<int>(w)];
  query::Filter* f = FindCompare(&req.selection.where, ParamOp(w));
  f->values[0] = w == Workload::kFiltered ? Value::Int64(param) : Value::Int32(static_cast<int32_t>(param));
  std::unique_ptr<engine::Transaction> txn = db_->Begin(/*read_only=*/true);
  Result<query::QueryResult> r = txn->Execute(req);
  txn->Rollback();
  return r;
}

// ------------------------------------------------------------ reading blocks

namespace {

Result<const query::Column*> ColumnOf(const query::EntityBlock& b, std::string_view name) {
  const query::Column* c = b.FindColumn(name);
  if (c == nullptr) {
    return Status::Corruption("block \"" + b.path + "\" (" + b.model + ") has no column " + std::string(name));
  }
  return c;
}

int64_t IntAt(const query::Column& c, size_t row) {
  switch (c.type) {
    case query::ColumnType::kInt32: {
      int32_t v;
      std::memcpy(&v, c.fixed.data() + 4 * row, 4);
      return v;
    }
    case query::ColumnType::kInt64:
    case query::ColumnType::kDateTime: {
      int64_t v;
      std::memcpy(&v, c.fixed.data() + 8 * row, 8);
      return v;
    }
    case query::ColumnType::kBool: return c.fixed[row] != 0 ? 1 : 0;
    default: return INT64_MIN;
  }
}

EdgeKind KindOfPath(std::string_view path) {
  size_t dot = path.rfind('.');
  std::string_view last = dot == std::string_view::npos ? path : path.substr(dot + 1);
  if (last == "posts") return EdgeKind::kPost;
  if (last == "comments") return EdgeKind::kComment;
  if (last == "author") return EdgeKind::kAuthor;
  return EdgeKind::kRoot;
}

Status CheckBlocks(const query::QueryResult& r, Workload w) {
  const size_t want_blocks = w == Workload::kPoint ? 1 : 3;
  if (r.entities.size() != want_blocks || r.edges.size() != want_blocks - 1) {
    return Status::Corruption(std::string(WorkloadId(w)) + ": " + std::to_string(r.entities.size()) +
                              " entity blocks and " + std::to_string(r.edges.size()) + " edge blocks, expected " +
                              std::to_string(want_blocks) + " and " + std::to_string(want_blocks - 1));
  }
  for (const query::EdgeBlock& e : r.edges) {
    if (e.parent_block >= r.entities.size() || e.child_block >= r.entities.size()) {
      return Status::Corruption("edge block \"" + e.path + "\" names a missing entity block");
    }
  }
  return Status::OK();
}

Status ReadUser(const query::EntityBlock& b, size_t row, UserObj* u) {
  ASSIGN_OR_RETURN(const query::Column* id, ColumnOf(b, "id"));
  ASSIGN_OR_RETURN(const query::Column* email, ColumnOf(b, "email"));
  ASSIGN_OR_RETURN(const query::Column* name, ColumnOf(b, "name"));
  ASSIGN_OR_RETURN(const query::Column* status, ColumnOf(b, "status"));
  ASSIGN_OR_RETURN(const query::Column* bio, ColumnOf(b, "bio"));
  ASSIGN_OR_RETURN(const query::Column* created, ColumnOf(b, "createdAt"));
  u->id = IntAt(*id, row);
  u->email = email->GetBytes(row);
  u->name = name->GetBytes(row);
  u->status = status->GetBytes(row);
  u->bio = bio->GetBytes(row);
  u->created_at_us = IntAt(*created, row);
  return Status::OK();
}

Status ReadPost(const query::EntityBlock& b, size_t row, PostObj* p) {
  ASSIGN_OR_RETURN(const query::Column* id, ColumnOf(b, "id"));
  ASSIGN_OR_RETURN(const query::Column* title, ColumnOf(b, "title"));
  ASSIGN_OR_RETURN(const query::Column* body, ColumnOf(b, "body"));
  ASSIGN_OR_RETURN(const query::Column* views, ColumnOf(b, "views"));
  ASSIGN_OR_RETURN(const query::Column* published, ColumnOf(b, "published"));
  ASSIGN_OR_RETURN(const query::Column* created, ColumnOf(b, "createdAt"));
  ASSIGN_OR_RETURN(const query::Column* author, ColumnOf(b, "authorId"));
  p->id = IntAt(*id, row);
  p->title = title->GetBytes(row);
  p->body = body->GetBytes(row);
  p->views = IntAt(*views, row);
  p->published = IntAt(*published, row) != 0;
  p->created_at_us = IntAt(*created, row);
  p->author_id = IntAt(*author, row);
  return Status::OK();
}

Status ReadComment(const query::EntityBlock& b, size_t row, CommentObj* c) {
  ASSIGN_OR_RETURN(const query::Column* id, ColumnOf(b, "id"));
  ASSIGN_OR_RETURN(const query::Column* body, ColumnOf(b, "body"));
  ASSIGN_OR_RETURN(const query::Column* created, ColumnOf(b, "createdAt"));
  ASSIGN_OR_RETURN(const query::Column* post, ColumnOf(b, "postId"));
  ASSIGN_OR_RETURN(const query::Column* author, ColumnOf(b, "authorId"));
  c->id = IntAt(*id, row);
  c->body = body->GetBytes(row);
  c->created_at_us = IntAt(*created, row);
  c->post_id = IntAt(*post, row);
  c->author_id = IntAt(*author, row);
  return Status::OK();
}

const query::EdgeBlock* EdgeOf(const query::QueryResult& r, std::string_view path) {
  for (const query::EdgeBlock& e : r.edges) {
    if (e.path == path) return &e;
  }
  return nullptr;
}

}  // namespace

Result<Fingerprint> FingerprintOfBlocks(const query::QueryResult& r, Workload w) {
  RETURN_IF_ERROR(CheckBlocks(r, w));
  Fingerprint f;
  std::vector<const query::Column*> ids(r.entities.size());
  for (size_t b = 0; b < r.entities.size(); ++b) {
    f.entities += r.entities[b].rows;
    ASSIGN_OR_RETURN(ids[b], ColumnOf(r.entities[b], "id"));
  }
  const query::EntityBlock& root = r.entities[0];
  for (size_t row = 0; row < root.rows; ++row) {
    f.ids += Mix(EdgeKind::kRoot, 0, static_cast<int64_t>(row), IntAt(*ids[0], row));
  }
  if (w == Workload::kFiltered) {
    ASSIGN_OR_RETURN(const query::Column* count, ColumnOf(root, "_count.comments"));
    for (size_t row = 0; row < root.rows; ++row) {
      f.ids += Mix(EdgeKind::kCount, IntAt(*ids[0], row), 0, IntAt(*count, row));
    }
  }
  for (const query::EdgeBlock& e : r.edges) {
    const EdgeKind kind = KindOfPath(e.path);
    const query::Column& parent = *ids[e.parent_block];
    const query::Column& child = *ids[e.child_block];
    for (size_t row = 0; row + 1 < e.offsets.size(); ++row) {
      const int64_t pid = IntAt(parent, row);
      for (size_t k = 0; k < e.ChildCount(row); ++k) {
        f.ids += Mix(kind, pid, static_cast<int64_t>(k), IntAt(child, e.Child(row, k)));
      }
    }
  }
  return f;
}

Result<Graph> GraphOfBlocks(const query::QueryResult& r, Workload w) {
  RETURN_IF_ERROR(CheckBlocks(r, w));
  Graph g;
  const query::EntityBlock& root = r.entities[0];
  if (w != Workload::kFiltered) {
    g.users.resize(root.rows);
    for (size_t i = 0; i < root.rows; ++i) RETURN_IF_ERROR(ReadUser(root, i, &g.users[i]));
    if (w == Workload::kPoint) return g;
    const query::EdgeBlock* posts = EdgeOf(r, "posts");
    const query::EdgeBlock* comments = EdgeOf(r, "posts.comments");
    if (posts == nullptr || comments == nullptr) return Status::Corruption("no posts or posts.comments edge block");
    const query::EntityBlock& pb = r.entities[posts->child_block];
    const query::EntityBlock& cb = r.entities[comments->child_block];
    for (size_t i = 0; i < root.rows; ++i) {
      for (size_t k = 0; k < posts->ChildCount(i); ++k) {
        const size_t prow = posts->Child(i, k);
        PostObj p;
        RETURN_IF_ERROR(ReadPost(pb, prow, &p));
        for (size_t m = 0; m < comments->ChildCount(prow); ++m) {
          p.comments.emplace_back();
          RETURN_IF_ERROR(ReadComment(cb, comments->Child(prow, m), &p.comments.back()));
        }
        g.users[i].posts.push_back(std::move(p));
      }
    }
    return g;
  }
  const query::EdgeBlock* author = EdgeOf(r, "author");
  const query::EdgeBlock* comments = EdgeOf(r, "comments");
  if (author == nullptr || comments == nullptr) return Status::Corruption("no author or comments edge block");
  const query::EntityBlock& ab = r.entities[author->child_block];
  const query::EntityBlock& cb = r.entities[comments->child_block];
  ASSIGN_OR_RETURN(const query::Column* count, ColumnOf(root, "_count.comments"));
  g.authors.resize(ab.rows);
  for (size_t i = 0; i < ab.rows; ++i) RETURN_IF_ERROR(ReadUser(ab, i, &g.authors[i]));
  g.posts.resize(root.rows);
  for (size_t i = 0; i < root.rows; ++i) {
    PostObj& p = g.posts[i];
    RETURN_IF_ERROR(ReadPost(root, i, &p));
    p.comment_count = IntAt(*count, i);
    if (author->ChildCount(i) == 1) p.author = author->Child(i, 0);
    for (size_t m = 0; m < comments->ChildCount(i); ++m) {
      p.comments.emplace_back();
      RETURN_IF_ERROR(ReadComment(cb, comments->Child(i, m), &p.comments.back()));
    }
  }
  return g;
}

}  // namespace ormdb::bench::graph

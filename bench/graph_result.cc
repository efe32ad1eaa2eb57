#include "bench/graph_result.h"

#include <cstdio>

namespace ormdb::bench::graph {

std::string_view WorkloadId(Workload w) {
  switch (w) {
    case Workload::kPoint: return "W1";
    case Workload::kGraph: return "W2";
    case Workload::kPage: return "W3";
    case Workload::kFiltered: return "W4";
  }
  return "?";
}

std::string_view WorkloadName(Workload w) {
  switch (w) {
    case Workload::kPoint: return "point";
    case Workload::kGraph: return "user graph";
    case Workload::kPage: return "page";
    case Workload::kFiltered: return "filtered posts";
  }
  return "?";
}

std::string_view WorkloadShape(Workload w) {
  switch (w) {
    case Workload::kPoint: return "user.findUnique({where:{id}})";
    case Workload::kGraph:
      return "user.findUnique({where:{id}, include:{posts:{orderBy:{createdAt:'asc'}, "
             "include:{comments:{orderBy:{createdAt:'asc'}}}}}})";
    case Workload::kPage:
      return "user.findMany({where:{id:{gt:c}}, orderBy:{id:'asc'}, take:100, "
             "include:{posts:{orderBy:{createdAt:'asc'}, take:5, include:{comments:true}}}})";
    case Workload::kFiltered:
      return "post.findMany({where:{createdAt:{gte:t}, published:true}, orderBy:{createdAt:'desc'}, take:20, "
             "include:{author:true, comments:{take:3}, _count:{select:{comments:true}}}})";
  }
  return "?";
}

std::string Fingerprint::ToString() const {
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%llu entities, ids %016llx, content %016llx",
                static_cast<unsigned long long>(entities), static_cast<unsigned long long>(ids),
                static_cast<unsigned long long>(content));
  return buf;
}

namespace {

struct Fnv {
  uint64_t h = 0xcbf29ce484222325ull;
  void Int(int64_t v) {
    for (int i = 0; i < 8; ++i) h = (h ^ ((static_cast<uint64_t>(v) >> (8 * i)) & 0xff)) * 0x100000001b3ull;
  }
  void Str(std::string_view s) {
    Int(static_cast<int64_t>(s.size()));
    for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  }
};

void AddComments(const PostObj& p, bool with_content, Fingerprint* f) {
  for (size_t k = 0; k < p.comments.size(); ++k) {
    const CommentObj& c = p.comments[k];
    ++f->entities;
    f->ids += Mix(EdgeKind::kComment, p.id, static_cast<int64_t>(k), c.id);
    if (with_content) f->content += ContentHash(c);
  }
}

}  // namespace

uint64_t ContentHash(const UserObj& u) {
  Fnv f;
  f.Int(u.id);
  f.Str(u.email);
  f.Str(u.name);
  f.Str(u.status);
  f.Str(u.bio);
  f.Int(u.created_at_us);
  return f.h;
}

uint64_t ContentHash(const PostObj& p) {
  Fnv f;
  f.Int(p.id);
  f.Str(p.title);
  f.Str(p.body);
  f.Int(p.views);
  f.Int(p.published ? 1 : 0);
  f.Int(p.created_at_us);
  f.Int(p.author_id);
  return f.h;
}

uint64_t ContentHash(const CommentObj& c) {
  Fnv f;
  f.Int(c.id);
  f.Str(c.body);
  f.Int(c.created_at_us);
  f.Int(c.post_id);
  f.Int(c.author_id);
  return f.h;
}

Fingerprint FingerprintOf(const Graph& g, bool with_content) {
  Fingerprint f;
  for (size_t r = 0; r < g.users.size(); ++r) {
    const UserObj& u = g.users[r];
    ++f.entities;
    f.ids += Mix(EdgeKind::kRoot, 0, static_cast<int64_t>(r), u.id);
    if (with_content) f.content += ContentHash(u);
    for (size_t j = 0; j < u.posts.size(); ++j) {
      const PostObj& p = u.posts[j];
      ++f.entities;
      f.ids += Mix(EdgeKind::kPost, u.id, static_cast<int64_t>(j), p.id);
      if (with_content) f.content += ContentHash(p);
      AddComments(p, with_content, &f);
    }
  }
  for (size_t r = 0; r < g.posts.size(); ++r) {
    const PostObj& p = g.posts[r];
    ++f.entities;
    f.ids += Mix(EdgeKind::kRoot, 0, static_cast<int64_t>(r), p.id);
    if (with_content) f.content += ContentHash(p);
    if (p.author >= 0) f.ids += Mix(EdgeKind::kAuthor, p.id, 0, g.authors[static_cast<size_t>(p.author)].id);
    if (p.comment_count >= 0) f.ids += Mix(EdgeKind::kCount, p.id, 0, p.comment_count);
    AddComments(p, with_content, &f);
  }
  for (const UserObj& a : g.authors) {
    ++f.entities;
    if (with_content) f.content += ContentHash(a);
  }
  return f;
}

}  // namespace ormdb::bench::graph

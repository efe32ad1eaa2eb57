// graph_bench's workloads and the nested result every SQLite strategy builds
// (users holding their posts holding their comments, as an ORM's objects),
// and the fingerprint both systems' answers are compared by: entities
// returned, a checksum of ids by position in the graph, and (when verifying)
// a checksum of every field.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ormdb::bench::graph {

enum class Workload : uint8_t {
  kPoint,     // W1 user.findUnique by id
  kGraph,     // W2 one user, posts by createdAt, each with comments by createdAt
  kPage,      // W3 100 users after a cursor, 5 posts each, all their comments
  kFiltered,  // W4 the newest published posts since t, author, 3 comments, _count
};
constexpr int kWorkloads = 4;
constexpr Workload kAllWorkloads[kWorkloads] = {Workload::kPoint, Workload::kGraph, Workload::kPage,
                                                Workload::kFiltered};

std::string_view WorkloadId(Workload w);     // "W1"
std::string_view WorkloadName(Workload w);   // "point"
std::string_view WorkloadShape(Workload w);  // the Prisma call, for the report

constexpr int kPageUsers = 100;      // W3 take
constexpr int kPagePosts = 5;        // W3 posts take
constexpr int kFilteredPosts = 20;   // W4 take
constexpr int kFilteredComments = 3; // W4 comments take

struct CommentObj {
  int64_t id = 0;
  std::string body;
  int64_t created_at_us = 0;
  int64_t post_id = 0;
  int64_t author_id = 0;
};

struct PostObj {
  int64_t id = 0;
  std::string title, body;
  int64_t views = 0;
  bool published = false;
  int64_t created_at_us = 0;
  int64_t author_id = 0;
  std::vector<CommentObj> comments;
  int64_t comment_count = -1;  // _count.comments (W4), -1: not asked
  int64_t author = -1;         // W4: index into Graph::authors
};

struct UserObj {
  int64_t id = 0;
  std::string email, name, status, bio;
  int64_t created_at_us = 0;
  std::vector<PostObj> posts;
};

// One answer: users with their posts (W1-W3), or posts with their authors
// (each author once, as an identity map keeps them) and comments (W4).
struct Graph {
  std::vector<UserObj> users;
  std::vector<PostObj> posts;
  std::vector<UserObj> authors;
  void Clear() {
    users.clear();
    posts.clear();
    authors.clear();
  }
};

struct Fingerprint {
  uint64_t entities = 0;
  uint64_t ids = 0;      // sum over every edge of Mix(kind, parent id, position, child id)
  uint64_t content = 0;  // sum of a hash of every entity's fields (with_content only)

  bool operator==(const Fingerprint&) const = default;
  std::string ToString() const;
};

// What an entity is to its parent, for the id checksum.
enum class EdgeKind : uint64_t { kRoot = 1, kPost = 2, kComment = 3, kAuthor = 4, kCount = 5 };

inline uint64_t Mix(EdgeKind kind, int64_t parent, int64_t position, int64_t child) {
  uint64_t h = static_cast<uint64_t>(kind) * 0x9e3779b97f4a7c15ull;
  for (uint64_t v : {static_cast<uint64_t>(parent), static_cast<uint64_t>(position), static_cast<uint64_t>(child)}) {
    h = (h ^ v) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
  }
  return h;
}

Fingerprint FingerprintOf(const Graph& g, bool with_content);

// FNV-1a of an entity's fields, the same however the answer was read.
uint64_t ContentHash(const UserObj& u);
uint64_t ContentHash(const PostObj& p);
uint64_t ContentHash(const CommentObj& c);

}  // namespace ormdb::bench::graph

// graph_bench's dataset (BENCH.md, "Dataset"): users, their posts, the
// posts' comments and tags, defined by formulas so any splitmix64 reproduces
// it row for row. Both systems load exactly these rows.
//
// Streams: splitmix64 seeded seed*1000003+k, k = 1 users, 2 posts,
// 3 comments, 4 arrival order (seed 42). U = users, P = 10U, C = 100U.
//
//   words     64 fixed words (kWords); a text of n words takes ceil(n/10)
//             draws, each draw giving 10 words from its 6-bit groups, low
//             bits first (bits 60..63 unused).
//   users     id i = 1..U, in id order from stream 1: name 2 words (1 draw),
//             status kStatuses[draw % 4], bio 8 words (1 draw);
//             email "user{i}@example.com", createdAt 1.6e9 + 60i s.
//   arrival   owner lists in generation order (post j of the list belongs to
//             user (j-1)/10+1, comment k to post (k-1)/10+1), each shuffled
//             by Fisher-Yates with stream 4 (for i = n-1 down to 1: swap
//             element i with element draw % (i+1)), posts' list first.
//             Ids are arrival positions: post j (the j-th to arrive) has the
//             j-th author of the shuffled list, so one user's posts and one
//             post's comments are scattered over the id space, as with an
//             autoincrement key in a real application, and every user still
//             has exactly 10 posts and every post exactly 10 comments.
//   posts     id j = 1..P, in id order from stream 2: title 6 words (1 draw),
//             body 30 words (3 draws), views draw % 100000, published
//             draw % 10 != 0 (90%); createdAt 1.7e9 + 10j s.
//   comments  id k = 1..C, in id order from stream 3: author draw % U + 1,
//             body 12 words (2 draws); createdAt 1.71e9 + k s.
//   tags      id t = 1..100, name "tag{t}"; post j links tags
//             ((7j + 13m) mod 100) + 1 for m = 0, 1, 2 (many-to-many).
//
// Times are stored as microseconds since the Unix epoch (ormDB's DateTime;
// an INTEGER column in SQLite).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ormdb::bench::graph {

constexpr uint64_t kDefaultSeed = 42;
constexpr int kUsersPerScale = 10'000;
constexpr int kPostsPerUser = 10;
constexpr int kCommentsPerPost = 10;
constexpr int kTags = 100;
constexpr int kTagsPerPost = 3;
constexpr int64_t kMicrosPerSecond = 1'000'000;

extern const std::array<std::string_view, 4> kStatuses;
extern const std::array<std::string_view, 64> kWords;

struct SplitMix64 {
  uint64_t state;
  uint64_t Next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
};

// Stream k of `seed`.
inline SplitMix64 Stream(uint64_t seed, uint64_t k) { return SplitMix64{seed * 1000003 + k}; }

struct UserRow {
  int32_t id = 0;
  std::string email, name, status, bio;
  int64_t created_at_us = 0;
};

struct PostRow {
  int32_t id = 0;
  std::string title, body;
  int32_t views = 0;
  bool published = false;
  int64_t created_at_us = 0;
  int32_t author_id = 0;
};

struct CommentRow {
  int32_t id = 0;
  std::string body;
  int64_t created_at_us = 0;
  int32_t post_id = 0;
  int32_t author_id = 0;
};

struct TagRow {
  int32_t id = 0;
  std::string name;
};

struct Dataset {
  uint64_t seed = kDefaultSeed;
  std::vector<UserRow> users;        // by id: users[i - 1]
  std::vector<PostRow> posts;        // by id, the arrival order
  std::vector<CommentRow> comments;  // by id, the arrival order
  std::vector<TagRow> tags;
  std::vector<std::pair<int32_t, int32_t>> post_tags;  // (post id, tag id), by post

  int32_t user_count() const { return static_cast<int32_t>(users.size()); }
  uint64_t rows() const { return users.size() + posts.size() + comments.size() + tags.size() + post_tags.size(); }
};

Dataset GenerateDataset(int32_t users, uint64_t seed = kDefaultSeed);

// "2023-11-14T22:13:20Z" (with ".123456" when there are microseconds).
std::string FormatDateTime(int64_t micros);

}  // namespace ormdb::bench::graph

#include "bench/graph_dataset.h"

#include <cstdio>
#include <ctime>

namespace ormdb::bench::graph {

const std::array<std::string_view, 4> kStatuses = {"ACTIVE", "INACTIVE", "SUSPENDED", "PENDING"};

// Common English words averaging about 5.8 letters, so a 30-word body is
// about 200 bytes and a 12-word comment about 80 (BENCH.md).
const std::array<std::string_view, 64> kWords = {
    "about",   "after",   "again",  "around",  "because", "before",   "better",  "between",
    "bright",  "change",  "children", "little", "country", "different", "during", "early",
    "enough",  "every",   "family", "father",  "follow",  "garden",   "govern",  "ground",
    "happen",  "history", "house",  "important", "island", "journey", "kitchen", "language",
    "letter",  "light",   "machine", "market", "measure", "minute",   "morning", "mother",
    "mountain", "number", "object", "often",   "order",   "paper",    "people",  "picture",
    "place",   "plant",   "question", "river", "school",  "science",  "second",  "sentence",
    "simple",  "story",   "system", "thought", "together", "village", "water",   "window",
};

namespace {

constexpr int kWordsPerDraw = 10;  // 6 bits each, low bits first

std::string Text(SplitMix64* stream, int words) {
  std::string out;
  for (int w = 0; w < words;) {
    uint64_t draw = stream->Next();
    for (int b = 0; b < kWordsPerDraw && w < words; ++b, ++w) {
      if (!out.empty()) out += ' ';
      out += kWords[(draw >> (6 * b)) & 63];
    }
  }
  return out;
}

void FisherYates(std::vector<int32_t>* v, SplitMix64* stream) {
  for (size_t i = v->size(); i-- > 1;) {
    size_t j = static_cast<size_t>(stream->Next() % (i + 1));
    std::swap((*v)[i], (*v)[j]);
  }
}

}  // namespace

Dataset GenerateDataset(int32_t user_count, uint64_t seed) {
  Dataset d;
  d.seed = seed;
  const int64_t users = user_count;
  const int64_t posts = users * kPostsPerUser;
  const int64_t comments = posts * kCommentsPerPost;

  SplitMix64 s = Stream(seed, 1);
  d.users.resize(users);
  for (int64_t i = 1; i <= users; ++i) {
    UserRow& u = d.users[i - 1];
    u.id = static_cast<int32_t>(i);
    u.email = "user" + std::to_string(i) + "@example.com";
    u.name = Text(&s, 2);
    u.status = std::string(kStatuses[s.Next() % kStatuses.size()]);
    u.bio = Text(&s, 8);
    u.created_at_us = (1'600'000'000 + 60 * i) * kMicrosPerSecond;
  }

  SplitMix64 arrival = Stream(seed, 4);
  std::vector<int32_t> post_author(posts), comment_post(comments);
  for (int64_t j = 0; j < posts; ++j) post_author[j] = static_cast<int32_t>(j / kPostsPerUser + 1);
  for (int64_t k = 0; k < comments; ++k) comment_post[k] = static_cast<int32_t>(k / kCommentsPerPost + 1);
  FisherYates(&post_author, &arrival);
  FisherYates(&comment_post, &arrival);

  s = Stream(seed, 2);
  d.posts.resize(posts);
  d.post_tags.reserve(posts * kTagsPerPost);
  for (int64_t j = 1; j <= posts; ++j) {
    PostRow& p = d.posts[j - 1];
    p.id = static_cast<int32_t>(j);
    p.title = Text(&s, 6);
    p.body = Text(&s, 30);
    p.views = static_cast<int32_t>(s.Next() % 100000);
    p.published = s.Next() % 10 != 0;
    p.created_at_us = (1'700'000'000 + 10 * j) * kMicrosPerSecond;
    p.author_id = post_author[j - 1];
    for (int m = 0; m < kTagsPerPost; ++m) {
      d.post_tags.emplace_back(p.id, static_cast<int32_t>((7 * j + 13 * m) % kTags + 1));
    }
  }

  s = Stream(seed, 3);
  d.comments.resize(comments);
  for (int64_t k = 1; k <= comments; ++k) {
    CommentRow& c = d.comments[k - 1];
    c.id = static_cast<int32_t>(k);
    c.author_id = static_cast<int32_t>(s.Next() % static_cast<uint64_t>(users) + 1);
    c.body = Text(&s, 12);
    c.created_at_us = (1'710'000'000 + k) * kMicrosPerSecond;
    c.post_id = comment_post[k - 1];
  }

  for (int t = 1; t <= kTags; ++t) d.tags.push_back(TagRow{t, "tag" + std::to_string(t)});
  return d;
}

std::string FormatDateTime(int64_t micros) {
  int64_t secs = micros / kMicrosPerSecond;
  int64_t frac = micros % kMicrosPerSecond;
  if (frac < 0) {
    frac += kMicrosPerSecond;
    --secs;
  }
  time_t t = static_cast<time_t>(secs);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[48];
  if (frac == 0) {
    std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
  } else {
    std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(frac));
  }
  return buf;
}

}  // namespace ormdb::bench::graph

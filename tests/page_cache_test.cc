// The buffer cache against a reference map: a lookup returns the newest page
// inserted under its number or, for an unpinned page only, nothing (evicted);
// pinned pages always stay; the unpinned ones stay within the bound.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "btree/page_cache.h"
#include "tests/test_util.h"

namespace ormdb::btree {
namespace {

constexpr uint32_t kPage = 4096;

TEST(PageCacheTest, MatchesReferenceWithinBound) {
  std::mt19937_64 rng(5);
  const size_t capacity_pages = 16 * 40;  // 40 per shard
  PageCache cache(capacity_pages * kPage, kPage);
  struct Ref {
    PageRef page;
    bool pinned;
  };
  std::map<uint64_t, Ref> model;  // what was inserted and not erased
  const int ops = static_cast<int>(300000 * testing::TestScale());
  for (int i = 0; i < ops; ++i) {
    const uint64_t id = 2 + rng() % 3000;
    switch (rng() % 10) {
      case 0: case 1: case 2: {
        MutablePage p = AllocatePage(kPage);
        const bool pinned = rng() % 8 == 0;
        cache.Insert(PageId(id), p, pinned);
        model[id] = Ref{p, pinned};
        break;
      }
      case 3: {
        cache.Erase(PageId(id));
        model.erase(id);
        break;
      }
      case 4: {
        cache.Unpin(PageId(id));
        if (auto it = model.find(id); it != model.end()) it->second.pinned = false;
        break;
      }
      default: {
        PageRef got = cache.Lookup(PageId(id));
        auto it = model.find(id);
        if (it == model.end()) {
          ASSERT_EQ(got, nullptr) << "page " << id << " was erased";
        } else if (got == nullptr) {
          ASSERT_FALSE(it->second.pinned) << "pinned page " << id << " was evicted";
          model.erase(it);  // evicted: it never comes back by itself
        } else {
          ASSERT_EQ(got, it->second.page) << "page " << id << " is not the newest inserted";
        }
      }
    }
    if (i % 1000 == 0) {
      size_t pinned = 0;
      for (const auto& [k, r] : model) pinned += r.pinned;
      // Entries the model still holds may have been evicted meanwhile, so
      // the cache holds at most the pinned ones plus the bound.
      ASSERT_LE(cache.size(), pinned + capacity_pages) << "after " << i << " operations";
    }
  }
  // Every page the model holds as pinned is still there.
  for (const auto& [id, r] : model) {
    if (r.pinned) {
      EXPECT_EQ(cache.Lookup(PageId(id)), r.page) << "pinned page " << id;
    }
  }
}

TEST(PageCacheTest, HitsAreCounted) {
  PageCache cache(1 << 20, kPage);
  EXPECT_EQ(cache.Lookup(PageId(7)), nullptr);
  cache.Insert(PageId(7), AllocatePage(kPage));
  EXPECT_NE(cache.Lookup(PageId(7)), nullptr);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 1u);
}

TEST(PageCacheTest, InsertIfAbsentKeepsWhatIsThereAndCountsNothing) {
  PageCache cache(1 << 20, kPage);
  PageRef pinned = AllocatePage(kPage);
  cache.Insert(PageId(7), pinned, /*pinned=*/true);
  cache.InsertIfAbsent(PageId(7), AllocatePage(kPage));  // read-ahead of an older copy
  cache.InsertIfAbsent(PageId(8), AllocatePage(kPage));
  EXPECT_TRUE(cache.Contains(PageId(7)));
  EXPECT_TRUE(cache.Contains(PageId(8)));
  EXPECT_FALSE(cache.Contains(PageId(9)));
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_EQ(cache.misses(), 0u);
  EXPECT_EQ(cache.Lookup(PageId(7)), pinned);
  // Still pinned: a cache bound of no pages evicts everything else.
  PageCache tiny(0, kPage);
  tiny.Insert(PageId(1), pinned, /*pinned=*/true);
  tiny.InsertIfAbsent(PageId(1), AllocatePage(kPage));
  for (uint64_t i = 2; i < 100; ++i) tiny.InsertIfAbsent(PageId(i), AllocatePage(kPage));
  EXPECT_EQ(tiny.Lookup(PageId(1)), pinned);
}

}  // namespace
}  // namespace ormdb::btree

// Free space: PageSet and FreeSpace checked against std::set references
// through random operations, the way the pager drives them.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <vector>

#include "btree/freelist.h"
#include "btree/page_set.h"
#include "tests/test_util.h"

namespace ormdb::btree {
namespace {

std::vector<uint64_t> Members(const PageSet& s) {
  std::vector<uint64_t> out;
  s.for_each([&](uint64_t p) { out.push_back(p); });
  return out;
}

TEST(PageSetTest, MatchesStdSet) {
  std::mt19937_64 rng(7);
  PageSet set;
  std::set<uint64_t> model;
  const int ops = static_cast<int>(200000 * testing::TestScale());
  for (int i = 0; i < ops; ++i) {
    uint64_t p = rng() % 5000;
    switch (rng() % 8) {
      case 0: case 1: case 2:
        ASSERT_EQ(set.insert(p), model.insert(p).second) << "insert " << p;
        break;
      case 3: case 4:
        ASSERT_EQ(set.erase(p), model.erase(p) == 1) << "erase " << p;
        break;
      case 5:
        if (!model.empty()) {
          ASSERT_EQ(set.take_lowest(), *model.begin());
          model.erase(model.begin());
        }
        break;
      case 6:
        if (rng() % 50 == 0) {
          set.erase_from(p);
          model.erase(model.lower_bound(p), model.end());
        }
        break;
      case 7:
        ASSERT_EQ(set.contains(p), model.count(p) == 1) << "contains " << p;
        break;
    }
    ASSERT_EQ(set.size(), model.size());
    if (i % 997 == 0) {
      ASSERT_EQ(Members(set), std::vector<uint64_t>(model.begin(), model.end()));
    }
    if (i % 50000 == 49999) {
      set.clear();
      model.clear();
    }
  }
}

TEST(PageSetTest, EdgesOfWords) {
  PageSet set;
  for (uint64_t p : {63u, 64u, 127u, 128u, 0u}) EXPECT_TRUE(set.insert(p));
  set.erase_from(64);
  EXPECT_EQ(Members(set), (std::vector<uint64_t>{0, 63}));
  EXPECT_EQ(set.take_lowest(), 0u);
  EXPECT_EQ(set.take_lowest(), 63u);
  EXPECT_TRUE(set.empty());
  EXPECT_TRUE(set.insert(1000));
  EXPECT_EQ(set.take_lowest(), 1000u);
}

// FreeSpace as the pager uses it: commits allocate and free pages, pages
// freed by a commit become reusable once released, aborted commits leave
// no trace. The reference tracks which pages each root reaches.
TEST(FreeSpaceTest, MatchesReference) {
  std::mt19937_64 rng(11);
  FreeSpace fs;
  fs.Reset(kFirstDataPage, {});
  std::set<uint64_t> live;       // reachable from the newest committed root
  std::set<uint64_t> reusable;   // free and handed out again
  std::map<uint64_t, std::vector<uint64_t>> pending;  // freed by generation
  uint64_t page_count = kFirstDataPage;
  uint64_t gen = 1;
  const int commits = static_cast<int>(2000 * testing::TestScale());
  for (int c = 0; c < commits; ++c) {
    std::set<uint64_t> txn_live = live;
    std::set<uint64_t> txn_reusable = reusable;
    std::set<uint64_t> allocated;
    std::vector<uint64_t> freed;
    uint64_t txn_page_count = page_count;
    const int ops = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < ops; ++i) {
      if (rng() % 2 != 0 || txn_live.empty()) {
        uint64_t expect;
        if (!txn_reusable.empty()) {
          expect = *txn_reusable.begin();
          txn_reusable.erase(txn_reusable.begin());
        } else {
          expect = txn_page_count++;
        }
        ASSERT_EQ(fs.Allocate().value(), expect) << "commit " << c;
        txn_live.insert(expect);
        allocated.insert(expect);
      } else {
        auto it = txn_live.begin();
        std::advance(it, static_cast<long>(rng() % txn_live.size()));
        uint64_t p = *it;
        txn_live.erase(it);
        fs.Free(PageId(p));
        if (allocated.erase(p) == 1) {
          txn_reusable.insert(p);
        } else {
          freed.push_back(p);
        }
      }
    }
    // AllFree: every page of the file the new root does not reach.
    std::vector<uint64_t> expect_free;
    for (uint64_t p = kFirstDataPage; p < txn_page_count; ++p) {
      if (txn_live.count(p) == 0) expect_free.push_back(p);
    }
    ASSERT_EQ(fs.AllFree(), expect_free) << "commit " << c;
    if (rng() % 5 == 0) {
      fs.Abort();
    } else {
      fs.Commit(Generation(gen));
      live = txn_live;
      reusable = txn_reusable;
      page_count = txn_page_count;
      if (!freed.empty()) pending[gen] = freed;
      ++gen;
    }
    ASSERT_EQ(fs.page_count(), page_count);
    ASSERT_EQ(fs.reusable_count(), reusable.size());
    if (rng() % 4 == 0 && gen > 1) {
      Generation oldest(gen - 1 - rng() % std::min<uint64_t>(gen - 1, 3));
      std::vector<uint64_t> expect_released;
      while (!pending.empty() && pending.begin()->first <= oldest.value()) {
        for (uint64_t p : pending.begin()->second) {
          reusable.insert(p);
          expect_released.push_back(p);
        }
        pending.erase(pending.begin());
      }
      ASSERT_EQ(fs.Release(oldest), expect_released);
    }
  }
}

}  // namespace
}  // namespace ormdb::btree

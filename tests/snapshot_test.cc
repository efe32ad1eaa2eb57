// Snapshots: a pinned root reads the same bytes however many commits follow
// and however much of the file those commits reuse.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <random>
#include <thread>

#include "btree/check.h"
#include "btree/tree.h"
#include "tests/test_util.h"

namespace ormdb::btree {
namespace {

std::unique_ptr<Tree> OpenTree(const std::string& path, uint32_t page_size = 4096) {
  TreeOptions opts;
  opts.page_size = page_size;
  opts.sync = false;
  opts.direct_io = false;
  auto t = Tree::Open(path, opts);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return std::move(t).value();
}

std::map<std::string, std::string> Contents(const Snapshot& snap) {
  std::map<std::string, std::string> out;
  auto c = snap.NewCursor();
  for (c->SeekToFirst(); c->Valid(); c->Next()) out.emplace(c->key(), c->value());
  EXPECT_TRUE(c->status().ok()) << c->status().ToString();
  return out;
}

TEST(SnapshotTest, OldRootStaysUnchangedWhileNewCommitsReuseTheFile) {
  testing::TempDir dir;
  auto tree = OpenTree(dir.File("s.odb"), 512);
  {
    auto txn = tree->BeginWrite();
    for (int i = 0; i < 2000; ++i) ASSERT_OK(txn->Put("key" + std::to_string(i), std::string(i % 300, 'a' + i % 26)));
    ASSERT_OK(txn->Commit());
  }
  Snapshot old = tree->GetSnapshot();
  const auto expected = Contents(old);
  auto cursor = old.NewCursor();  // also a cursor opened before the churn
  cursor->SeekToFirst();

  // Rewrite and delete everything many times over: freed pages are reused,
  // but never those the old snapshot can reach.
  for (int round = 0; round < 30; ++round) {
    auto txn = tree->BeginWrite();
    for (int i = 0; i < 2000; ++i) {
      std::string k = "key" + std::to_string(i);
      if ((i + round) % 3 == 0) {
        ASSERT_OK(txn->Delete(k));
      } else {
        ASSERT_OK(txn->Put(k, std::string((i * round) % 400, 'A' + round % 26)));
      }
    }
    ASSERT_OK(txn->Commit());
    if (round % 10 == 0) {
      EXPECT_EQ(Contents(old), expected) << "round " << round;
    }
  }
  EXPECT_EQ(Contents(old), expected);
  std::string v;
  ASSERT_OK(old.Get("key7", &v));
  EXPECT_EQ(v, expected.at("key7"));
  size_t n = 0;
  for (auto it = expected.begin(); cursor->Valid(); cursor->Next(), ++it, ++n) {
    ASSERT_EQ(cursor->key(), it->first);
    ASSERT_EQ(cursor->value(), it->second);
  }
  EXPECT_EQ(n, expected.size());
  ASSERT_OK(CheckIntegrity(*tree).status());
}

TEST(SnapshotTest, ReleasedSnapshotsLetTheFileStopGrowing) {
  testing::TempDir dir;
  auto tree = OpenTree(dir.File("s.odb"), 512);
  auto churn = [&](int round) {
    auto txn = tree->BeginWrite();
    for (int i = 0; i < 500; ++i) ASSERT_OK(txn->Put("k" + std::to_string(i), std::string(40, 'a' + round % 26)));
    ASSERT_OK(txn->Commit());
  };
  for (int r = 0; r < 20; ++r) churn(r);
  uint64_t steady = tree->pager().meta().page_count;
  for (int r = 0; r < 200; ++r) churn(r);
  // Pages freed by each commit come back: the file stays near its live size.
  EXPECT_LE(tree->pager().meta().page_count, steady + steady / 2);

  // A pinned snapshot holds its pages: the file grows meanwhile...
  Snapshot pinned = tree->GetSnapshot();
  for (int r = 0; r < 50; ++r) churn(r);
  uint64_t with_pin = tree->pager().meta().page_count;
  EXPECT_GT(with_pin, steady);
  // ...and once it is released the growth stops again.
  pinned = Snapshot();
  for (int r = 0; r < 200; ++r) churn(r);
  EXPECT_LE(tree->pager().meta().page_count, with_pin + 4);
  ASSERT_OK(CheckIntegrity(*tree).status());
}

// Many snapshots of many generations, several of the same one, released in
// random order while commits free and reuse pages: each reads exactly the
// state it was taken at, as long as it is held.
TEST(SnapshotTest, SnapshotsReleasedOutOfOrderKeepTheirStates) {
  testing::TempDir dir;
  auto tree = OpenTree(dir.File("s.odb"), 512);
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (ORMDB_TEST_SEED to reproduce)");
  std::mt19937_64 rng(seed);
  std::map<std::string, std::string> model;
  struct Held {
    Snapshot snap;
    std::map<std::string, std::string> expected;
  };
  std::vector<Held> held;
  for (int step = 0; step < 600; ++step) {
    const uint64_t op = rng() % 10;
    if (op < 5) {
      auto txn = tree->BeginWrite();
      for (int i = 0, n = 1 + static_cast<int>(rng() % 40); i < n; ++i) {
        std::string k = "k" + std::to_string(rng() % 300);
        if (rng() % 4 == 0) {
          ASSERT_OK(txn->Delete(k));
          model.erase(k);
        } else {
          std::string v(rng() % 120, static_cast<char>('a' + rng() % 26));
          ASSERT_OK(txn->Put(k, v));
          model[k] = v;
        }
      }
      ASSERT_OK(txn->Commit());
    } else if (op < 7 && held.size() < 12) {
      held.push_back(Held{tree->GetSnapshot(), model});  // sometimes the same generation as the last
    } else if (op < 9 && !held.empty()) {
      held.erase(held.begin() + static_cast<std::ptrdiff_t>(rng() % held.size()));
    } else if (!held.empty()) {
      const Held& h = held[rng() % held.size()];
      ASSERT_EQ(Contents(h.snap), h.expected) << "step " << step;
    }
  }
  for (const Held& h : held) ASSERT_EQ(Contents(h.snap), h.expected);
  held.clear();
  ASSERT_OK(CheckIntegrity(*tree).status());
}

TEST(SnapshotTest, ConcurrentReadersSeeWholeCommitsOnly) {
  testing::TempDir dir;
  auto tree = OpenTree(dir.File("s.odb"));
  constexpr int kKeys = 300;
  {
    auto txn = tree->BeginWrite();
    for (int i = 0; i < kKeys; ++i) ASSERT_OK(txn->Put("k" + std::to_string(i), "0"));
    ASSERT_OK(txn->Commit());
  }
  std::atomic<bool> stop{false};
  std::atomic<int> checks{0};
  std::atomic<bool> torn{false};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        Snapshot s = tree->GetSnapshot();
        auto c = s.NewCursor();
        std::string first;
        int n = 0;
        for (c->SeekToFirst(); c->Valid(); c->Next(), ++n) {
          if (n == 0) first = std::string(c->value());
          if (c->value() != first) torn = true;  // every commit writes one value everywhere
        }
        if (!c->status().ok() || n != kKeys) torn = true;
        ++checks;
      }
    });
  }
  for (int g = 1; g <= 200; ++g) {
    auto txn = tree->BeginWrite();
    for (int i = 0; i < kKeys; ++i) ASSERT_OK(txn->Put("k" + std::to_string(i), std::to_string(g)));
    ASSERT_OK(txn->Commit());
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_FALSE(torn.load());
  EXPECT_GT(checks.load(), 0);
  ASSERT_OK(CheckIntegrity(*tree).status());
}

// A cold forward scan reads the leaves after the one it needs, and the
// overflow values after the one it reads, in one batch each: it waits for
// far fewer reads than it has pages, and reads the same entries.
TEST(SnapshotTest, ColdScansReadAheadAndReadTheSameEntries) {
  testing::TempDir dir;
  TreeOptions opts;
  opts.page_size = 4096;
  opts.sync = false;
  opts.direct_io = true;  // the cache is all there is: every miss is a read
  std::map<std::string, std::string> expected;
  {
    auto t = Tree::Open(dir.File("r.odb"), opts);
    ASSERT_OK(t.status());
    auto txn = (*t)->BeginWrite();
    for (int i = 0; i < 20000; ++i) {
      char k[16];
      std::snprintf(k, sizeof k, "k%07d", i);
      // In the upper half, every 16th value is too long for its leaf: an overflow page.
      std::string v = i >= 10000 && i % 16 == 0 ? std::string(3000 + i % 500, 'a' + i % 26)
                                                : std::string(40, 'a' + i % 26);
      ASSERT_OK(txn->Put(k, v));
      expected[k] = v;
    }
    ASSERT_OK(txn->Commit());
    ASSERT_OK((*t)->Checkpoint().status());
  }
  auto t = Tree::Open(dir.File("r.odb"), opts);
  ASSERT_OK(t.status());
  auto report = CheckIntegrity(**t);
  ASSERT_OK(report.status());
  auto reopened = Tree::Open(dir.File("r.odb"), opts);  // the check warmed the first one's cache
  ASSERT_OK(reopened.status());
  Tree& tree = **reopened;

  // A bounded scan reads ahead no further than its bound's leaf: 200 small
  // entries fill 3 or 4 leaves, where a read-ahead past the bound takes 8.
  {
    auto c = tree.GetSnapshot().NewCursor(CursorOptions{std::string("k0001000"), std::string("k0001200")});
    size_t n = 0;
    for (c->SeekToFirst(); c->Valid(); c->Next()) ++n;
    ASSERT_OK(c->status());
    EXPECT_EQ(n, 200u);
    const PagerStats s = tree.pager().stats();
    EXPECT_LE(s.cache_misses + s.pages_read_ahead, 2 /* root, branch */ + 5u);
  }

  std::map<std::string, std::string> got = Contents(tree.GetSnapshot());
  EXPECT_EQ(got, expected);
  const PagerStats s = tree.pager().stats();
  const uint64_t pages = report->leaf_pages + report->overflow_pages;
  EXPECT_GT(s.pages_read_ahead, pages / 2);
  EXPECT_LT(s.cache_misses, pages / 4) << "leaves and overflow pages: " << pages;
}

TEST(SnapshotTest, WriteTransactionCursorSeesItsOwnWrites) {
  testing::TempDir dir;
  auto tree = OpenTree(dir.File("s.odb"), 512);
  auto txn = tree->BeginWrite();
  for (int i = 0; i < 100; i += 2) ASSERT_OK(txn->Put("k" + std::to_string(1000 + i), "v"));
  auto c = txn->NewCursor();
  c->Seek("k1010");
  ASSERT_TRUE(c->Valid());
  EXPECT_EQ(c->key(), "k1010");
  // Writes behind and ahead of the cursor while it is open.
  ASSERT_OK(txn->Put("k1011", "new"));
  ASSERT_OK(txn->Delete("k1012"));
  c->Next();
  ASSERT_TRUE(c->Valid());
  EXPECT_EQ(c->key(), "k1011");
  EXPECT_EQ(c->value(), "new");
  c->Next();
  ASSERT_TRUE(c->Valid());
  EXPECT_EQ(c->key(), "k1014");
  ASSERT_OK(txn->Delete("k1011"));
  c->Prev();
  ASSERT_TRUE(c->Valid());
  EXPECT_EQ(c->key(), "k1010");
  // The committed root is untouched until commit.
  std::string v;
  EXPECT_TRUE(tree->GetSnapshot().Get("k1010", &v).IsNotFound());
}

}  // namespace
}  // namespace ormdb::btree

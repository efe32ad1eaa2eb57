// Model test: random puts, deletes, gets and scans against a std::map, with
// commits, aborts and reopens in between. Small pages make splits, merges and
// overflow chains happen constantly. A failure prints the seed; rerun with
// ORMDB_TEST_SEED=<seed> to reproduce, ORMDB_TEST_SCALE=<n> to run longer.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <thread>
#include <set>
#include <memory>
#include <random>

#include "btree/check.h"
#include "btree/tree.h"
#include "tests/test_util.h"

namespace ormdb::btree {
namespace {

using Model = std::map<std::string, std::string>;

struct ModelParams {
  uint32_t page_size;
  int ops;
  int key_space;
  size_t max_value;
};

class BtreeModelTest : public ::testing::TestWithParam<ModelParams> {};

std::string MakeKey(std::mt19937_64& rng, int key_space, size_t max_key) {
  // Keys share prefixes (like entity ids followed by primary keys) and vary in
  // length, so prefix compression and separator shortening are exercised.
  static const char* kPrefixes[] = {"", "a", "user/", "user/posts/", "\x01\x02", "zzzzzzzz"};
  uint64_t k = rng() % key_space;
  std::string key = kPrefixes[k % 6];
  key += std::to_string(k * 7919 % 100003);
  if (k % 5 == 0) key.append(k % 23, static_cast<char>('A' + k % 26));
  if (key.size() > max_key) key.resize(max_key);
  return key;
}

std::string MakeValue(std::mt19937_64& rng, size_t max_value) {
  size_t n = rng() % 10 == 0 ? rng() % (max_value + 1) : rng() % 64;
  std::string v = testing::RandomBytes(rng, n);
  return v;
}

void ExpectSameContents(Tree& tree, const Model& model, uint64_t seed) {
  Snapshot snap = tree.GetSnapshot();
  ASSERT_EQ(snap.entries(), model.size()) << "seed " << seed;
  auto c = snap.NewCursor();
  auto it = model.begin();
  for (c->SeekToFirst(); c->Valid(); c->Next(), ++it) {
    ASSERT_NE(it, model.end()) << "seed " << seed;
    ASSERT_EQ(c->key(), it->first) << "seed " << seed;
    ASSERT_EQ(c->value(), it->second) << "seed " << seed;
  }
  ASSERT_OK(c->status());
  ASSERT_EQ(it, model.end()) << "seed " << seed;
}

TEST_P(BtreeModelTest, RandomOperationsMatchStdMap) {
  const ModelParams p = GetParam();
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (ORMDB_TEST_SEED to reproduce)");
  std::mt19937_64 rng(seed);
  testing::TempDir dir;
  TreeOptions opts;
  opts.page_size = p.page_size;
  opts.sync = false;
  // A small cache, so eviction and re-reads happen. O_DIRECT on 4 KiB pages
  // (every cache miss then reaches the device, so that cache is larger).
  opts.direct_io = p.page_size == 4096;
  opts.cache_bytes = (opts.direct_io ? 2048 : 64) * size_t{p.page_size};
  auto opened = Tree::Open(dir.File("data.odb"), opts);
  ASSERT_OK(opened.status());
  std::unique_ptr<Tree> tree = std::move(opened).value();
  const size_t max_key = std::min<size_t>(tree->limits().max_key_bytes, 48);

  // Three states, kept without copying whole maps: `working` is this
  // transaction's view; keys it changed since the last publish are in
  // `txn_keys`, keys changed since the last durable point in `undurable_keys`.
  Model durable, committed, working;  // on disk / published / this transaction
  std::set<std::string> txn_keys, undurable_keys;
  auto sync_keys = [](const std::set<std::string>& keys, const Model& from, Model* to) {
    for (const auto& k : keys) {
      auto it = from.find(k);
      if (it == from.end()) {
        to->erase(k);
      } else {
        (*to)[k] = it->second;
      }
    }
  };
  auto txn = tree->BeginWrite();
  const int ops = static_cast<int>(p.ops * testing::TestScale());
  // About a hundred reopens per run whatever its length: each one re-reads
  // the whole tree cold (through O_DIRECT on 4 KiB pages).
  const uint64_t reopen_one_in = std::max(5, ops / 10000);
  for (int i = 0; i < ops; ++i) {
    int op = static_cast<int>(rng() % 100);
    if (op < 45) {
      std::string k = MakeKey(rng, p.key_space, max_key), v = MakeValue(rng, p.max_value);
      ASSERT_OK(txn->Put(k, v));
      working[k] = v;
      txn_keys.insert(k);
    } else if (op < 70) {
      std::string k = MakeKey(rng, p.key_space, max_key);
      bool existed;
      ASSERT_OK(txn->Delete(k, &existed));
      ASSERT_EQ(existed, working.erase(k) == 1) << "op " << i;
      txn_keys.insert(k);
    } else if (op < 85) {
      std::string k = MakeKey(rng, p.key_space, max_key), v;
      Status st = txn->Get(k, &v);
      auto it = working.find(k);
      if (it == working.end()) {
        ASSERT_TRUE(st.IsNotFound()) << st.ToString() << " op " << i;
      } else {
        ASSERT_OK(st);
        ASSERT_EQ(v, it->second) << "op " << i;
      }
    } else if (op < 95) {
      // A bounded scan in either direction, from a random key.
      std::string from = MakeKey(rng, p.key_space, max_key);
      bool reverse = rng() % 2;
      CursorOptions co;
      if (rng() % 3 == 0) co.upper_bound = MakeKey(rng, p.key_space, max_key);
      if (rng() % 3 == 0) co.lower_bound = MakeKey(rng, p.key_space, max_key);
      auto c = txn->NewCursor(co);
      int steps = static_cast<int>(rng() % 20);
      auto in_bounds = [&](const std::string& k) {
        return (!co.lower_bound || k >= *co.lower_bound) && (!co.upper_bound || k < *co.upper_bound);
      };
      if (!reverse) {
        c->Seek(from);
        auto it = working.lower_bound(std::max(from, co.lower_bound.value_or("")));
        for (int s = 0; s < steps; ++s) {
          bool model_valid = it != working.end() && in_bounds(it->first);
          ASSERT_EQ(c->Valid(), model_valid) << "op " << i << " step " << s;
          if (!model_valid) break;
          ASSERT_EQ(c->key(), it->first);
          ASSERT_EQ(c->value(), it->second);
          if (rng() % 4 != 0) {
            c->Next();
            ++it;
            continue;
          }
          // A seek from where the cursor is: mostly ahead of it (which the
          // cursor serves from its own path), sometimes behind or onto itself.
          std::string to = rng() % 4 == 0 ? std::string(c->key()) : MakeKey(rng, p.key_space, max_key);
          if (rng() % 2 == 0 && to < c->key()) to = std::string(c->key()) + to;
          c->Seek(to);
          it = working.lower_bound(std::max(to, co.lower_bound.value_or("")));
        }
      } else {
        c->SeekForPrev(from);
        std::string lim = from;
        auto it = working.upper_bound(from);  // first > from
        if (co.upper_bound && from >= *co.upper_bound) it = working.lower_bound(*co.upper_bound);
        for (int s = 0; s < steps; ++s) {
          bool model_valid = it != working.begin() && in_bounds(std::prev(it)->first);
          ASSERT_EQ(c->Valid(), model_valid) << "op " << i << " step " << s;
          if (!model_valid) break;
          --it;
          ASSERT_EQ(c->key(), it->first);
          ASSERT_EQ(c->value(), it->second);
          c->Prev();
        }
      }
      ASSERT_OK(c->status());
    } else if (op < 98 || (op == 99 && rng() % reopen_one_in != 0)) {
      // Commit durably, or publish to readers only and sometimes checkpoint.
      sync_keys(txn_keys, working, &committed);
      undurable_keys.insert(txn_keys.begin(), txn_keys.end());
      txn_keys.clear();
      int how = static_cast<int>(rng() % 3);
      if (how == 0) {
        ASSERT_OK(txn->Commit());
      } else {
        ASSERT_OK(txn->Publish());
      }
      if (how == 2) {
        txn.reset();
        ASSERT_OK(tree->Checkpoint().status());
      }
      if (how != 1) {
        sync_keys(undurable_keys, committed, &durable);
        undurable_keys.clear();
      }
      txn = tree->BeginWrite();
    } else if (op == 98) {
      txn->Abort();
      sync_keys(txn_keys, committed, &working);
      txn_keys.clear();
      txn = tree->BeginWrite();
    } else {
      // Close and reopen: the file alone carries the state, which is the last
      // durable one (published states that no checkpoint wrote are gone).
      txn.reset();
      auto report = CheckIntegrity(*tree);
      ASSERT_OK(report.status());
      tree.reset();
      auto re = Tree::Open(dir.File("data.odb"), opts);
      ASSERT_OK(re.status());
      tree = std::move(re).value();
      SCOPED_TRACE("reopen at op " + std::to_string(i));
      ExpectSameContents(*tree, durable, seed);
      ASSERT_OK(CheckIntegrity(*tree).status());
      sync_keys(txn_keys, durable, &working);
      sync_keys(undurable_keys, durable, &working);
      sync_keys(undurable_keys, durable, &committed);
      txn_keys.clear();
      undurable_keys.clear();
      txn = tree->BeginWrite();
    }
  }
  ASSERT_OK(txn->Commit());
  txn.reset();
  ExpectSameContents(*tree, working, seed);
  auto report = CheckIntegrity(*tree);
  ASSERT_OK(report.status());
  std::printf("final tree: %s\n", report->ToString().c_str());
}

INSTANTIATE_TEST_SUITE_P(
    PageSizes, BtreeModelTest,
    ::testing::Values(ModelParams{512, 300000, 3000, 2000}, ModelParams{1024, 200000, 20000, 5000},
                      ModelParams{4096, 250000, 50000, 6000}, ModelParams{65536, 50000, 20000, 200000}),
    [](const auto& info) { return "page" + std::to_string(info.param.page_size); });

// Checkpoints write most of their pages while a writer keeps publishing
// (Pager::WriteAhead). Each checkpoint must leave the file holding exactly
// the state it names, whatever was published during it: after the last one
// the tree is closed without another and reopened, and must equal the
// writer's transactions replayed up to that state's user version, with
// every page accounted for (the integrity check).
TEST(BtreeCheckpointTest, CheckpointsWhileAWriterPublishesKeepEachStateWhole) {
  for (bool direct : {false, true}) {
    SCOPED_TRACE(direct ? "O_DIRECT" : "buffered");
    const uint64_t seed = testing::TestSeed();
    SCOPED_TRACE("seed " + std::to_string(seed) + " (ORMDB_TEST_SEED to reproduce)");
    testing::TempDir dir;
    TreeOptions opts;
    opts.page_size = direct ? 4096 : 512;  // small pages: splits and merges all the time
    opts.direct_io = direct;
    opts.sync = direct;
    opts.cache_bytes = 256 * size_t{opts.page_size};  // publishes pin pages past it
    auto opened = Tree::Open(dir.File("data.odb"), opts);
    ASSERT_OK(opened.status());
    std::unique_ptr<Tree> tree = std::move(opened).value();
    const size_t max_key = std::min<size_t>(tree->limits().max_key_bytes, 48);

    struct Op {
      std::string key;
      std::optional<std::string> value;  // nullopt: delete
    };
    const int transactions = static_cast<int>(1500 * testing::TestScale());
    std::vector<std::vector<Op>> log(static_cast<size_t>(transactions) + 1);
    std::atomic<bool> done{false}, stopped{false};
    auto write = [&] {
      std::mt19937_64 rng(seed);
      for (int t = 1; t <= transactions; ++t) {
        auto txn = tree->BeginWrite();
        const int n = 1 + static_cast<int>(rng() % 40);
        for (int i = 0; i < n; ++i) {
          Op op{MakeKey(rng, 4000, max_key), std::nullopt};
          if (rng() % 4 != 0) op.value = MakeValue(rng, 3 * opts.page_size);
          ASSERT_OK(op.value ? txn->Put(op.key, *op.value) : txn->Delete(op.key));
          log[static_cast<size_t>(t)].push_back(std::move(op));
        }
        txn->set_user_version(static_cast<uint64_t>(t));
        if (rng() % 10 == 0) {
          txn->Abort();
          log[static_cast<size_t>(t)].clear();
        } else {
          ASSERT_OK(txn->Publish());
        }
        // The last tenth is published after the last checkpoint: the reopen
        // must not see it.
        if (t == transactions * 9 / 10) {
          done.store(true);
          while (!stopped.load()) std::this_thread::yield();
        }
      }
    };
    std::thread writer([&] {
      write();
      done.store(true);  // also when an assertion ended it early
    });
    uint64_t checkpointed = 0;
    int checkpoints = 0;
    while (!done.load()) {
      auto written = tree->Checkpoint();
      ASSERT_OK(written.status());
      EXPECT_GE(written->user_version, checkpointed);
      checkpointed = written->user_version;
      ++checkpoints;
      // Let some transactions publish, so each checkpoint has pages to write.
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    stopped.store(true);
    writer.join();
    std::printf("%d checkpoints during %d transactions, the last at %llu\n", checkpoints, transactions,
                static_cast<unsigned long long>(checkpointed));
    ASSERT_OK(CheckIntegrity(*tree).status());
    tree.reset();  // no final checkpoint: the file holds the last one
    auto re = Tree::Open(dir.File("data.odb"), opts);
    ASSERT_OK(re.status());
    tree = std::move(re).value();
    ASSERT_EQ(tree->pager().meta().user_version, checkpointed);
    ASSERT_LT(checkpointed, static_cast<uint64_t>(transactions));
    Model want;
    for (uint64_t t = 1; t <= checkpointed; ++t) {
      for (const Op& op : log[t]) {
        if (op.value) {
          want[op.key] = *op.value;
        } else {
          want.erase(op.key);
        }
      }
    }
    ExpectSameContents(*tree, want, seed);
    ASSERT_OK(CheckIntegrity(*tree).status());
  }
}

// Found by the tree-ops fuzzer: keys sharing a long prefix fill a leaf, then a
// key without the prefix arrives; sizing both halves by the prefix all
// entries share found no split point.
TEST(BtreeSplitTest, KeyWithoutTheSharedPrefixSplitsAFullLeaf) {
  testing::TempDir dir;
  TreeOptions opts;
  opts.page_size = 512;
  opts.sync = false;
  auto tree = std::move(Tree::Open(dir.File("d.odb"), opts)).value();
  auto txn = tree->BeginWrite();
  std::string prefix(40, 'p');
  for (int i = 0; i < 40; ++i) {
    std::string k = prefix;
    k.push_back(static_cast<char>('A' + i / 26));
    k.push_back(static_cast<char>('a' + i % 26));
    ASSERT_OK(txn->Put(k, ""));
  }
  ASSERT_OK(txn->Put("a", ""));
  ASSERT_OK(txn->Commit());
  ASSERT_OK(CheckIntegrity(*tree).status());
  EXPECT_EQ(tree->GetSnapshot().entries(), 41u);
}

// Deleting everything in several orders leaves an empty tree and no leaked pages.
TEST(BtreeShrinkTest, DeletingEverythingLeavesAnEmptyTree) {
  for (int order = 0; order < 3; ++order) {
    testing::TempDir dir;
    TreeOptions opts;
    opts.page_size = 512;
    opts.sync = false;
    auto tree = std::move(Tree::Open(dir.File("d.odb"), opts)).value();
    std::vector<std::string> keys;
    for (int i = 0; i < 5000; ++i) keys.push_back("key" + std::to_string(i * 7 % 5000));
    {
      auto txn = tree->BeginWrite();
      for (auto& k : keys) ASSERT_OK(txn->Put(k, std::string(k.size() * 3, 'v')));
      ASSERT_OK(txn->Commit());
    }
    if (order == 1) std::reverse(keys.begin(), keys.end());
    if (order == 2) std::shuffle(keys.begin(), keys.end(), std::mt19937_64(order));
    {
      auto txn = tree->BeginWrite();
      for (auto& k : keys) {
        bool existed;
        ASSERT_OK(txn->Delete(k, &existed));
        ASSERT_TRUE(existed) << k;
      }
      ASSERT_OK(txn->Commit());
    }
    EXPECT_EQ(tree->GetSnapshot().meta().root, kNoPage);
    auto report = CheckIntegrity(*tree);
    ASSERT_OK(report.status());
    EXPECT_EQ(report->entries, 0u);
  }
}

}  // namespace
}  // namespace ormdb::btree

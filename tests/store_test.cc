// The transactional store: snapshots, the merged view of a transaction's own
// writes, conflicts under snapshot isolation and serializability, recovery
// from the log, and the bank invariant under concurrency.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "btree/check.h"
#include "mvcc/store.h"
#include "tests/test_util.h"
#include "util/coding.h"
#include "util/fault_file.h"

namespace ormdb::mvcc {
namespace {

StoreOptions TestOptions() {
  StoreOptions o;
  o.tree.direct_io = false;
  o.tree.sync = false;  // the log carries durability; tree syncs only slow tests down
  o.log.sync = false;
  return o;
}

std::unique_ptr<Store> OpenStore(const std::string& dir, StoreOptions o = TestOptions()) {
  auto s = Store::Open(dir, o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return std::move(s).value();
}

Status PutOne(Store& s, const std::string& k, const std::string& v) {
  auto t = s.BeginWrite();
  RETURN_IF_ERROR(t->Put(k, v));
  return t->Commit().status();
}

TEST(StoreTest, CommittedWritesAreVisibleToLaterSnapshotsOnly) {
  testing::TempDir dir;
  auto s = OpenStore(dir.path());
  auto before = s->BeginRead();
  auto t = s->BeginWrite();
  ASSERT_OK(t->Put("a", "1"));
  std::string v;
  ASSERT_OK(t->Get("a", &v));  // its own write
  EXPECT_EQ(v, "1");
  EXPECT_TRUE(s->BeginRead()->Get("a", &v).IsNotFound());  // not yet committed
  auto version = t->Commit();
  ASSERT_OK(version.status());
  EXPECT_EQ(*version, s->last_committed());
  ASSERT_OK(s->BeginRead()->Get("a", &v));
  EXPECT_EQ(v, "1");
  EXPECT_TRUE(before->Get("a", &v).IsNotFound());  // the old snapshot is unchanged
  EXPECT_EQ(s->BeginRead()->version(), *version);
}

TEST(StoreTest, StampedKeysCarryTheirCommitVersionAndSurviveReplay) {
  testing::TempDir dir;
  StoreOptions o = TestOptions();
  o.checkpoint_on_close = false;  // the reopen replays the log
  std::vector<std::pair<CommitVersion, std::string>> expect;
  {
    auto s = OpenStore(dir.path(), o);
    for (int i = 0; i < 5; ++i) {
      auto t = s->BeginWrite();
      if (i % 2 == 0) ASSERT_OK(t->Put("row" + std::to_string(i), "x"));
      ASSERT_OK(t->PutStamped("log/", "/a", "first " + std::to_string(i)));
      ASSERT_OK(t->PutStamped("log/", "/b", "second " + std::to_string(i)));
      std::string v;
      EXPECT_TRUE(t->Get("log/", &v).IsNotFound());
      auto version = t->Commit();
      ASSERT_OK(version.status());
      expect.emplace_back(*version, std::to_string(i));
    }
  }
  auto s = OpenStore(dir.path(), o);
  auto read = s->BeginRead();
  for (const auto& [version, i] : expect) {
    char stamp[8];
    coding::EncodeFixed64BE(stamp, version.value());
    std::string v;
    ASSERT_OK(read->Get("log/" + std::string(stamp, 8) + "/a", &v));
    EXPECT_EQ(v, "first " + i);
    ASSERT_OK(read->Get("log/" + std::string(stamp, 8) + "/b", &v));
    EXPECT_EQ(v, "second " + i);
  }
}

TEST(StoreTest, TransactionIteratorMergesWritesWithTheSnapshot) {
  // Random snapshot contents and random uncommitted writes; every seek and
  // step of the merged iterator must match a std::map of the merged state.
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  testing::TempDir dir;
  auto s = OpenStore(dir.path());
  std::map<std::string, std::string> model;
  auto key = [&] { return "k" + std::to_string(rng() % 300); };
  {
    auto t = s->BeginWrite();
    for (int i = 0; i < 200; ++i) {
      std::string k = key(), v = "base" + std::to_string(i);
      ASSERT_OK(t->Put(k, v));
      model[k] = v;
    }
    ASSERT_OK(t->Commit().status());
  }
  auto t = s->BeginWrite();
  for (int round = 0; round < 300; ++round) {
    std::string k = key();
    if (rng() % 3 == 0) {
      ASSERT_OK(t->Delete(k));
      model.erase(k);
    } else {
      std::string v = "txn" + std::to_string(round);
      ASSERT_OK(t->Put(k, v));
      model[k] = v;
    }
    auto it = t->NewIterator();
    std::string from = key();
    if (rng() % 2) {
      it->Seek(from);
      auto m = model.lower_bound(from);
      for (int step = 0; step < 10; ++step, ++m) {
        ASSERT_EQ(it->Valid(), m != model.end()) << "round " << round;
        if (!it->Valid()) break;
        ASSERT_EQ(it->key(), m->first);
        ASSERT_EQ(it->value(), m->second);
        if (step == 5) {  // turn around and back
          it->Prev();
          it->Next();
          ASSERT_TRUE(it->Valid());
          ASSERT_EQ(it->key(), m->first);
        }
        it->Next();
      }
    } else {
      it->SeekForPrev(from);
      auto m = model.upper_bound(from);
      for (int step = 0; step < 10; ++step) {
        ASSERT_EQ(it->Valid(), m != model.begin()) << "round " << round;
        if (!it->Valid()) break;
        --m;
        ASSERT_EQ(it->key(), m->first);
        ASSERT_EQ(it->value(), m->second);
        it->Prev();
      }
    }
  }
  ASSERT_OK(t->Commit().status());
  auto r = s->BeginRead();
  auto c = r->NewCursor();
  auto m = model.begin();
  for (c->SeekToFirst(); c->Valid(); c->Next(), ++m) {
    ASSERT_NE(m, model.end());
    ASSERT_EQ(c->key(), m->first);
  }
  EXPECT_EQ(m, model.end());
}

TEST(StoreTest, SuccessfulCommitsDoNotGrowTheConflictWindow) {
  testing::TempDir dir;
  auto s = OpenStore(dir.path());
  for (int i = 0; i < 500; ++i) ASSERT_OK(PutOne(*s, "k" + std::to_string(i), "v"));
  EXPECT_LE(s->stats().conflict_window, 1u);
  // An open writer keeps what it may conflict with, and only that.
  auto open = s->BeginWrite();
  for (int i = 0; i < 10; ++i) ASSERT_OK(PutOne(*s, "j" + std::to_string(i), "v"));
  EXPECT_EQ(s->stats().conflict_window, 10u);
  open->Rollback();
  EXPECT_LE(s->stats().conflict_window, 1u);
}

// A read-only transaction reads its snapshot (iterators included), refuses
// every write, and, not being registered, keeps no commits in the conflict
// window however long it stays open.
TEST(StoreTest, ReadOnlyTransactionsReadTheirSnapshotAndRefuseWrites) {
  testing::TempDir dir;
  auto s = OpenStore(dir.path());
  ASSERT_OK(PutOne(*s, "a", "1"));
  auto r = s->BeginReadOnly();
  for (int i = 0; i < 10; ++i) ASSERT_OK(PutOne(*s, "j" + std::to_string(i), "v"));
  EXPECT_LE(s->stats().conflict_window, 1u);
  std::string v;
  ASSERT_OK(r->Get("a", &v));
  EXPECT_EQ(v, "1");
  EXPECT_TRUE(r->Get("j0", &v).IsNotFound());
  auto it = r->NewIterator();
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  EXPECT_EQ(n, 1);
  EXPECT_TRUE(r->Put("b", "2").IsInvalidArgument());
  EXPECT_TRUE(r->Delete("a").IsInvalidArgument());
  EXPECT_TRUE(r->PutStamped("p", "s", "v").IsInvalidArgument());
  const mvcc::CommitVersion snapshot = r->snapshot_version();
  auto done = r->Commit();
  ASSERT_OK(done.status());
  EXPECT_EQ(*done, snapshot);  // nothing was committed
  EXPECT_TRUE(s->BeginRead()->Get("b", &v).IsNotFound());
}

TEST(StoreTest, FirstCommitterWinsOnAWriteWriteConflict) {
  testing::TempDir dir;
  auto s = OpenStore(dir.path());
  ASSERT_OK(PutOne(*s, "x", "0"));
  auto t1 = s->BeginWrite();
  auto t2 = s->BeginWrite();
  ASSERT_OK(t1->Put("x", "1"));
  ASSERT_OK(t2->Put("x", "2"));
  ASSERT_OK(t1->Commit().status());
  auto r = t2->Commit();
  ASSERT_TRUE(r.status().IsConflict()) << r.status().ToString();
  EXPECT_NE(r.status().message().find("\"x\""), std::string::npos) << r.status().ToString();
  std::string v;
  ASSERT_OK(s->BeginRead()->Get("x", &v));
  EXPECT_EQ(v, "1");
  // Disjoint writes both commit.
  auto t3 = s->BeginWrite();
  auto t4 = s->BeginWrite();
  ASSERT_OK(t3->Put("y", "3"));
  ASSERT_OK(t4->Put("z", "4"));
  ASSERT_OK(t3->Commit().status());
  ASSERT_OK(t4->Commit().status());
}

// Write skew: each transaction reads both on-call doctors and takes one off
// call if the other is on. Snapshot isolation lets both commit (nobody on
// call); serializable refuses the second.
Status TakeOffCall(WriteTxn& t, const std::string& me, const std::string& other) {
  std::string v;
  RETURN_IF_ERROR(t.Get(other, &v));
  if (v != "on") return Status::OK();
  return t.Put(me, "off");
}

TEST(StoreTest, SnapshotIsolationAllowsWriteSkewSerializableDoesNot) {
  for (Isolation iso : {Isolation::kSnapshot, Isolation::kSerializable}) {
    testing::TempDir dir;
    auto s = OpenStore(dir.path());
    ASSERT_OK(PutOne(*s, "alice", "on"));
    ASSERT_OK(PutOne(*s, "bob", "on"));
    auto t1 = s->BeginWrite(iso);
    auto t2 = s->BeginWrite(iso);
    ASSERT_OK(TakeOffCall(*t1, "alice", "bob"));
    ASSERT_OK(TakeOffCall(*t2, "bob", "alice"));
    ASSERT_OK(t1->Commit().status());
    Status second = t2->Commit().status();
    if (iso == Isolation::kSnapshot) {
      EXPECT_OK(second);
    } else {
      EXPECT_TRUE(second.IsConflict()) << second.ToString();
    }
  }
}

TEST(StoreTest, ValidatedReadsConflictEvenUnderSnapshotIsolation) {
  // The constraint-check pattern: one transaction checks a parent exists and
  // inserts a child; a concurrent one deletes the parent after checking it
  // has no children. Under plain snapshot isolation both would commit.
  testing::TempDir dir;
  auto s = OpenStore(dir.path());
  ASSERT_OK(PutOne(*s, "parent", "p"));
  auto insert_child = s->BeginWrite();
  auto delete_parent = s->BeginWrite();
  std::string v;
  ASSERT_OK(insert_child->Get("parent", &v));
  insert_child->ValidateRead("parent");
  ASSERT_OK(insert_child->Put("parent/child", "c"));
  delete_parent->ValidateRange("parent/", std::string("parent/\xff"));
  ASSERT_OK(delete_parent->Delete("parent"));
  ASSERT_OK(delete_parent->Commit().status());
  Status st = insert_child->Commit().status();
  EXPECT_TRUE(st.IsConflict()) << st.ToString();
  EXPECT_NE(st.ToString().find("read key \"parent\""), std::string::npos) << st.ToString();

  // And the other order: the child lands first, the delete's range check fails.
  ASSERT_OK(PutOne(*s, "parent", "p"));
  insert_child = s->BeginWrite();
  delete_parent = s->BeginWrite();
  insert_child->ValidateRead("parent");
  ASSERT_OK(insert_child->Put("parent/child", "c"));
  delete_parent->ValidateRange("parent/", std::string("parent/\xff"));
  ASSERT_OK(delete_parent->Delete("parent"));
  ASSERT_OK(insert_child->Commit().status());
  st = delete_parent->Commit().status();
  EXPECT_TRUE(st.IsConflict()) << st.ToString();
  EXPECT_NE(st.ToString().find("scanned key \"parent/child\""), std::string::npos) << st.ToString();
}

TEST(StoreTest, SerializableScansConflictWithInsertsIntoTheRange) {
  testing::TempDir dir;
  auto s = OpenStore(dir.path());
  ASSERT_OK(PutOne(*s, "order/1", "x"));
  auto t1 = s->BeginWrite(Isolation::kSerializable);
  int n = 0;
  auto it = t1->NewIterator();
  for (it->Seek("order/"); it->Valid() && it->key().starts_with("order/"); it->Next()) ++n;
  ASSERT_OK(t1->Put("count", std::to_string(n)));
  ASSERT_OK(PutOne(*s, "order/2", "y"));  // a phantom in the scanned range
  EXPECT_TRUE(t1->Commit().status().IsConflict());
}

TEST(StoreTest, RecoveryReplaysTheLogPastTheLastCheckpoint) {
  testing::TempDir dir;
  StoreOptions o = TestOptions();
  o.checkpoint_on_close = false;
  o.background_checkpoints = false;
  CommitVersion last;
  {
    auto s = OpenStore(dir.path(), o);
    for (int i = 0; i < 500; ++i) ASSERT_OK(PutOne(*s, "k" + std::to_string(i), std::to_string(i)));
    ASSERT_OK(s->Checkpoint());
    for (int i = 500; i < 1000; ++i) ASSERT_OK(PutOne(*s, "k" + std::to_string(i), std::to_string(i)));
    auto t = s->BeginWrite();
    ASSERT_OK(t->Delete("k7"));
    last = *t->Commit();
  }
  auto s = OpenStore(dir.path(), o);
  EXPECT_EQ(s->stats().recovered_records, 501u);
  EXPECT_EQ(s->last_committed(), last);
  auto r = s->BeginRead();
  std::string v;
  ASSERT_OK(r->Get("k999", &v));
  EXPECT_EQ(v, "999");
  EXPECT_TRUE(r->Get("k7", &v).IsNotFound());
  ASSERT_OK(btree::CheckIntegrity(s->tree()).status());
  // Versions continue after the recovered ones.
  auto t = s->BeginWrite();
  ASSERT_OK(t->Put("new", "1"));
  EXPECT_EQ(*t->Commit(), last.Next());
}

TEST(StoreTest, LogOfAnotherDatabaseOrNoLogIsAClearError) {
  testing::TempDir a, b;
  StoreOptions o = TestOptions();
  o.checkpoint_on_close = false;
  o.background_checkpoints = false;
  {
    auto sa = OpenStore(a.path(), o);
    auto sb = OpenStore(b.path(), o);
    ASSERT_OK(PutOne(*sa, "a", "1"));
    ASSERT_OK(sa->Checkpoint());
    ASSERT_OK(PutOne(*sa, "a", "2"));
    ASSERT_OK(PutOne(*sb, "b", "1"));
  }
  // b's log beside a's data file.
  std::filesystem::remove_all(a.path() + "/wal");
  std::filesystem::copy(b.path() + "/wal", a.path() + "/wal");
  auto foreign = Store::Open(a.path(), o);
  ASSERT_FALSE(foreign.ok());
  EXPECT_TRUE(foreign.status().IsCorruption()) << foreign.status().ToString();
  EXPECT_NE(foreign.status().message().find("another database"), std::string::npos) << foreign.status().ToString();
  // No log at all, while the data file says it covers part of one.
  std::filesystem::remove_all(a.path() + "/wal");
  auto missing = Store::Open(a.path(), o);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("the log is missing"), std::string::npos) << missing.status().ToString();
}

// Waits (up to ten seconds) until the store settles every commit in `a`.
bool AllSettle(const Store& s, const std::vector<Appended>& a) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (const Appended& x : a) {
    while (!s.Settled(x)) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
  return true;
}

TEST(StoreTest, AppendedCommitsBecomeDurableAndVisibleWithNobodyWaiting) {
  testing::TempDir dir;
  StoreOptions o = TestOptions();
  o.log.sync = true;
  std::vector<Appended> appended;
  std::atomic<int> told{0};
  {
    auto s = OpenStore(dir.path(), o);
    const uint64_t handle = s->AddAppliedListener([&told] { told.fetch_add(1); });
    for (int i = 0; i < 300; ++i) {
      auto t = s->BeginWrite();
      ASSERT_OK(t->Put("k" + std::to_string(i), std::to_string(i)));
      Result<Appended> a = t->Append();
      ASSERT_OK(a.status());
      EXPECT_TRUE(a->logged);
      if (!appended.empty()) {
        EXPECT_GT(a->version, appended.back().version);
      }
      appended.push_back(*a);
    }
    // Nobody called AwaitDurable: the flusher makes them durable, the
    // appliers make them visible and say so.
    ASSERT_TRUE(AllSettle(*s, appended));
    EXPECT_GE(told.load(), 1);
    EXPECT_EQ(s->last_committed(), appended.back().version);
    for (const Appended& a : appended) ASSERT_OK(s->AwaitDurable(a));
    EXPECT_EQ(s->stats().commits, 300u);
    std::string v;
    ASSERT_OK(s->BeginRead()->Get("k299", &v));
    EXPECT_EQ(v, "299");
    s->RemoveAppliedListener(handle);
    const int before = told.load();
    ASSERT_OK(PutOne(*s, "after", "x"));
    EXPECT_EQ(told.load(), before);  // removed: never called again
    // A transaction that wrote nothing has nothing to wait for.
    auto empty = s->BeginWrite();
    Result<Appended> none = empty->Append();
    ASSERT_OK(none.status());
    EXPECT_FALSE(none->logged);
    EXPECT_TRUE(s->Settled(*none));
  }
  // Durable: a reopen (no checkpoint on close) finds every one.
  o.checkpoint_on_close = false;
  auto s = OpenStore(dir.path(), o);
  std::string v;
  for (int i = 0; i < 300; i += 37) {
    ASSERT_OK(s->BeginRead()->Get("k" + std::to_string(i), &v));
    EXPECT_EQ(v, std::to_string(i));
  }
}

TEST(StoreTest, AppendersAndWaitingCommittersShareFlushes) {
  testing::TempDir dir;
  StoreOptions o = TestOptions();
  o.log.sync = true;
  auto s = OpenStore(dir.path(), o);
  constexpr int kThreads = 4, kEach = 150;
  std::vector<std::vector<Appended>> appended(kThreads);
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kEach; ++i) {
        auto t = s->BeginWrite();
        const std::string key = "w" + std::to_string(w) + "." + std::to_string(i);
        EXPECT_OK(t->Put(key, key));
        if (w % 2 == 0) {
          EXPECT_OK(t->Commit().status());  // these wait, and lead flushes
        } else {
          Result<Appended> a = t->Append();
          EXPECT_OK(a.status());
          if (a.ok()) {
            appended[static_cast<size_t>(w)].push_back(*a);
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& a : appended) {
    ASSERT_TRUE(AllSettle(*s, a));
    for (const Appended& x : a) ASSERT_OK(s->AwaitDurable(x));
  }
  auto snap = s->BeginRead();
  std::string v;
  for (int w = 0; w < kThreads; ++w) {
    for (int i = 0; i < kEach; ++i) {
      const std::string key = "w" + std::to_string(w) + "." + std::to_string(i);
      ASSERT_OK(snap->Get(key, &v));
      EXPECT_EQ(v, key);
    }
  }
  EXPECT_EQ(s->stats().commits, static_cast<uint64_t>(kThreads * kEach));
  EXPECT_LT(s->stats().log.syncs, static_cast<uint64_t>(kThreads * kEach));
}

TEST(StoreTest, AFailedFlushSettlesAppendedCommitsWithItsError) {
  testing::TempDir dir;
  auto plan = std::make_shared<FaultPlan>();
  StoreOptions o = TestOptions();
  o.log.sync = true;
  o.log.opener = FaultInjectingOpener(plan);
  o.checkpoint_on_close = false;
  {
    auto s = OpenStore(dir.path(), o);
    std::atomic<int> told{0};
    s->AddAppliedListener([&told] { told.fetch_add(1); });
    ASSERT_OK(PutOne(*s, "before", "1"));
    const int after_first = told.load();
    plan->write_budget_bytes = 0;  // the disk is full from here on
    auto t = s->BeginWrite();
    ASSERT_OK(t->Put("lost", "2"));
    Result<Appended> a = t->Append();
    ASSERT_OK(a.status());  // in the log's buffer; its flush fails
    ASSERT_TRUE(AllSettle(*s, {*a}));
    EXPECT_GT(told.load(), after_first);  // the listeners heard of the failure
    Status st = s->AwaitDurable(*a);
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.ToString().find("reopen"), std::string::npos) << st.ToString();
    std::string v;
    EXPECT_TRUE(s->BeginRead()->Get("lost", &v).IsNotFound());  // never visible
    EXPECT_FALSE(PutOne(*s, "later", "3").ok());                  // nothing commits after it
  }
  plan->write_budget_bytes = -1;
  auto s = OpenStore(dir.path(), o);
  std::string v;
  ASSERT_OK(s->BeginRead()->Get("before", &v));
  EXPECT_TRUE(s->BeginRead()->Get("lost", &v).IsNotFound());
}

TEST(StoreTest, BankTransfersKeepTheTotalInEverySnapshot) {
  testing::TempDir dir;
  StoreOptions o = TestOptions();
  o.checkpoint_log_bytes = 64 << 10;  // checkpoints during the run
  auto s = OpenStore(dir.path(), o);
  constexpr int kAccounts = 20, kInitial = 1000;
  {
    auto t = s->BeginWrite();
    for (int i = 0; i < kAccounts; ++i) ASSERT_OK(t->Put("acct" + std::to_string(i), std::to_string(kInitial)));
    ASSERT_OK(t->Commit().status());
  }
  std::atomic<bool> stop{false};
  std::atomic<int> bad_totals{0}, transfers{0}, conflicts{0}, errors{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937_64 rng(w);
      for (int i = 0; i < 300; ++i) {
        int a = static_cast<int>(rng() % kAccounts), b = static_cast<int>(rng() % kAccounts);
        if (a == b) continue;
        auto t = s->BeginWrite();
        std::string va, vb;
        if (!t->Get("acct" + std::to_string(a), &va).ok() || !t->Get("acct" + std::to_string(b), &vb).ok()) {
          ++errors;
          continue;
        }
        int amount = static_cast<int>(rng() % 50);
        (void)t->Put("acct" + std::to_string(a), std::to_string(std::stoi(va) - amount));
        (void)t->Put("acct" + std::to_string(b), std::to_string(std::stoi(vb) + amount));
        Status st = t->Commit().status();
        if (st.ok()) {
          ++transfers;
        } else if (st.IsConflict()) {
          ++conflicts;
        } else {
          ++errors;
        }
      }
    });
  }
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&] {
      while (!stop) {
        auto snap = s->BeginRead();
        long total = 0;
        auto c = snap->NewCursor();
        for (c->SeekToFirst(); c->Valid(); c->Next()) total += std::stol(std::string(c->value()));
        if (total != kAccounts * kInitial) ++bad_totals;
      }
    });
  }
  for (int w = 0; w < 4; ++w) threads[w].join();
  stop = true;
  for (size_t i = 4; i < threads.size(); ++i) threads[i].join();
  EXPECT_EQ(bad_totals.load(), 0);
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(transfers.load(), 100);
  std::printf("%d transfers, %d conflicts, %llu apply groups, %llu checkpoints\n", transfers.load(),
              conflicts.load(), static_cast<unsigned long long>(s->stats().apply_groups),
              static_cast<unsigned long long>(s->stats().checkpoints));
  ASSERT_OK(btree::CheckIntegrity(s->tree()).status());
}

}  // namespace
}  // namespace ormdb::mvcc

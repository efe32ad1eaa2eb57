// The write-ahead log: records round-trip across segments, concurrent
// committers share fdatasyncs, and recovery tells a torn tail (clean end)
// from damage in the middle, a gap, or a log of another database.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/test_util.h"
#include "util/fault_file.h"
#include "wal/log_reader.h"
#include "wal/log_writer.h"

namespace ormdb::wal {
namespace {

constexpr uint64_t kDb = 0x1234abcd;

std::string Payload(int i) { return "record-" + std::to_string(i) + std::string(i % 300, 'p'); }

std::vector<LogRecord> ReadAllRecords(const std::string& dir, Lsn from, Status* st, Lsn* end = nullptr,
                                      bool* torn = nullptr, uint64_t db = kDb) {
  std::vector<LogRecord> out;
  auto r = LogReader::Open(dir, db, from);
  if (!r.ok()) {
    *st = r.status();
    return out;
  }
  for (;;) {
    LogRecord rec;
    auto more = (*r)->Next(&rec);
    if (!more.ok()) {
      *st = more.status();
      return out;
    }
    if (!*more) break;
    out.push_back(std::move(rec));
  }
  *st = Status::OK();
  if (end) *end = (*r)->end();
  if (torn) *torn = (*r)->torn_tail();
  return out;
}

std::vector<std::string> SegmentPaths(const std::string& dir) {
  std::vector<std::string> paths;
  for (const auto& e : std::filesystem::directory_iterator(dir)) paths.push_back(e.path().string());
  std::sort(paths.begin(), paths.end());
  return paths;
}

class WalTest : public ::testing::Test {
 protected:
  std::unique_ptr<LogWriter> Writer(Lsn start, uint64_t segment_bytes = 4096) {
    LogOptions o;
    o.segment_bytes = segment_bytes;
    o.opener = FaultInjectingOpener(plan_);
    auto w = LogWriter::Open(dir_.path() + "/wal", kDb, start, o);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return std::move(w).value();
  }
  // Writes n records (versions first..first+n-1), synced.
  Lsn WriteRecords(LogWriter& w, int first, int n) {
    Lsn end;
    for (int i = first; i < first + n; ++i) {
      auto e = w.Append(RecordType::kCommit, static_cast<uint64_t>(i), Payload(i));
      EXPECT_TRUE(e.ok());
      end = *e;
    }
    EXPECT_TRUE(w.Sync(end).ok());
    return end;
  }
  std::string wal() const { return dir_.path() + "/wal"; }
  // File offset just past the last record of a log whose only segment starts at 0.
  uint64_t RecordsEndOffset() const {
    Status st;
    auto recs = ReadAllRecords(wal(), Lsn(0), &st);
    EXPECT_TRUE(st.ok() && !recs.empty()) << st.ToString();
    return recs.empty() ? 0 : kSegmentHeaderBytes + recs.back().end.value();
  }

  testing::TempDir dir_;
  std::shared_ptr<FaultPlan> plan_ = std::make_shared<FaultPlan>();
};

TEST_F(WalTest, RecordsRoundTripAcrossSegments) {
  auto w = Writer(Lsn(0));
  Lsn end = WriteRecords(*w, 1, 200);
  EXPECT_GT(SegmentPaths(wal()).size(), 5u);
  Status st;
  Lsn read_end;
  bool torn;
  auto recs = ReadAllRecords(wal(), Lsn(0), &st, &read_end, &torn);
  ASSERT_OK(st);
  ASSERT_EQ(recs.size(), 200u);
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(recs[i].version, static_cast<uint64_t>(i + 1));
    EXPECT_EQ(recs[i].payload, Payload(i + 1));
  }
  EXPECT_EQ(read_end, end);
  EXPECT_FALSE(torn);
  // Reading from the middle starts at that record.
  auto tail = ReadAllRecords(wal(), recs[150].lsn, &st);
  ASSERT_OK(st);
  ASSERT_EQ(tail.size(), 50u);
  EXPECT_EQ(tail[0].version, 151u);
}

TEST_F(WalTest, ConcurrentCommittersShareSyncs) {
  auto w = Writer(Lsn(0), uint64_t{1} << 20);
  constexpr int kThreads = 8, kPerThread = 100;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto end = w->Append(RecordType::kCommit, static_cast<uint64_t>(t * 1000 + i), Payload(i));
        if (!end.ok() || !w->Sync(*end).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  LogStats stats = w->stats();
  EXPECT_EQ(stats.records, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_LT(stats.syncs, stats.records);  // group commit happened
  std::printf("%llu records, %llu fdatasyncs\n", static_cast<unsigned long long>(stats.records),
              static_cast<unsigned long long>(stats.syncs));
  Status st;
  EXPECT_EQ(ReadAllRecords(wal(), Lsn(0), &st).size(), static_cast<size_t>(kThreads * kPerThread));
  ASSERT_OK(st);
}

TEST_F(WalTest, SyncReturnsOnlyAfterOnDurableCoveredTheRecord) {
  // on_durable is where the store applies a group to its tree: a commit must
  // not return before the call covering its record has finished, even when
  // calls overlap with the next flush and finish out of order. Small
  // segments make flushes span rollovers too.
  std::atomic<uint64_t> applied{0};
  std::atomic<int> calls{0};
  LogOptions o;
  o.segment_bytes = 8192;
  o.on_durable = [&](Lsn durable) {
    if (calls.fetch_add(1) % 3 == 0) std::this_thread::sleep_for(std::chrono::microseconds(300));
    uint64_t cur = applied.load();
    while (cur < durable.value() && !applied.compare_exchange_weak(cur, durable.value())) {
    }
  };
  auto opened = LogWriter::Open(wal(), kDb, Lsn(0), o);
  ASSERT_OK(opened.status());
  auto w = std::move(opened).value();
  constexpr int kThreads = 8, kPerThread = 150;
  std::atomic<int> failures{0}, early{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto end = w->Append(RecordType::kCommit, static_cast<uint64_t>(t * 1000 + i), Payload(i));
        if (!end.ok() || !w->Sync(*end).ok()) {
          ++failures;
          continue;
        }
        if (applied.load() < end->value()) ++early;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(early.load(), 0);
  EXPECT_EQ(static_cast<uint64_t>(calls.load()), w->stats().syncs);
  w.reset();
  Status st;
  EXPECT_EQ(ReadAllRecords(wal(), Lsn(0), &st).size(), static_cast<size_t>(kThreads * kPerThread));
  ASSERT_OK(st);
}

TEST_F(WalTest, TornTailEndsTheLogCleanlyAndAWriterResumesAfterIt) {
  auto w = Writer(Lsn(0), uint64_t{1} << 20);
  WriteRecords(*w, 1, 10);
  w.reset();
  std::string last = SegmentPaths(wal()).back();
  // The segment is zero-filled past its records; cut into record 10.
  std::filesystem::resize_file(last, RecordsEndOffset() - 13);
  Status st;
  Lsn end;
  bool torn;
  auto recs = ReadAllRecords(wal(), Lsn(0), &st, &end, &torn);
  ASSERT_OK(st);
  ASSERT_EQ(recs.size(), 9u);
  EXPECT_TRUE(torn);
  EXPECT_EQ(end, recs.back().end);
  // A writer resumes at the end of the valid log, in a new segment.
  w = Writer(end, uint64_t{1} << 20);
  WriteRecords(*w, 100, 5);
  recs = ReadAllRecords(wal(), Lsn(0), &st);
  ASSERT_OK(st);
  ASSERT_EQ(recs.size(), 14u);
  EXPECT_EQ(recs[9].version, 100u);
}

TEST_F(WalTest, FlushesRewriteThePartialLastBlockAndZerosAheadAreACleanEnd) {
  // One record per flush: each flush rewrites the block the previous one
  // left partly filled (with O_DIRECT) and the file is zero-filled ahead.
  auto w = Writer(Lsn(0), uint64_t{1} << 20);
  for (int i = 1; i <= 300; ++i) WriteRecords(*w, i, 1);
  EXPECT_EQ(w->stats().syncs, 300u);
  w.reset();
  const std::string seg = SegmentPaths(wal()).back();
  EXPECT_GT(std::filesystem::file_size(seg), RecordsEndOffset());
  Status st;
  bool torn = true;
  auto recs = ReadAllRecords(wal(), Lsn(0), &st, nullptr, &torn);
  ASSERT_OK(st);
  ASSERT_EQ(recs.size(), 300u);
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(recs[i].version, static_cast<uint64_t>(i + 1));
    EXPECT_EQ(recs[i].payload, Payload(i + 1));
  }
  EXPECT_FALSE(torn);
}

TEST_F(WalTest, DamagedLastRecordIsATornTail) {
  auto w = Writer(Lsn(0), uint64_t{1} << 20);
  WriteRecords(*w, 1, 10);
  w.reset();
  std::string last = SegmentPaths(wal()).back();
  std::fstream f(last, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(RecordsEndOffset() - 20));
  f.put('\x7f');
  f.close();
  Status st;
  bool torn;
  auto recs = ReadAllRecords(wal(), Lsn(0), &st, nullptr, &torn);
  ASSERT_OK(st);
  EXPECT_EQ(recs.size(), 9u);
  EXPECT_TRUE(torn);
}

TEST_F(WalTest, DamagedRecordFollowedByValidOnesIsCorruption) {
  auto w = Writer(Lsn(0), uint64_t{1} << 20);
  WriteRecords(*w, 1, 10);
  w.reset();
  std::string seg = SegmentPaths(wal()).back();
  std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(kSegmentHeaderBytes + 40));  // inside record 1's payload
  f.put('\x01');
  f.close();
  Status st;
  ReadAllRecords(wal(), Lsn(0), &st);
  ASSERT_TRUE(st.IsCorruption()) << st.ToString();
  EXPECT_NE(st.message().find("valid records after it"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find(seg), std::string::npos) << st.ToString();
}

TEST_F(WalTest, LogOfAnotherDatabaseIsRefused) {
  auto w = Writer(Lsn(0));
  WriteRecords(*w, 1, 3);
  Status st;
  ReadAllRecords(wal(), Lsn(0), &st, nullptr, nullptr, kDb + 1);
  ASSERT_TRUE(st.IsCorruption()) << st.ToString();
  EXPECT_NE(st.message().find("another database"), std::string::npos) << st.ToString();
}

TEST_F(WalTest, MissingLogIsAnErrorUnlessTheDatabaseIsNew) {
  Status st;
  ReadAllRecords(wal(), Lsn(0), &st);
  ASSERT_OK(st);  // new database, no log yet
  ReadAllRecords(wal(), Lsn(4096), &st);
  ASSERT_TRUE(st.IsCorruption()) << st.ToString();
  EXPECT_NE(st.message().find("the log is missing"), std::string::npos) << st.ToString();
}

TEST_F(WalTest, MissingMiddleSegmentIsCorruption) {
  auto w = Writer(Lsn(0));
  WriteRecords(*w, 1, 300);
  w.reset();
  auto paths = SegmentPaths(wal());
  ASSERT_GT(paths.size(), 3u);
  std::filesystem::remove(paths[1]);
  Status st;
  ReadAllRecords(wal(), Lsn(0), &st);
  ASSERT_TRUE(st.IsCorruption()) << st.ToString();
  EXPECT_NE(st.message().find("records are missing"), std::string::npos) << st.ToString();
}

TEST_F(WalTest, RemovingCoveredSegmentsKeepsTheOneHoldingThePosition) {
  auto w = Writer(Lsn(0));
  Lsn mid = WriteRecords(*w, 1, 150);
  WriteRecords(*w, 151, 50);
  size_t before = SegmentPaths(wal()).size();
  ASSERT_OK(w->RemoveSegmentsBefore(mid));
  EXPECT_LT(SegmentPaths(wal()).size(), before);
  Status st;
  auto recs = ReadAllRecords(wal(), mid, &st);
  ASSERT_OK(st);
  ASSERT_EQ(recs.size(), 50u);
  EXPECT_EQ(recs[0].version, 151u);
}

TEST_F(WalTest, FailedWriteFailsTheCommitAndEveryLaterOne) {
  auto w = Writer(Lsn(0), uint64_t{1} << 20);
  WriteRecords(*w, 1, 5);
  plan_->write_budget_bytes = 10;
  auto end = w->Append(RecordType::kCommit, 6, Payload(6));
  ASSERT_OK(end.status());
  Status st = w->Sync(*end);
  ASSERT_TRUE(st.IsNoSpace()) << st.ToString();
  plan_->write_budget_bytes = -1;
  EXPECT_FALSE(w->Append(RecordType::kCommit, 7, Payload(7)).ok());
  w.reset();
  // The acknowledged records are intact; the torn one is a clean end.
  auto recs = ReadAllRecords(wal(), Lsn(0), &st);
  ASSERT_OK(st);
  EXPECT_EQ(recs.size(), 5u);
}

TEST_F(WalTest, UnfinishedRolloverEndsTheLogInsteadOfLookingLikeAGap) {
  // A flush that began a new segment and died: the old segment's tail is
  // torn and the new segment holds no record. Nothing there was acknowledged.
  auto w = Writer(Lsn(0), uint64_t{1} << 20);
  Lsn end = WriteRecords(*w, 1, 5);
  w.reset();
  {
    LogOptions o;
    auto later = LogWriter::Open(wal() + "-other", kDb, Lsn(end.value() + 4096), o);  // a segment past a gap
    ASSERT_OK(later.status());
  }
  std::filesystem::copy_file(wal() + "-other/" + SegmentFileName(Lsn(end.value() + 4096)),
                             wal() + "/" + SegmentFileName(Lsn(end.value() + 4096)));
  Status st;
  Lsn read_end;
  bool torn;
  auto recs = ReadAllRecords(wal(), Lsn(0), &st, &read_end, &torn);
  ASSERT_OK(st);
  EXPECT_EQ(recs.size(), 5u);
  EXPECT_EQ(read_end, end);
  EXPECT_TRUE(torn);
  // The writer clears the empty segment away and continues at the end.
  w = Writer(read_end, uint64_t{1} << 20);
  WriteRecords(*w, 6, 3);
  recs = ReadAllRecords(wal(), Lsn(0), &st);
  ASSERT_OK(st);
  EXPECT_EQ(recs.size(), 8u);
}

TEST_F(WalTest, RecordOfAnUnknownTypeIsNotSkippedSilently) {
  std::string seg(EncodeSegmentHeader(SegmentHeader{kDb, Lsn(0)}));
  EncodeRecord(kDb, Lsn(0), static_cast<RecordType>(99), 1, "future", &seg);
  std::filesystem::create_directories(wal());
  std::ofstream(wal() + "/" + SegmentFileName(Lsn(0)), std::ios::binary) << seg;
  Status st;
  ReadAllRecords(wal(), Lsn(0), &st);
  EXPECT_TRUE(st.IsNotSupported()) << st.ToString();
}

TEST_F(WalTest, SegmentsFromEarlierRunsAreRemovedOnceCovered) {
  Lsn end;
  {
    auto w = Writer(Lsn(0));
    end = WriteRecords(*w, 1, 300);
  }
  size_t before = SegmentPaths(wal()).size();
  auto w = Writer(end);
  Lsn end2 = WriteRecords(*w, 301, 5);
  ASSERT_OK(w->RemoveSegmentsBefore(end2));
  EXPECT_EQ(SegmentPaths(wal()).size(), 1u) << "had " << before;
  EXPECT_TRUE(w->Sync(Lsn(end2.value() + 8)).IsInvalidArgument());
}

TEST(WalFormatTest, WriteSetRoundTripsAndRejectsGarbage) {
  WriteSetEncoder enc;
  enc.Put("k1", "v1");
  enc.Delete("k2");
  enc.Put("", std::string(1000, 'x'));
  std::string payload = enc.Finish();
  std::vector<std::tuple<bool, std::string, std::string>> ops;
  ASSERT_OK(DecodeWriteSet(payload, "test", [&](const WriteOp& op) {
    ops.emplace_back(op.is_delete, std::string(op.key), std::string(op.value));
    return Status::OK();
  }));
  ASSERT_EQ(ops.size(), 3u);
  EXPECT_EQ(ops[1], std::make_tuple(true, std::string("k2"), std::string()));
  EXPECT_EQ(std::get<2>(ops[2]).size(), 1000u);
  for (size_t cut = 0; cut < payload.size(); cut += 7) {
    int applied = 0;
    Status st = DecodeWriteSet(std::string_view(payload).substr(0, cut), "rec 5", [&](const WriteOp&) {
      ++applied;
      return Status::OK();
    });
    EXPECT_TRUE(st.IsCorruption()) << cut;
    EXPECT_EQ(applied, 0) << "a malformed write set was half applied, cut at " << cut;
  }
}

}  // namespace
}  // namespace ormdb::wal

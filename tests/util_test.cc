// util/: coding, Status, and the io_uring file (batched reads and writes,
// short reads at the end of the file, O_DIRECT alignment, errors that name
// the file and offset).
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "tests/test_util.h"
#include "util/coding.h"
#include "util/fault_file.h"
#include "util/file.h"
#include "util/status.h"

namespace ormdb {
namespace {

TEST(CodingTest, VarintsRoundTripAtEveryLength) {
  std::vector<uint64_t> values = {0, 1, 127, 128, 255, 300, 16383, 16384, (1ull << 32) - 1, 1ull << 32,
                                  (1ull << 63) - 1, 1ull << 63, ~0ull};
  for (int shift = 0; shift < 64; ++shift) values.push_back((1ull << shift) + 1);
  std::string buf;
  for (uint64_t v : values) coding::PutVarint64(&buf, v);
  std::string_view in(buf);
  for (uint64_t v : values) {
    uint64_t got;
    ASSERT_TRUE(coding::GetVarint64(&in, &got));
    EXPECT_EQ(got, v);
    EXPECT_EQ(coding::VarintLength(v), [&] { std::string s; coding::PutVarint64(&s, v); return static_cast<int>(s.size()); }());
  }
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, MalformedVarintsAreRejected) {
  uint64_t v;
  std::string_view truncated("\x80\x80", 2);
  EXPECT_FALSE(coding::GetVarint64(&truncated, &v));
  std::string eleven(11, '\x80');
  std::string_view too_long(eleven);
  EXPECT_FALSE(coding::GetVarint64(&too_long, &v));
  // 10th byte may only carry the top bit.
  std::string overflow(9, '\xff');
  overflow.push_back('\x02');
  std::string_view of(overflow);
  EXPECT_FALSE(coding::GetVarint64(&of, &v));
  std::string_view empty;
  EXPECT_FALSE(coding::GetVarint64(&empty, &v));
}

TEST(CodingTest, FixedWidthIsLittleEndian) {
  char b[8];
  coding::EncodeFixed64(b, 0x0102030405060708ull);
  EXPECT_EQ(b[0], 0x08);
  EXPECT_EQ(b[7], 0x01);
  EXPECT_EQ(coding::DecodeFixed64(b), 0x0102030405060708ull);
  coding::EncodeFixed32(b, 0xdeadbeef);
  EXPECT_EQ(coding::DecodeFixed32(b), 0xdeadbeefu);
}

TEST(StatusTest, ErrnoMapsToCodesAndKeepsContext) {
  Status s = Status::FromErrno(ENOSPC, "write /x at offset 4096");
  EXPECT_TRUE(s.IsNoSpace());
  EXPECT_NE(s.ToString().find("/x at offset 4096"), std::string::npos);
  EXPECT_TRUE(Status::FromErrno(EFBIG, "w").IsNoSpace());
  EXPECT_TRUE(Status::FromErrno(EIO, "r").IsIOError());
  Status a = Status::Corruption("page 3: bad").Annotate("opening t.odb");
  EXPECT_EQ(a.ToString(), "Corruption: opening t.odb: page 3: bad");
  Result<int> r = Status::NotFound("nope");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound());
  Result<int> ok = 7;
  EXPECT_EQ(*ok, 7);
}

class FileTest : public ::testing::TestWithParam<bool> {};  // param: direct I/O

TEST_P(FileTest, BatchedWritesAndReadsRoundTrip) {
  testing::TempDir dir;
  FileOptions fo;
  fo.direct_io = GetParam();
  auto f = OpenFile(dir.File("f"), fo);
  ASSERT_OK(f.status());
  constexpr size_t kBlock = 4096;
  constexpr int kBlocks = 200;  // more than one ring's worth
  std::vector<AlignedBuffer> bufs;
  std::vector<WriteRequest> writes;
  std::mt19937_64 rng(1);
  for (int i = 0; i < kBlocks; ++i) {
    bufs.push_back(AllocateAligned(kBlock));
    for (size_t j = 0; j < kBlock; ++j) bufs.back()[j] = static_cast<char>(rng());
    // Out of order on purpose.
    writes.push_back(WriteRequest{static_cast<uint64_t>((i * 37) % kBlocks) * kBlock,
                                  std::span<const char>(bufs.back().get(), kBlock)});
  }
  ASSERT_OK((*f)->WriteBatch(writes));
  ASSERT_OK((*f)->Sync());
  auto size = (*f)->Size();
  ASSERT_OK(size.status());
  EXPECT_EQ(*size, kBlocks * kBlock);

  std::vector<AlignedBuffer> rbufs;
  std::vector<ReadRequest> reads;
  for (int i = 0; i < kBlocks; ++i) {
    rbufs.push_back(AllocateAligned(kBlock));
    reads.push_back(ReadRequest{writes[i].offset, std::span<char>(rbufs.back().get(), kBlock)});
  }
  ASSERT_OK((*f)->ReadBatch(reads));
  for (int i = 0; i < kBlocks; ++i) {
    ASSERT_EQ(reads[i].bytes_read, kBlock);
    ASSERT_EQ(std::memcmp(rbufs[i].get(), bufs[i].get(), kBlock), 0) << "block " << i;
  }
}

// WriteDurable (each write with RWF_DSYNC, no fdatasync after) writes what
// WriteBatch would, through io_uring and through the blocking fallback; what
// it wrote reads back from a fresh open of the file.
TEST_P(FileTest, DurableWritesRoundTrip) {
  for (bool uring : {true, false}) {
    SCOPED_TRACE(uring ? "io_uring" : "pwritev2");
    testing::TempDir dir;
    FileOptions fo;
    fo.direct_io = GetParam();
    fo.use_io_uring = uring;
    constexpr size_t kBlock = 4096;
    constexpr int kBlocks = 70;  // more than one ring's worth
    std::vector<AlignedBuffer> bufs;
    std::vector<WriteRequest> writes;
    for (int i = 0; i < kBlocks; ++i) {
      bufs.push_back(AllocateAligned(kBlock));
      std::memset(bufs.back().get(), 'a' + i % 26, kBlock);
      // Runs of adjacent blocks (joined into one pwritev2 when buffered), out of order.
      writes.push_back(WriteRequest{static_cast<uint64_t>(i < 40 ? i : 109 - i) * kBlock,
                                    std::span<const char>(bufs.back().get(), kBlock)});
    }
    {
      auto f = std::move(OpenFile(dir.File("f"), fo)).value();
      ASSERT_OK(f->WriteDurable(writes));
      ASSERT_OK(f->WriteDurable({}));  // nothing to write is not an error
    }
    auto f = std::move(OpenFile(dir.File("f"), fo)).value();
    auto size = f->Size();
    ASSERT_OK(size.status());
    EXPECT_EQ(*size, kBlocks * kBlock);
    auto buf = AllocateAligned(kBlock);
    for (int i = 0; i < kBlocks; ++i) {
      size_t got = 0;
      ASSERT_OK(f->ReadAt(writes[i].offset, std::span<char>(buf.get(), kBlock), &got));
      ASSERT_EQ(got, kBlock);
      ASSERT_EQ(std::memcmp(buf.get(), bufs[i].get(), kBlock), 0) << "block " << i;
    }
  }
}

TEST_P(FileTest, ReadPastTheEndIsShortNotAnError) {
  testing::TempDir dir;
  FileOptions fo;
  fo.direct_io = GetParam();
  auto f = std::move(OpenFile(dir.File("f"), fo)).value();
  auto buf = AllocateAligned(8192);
  std::memset(buf.get(), 'x', 4096);
  ASSERT_OK(f->WriteAt(0, std::span<const char>(buf.get(), 4096)));
  size_t got = 0;
  ASSERT_OK(f->ReadAt(0, std::span<char>(buf.get(), 8192), &got));
  EXPECT_EQ(got, 4096u);
  ASSERT_OK(f->ReadAt(1 << 20, std::span<char>(buf.get(), 4096), &got));
  EXPECT_EQ(got, 0u);
}

INSTANTIATE_TEST_SUITE_P(DirectIo, FileTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "direct" : "buffered"; });

TEST(FileTest, OpeningAMissingFileWithoutCreateNamesIt) {
  testing::TempDir dir;
  FileOptions fo;
  fo.create_if_missing = false;
  auto f = OpenFile(dir.File("missing"), fo);
  ASSERT_FALSE(f.ok());
  EXPECT_TRUE(f.status().IsNotFound());
  EXPECT_NE(f.status().message().find(dir.File("missing")), std::string::npos);
}

TEST(FileTest, PreadFallbackBehavesTheSame) {
  testing::TempDir dir;
  FileOptions fo;
  fo.use_io_uring = false;
  auto f = std::move(OpenFile(dir.File("f"), fo)).value();
  std::string data(10000, 'q');
  ASSERT_OK(f->WriteAt(3, data));
  std::string back(10003, '\0');
  size_t got;
  ASSERT_OK(f->ReadAt(0, std::span<char>(back.data(), back.size()), &got));
  EXPECT_EQ(got, 10003u);
  EXPECT_EQ(back.substr(3), data);
}

TEST(FaultFileTest, BudgetTearsTheWriteAndReportsNoSpace) {
  testing::TempDir dir;
  auto plan = std::make_shared<FaultPlan>();
  plan->write_budget_bytes = 100;
  auto f = std::move(FaultInjectingOpener(plan)(dir.File("f"), FileOptions{})).value();
  std::string data(300, 'z');
  Status st = f->WriteAt(0, data);
  EXPECT_TRUE(st.IsNoSpace()) << st.ToString();
  EXPECT_NE(st.message().find("offset 100"), std::string::npos) << st.ToString();
  EXPECT_EQ(*f->Size(), 100u);  // the torn part landed
}

}  // namespace
}  // namespace ormdb

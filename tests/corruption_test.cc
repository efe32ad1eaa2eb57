// Damaged files: every kind of damage is a clear error naming the file, the
// page and the cause, never a crash and never a silently wrong answer.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "btree/check.h"
#include "btree/tree.h"
#include "tests/test_util.h"

namespace ormdb::btree {
namespace {

constexpr uint32_t kPage = 4096;

class CorruptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("c.odb");
    auto tree = Open(/*create=*/true);
    ASSERT_OK(tree.status());
    for (int batch = 0; batch < 3; ++batch) {
      auto txn = (*tree)->BeginWrite();
      for (int i = 0; i < 3000; ++i) {
        ASSERT_OK(txn->Put("key" + std::to_string(i), std::string(50, static_cast<char>('a' + batch))));
      }
      ASSERT_OK(txn->Commit());
    }
    generation_ = (*tree)->pager().meta().generation;
    root_ = (*tree)->pager().meta().root;
  }

  Result<std::unique_ptr<Tree>> Open(bool create = false) {
    TreeOptions opts;
    opts.page_size = kPage;
    opts.direct_io = false;
    opts.create_if_missing = create;
    return Tree::Open(path_, opts);
  }

  std::string ReadFile() {
    std::ifstream f(path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }
  void WriteFile(const std::string& bytes) {
    std::ofstream f(path_, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  void FlipByte(uint64_t offset) {
    std::string b = ReadFile();
    b[offset] ^= 0x5a;
    WriteFile(b);
  }

  // Reads everything; returns the first error.
  Status ReadEverything(Tree& tree) {
    auto c = tree.GetSnapshot().NewCursor();
    for (c->SeekToFirst(); c->Valid(); c->Next()) {
    }
    return c->status();
  }

  testing::TempDir dir_;
  std::string path_;
  Generation generation_;
  PageId root_;
};

TEST_F(CorruptionTest, FlippedByteInANodeIsReportedWithFileAndPage) {
  FlipByte(root_.value() * kPage + 100);
  auto tree = Open();
  ASSERT_OK(tree.status());  // the meta pages are fine
  Status st = ReadEverything(**tree);
  ASSERT_TRUE(st.IsCorruption()) << st.ToString();
  EXPECT_NE(st.message().find(path_), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find("page " + root_.ToString()), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find("checksum"), std::string::npos) << st.ToString();
  std::string v;
  EXPECT_TRUE((*tree)->GetSnapshot().Get("key1", &v).IsCorruption());
  EXPECT_TRUE(CheckIntegrity(**tree).status().IsCorruption());
}

TEST_F(CorruptionTest, FlippedByteInEveryPageIsCaught) {
  // Every page of the file, damaged in turn, is either caught or unused.
  std::string pristine = ReadFile();
  uint64_t pages = pristine.size() / kPage;
  for (uint64_t p = 2; p < pages; ++p) {
    std::string b = pristine;
    b[p * kPage + 33 + (p * 37) % (kPage - 40)] ^= 0x01;
    WriteFile(b);
    auto tree = Open();
    if (!tree.ok()) {
      EXPECT_TRUE(tree.status().IsCorruption()) << tree.status().ToString();  // a free-list page
      continue;
    }
    Status st = CheckIntegrity(**tree).status();
    if (st.ok()) {
      // Only a free page may be damaged without consequence.
      auto free_pages = (*tree)->pager().FreePages();
      EXPECT_TRUE(std::binary_search(free_pages.begin(), free_pages.end(), p)) << "page " << p;
    } else {
      EXPECT_TRUE(st.IsCorruption()) << st.ToString();
    }
  }
}

TEST_F(CorruptionTest, DamagedNewestMetaFallsBackToThePreviousCommit) {
  FlipByte((generation_.value() % 2) * kPage + 60);
  auto tree = Open();
  ASSERT_OK(tree.status());
  EXPECT_EQ((*tree)->pager().meta().generation.value(), generation_.value() - 1);
  std::string v;
  ASSERT_OK((*tree)->GetSnapshot().Get("key5", &v));
  EXPECT_EQ(v, std::string(50, 'b'));  // the second batch's value
  ASSERT_OK(CheckIntegrity(**tree).status());
}

TEST_F(CorruptionTest, BothMetaPagesDamagedIsAnError) {
  FlipByte(60);
  FlipByte(kPage + 60);
  auto tree = Open();
  ASSERT_FALSE(tree.ok());
  EXPECT_TRUE(tree.status().IsCorruption()) << tree.status().ToString();
  EXPECT_NE(tree.status().message().find("both meta pages"), std::string::npos) << tree.status().ToString();
}

TEST_F(CorruptionTest, TruncatedFileIsAnError) {
  std::string b = ReadFile();
  WriteFile(b.substr(0, b.size() - kPage - 100));
  auto tree = Open();
  ASSERT_FALSE(tree.ok());
  EXPECT_TRUE(tree.status().IsCorruption()) << tree.status().ToString();
  EXPECT_NE(tree.status().message().find("truncated"), std::string::npos) << tree.status().ToString();
}

TEST_F(CorruptionTest, FileThatIsNotAnOrmdbFileIsRefused) {
  WriteFile(std::string("SQLite format 3\0", 16) + std::string(8192, 'x'));
  auto tree = Open();
  ASSERT_FALSE(tree.ok());
  EXPECT_TRUE(tree.status().IsInvalidArgument()) << tree.status().ToString();
  EXPECT_NE(tree.status().message().find("not an ormDB data file"), std::string::npos);
  // And the file is left as it was.
  EXPECT_EQ(ReadFile().substr(0, 6), "SQLite");
}

TEST_F(CorruptionTest, NewerFormatVersionIsRefused) {
  std::string b = ReadFile();
  for (int slot = 0; slot < 2; ++slot) {
    char* page = b.data() + slot * kPage;
    coding::EncodeFixed32(page + 40, kFormatVersion + 1);
    SealPage(page, kPage);
  }
  WriteFile(b);
  auto tree = Open();
  ASSERT_FALSE(tree.ok());
  EXPECT_TRUE(tree.status().IsNotSupported()) << tree.status().ToString();
  EXPECT_NE(tree.status().message().find("format version 2"), std::string::npos) << tree.status().ToString();
}

TEST_F(CorruptionTest, ValidChecksumOverNonsenseIsStillCaught) {
  // A page whose checksum was recomputed over garbage (a buggy writer, a
  // crafted file) must be caught by the layout checks.
  std::string b = ReadFile();
  char* page = b.data() + root_.value() * kPage;
  std::memset(page + kPageHeaderBytes, 0xee, 64);
  SealPage(page, kPage);
  WriteFile(b);
  auto tree = Open();
  ASSERT_OK(tree.status());
  Status st = ReadEverything(**tree);
  EXPECT_TRUE(st.IsCorruption()) << st.ToString();
}

}  // namespace
}  // namespace ormdb::btree

// Node pages: building, searching and validating leaf and branch layouts.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>

#include "btree/node.h"
#include "tests/test_util.h"

namespace ormdb::btree {
namespace {

constexpr uint32_t kPage = 4096;

struct Built {
  MutablePage page = AllocatePage(kPage);
  std::vector<std::string> keys, values;
};

Built BuildLeaf(std::vector<std::string> keys) {
  Built b;
  b.keys = std::move(keys);
  std::vector<NodeEntry> entries;
  for (size_t i = 0; i < b.keys.size(); ++i) b.values.push_back("v" + std::to_string(i));
  for (size_t i = 0; i < b.keys.size(); ++i) {
    NodeEntry e;
    e.key = KeyParts{b.keys[i], {}};
    e.value = b.values[i];
    e.value_length = b.values[i].size();
    entries.push_back(e);
  }
  BuildNode(b.page.get(), kPage, PageId(9), true, 0, kNoPage, entries);
  return b;
}

TEST(NodeTest, SharedPrefixIsStoredOnceAndKeysReadBack) {
  Built b = BuildLeaf({"user/0001", "user/0002", "user/0100"});
  NodeView v(b.page.get(), kPage);
  EXPECT_EQ(v.prefix(), "user/0");
  ASSERT_EQ(v.count(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(v.Key(i), b.keys[i]);
    EXPECT_EQ(v.value(i).inline_bytes, b.values[i]);
  }
  ASSERT_OK(ValidateNode(b.page.get(), kPage, "test"));
}

TEST(NodeTest, InPlaceLeafInsertGivesTheBytesOfARebuildOrRefuses) {
  Built b = BuildLeaf({"user/0001", "user/0005", "user/0100"});
  char* page = b.page.get();
  // Between two keys: in place, and the node reads as if rebuilt.
  ASSERT_TRUE(InsertLeafCellInPlace(page, kPage, 1, "user/0003", "three", false, 5, kNoPage));
  ASSERT_TRUE(InsertLeafCellInPlace(page, kPage, 3, "user/0099", "", false, 0, kNoPage));
  ASSERT_TRUE(InsertLeafCellInPlace(page, kPage, 2, "user/0004", "", true, 1 << 20, PageId(77)));
  ASSERT_OK(ValidateNode(page, kPage, "test"));
  NodeView v(page, kPage);
  ASSERT_EQ(v.count(), 6);
  EXPECT_EQ(v.prefix(), "user/0");
  const char* want[] = {"user/0001", "user/0003", "user/0004", "user/0005", "user/0099", "user/0100"};
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(v.Key(i), want[i]);
    bool exact;
    EXPECT_EQ(v.LowerBound(want[i], &exact), i);
    EXPECT_TRUE(exact);
  }
  EXPECT_EQ(v.value(1).inline_bytes, "three");
  EXPECT_TRUE(v.value(2).overflow);
  EXPECT_EQ(v.value(2).first_page, PageId(77));
  EXPECT_EQ(v.value(2).length, 1u << 20);
  EXPECT_EQ(v.value(5).inline_bytes, "v2");
  {
    // Byte for byte what a rebuild of the same entries makes.
    std::vector<NodeEntry> entries(6);
    const char* values[] = {"v0", "three", "", "v1", "", "v2"};
    for (int i = 0; i < 6; ++i) {
      entries[i].key = KeyParts{want[i], {}};
      entries[i].value = values[i];
      entries[i].value_length = std::strlen(values[i]);
    }
    entries[2].overflow = true;
    entries[2].value_length = 1 << 20;
    entries[2].page = PageId(77);
    MutablePage rebuilt = AllocatePage(kPage);
    BuildNode(rebuilt.get(), kPage, PageId(9), true, 0, kNoPage, entries);
    EXPECT_EQ(std::memcmp(rebuilt.get(), page, kPage), 0);
  }
  // A new first or last key could shorten the prefix: refused, unchanged.
  std::string before(page, kPage);
  EXPECT_FALSE(InsertLeafCellInPlace(page, kPage, 0, "user/0000", "x", false, 1, kNoPage));
  EXPECT_FALSE(InsertLeafCellInPlace(page, kPage, 6, "user/0200", "x", false, 1, kNoPage));
  // A cell that does not fit: refused, unchanged.
  std::string big(kPage, 'b');
  EXPECT_FALSE(InsertLeafCellInPlace(page, kPage, 3, "user/00045", big, false, big.size(), kNoPage));
  EXPECT_EQ(std::string(page, kPage), before);
  // Filling the page up to the last byte stays valid.
  int n = 0;
  for (int i = 0;; ++i) {
    char key[32];
    std::snprintf(key, sizeof key, "user/0004%05d", i);
    NodeView cur(page, kPage);
    bool exact;
    int pos = cur.LowerBound(key, &exact);
    if (!InsertLeafCellInPlace(page, kPage, pos, key, "vv", false, 2, kNoPage)) break;
    ++n;
  }
  EXPECT_GT(n, 100);
  ASSERT_OK(ValidateNode(page, kPage, "test"));
}

TEST(NodeTest, LowerBoundHandlesKeysOutsideThePrefix) {
  Built b = BuildLeaf({"user/0001", "user/0002", "user/0100"});
  NodeView v(b.page.get(), kPage);
  bool exact;
  EXPECT_EQ(v.LowerBound("a", &exact), 0);
  EXPECT_FALSE(exact);
  EXPECT_EQ(v.LowerBound("user/", &exact), 0);  // a proper prefix of the node prefix
  EXPECT_EQ(v.LowerBound("user/0002", &exact), 1);
  EXPECT_TRUE(exact);
  EXPECT_EQ(v.LowerBound("user/00020", &exact), 2);
  EXPECT_FALSE(exact);
  EXPECT_EQ(v.LowerBound("zzz", &exact), 3);
  EXPECT_EQ(v.LowerBound("user/1", &exact), 3);
}

TEST(NodeTest, BranchChildIndexCountsKeysAtOrBelow) {
  std::vector<std::string> seps = {"b", "d", "f"};
  std::vector<NodeEntry> entries;
  for (size_t i = 0; i < seps.size(); ++i) {
    NodeEntry e;
    e.key = KeyParts{seps[i], {}};
    e.page = PageId(10 + i);
    entries.push_back(e);
  }
  MutablePage page = AllocatePage(kPage);
  BuildNode(page.get(), kPage, PageId(3), false, 1, PageId(9), entries);
  NodeView v(page.get(), kPage);
  EXPECT_EQ(v.child(0), PageId(9));
  EXPECT_EQ(v.child(3), PageId(12));
  EXPECT_EQ(v.ChildIndex("a"), 0);
  EXPECT_EQ(v.ChildIndex("b"), 1);  // keys >= separator go right
  EXPECT_EQ(v.ChildIndex("c"), 1);
  EXPECT_EQ(v.ChildIndex("f"), 3);
  EXPECT_EQ(v.ChildIndex("zz"), 3);
  ASSERT_OK(ValidateNode(page.get(), kPage, "test"));
}

TEST(NodeTest, ShortestSeparatorLiesBetween) {
  auto sep = [](std::string a, std::string b) { return ShortestSeparator(KeyParts{a, {}}, KeyParts{b, {}}); };
  EXPECT_EQ(sep("apple", "banana"), "b");
  EXPECT_EQ(sep("user/0001", "user/0002"), "user/0002");
  EXPECT_EQ(sep("abc", "abcd"), "abcd");
  EXPECT_EQ(sep("abc", "abd"), "abd");
  EXPECT_EQ(sep("ab", "b"), "b");
}

TEST(NodeTest, KeyPartsCompareAsTheirConcatenation) {
  EXPECT_EQ(Compare(KeyParts{"ab", "c"}, KeyParts{"a", "bc"}), 0);
  EXPECT_LT(Compare(KeyParts{"ab", ""}, KeyParts{"a", "bc"}), 0);
  EXPECT_GT(Compare(KeyParts{"b", ""}, KeyParts{"a", "zz"}), 0);
  EXPECT_EQ(CommonPrefixLength(KeyParts{"user/", "01"}, KeyParts{"us", "er/02"}), 6u);
}

TEST(NodeTest, ValidationRejectsBrokenLayouts) {
  Built b = BuildLeaf({"a1", "a2", "a3"});
  auto broken = [&](auto mutate) {
    MutablePage p = AllocatePage(kPage);
    std::memcpy(p.get(), b.page.get(), kPage);
    mutate(p.get());
    return ValidateNode(p.get(), kPage, "page 9");
  };
  EXPECT_TRUE(broken([](char* p) { coding::EncodeFixed16(p + kCountOffset, 5000); }).IsCorruption());
  EXPECT_TRUE(broken([](char* p) { coding::EncodeFixed32(p + kAux32Offset, 9000); }).IsCorruption());
  // A slot pointing into the header.
  EXPECT_TRUE(broken([](char* p) { coding::EncodeFixed16(p + kPageHeaderBytes + 1, 3); }).IsCorruption());
  // Keys out of order (swap two slots).
  EXPECT_TRUE(broken([](char* p) {
                char* slots = p + kPageHeaderBytes + 1;
                char t[2];
                std::memcpy(t, slots, 2);
                std::memcpy(slots, slots + 2, 2);
                std::memcpy(slots + 2, t, 2);
              }).IsCorruption());
  // A leaf that claims to be a branch level.
  Status st = broken([](char* p) { p[kLevelOffset] = 2; });
  EXPECT_TRUE(st.IsCorruption());
  EXPECT_NE(st.message().find("page 9"), std::string::npos);
}

TEST(NodeTest, LimitsLeaveRoomForFourMaximalCells) {
  for (uint32_t ps = kMinPageSizeBytes; ps <= kMaxPageSizeBytes; ps *= 2) {
    NodeLimits l = NodeLimits::For(ps);
    EXPECT_LE(4 * (l.max_inline_cell_bytes + 2) + l.max_key_bytes, l.usable_bytes()) << ps;
    EXPECT_GE(l.max_key_bytes, 60u) << ps;
  }
}

}  // namespace
}  // namespace ormdb::btree

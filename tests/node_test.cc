// Node pages: building, searching and validating leaf and branch layouts.
#include <gtest/gtest.h>

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

// Layout of a B+tree node page (leaf or branch) and the two ways of touching
// one: NodeView reads a page in place (binary search over a slot array,
// no decoding), BuildNode writes a whole node from a sorted list of entries.
// Nodes are mostly rebuilt rather than edited in place: every change copies
// the page anyway (copy-on-write), and a rebuild keeps the node compact and
// its shared key prefix exact. The common insert, a key between two of a
// leaf's keys that fits, edits the transaction's copy in place
// (InsertLeafCellInPlace), which gives the same bytes as a rebuild.
//
//   header (32 bytes, page.h): level, count, aux32 = prefix length,
//                              aux64 = leftmost child (branch)
//   prefix bytes               the bytes every key in the node starts with
//   slot array                 count x u16: offset of each cell, in key order
//   free space
//   cells                      packed at the end of the page
//   leaf cell:   varint suffix length | varint (value length << 1 | overflow) |
//                suffix | value bytes, or u64 first overflow page
//   branch cell: varint suffix length | u64 child | suffix
// A branch with n keys has n+1 children: the leftmost in the header, then one
// per cell holding the keys >= that cell's key.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "btree/page.h"
#include "util/status.h"

namespace ormdb::btree {

// Size limits that guarantee at least four cells per node, so a split of an
// overfull node always yields two nodes that fit.
struct NodeLimits {
  uint32_t page_size;
  size_t max_key_bytes;
  size_t max_inline_cell_bytes;  // a leaf cell over this moves its value to overflow pages
  size_t overflow_payload_bytes;
  size_t usable_bytes() const { return page_size - kPageHeaderBytes; }
  static NodeLimits For(uint32_t page_size);
};

constexpr uint64_t kMaxValueBytes = uint64_t{1} << 30;

// A value as stored in a leaf cell.
struct LeafValue {
  bool overflow = false;
  uint64_t length = 0;
  std::string_view inline_bytes;  // when !overflow
  PageId first_page;              // when overflow
};

class NodeView {
 public:
  NodeView(const char* page, uint32_t page_size) : p_(page), page_size_(page_size) {}

  bool is_leaf() const { return static_cast<PageType>(static_cast<uint8_t>(p_[kTypeOffset])) == PageType::kLeaf; }
  uint8_t level() const { return static_cast<uint8_t>(p_[kLevelOffset]); }
  int count() const { return coding::DecodeFixed16(p_ + kCountOffset); }
  std::string_view prefix() const {
    return std::string_view(p_ + kPageHeaderBytes, coding::DecodeFixed32(p_ + kAux32Offset));
  }
  std::string_view suffix(int i) const;
  void AppendKey(int i, std::string* out) const;
  std::string Key(int i) const;
  LeafValue value(int i) const;
  // Leaf: the suffix and the value of entry i, decoding the cell once.
  std::string_view LeafEntry(int i, LeafValue* value) const;
  // Asks the CPU to start loading cell i (a scan's next step: cells are in
  // key order in the slot array but not in memory, so the hardware
  // prefetcher cannot guess them).
  void PrefetchCell(int i) const {
    if (i >= 0 && i < count()) __builtin_prefetch(p_ + slot(i));
  }
  // Child i of a branch, i in [0, count]: 0 is the leftmost.
  PageId child(int i) const;
  size_t child_offset(int i) const;

  // Leaf: index of the first key >= key; *exact when it equals key.
  int LowerBound(std::string_view key, bool* exact) const;
  // Branch: the child whose range holds key (the number of keys <= key).
  int ChildIndex(std::string_view key) const;
  // <0, 0 or >0 as key sorts before, equal to or after key i (prefix + suffix).
  int CompareKey(std::string_view key, int i) const;
  size_t used_bytes() const;
  const char* data() const { return p_; }

 private:
  uint16_t slot(int i) const { return coding::DecodeFixed16(p_ + kPageHeaderBytes + prefix().size() + 2 * i); }
  // Compares key with prefix+suffix(i); key_rest is key with the prefix removed.
  int CompareSuffix(std::string_view key_rest, int i) const;
  // Where key falls relative to the prefix: -1 before every key in the node,
  // +1 after every key, 0 inside (key_rest is then set).
  int ClassifyByPrefix(std::string_view key, std::string_view* key_rest) const;

  const char* p_;
  uint32_t page_size_;
};

// Inserts a new leaf cell for `key` at slot `pos` of a leaf page in place,
// leaving the page byte for byte what BuildNode would make of the same
// entries, when that is possible: the key falls strictly between two keys
// of the node (so the node's prefix stays exact), the cell fits in the free
// space, and the cells lie in BuildNode's order (the cells after `pos` move
// down by the new cell's size). Returns false, changing nothing, otherwise.
// The value is `value` inline, or (overflow) the first overflow page.
bool InsertLeafCellInPlace(char* page, uint32_t page_size, int pos, std::string_view key, std::string_view value,
                           bool overflow, uint64_t value_length, PageId first_overflow_page);

// Checks a node page read from disk: slots, cells, varints and key order lie
// within the page. Run once when the page enters the cache, so NodeView can
// trust the page afterwards.
Status ValidateNode(const char* page, uint32_t page_size, const std::string& where);

// A key given as two pieces (the bytes of key = head followed by tail), so a
// rebuild can re-cut an old node's prefix + suffix without concatenating.
struct KeyParts {
  std::string_view head, tail;
  size_t size() const { return head.size() + tail.size(); }
  char at(size_t i) const { return i < head.size() ? head[i] : tail[i - head.size()]; }
  void AppendTo(std::string* out) const { out->append(head); out->append(tail); }
  std::string ToString() const { std::string s; AppendTo(&s); return s; }
};
int Compare(const KeyParts& a, const KeyParts& b);
size_t CommonPrefixLength(const KeyParts& a, const KeyParts& b);

struct NodeEntry {
  KeyParts key;
  // Leaf: the inline value, or for an overflow value its length and first page.
  std::string_view value;
  bool overflow = false;
  uint64_t value_length = 0;
  // Branch: the child holding keys >= key. Leaf overflow: the first page.
  PageId page;
};

// Appends the entries of an existing node (key parts point into its page).
void ReadEntries(const NodeView& node, std::vector<NodeEntry>* out);

// Bytes a node holding entries[begin, end) would occupy.
size_t NodeBytes(bool leaf, std::span<const NodeEntry> entries);

// Writes a whole node. The entries must be sorted and fit (NodeBytes), and
// must not point into `page` itself.
void BuildNode(char* page, uint32_t page_size, PageId id, bool leaf, uint8_t level, PageId leftmost,
               std::span<const NodeEntry> entries);

// The shortest key s with left < s <= right, used as a branch separator.
std::string ShortestSeparator(const KeyParts& left, const KeyParts& right);

}  // namespace ormdb::btree

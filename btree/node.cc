#include "btree/node.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "util/coding.h"

namespace ormdb::btree {
namespace {

constexpr size_t kChildBytes = 8;

struct Cell {
  std::string_view suffix;
  uint64_t vinfo = 0;           // leaf: value length << 1 | overflow
  const char* payload = nullptr;  // leaf: value or overflow page; branch: child
};

// Decodes the cell at `off`; nullptr-safe against a page end at `limit`.
bool DecodeCell(const char* page, size_t off, size_t limit, bool leaf, Cell* c) {
  const char* p = page + off;
  const char* end = page + limit;
  uint64_t slen;
  p = coding::DecodeVarint64(p, end, &slen);
  if (p == nullptr) return false;
  if (leaf) {
    p = coding::DecodeVarint64(p, end, &c->vinfo);
    if (p == nullptr) return false;
    if (slen > static_cast<uint64_t>(end - p)) return false;
    c->suffix = std::string_view(p, slen);
    p += slen;
    uint64_t vbytes = (c->vinfo & 1) ? kChildBytes : (c->vinfo >> 1);
    if (vbytes > static_cast<uint64_t>(end - p)) return false;
    c->payload = p;
  } else {
    if (static_cast<uint64_t>(end - p) < kChildBytes) return false;
    c->payload = p;
    p += kChildBytes;
    if (slen > static_cast<uint64_t>(end - p)) return false;
    c->suffix = std::string_view(p, slen);
  }
  return true;
}

int CompareBytes(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  int c = n == 0 ? 0 : std::memcmp(a.data(), b.data(), n);
  if (c != 0) return c;
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

size_t CellBytes(bool leaf, const NodeEntry& e, size_t prefix_len) {
  size_t slen = e.key.size() - prefix_len;
  if (leaf) {
    uint64_t vinfo = (e.value_length << 1) | (e.overflow ? 1 : 0);
    return coding::VarintLength(slen) + coding::VarintLength(vinfo) + slen +
           (e.overflow ? kChildBytes : e.value.size());
  }
  return coding::VarintLength(slen) + kChildBytes + slen;
}

size_t EntriesPrefix(std::span<const NodeEntry> entries) {
  if (entries.empty()) return 0;
  return CommonPrefixLength(entries.front().key, entries.back().key);
}

// Copies key bytes [from, size) into dst.
void CopyKeyRange(const KeyParts& k, size_t from, char* dst) {
  if (from < k.head.size()) {
    size_t n = k.head.size() - from;
    std::memcpy(dst, k.head.data() + from, n);
    dst += n;
    from = 0;
  } else {
    from -= k.head.size();
  }
  if (k.tail.size() > from) std::memcpy(dst, k.tail.data() + from, k.tail.size() - from);
}

}  // namespace

NodeLimits NodeLimits::For(uint32_t page_size) {
  NodeLimits l;
  l.page_size = page_size;
  size_t usable = page_size - kPageHeaderBytes;
  // Four cells and their slots fit with room for a node prefix of a full key.
  l.max_inline_cell_bytes = usable / 5;
  l.max_key_bytes = l.max_inline_cell_bytes - 2 * coding::kMaxVarint64Bytes - kChildBytes;
  l.overflow_payload_bytes = usable;
  return l;
}

std::string_view NodeView::suffix(int i) const {
  Cell c;
  DecodeCell(p_, slot(i), page_size_, is_leaf(), &c);
  return c.suffix;
}

void NodeView::AppendKey(int i, std::string* out) const {
  out->append(prefix());
  out->append(suffix(i));
}

std::string NodeView::Key(int i) const {
  std::string k;
  AppendKey(i, &k);
  return k;
}

LeafValue NodeView::value(int i) const {
  LeafValue v;
  LeafEntry(i, &v);
  return v;
}

std::string_view NodeView::LeafEntry(int i, LeafValue* out) const {
  Cell c;
  DecodeCell(p_, slot(i), page_size_, true, &c);
  LeafValue& v = *out;
  v.overflow = (c.vinfo & 1) != 0;
  v.length = c.vinfo >> 1;
  if (v.overflow) {
    v.first_page = PageId(coding::DecodeFixed64(c.payload));
  } else {
    v.inline_bytes = std::string_view(c.payload, v.length);
  }
  return c.suffix;
}

PageId NodeView::child(int i) const {
  if (i == 0) return PageId(coding::DecodeFixed64(p_ + kAux64Offset));
  return PageId(coding::DecodeFixed64(p_ + child_offset(i)));
}

size_t NodeView::child_offset(int i) const {
  if (i == 0) return kAux64Offset;
  size_t off = slot(i - 1);
  uint64_t slen;
  const char* q = coding::DecodeVarint64(p_ + off, p_ + page_size_, &slen);
  return static_cast<size_t>(q - p_);
}

int NodeView::CompareSuffix(std::string_view key_rest, int i) const {
  return CompareBytes(key_rest, suffix(i));
}

int NodeView::ClassifyByPrefix(std::string_view key, std::string_view* key_rest) const {
  std::string_view pre = prefix();
  size_t n = std::min(key.size(), pre.size());
  int c = n == 0 ? 0 : std::memcmp(key.data(), pre.data(), n);
  if (c < 0) return -1;
  if (c > 0) return 1;
  if (key.size() < pre.size()) return -1;  // a proper prefix of every key sorts first
  *key_rest = key.substr(pre.size());
  return 0;
}

namespace {

// The searches' view of a node: the slot array located once, suffixes read
// without re-checking bounds (ValidateNode checked every cell when the page
// entered the cache), and keys compared inline, eight bytes at a time.
class SearchView {
 public:
  explicit SearchView(const char* p)
      : p_(p),
        slots_(p + kPageHeaderBytes + coding::DecodeFixed32(p + kAux32Offset)),
        leaf_(static_cast<PageType>(static_cast<uint8_t>(p[kTypeOffset])) == PageType::kLeaf) {}

  std::string_view suffix(int i) const {
    const char* q = p_ + coding::DecodeFixed16(slots_ + 2 * i);
    uint64_t len = Varint(&q);
    if (leaf_) {
      Varint(&q);  // value length and overflow bit
    } else {
      q += kChildBytes;
    }
    return std::string_view(q, len);
  }

  static int Compare(std::string_view a, std::string_view b) {
    const size_t n = std::min(a.size(), b.size());
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t x, y;
      std::memcpy(&x, a.data() + i, 8);
      std::memcpy(&y, b.data() + i, 8);
      if (x != y) return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : 1;
    }
    for (; i < n; ++i) {
      unsigned char x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
      if (x != y) return x < y ? -1 : 1;
    }
    return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
  }

 private:
  static uint64_t Varint(const char** q) {
    uint64_t v = static_cast<unsigned char>(**q);
    ++*q;
    if (v < 0x80) return v;  // the common case: lengths below 128
    v &= 0x7f;
    for (int shift = 7;; shift += 7) {
      uint64_t byte = static_cast<unsigned char>(**q);
      ++*q;
      v |= (byte & 0x7f) << shift;
      if (byte < 0x80) return v;
    }
  }

  const char* p_;
  const char* slots_;
  bool leaf_;
};

}  // namespace

int NodeView::LowerBound(std::string_view key, bool* exact) const {
  *exact = false;
  std::string_view rest;
  int cls = ClassifyByPrefix(key, &rest);
  if (cls < 0) return 0;
  if (cls > 0) return count();
  SearchView sv(p_);
  int lo = 0, hi = count();
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    int c = SearchView::Compare(rest, sv.suffix(mid));
    if (c > 0) {
      lo = mid + 1;
    } else {
      if (c == 0) *exact = true;
      hi = mid;
    }
  }
  if (*exact && lo < count() && SearchView::Compare(rest, sv.suffix(lo)) != 0) *exact = false;
  return lo;
}

int NodeView::ChildIndex(std::string_view key) const {
  std::string_view rest;
  int cls = ClassifyByPrefix(key, &rest);
  if (cls < 0) return 0;
  if (cls > 0) return count();
  SearchView sv(p_);
  int lo = 0, hi = count();  // first key > key
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (SearchView::Compare(rest, sv.suffix(mid)) >= 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

int NodeView::CompareKey(std::string_view key, int i) const {
  std::string_view rest;
  int cls = ClassifyByPrefix(key, &rest);
  if (cls != 0) return cls;
  return SearchView::Compare(rest, SearchView(p_).suffix(i));
}

size_t NodeView::used_bytes() const {
  size_t min_off = page_size_;
  for (int i = 0; i < count(); ++i) min_off = std::min<size_t>(min_off, slot(i));
  return kPageHeaderBytes + prefix().size() + 2 * count() + (page_size_ - min_off);
}

bool InsertLeafCellInPlace(char* page, uint32_t page_size, int pos, std::string_view key, std::string_view value,
                           bool overflow, uint64_t value_length, PageId first_overflow_page) {
  NodeView v(page, page_size);
  const int count = v.count();
  if (pos <= 0 || pos >= count) return false;  // a new first or last key may shorten the prefix
  const size_t pre = v.prefix().size();
  const size_t slen = key.size() - pre;
  const uint64_t vinfo = (value_length << 1) | (overflow ? 1 : 0);
  const size_t cell = coding::VarintLength(slen) + coding::VarintLength(vinfo) + slen +
                      (overflow ? kChildBytes : value.size());
  const size_t slots = kPageHeaderBytes + pre;
  // Cells lie in key order from the page's end down, as BuildNode lays
  // them out (a scan then reads memory in one direction, which the CPU
  // prefetches); a page that does not is left to a rebuild.
  size_t prev = page_size;
  for (int i = 0; i < count; ++i) {
    size_t off = coding::DecodeFixed16(page + slots + 2 * i);
    if (off >= prev) return false;
    prev = off;
  }
  const size_t cells_begin = prev;
  const size_t slots_end = slots + 2 * static_cast<size_t>(count);
  if (slots_end + 2 + cell > cells_begin || count == UINT16_MAX) return false;
  // Cells pos.. move down to open a gap just below cell pos-1.
  const size_t gap_end = coding::DecodeFixed16(page + slots + 2 * (pos - 1));
  std::memmove(page + cells_begin - cell, page + cells_begin, gap_end - cells_begin);
  for (int i = pos; i < count; ++i) {
    char* s = page + slots + 2 * i;
    coding::EncodeFixed16(s, static_cast<uint16_t>(coding::DecodeFixed16(s) - cell));
  }
  char* q = page + gap_end - cell;
  q = coding::EncodeVarint64(q, slen);
  q = coding::EncodeVarint64(q, vinfo);
  std::memcpy(q, key.data() + pre, slen);
  q += slen;
  if (overflow) {
    coding::EncodeFixed64(q, first_overflow_page.value());
  } else if (!value.empty()) {
    std::memcpy(q, value.data(), value.size());
  }
  char* at = page + slots + 2 * static_cast<size_t>(pos);
  std::memmove(at + 2, at, 2 * static_cast<size_t>(count - pos));
  coding::EncodeFixed16(at, static_cast<uint16_t>(gap_end - cell));
  coding::EncodeFixed16(page + kCountOffset, static_cast<uint16_t>(count + 1));
  return true;
}

Status ValidateNode(const char* page, uint32_t page_size, const std::string& where) {
  PageHeader h = ReadHeader(page);
  bool leaf = h.type == PageType::kLeaf;
  if (leaf != (h.level == 0)) {
    return Status::Corruption(where + ": " + PageTypeName(h.type) + " page at level " + std::to_string(h.level));
  }
  size_t slots_end = kPageHeaderBytes + static_cast<size_t>(h.aux32) + 2 * static_cast<size_t>(h.count);
  if (h.aux32 > page_size || slots_end > page_size) {
    return Status::Corruption(where + ": prefix of " + std::to_string(h.aux32) + " bytes and " +
                              std::to_string(h.count) + " slots overflow the page");
  }
  if (!leaf && h.aux64 == 0) return Status::Corruption(where + ": branch without a leftmost child");
  NodeView v(page, page_size);
  std::string_view prev;
  for (int i = 0; i < h.count; ++i) {
    size_t off = coding::DecodeFixed16(page + kPageHeaderBytes + h.aux32 + 2 * i);
    Cell c;
    if (off < slots_end || off >= page_size || !DecodeCell(page, off, page_size, leaf, &c)) {
      return Status::Corruption(where + ": cell " + std::to_string(i) + " at offset " + std::to_string(off) +
                                " is malformed or outside the page");
    }
    if (leaf && (c.vinfo & 1) && (c.vinfo >> 1) > kMaxValueBytes) {
      return Status::Corruption(where + ": cell " + std::to_string(i) + " claims a value of " +
                                std::to_string(c.vinfo >> 1) + " bytes");
    }
    if (!leaf && coding::DecodeFixed64(c.payload) == 0) {
      return Status::Corruption(where + ": cell " + std::to_string(i) + " names page 0 as a child");
    }
    if (i > 0 && CompareBytes(prev, c.suffix) >= 0) {
      return Status::Corruption(where + ": keys out of order at cell " + std::to_string(i));
    }
    prev = c.suffix;
  }
  return Status::OK();
}

int Compare(const KeyParts& a, const KeyParts& b) {
  size_t n = std::min(a.size(), b.size());
  size_t i = CommonPrefixLength(a, b);
  if (i < n) return static_cast<unsigned char>(a.at(i)) < static_cast<unsigned char>(b.at(i)) ? -1 : 1;
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

size_t CommonPrefixLength(const KeyParts& a, const KeyParts& b) {
  size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  // Fast path over the heads, which are usually the same node prefix.
  if (a.head.data() == b.head.data()) i = std::min({a.head.size(), b.head.size(), n});
  while (i < n && a.at(i) == b.at(i)) ++i;
  return i;
}

void ReadEntries(const NodeView& node, std::vector<NodeEntry>* out) {
  std::string_view pre = node.prefix();
  bool leaf = node.is_leaf();
  for (int i = 0; i < node.count(); ++i) {
    NodeEntry e;
    e.key = KeyParts{pre, node.suffix(i)};
    if (leaf) {
      LeafValue v = node.value(i);
      e.overflow = v.overflow;
      e.value_length = v.length;
      e.value = v.inline_bytes;
      e.page = v.first_page;
    } else {
      e.page = node.child(i + 1);
    }
    out->push_back(e);
  }
}

size_t NodeBytes(bool leaf, std::span<const NodeEntry> entries) {
  size_t pre = EntriesPrefix(entries);
  size_t total = kPageHeaderBytes + pre + 2 * entries.size();
  for (const NodeEntry& e : entries) total += CellBytes(leaf, e, pre);
  return total;
}

void BuildNode(char* page, uint32_t page_size, PageId id, bool leaf, uint8_t level, PageId leftmost,
               std::span<const NodeEntry> entries) {
  assert(NodeBytes(leaf, entries) <= page_size);
  size_t pre = EntriesPrefix(entries);
  std::memset(page, 0, kPageHeaderBytes);
  WriteHeader(page, id, leaf ? PageType::kLeaf : PageType::kBranch, level, static_cast<uint16_t>(entries.size()),
              static_cast<uint32_t>(pre), leftmost.value());
  if (pre > 0) {
    const KeyParts& first = entries.front().key;
    size_t from_head = std::min(pre, first.head.size());
    std::memcpy(page + kPageHeaderBytes, first.head.data(), from_head);
    if (pre > from_head) std::memcpy(page + kPageHeaderBytes + from_head, first.tail.data(), pre - from_head);
  }
  char* slots = page + kPageHeaderBytes + pre;
  size_t cell_end = page_size;
  for (size_t i = 0; i < entries.size(); ++i) {
    const NodeEntry& e = entries[i];
    size_t cb = CellBytes(leaf, e, pre);
    cell_end -= cb;
    char* q = page + cell_end;
    size_t slen = e.key.size() - pre;
    q = coding::EncodeVarint64(q, slen);
    if (leaf) {
      q = coding::EncodeVarint64(q, (e.value_length << 1) | (e.overflow ? 1 : 0));
      CopyKeyRange(e.key, pre, q);
      q += slen;
      if (e.overflow) {
        coding::EncodeFixed64(q, e.page.value());
      } else if (!e.value.empty()) {
        std::memcpy(q, e.value.data(), e.value.size());
      }
    } else {
      coding::EncodeFixed64(q, e.page.value());
      q += kChildBytes;
      CopyKeyRange(e.key, pre, q);
    }
    coding::EncodeFixed16(slots + 2 * i, static_cast<uint16_t>(cell_end));
  }
  // Zero the gap so the page's bytes (and checksum) depend only on its contents.
  size_t gap_begin = kPageHeaderBytes + pre + 2 * entries.size();
  std::memset(page + gap_begin, 0, cell_end - gap_begin);
}

std::string ShortestSeparator(const KeyParts& left, const KeyParts& right) {
  assert(Compare(left, right) < 0);
  size_t n = CommonPrefixLength(left, right) + 1;
  std::string s;
  s.reserve(n);
  for (size_t i = 0; i < n; ++i) s.push_back(right.at(i));
  return s;
}

}  // namespace ormdb::btree

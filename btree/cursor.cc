#include "btree/cursor.h"

#include <cassert>

namespace ormdb::btree {

Result<PageRef> FetchChild(PageSource& src, const NodeView& parent, int i) {
  PageId id = parent.child(i);
  PageType expected = parent.level() == 1 ? PageType::kLeaf : PageType::kBranch;
  ASSIGN_OR_RETURN(PageRef page, src.Fetch(id, expected));
  uint8_t level = static_cast<uint8_t>(page.get()[kLevelOffset]);
  if (level + 1 != parent.level()) {
    return Status::Corruption("page " + id.ToString() + " at level " + std::to_string(level) + " is a child of page " +
                              ReadHeader(parent.data()).id.ToString() + " at level " +
                              std::to_string(parent.level()));
  }
  return page;
}

Status ReadValue(PageSource& src, const LeafValue& v, std::string* out) {
  out->clear();
  if (!v.overflow) {
    out->assign(v.inline_bytes);
    return Status::OK();
  }
  const size_t payload = src.page_size() - kPageHeaderBytes;
  if (v.length > kMaxValueBytes) {
    return Status::Corruption("overflow value of " + std::to_string(v.length) + " bytes at page " +
                              v.first_page.ToString() + " exceeds the " + std::to_string(kMaxValueBytes) +
                              "-byte limit");
  }
  // No reserve(v.length): the length comes from disk, and the chain it
  // claims is verified page by page as the value grows.
  PageId id = v.first_page;
  uint64_t remaining = v.length;
  while (remaining > 0) {
    ASSIGN_OR_RETURN(PageRef page, src.Fetch(id, PageType::kOverflow));
    PageHeader h = ReadHeader(page.get());
    uint64_t expect = std::min<uint64_t>(remaining, payload);
    if (h.aux32 != expect) {
      return Status::Corruption("overflow page " + id.ToString() + " holds " + std::to_string(h.aux32) +
                                " bytes, the value needs " + std::to_string(expect) + " there");
    }
    out->append(page.get() + kPageHeaderBytes, h.aux32);
    remaining -= expect;
    if ((remaining == 0) != (h.aux64 == 0)) {
      return Status::Corruption("overflow page " + id.ToString() + ": chain link " + std::to_string(h.aux64) +
                                " does not match the value's length");
    }
    id = PageId(h.aux64);
  }
  return Status::OK();
}

Status GetFromTree(PageSource& src, std::string_view key, std::string* value) {
  PageId root = src.root();
  if (root == kNoPage) return Status::NotFound("key not found");
  ASSIGN_OR_RETURN(PageRef page, src.Fetch(root, kAnyNode));
  const uint32_t ps = src.page_size();
  for (;;) {
    NodeView v(page.get(), ps);
    if (v.is_leaf()) {
      bool exact;
      int i = v.LowerBound(key, &exact);
      if (!exact) return Status::NotFound("key not found");
      return ReadValue(src, v.value(i), value);
    }
    ASSIGN_OR_RETURN(page, FetchChild(src, v, v.ChildIndex(key)));
  }
}

Cursor::Cursor(PageSource* source, std::shared_ptr<void> keepalive, CursorOptions options)
    : source_(source), keepalive_(std::move(keepalive)), options_(std::move(options)) {}

bool Cursor::Fail(Status st) {
  status_ = std::move(st);
  valid_ = false;
  path_.clear();
  return false;
}

template <typename PickChild, typename PickLeafIndex>
bool Cursor::DescendBy(PickChild pick_child, PickLeafIndex pick_leaf_index) {
  path_.clear();
  valid_ = false;
  version_ = source_->version();
  PageId root = source_->root();
  if (root == kNoPage) return false;
  Result<PageRef> page = source_->Fetch(root, kAnyNode);
  if (!page.ok()) return Fail(page.status());
  return DescendFrom(std::move(page).value(), pick_child, pick_leaf_index);
}

template <typename PickChild, typename PickLeafIndex>
bool Cursor::DescendFrom(PageRef p, PickChild pick_child, PickLeafIndex pick_leaf_index) {
  for (;;) {
    NodeView v(p.get(), source_->page_size());
    if (v.is_leaf()) {
      path_.push_back(Frame{p, pick_leaf_index(v)});
      return true;
    }
    int ci = pick_child(v);
    path_.push_back(Frame{p, ci});
    Result<PageRef> child = FetchChild(*source_, v, ci);
    if (!child.ok()) return Fail(child.status());
    p = std::move(child).value();
  }
}

bool Cursor::Descend(std::string_view key) {
  return DescendBy([&](const NodeView& v) { return v.ChildIndex(key); },
                   [&](const NodeView& v) {
                     bool exact;
                     return v.LowerBound(key, &exact);
                   });
}

bool Cursor::DescendNear(std::string_view key) {
  // The node at depth d holds the keys from its own (already passed, since
  // key is at or after the current one) up to its parent's key after it; a
  // child that is its parent's last shares the parent's upper end.
  size_t d = path_.size() - 1;
  for (; d > 0; --d) {
    const Frame& parent = path_[d - 1];
    NodeView pv(parent.page.get(), source_->page_size());
    if (parent.index < pv.count() && pv.CompareKey(key, parent.index) < 0) break;
  }
  PageRef from = std::move(path_[d].page);
  path_.resize(d);
  valid_ = false;
  return DescendFrom(std::move(from), [&](const NodeView& v) { return v.ChildIndex(key); },
                     [&](const NodeView& v) {
                       bool exact;
                       return v.LowerBound(key, &exact);
                     });
}

bool Cursor::DescendEdge(bool leftmost) {
  return DescendBy([&](const NodeView& v) { return leftmost ? 0 : v.count(); },
                   [&](const NodeView& v) { return leftmost ? 0 : v.count() - 1; });
}

namespace {
// Pages a read-ahead asks for at once: 8 leaves are 32 KiB at the default
// page size, one batch of reads that costs about what one read does.
constexpr int kReadAheadPages = 8;
}  // namespace

Result<PageRef> Cursor::FetchForward(const NodeView& v, int i) {
  if (v.level() == 1 && !source_->Cached(v.child(i))) {
    PageId ids[kReadAheadPages];
    int n = 0;
    // Child j holds keys from key j-1 on: past the upper bound, nothing to read.
    for (int j = i; j <= v.count() && n < kReadAheadPages; ++j) {
      if (j > i && options_.upper_bound && v.CompareKey(*options_.upper_bound, j - 1) <= 0) break;
      ids[n++] = v.child(j);
    }
    source_->ReadAhead(std::span<const PageId>(ids, static_cast<size_t>(n)), PageType::kLeaf);
  }
  return FetchChild(*source_, v, i);
}

void Cursor::ReadAheadOverflow(const NodeView& leaf, int index) {
  PageId ids[kReadAheadPages];
  int n = 0;
  for (int j = index; j < leaf.count() && n < kReadAheadPages; ++j) {
    LeafValue lv;
    leaf.LeafEntry(j, &lv);
    if (lv.overflow) ids[n++] = lv.first_page;
  }
  source_->ReadAhead(std::span<const PageId>(ids, static_cast<size_t>(n)), PageType::kOverflow);
}

// Moves the leaf frame to the first entry of the next leaf (or the last entry
// of the previous one), climbing as far as needed.
bool Cursor::StepForward() {
  path_.pop_back();
  while (!path_.empty()) {
    Frame& f = path_.back();
    NodeView v(f.page.get(), source_->page_size());
    if (f.index < v.count()) {
      ++f.index;
      // Descend the leftmost spine of the new subtree.
      PageRef p;
      {
        Result<PageRef> child = FetchForward(v, f.index);
        if (!child.ok()) return Fail(child.status());
        p = std::move(child).value();
      }
      for (;;) {
        NodeView c(p.get(), source_->page_size());
        if (c.is_leaf()) {
          path_.push_back(Frame{p, 0});
          return true;
        }
        path_.push_back(Frame{p, 0});
        Result<PageRef> child = FetchForward(c, 0);
        if (!child.ok()) return Fail(child.status());
        p = std::move(child).value();
      }
    }
    path_.pop_back();
  }
  return false;
}

bool Cursor::StepBackward() {
  path_.pop_back();
  while (!path_.empty()) {
    Frame& f = path_.back();
    NodeView v(f.page.get(), source_->page_size());
    if (f.index > 0) {
      --f.index;
      PageRef p;
      {
        Result<PageRef> child = FetchChild(*source_, v, f.index);
        if (!child.ok()) return Fail(child.status());
        p = std::move(child).value();
      }
      for (;;) {
        NodeView c(p.get(), source_->page_size());
        if (c.is_leaf()) {
          path_.push_back(Frame{p, c.count() - 1});
          return true;
        }
        path_.push_back(Frame{p, c.count()});
        Result<PageRef> child = FetchChild(*source_, c, c.count());
        if (!child.ok()) return Fail(child.status());
        p = std::move(child).value();
      }
    }
    path_.pop_back();
  }
  return false;
}

void Cursor::Settle(Dir dir) {
  valid_ = false;
  for (;;) {
    if (path_.empty()) return;
    Frame& leaf = path_.back();
    NodeView v(leaf.page.get(), source_->page_size());
    if (leaf.index >= 0 && leaf.index < v.count()) break;
    // Past this leaf's end (or an empty leaf): continue in the direction of travel.
    if (dir == Dir::kForward ? !StepForward() : !StepBackward()) {
      path_.clear();
      return;
    }
  }
  const Frame& leaf = path_.back();
  NodeView v(leaf.page.get(), source_->page_size());
  v.PrefetchCell(dir == Dir::kForward ? leaf.index + 1 : leaf.index - 1);
  LeafValue lv;
  std::string_view suffix = v.LeafEntry(leaf.index, &lv);
  std::string_view prefix = v.prefix();
  key_.assign(prefix.data(), prefix.size());
  key_.append(suffix.data(), suffix.size());
  if (dir == Dir::kForward && options_.upper_bound && key_ >= *options_.upper_bound) return;
  if (dir == Dir::kBackward && options_.lower_bound && key_ < *options_.lower_bound) return;
  if (lv.overflow) {
    if (dir == Dir::kForward && !source_->Cached(lv.first_page)) ReadAheadOverflow(v, leaf.index);
    Status st = ReadValue(*source_, lv, &value_buf_);
    if (!st.ok()) {
      Fail(st);
      return;
    }
    value_ = value_buf_;
  } else {
    value_ = lv.inline_bytes;
  }
  valid_ = true;
}

void Cursor::Seek(std::string_view key) {
  if (options_.lower_bound && key < *options_.lower_bound) key = *options_.lower_bound;
  const bool near = valid_ && !Stale() && key >= key_;
  if (near ? DescendNear(key) : Descend(key)) Settle(Dir::kForward);
}

void Cursor::SeekForPrev(std::string_view key) {
  bool exclusive = false;
  if (options_.upper_bound && key >= *options_.upper_bound) {
    key = *options_.upper_bound;
    exclusive = true;
  }
  if (!Descend(key)) return;
  Frame& leaf = path_.back();
  NodeView v(leaf.page.get(), source_->page_size());
  bool exact;
  leaf.index = v.LowerBound(key, &exact);
  if (!exact || exclusive) --leaf.index;
  Settle(Dir::kBackward);
}

void Cursor::SeekToFirst() {
  if (options_.lower_bound) {
    Seek(*options_.lower_bound);
    return;
  }
  if (DescendEdge(true)) Settle(Dir::kForward);
}

void Cursor::SeekToLast() {
  if (options_.upper_bound) {
    SeekForPrev(*options_.upper_bound);
    return;
  }
  if (DescendEdge(false)) Settle(Dir::kBackward);
}

void Cursor::Next() {
  if (!valid_) return;
  if (Stale()) {
    // The transaction wrote since we looked: find our key again.
    std::string at = key_;
    if (!Descend(at)) return;
    Frame& leaf = path_.back();
    NodeView v(leaf.page.get(), source_->page_size());
    bool exact;
    leaf.index = v.LowerBound(at, &exact);
    if (exact) ++leaf.index;
  } else {
    ++path_.back().index;
  }
  Settle(Dir::kForward);
}

void Cursor::Prev() {
  if (!valid_) return;
  if (Stale()) {
    // Re-descending leaves the index at our key's lower bound; either way the
    // predecessor is one to the left.
    std::string at = key_;
    if (!Descend(at)) return;
  }
  --path_.back().index;
  Settle(Dir::kBackward);
}

}  // namespace ormdb::btree

// Ordered iteration over one tree root, forwards and backwards, optionally
// bounded to [lower_bound, upper_bound). The cursor keeps the pages of its
// path pinned, so a snapshot's cursor is unaffected by later commits. A write
// transaction's cursor notices the transaction's own writes and finds its
// place again by key.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "btree/page_source.h"

namespace ormdb::btree {

struct CursorOptions {
  std::optional<std::string> lower_bound;  // inclusive
  std::optional<std::string> upper_bound;  // exclusive
};

class Cursor {
 public:
  // `keepalive` owns whatever `source` needs to stay valid (a snapshot pin).
  Cursor(PageSource* source, std::shared_ptr<void> keepalive, CursorOptions options = {});

  void SeekToFirst();
  void SeekToLast();
  void Seek(std::string_view key);         // first key >= key
  void SeekForPrev(std::string_view key);  // last key <= key
  void Next();
  void Prev();

  bool Valid() const { return valid_; }
  std::string_view key() const { return key_; }
  std::string_view value() const { return value_; }
  // The first error met; the cursor is then not Valid.
  const Status& status() const { return status_; }

 private:
  struct Frame {
    PageRef page;
    int index;
  };
  enum class Dir { kForward, kBackward };

  // Descends to the leaf for key; leaves the leaf index at the lower bound.
  bool Descend(std::string_view key);
  // As Descend, for a key at or after the current one: climbs only as far
  // as the lowest node whose range holds it, then descends from there. A
  // scan's seeks mostly land in the same leaf or the next few.
  bool DescendNear(std::string_view key);
  bool DescendEdge(bool leftmost);
  template <typename PickChild, typename PickLeafIndex>
  bool DescendBy(PickChild pick_child, PickLeafIndex pick_leaf_index);
  // Descends from page p (pushed as the next frame) to a leaf.
  template <typename PickChild, typename PickLeafIndex>
  bool DescendFrom(PageRef p, PickChild pick_child, PickLeafIndex pick_leaf_index);
  // Fetches child i of branch v for a forward step. When it is a leaf that
  // is not cached, the leaves after it (up to the upper bound) are read in
  // the same batch: a scan that crosses one leaf boundary cold crosses more.
  Result<PageRef> FetchForward(const NodeView& v, int i);
  // Before a forward read of the overflow value at the leaf's `index` that
  // is not cached: reads it with the following cells' overflow values.
  void ReadAheadOverflow(const NodeView& leaf, int index);
  // Moves to the next/previous entry across leaves; false at the end.
  bool StepForward();
  bool StepBackward();
  // After positioning: skips empty leaves in `dir`, loads key and value, and
  // applies the bounds.
  void Settle(Dir dir);
  bool Fail(Status st);
  bool Stale() const { return source_->version() != version_; }
  void Refresh(Dir dir);

  PageSource* source_;
  std::shared_ptr<void> keepalive_;
  CursorOptions options_;
  std::vector<Frame> path_;
  uint64_t version_ = 0;
  bool valid_ = false;
  std::string key_;
  std::string_view value_;
  std::string value_buf_;
  Status status_;
};

}  // namespace ormdb::btree

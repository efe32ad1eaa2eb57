// Free space of the data file. A page freed by generation G is still
// reachable from every root older than G, so it is only handed out again once
// no pinned snapshot is older than G and the newest durable root is at least
// G (a crash falls back to the durable root, whose pages must be intact).
// The pager decides when that holds and calls Release. On disk the whole set of
// unreachable pages is stored as sorted extents in a chain of free-list pages
// written by each commit (docs/file-format.md).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "btree/page.h"
#include "btree/page_set.h"
#include "util/status.h"

namespace ormdb::btree {

class FreeSpace {
 public:
  // `page_count` is the file's high-water mark: pages [0, page_count) exist.
  void Reset(uint64_t page_count, std::vector<uint64_t> free_pages);

  uint64_t page_count() const { return page_count_; }

  // A page for the commit being built: the lowest reusable one, else a new one
  // at the end of the file.
  PageId Allocate();
  // `id` is no longer reachable from the root being built.
  void Free(PageId id);

  // Pages freed by commits up to and including `oldest_visible` become
  // reusable: no snapshot that could reach them remains. Returns them.
  std::vector<uint64_t> Release(Generation oldest_visible);

  // The commit being built succeeded as `gen`, or was abandoned.
  void Commit(Generation gen);
  void Abort();

  // Every page not reachable from the newest root: reusable, pending and freed
  // by the commit being built. Sorted.
  std::vector<uint64_t> AllFree() const;
  size_t reusable_count() const { return reusable_.size(); }
  size_t pending_count() const;

  // Free-list payload codec: count, then (start delta, run length) varint pairs.
  static std::string EncodeExtents(const std::vector<uint64_t>& sorted_pages);
  static Status DecodeExtents(std::string_view in, uint64_t page_count, std::vector<uint64_t>* out,
                              const std::string& where);

 private:
  uint64_t page_count_ = kFirstDataPage;
  PageSet reusable_;
  std::map<Generation, std::vector<uint64_t>> pending_;  // freed by commit G

  // Forgets the commit being built (its pages are accounted for already).
  void EndTxn();

  // The commit being built.
  uint64_t txn_start_page_count_ = kFirstDataPage;
  std::vector<uint64_t> txn_taken_;   // taken from reusable_
  PageSet txn_allocated_;             // every page allocated by this commit
  std::vector<uint64_t> txn_freed_;
};

}  // namespace ormdb::btree

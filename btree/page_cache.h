// The buffer cache: pages by number, bounded in bytes, evicting by second
// chance (LRU order, but a hit only sets a bit instead of relinking the list,
// which kept readers waiting on memory). Sharded so readers on different threads rarely meet on a
// lock. Pages are immutable and reference counted: eviction drops the cache's
// reference, a reader still holding the page keeps it alive.
//
// A pinned page is exempt from eviction and from the bound: the pager pins
// pages that are published but not yet written to the file, since the cache
// is then their only copy.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <unordered_map>

#include "btree/page.h"

namespace ormdb::btree {

class PageCache {
 public:
  PageCache(size_t capacity_bytes, uint32_t page_size);

  PageRef Lookup(PageId id);
  // Inserts or replaces (a reused page number gets its new contents).
  void Insert(PageId id, PageRef page, bool pinned = false);
  // Makes a pinned page evictable again.
  void Unpin(PageId id);
  void Erase(PageId id);

  uint64_t hits() const;
  uint64_t misses() const;

 private:
  static constexpr size_t kShards = 16;
  struct Entry {
    PageRef page;
    bool pinned;
    bool referenced = false;          // hit since it last reached the back of the list
    std::list<PageId>::iterator lru;  // valid when !pinned
  };
  struct Shard {
    mutable std::mutex mu;  // guards everything below
    std::list<PageId> lru;  // unpinned entries; front: most recently used
    std::unordered_map<PageId, Entry> map;
    uint64_t hits = 0;  // counted under mu, not in a shared atomic every reader would write
    uint64_t misses = 0;
  };
  Shard& ShardFor(PageId id) { return shards_[(id.value() * 0x9E3779B97F4A7C15ull) >> 60]; }
  void EvictOverflow(Shard& s);

  size_t pages_per_shard_;
  mutable Shard shards_[kShards];
};

}  // namespace ormdb::btree

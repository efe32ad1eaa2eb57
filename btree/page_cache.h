// The buffer cache: pages by number, bounded in bytes, evicting by CLOCK (a
// hit only sets a bit; the hand gives a referenced page a second chance).
// Sharded so readers on different threads rarely meet on a lock. Each shard
// is one open-addressed table (linear probing) whose slots hold the page
// number and the reference side by side, so a lookup costs one cache miss
// for the slot instead of the bucket-and-node chase of a node-based map, and
// inserting allocates nothing. Pages are immutable and reference counted:
// eviction drops the cache's reference, a reader still holding the page
// keeps it alive.
//
// A pinned page is exempt from eviction and from the bound: the pager pins
// pages that are published but not yet written to the file, since the cache
// is then their only copy.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "btree/page.h"

namespace ormdb::btree {

class PageCache {
 public:
  PageCache(size_t capacity_bytes, uint32_t page_size);

  PageRef Lookup(PageId id);
  // Whether the page is held, without counting a hit or a miss.
  bool Contains(PageId id) const;
  // Inserts or replaces (a reused page number gets its new contents).
  void Insert(PageId id, PageRef page, bool pinned = false);
  // Inserts, unpinned, unless the page is held already (read-ahead: what is
  // there is at least as new, and may be pinned).
  void InsertIfAbsent(PageId id, PageRef page);
  // Makes a pinned page evictable again.
  void Unpin(PageId id);
  void Erase(PageId id);

  uint64_t hits() const;
  uint64_t misses() const;
  size_t size() const;  // pages held, pinned or not

 private:
  static constexpr size_t kShardBits = 4;
  static constexpr size_t kShards = size_t{1} << kShardBits;
  static constexpr uint64_t kEmpty = ~uint64_t{0};  // no page has this number
  struct Slot {
    uint64_t id = kEmpty;
    PageRef page;
    bool pinned = false;
    bool referenced = false;  // hit since the clock hand last passed
  };
  struct Shard {
    mutable std::mutex mu;     // guards everything below
    std::vector<Slot> slots;   // a power of two in size, at most 3/4 used
    unsigned bits = 0;         // log2(slots.size())
    size_t used = 0;
    size_t unpinned = 0;       // the entries the bound applies to
    size_t hand = 0;           // the clock hand: a slot index
    uint64_t hits = 0;         // counted under mu, not in a shared atomic every reader would write
    uint64_t misses = 0;
  };
  static uint64_t Hash(uint64_t id) { return id * 0x9E3779B97F4A7C15ull; }
  Shard& ShardFor(uint64_t id) { return shards_[Hash(id) >> (64 - kShardBits)]; }
  // The slot holding `id`, or the empty slot where it would go.
  static size_t Probe(const Shard& s, uint64_t id);
  static size_t Home(const Shard& s, uint64_t id) {
    return static_cast<size_t>(Hash(id) >> (64 - kShardBits - s.bits)) & (s.slots.size() - 1);
  }
  static void Grow(Shard& s);
  static void EraseAt(Shard& s, size_t i);
  void EvictOverflow(Shard& s);
  // A counter added up over the shards, each read under its lock.
  template <typename T>
  T Sum(T Shard::*field) const;

  size_t pages_per_shard_;
  mutable Shard shards_[kShards];
};

}  // namespace ormdb::btree

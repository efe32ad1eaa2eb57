#include "btree/page_cache.h"

#include <algorithm>

namespace ormdb::btree {

PageCache::PageCache(size_t capacity_bytes, uint32_t page_size)
    : pages_per_shard_(std::max<size_t>(4, capacity_bytes / page_size / kShards)) {
  for (Shard& s : shards_) {
    s.bits = 6;
    s.slots.resize(size_t{1} << s.bits);
  }
}

size_t PageCache::Probe(const Shard& s, uint64_t id) {
  const size_t mask = s.slots.size() - 1;
  size_t i = Home(s, id);
  while (s.slots[i].id != id && s.slots[i].id != kEmpty) i = (i + 1) & mask;
  return i;
}

void PageCache::Grow(Shard& s) {
  std::vector<Slot> old = std::move(s.slots);
  ++s.bits;
  s.slots.clear();
  s.slots.resize(size_t{1} << s.bits);
  for (Slot& slot : old) {
    if (slot.id != kEmpty) s.slots[Probe(s, slot.id)] = std::move(slot);
  }
  s.hand = 0;
}

// Backward-shift deletion: the entries after slot i in its run move up so
// that every entry stays reachable from its home slot without tombstones.
void PageCache::EraseAt(Shard& s, size_t i) {
  const size_t mask = s.slots.size() - 1;
  size_t j = i;
  for (;;) {
    j = (j + 1) & mask;
    if (s.slots[j].id == kEmpty) break;
    const size_t home = Home(s, s.slots[j].id);
    // The entry at j may fill the hole at i unless its home lies in (i, j].
    const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (stays) continue;
    s.slots[i] = std::move(s.slots[j]);
    i = j;
  }
  s.slots[i] = Slot{};
  --s.used;
}

PageRef PageCache::Lookup(PageId id) {
  Shard& s = ShardFor(id.value());
  std::lock_guard lock(s.mu);
  Slot& slot = s.slots[Probe(s, id.value())];
  if (slot.id == kEmpty) {
    ++s.misses;
    return nullptr;
  }
  ++s.hits;
  slot.referenced = true;
  return slot.page;
}

bool PageCache::Contains(PageId id) const {
  const Shard& s = shards_[Hash(id.value()) >> (64 - kShardBits)];
  std::lock_guard lock(s.mu);
  return s.slots[Probe(s, id.value())].id != kEmpty;
}

template <typename T>
T PageCache::Sum(T Shard::*field) const {
  T n = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.*field;
  }
  return n;
}

uint64_t PageCache::hits() const { return Sum(&Shard::hits); }
uint64_t PageCache::misses() const { return Sum(&Shard::misses); }
size_t PageCache::size() const { return Sum(&Shard::used); }

void PageCache::Insert(PageId id, PageRef page, bool pinned) {
  Shard& s = ShardFor(id.value());
  std::lock_guard lock(s.mu);
  if ((s.used + 1) * 4 > s.slots.size() * 3) Grow(s);
  Slot& slot = s.slots[Probe(s, id.value())];
  if (slot.id == kEmpty) {
    slot.id = id.value();
    ++s.used;
  } else if (!slot.pinned) {
    --s.unpinned;
  }
  slot.page = std::move(page);
  slot.pinned = pinned;
  slot.referenced = true;  // as recently used as a hit
  if (!pinned) {
    ++s.unpinned;
    EvictOverflow(s);
  }
}

void PageCache::InsertIfAbsent(PageId id, PageRef page) {
  Shard& s = ShardFor(id.value());
  std::lock_guard lock(s.mu);
  if ((s.used + 1) * 4 > s.slots.size() * 3) Grow(s);
  Slot& slot = s.slots[Probe(s, id.value())];
  if (slot.id != kEmpty) return;
  slot.id = id.value();
  ++s.used;
  slot.page = std::move(page);
  slot.pinned = false;
  slot.referenced = false;  // not used yet: the first to go if nothing reads it
  ++s.unpinned;
  EvictOverflow(s);
}

void PageCache::Unpin(PageId id) {
  Shard& s = ShardFor(id.value());
  std::lock_guard lock(s.mu);
  Slot& slot = s.slots[Probe(s, id.value())];
  if (slot.id == kEmpty || !slot.pinned) return;
  slot.pinned = false;
  slot.referenced = true;
  ++s.unpinned;
  EvictOverflow(s);
}

void PageCache::Erase(PageId id) {
  Shard& s = ShardFor(id.value());
  std::lock_guard lock(s.mu);
  size_t i = Probe(s, id.value());
  if (s.slots[i].id == kEmpty) return;
  if (!s.slots[i].pinned) --s.unpinned;
  EraseAt(s, i);
}

void PageCache::EvictOverflow(Shard& s) {
  const size_t mask = s.slots.size() - 1;
  while (s.unpinned > pages_per_shard_) {
    Slot& slot = s.slots[s.hand];
    if (slot.id == kEmpty || slot.pinned) {
      s.hand = (s.hand + 1) & mask;
    } else if (slot.referenced) {  // used since the hand last passed: a second chance
      slot.referenced = false;
      s.hand = (s.hand + 1) & mask;
    } else {
      // The slot fills from behind it; the hand looks at it again next.
      --s.unpinned;
      EraseAt(s, s.hand);
    }
  }
}

}  // namespace ormdb::btree

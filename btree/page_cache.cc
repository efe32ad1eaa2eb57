#include "btree/page_cache.h"

#include <algorithm>

namespace ormdb::btree {

PageCache::PageCache(size_t capacity_bytes, uint32_t page_size)
    : pages_per_shard_(std::max<size_t>(4, capacity_bytes / page_size / kShards)) {}

PageRef PageCache::Lookup(PageId id) {
  Shard& s = ShardFor(id);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(id);
  if (it == s.map.end()) {
    ++s.misses;
    return nullptr;
  }
  ++s.hits;
  it->second.referenced = true;
  return it->second.page;
}

uint64_t PageCache::hits() const {
  uint64_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.hits;
  }
  return n;
}

uint64_t PageCache::misses() const {
  uint64_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.misses;
  }
  return n;
}

void PageCache::Insert(PageId id, PageRef page, bool pinned) {
  Shard& s = ShardFor(id);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(id);
  if (it == s.map.end()) {
    it = s.map.emplace(id, Entry{std::move(page), true, {}}).first;
  } else {
    it->second.page = std::move(page);
    if (!it->second.pinned) s.lru.erase(it->second.lru);
  }
  it->second.pinned = pinned;
  if (!pinned) {
    s.lru.push_front(id);
    it->second.lru = s.lru.begin();
  }
  EvictOverflow(s);
}

void PageCache::Unpin(PageId id) {
  Shard& s = ShardFor(id);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(id);
  if (it == s.map.end() || !it->second.pinned) return;
  it->second.pinned = false;
  s.lru.push_front(id);
  it->second.lru = s.lru.begin();
  EvictOverflow(s);
}

void PageCache::Erase(PageId id) {
  Shard& s = ShardFor(id);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(id);
  if (it == s.map.end()) return;
  if (!it->second.pinned) s.lru.erase(it->second.lru);
  s.map.erase(it);
}

void PageCache::EvictOverflow(Shard& s) {
  while (s.lru.size() > pages_per_shard_) {
    auto it = s.map.find(s.lru.back());
    if (it->second.referenced) {  // used since: a second chance at the front
      it->second.referenced = false;
      s.lru.splice(s.lru.begin(), s.lru, it->second.lru);
      continue;
    }
    s.map.erase(it);
    s.lru.pop_back();
  }
}

}  // namespace ormdb::btree

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
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  hits_.fetch_add(1, std::memory_order_relaxed);
  s.lru.splice(s.lru.begin(), s.lru, it->second.second);
  return it->second.first;
}

void PageCache::Insert(PageId id, PageRef page) {
  Shard& s = ShardFor(id);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(id);
  if (it != s.map.end()) {
    it->second.first = std::move(page);
    s.lru.splice(s.lru.begin(), s.lru, it->second.second);
    return;
  }
  s.lru.push_front(id);
  s.map.emplace(id, std::make_pair(std::move(page), s.lru.begin()));
  while (s.map.size() > pages_per_shard_) {
    s.map.erase(s.lru.back());
    s.lru.pop_back();
  }
}

void PageCache::Erase(PageId id) {
  Shard& s = ShardFor(id);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(id);
  if (it == s.map.end()) return;
  s.lru.erase(it->second.second);
  s.map.erase(it);
}

}  // namespace ormdb::btree

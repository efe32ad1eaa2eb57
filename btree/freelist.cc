#include "btree/freelist.h"

#include <algorithm>
#include <cassert>

#include "util/coding.h"

namespace ormdb::btree {

void FreeSpace::Reset(uint64_t page_count, std::vector<uint64_t> free_pages) {
  page_count_ = page_count;
  txn_start_page_count_ = page_count;
  reusable_.clear();
  for (uint64_t p : free_pages) reusable_.insert(p);
  pending_.clear();
  txn_taken_.clear();
  txn_allocated_.clear();
  txn_freed_.clear();
}

PageId FreeSpace::Allocate() {
  uint64_t id;
  if (!reusable_.empty()) {
    id = reusable_.take_lowest();
    txn_taken_.push_back(id);
  } else {
    id = page_count_++;
  }
  txn_allocated_.insert(id);
  return PageId(id);
}

void FreeSpace::Free(PageId id) {
  assert(id.value() >= kFirstDataPage && id.value() < page_count_);
  if (txn_allocated_.erase(id.value())) {
    // Written by this commit only: no root references it, so reuse at once.
    // (If it came from the file end it stays below page_count_ as a free page.)
    reusable_.insert(id.value());
    auto it = std::find(txn_taken_.begin(), txn_taken_.end(), id.value());
    if (it != txn_taken_.end()) txn_taken_.erase(it);
    return;
  }
  txn_freed_.push_back(id.value());
}

std::vector<uint64_t> FreeSpace::Release(Generation oldest_visible) {
  std::vector<uint64_t> released;
  while (!pending_.empty() && pending_.begin()->first <= oldest_visible) {
    const auto& pages = pending_.begin()->second;
    for (uint64_t p : pages) reusable_.insert(p);
    released.insert(released.end(), pages.begin(), pages.end());
    pending_.erase(pending_.begin());
  }
  return released;
}

void FreeSpace::Commit(Generation gen) {
  if (!txn_freed_.empty()) {
    auto& v = pending_[gen];
    v.insert(v.end(), txn_freed_.begin(), txn_freed_.end());
  }
  EndTxn();
  txn_start_page_count_ = page_count_;
}

void FreeSpace::Abort() {
  for (uint64_t p : txn_taken_) reusable_.insert(p);
  // Pages allocated past the old end, then freed again, are forgotten with it.
  reusable_.erase_from(txn_start_page_count_);
  EndTxn();
  page_count_ = txn_start_page_count_;
}

void FreeSpace::EndTxn() {
  // The pages this commit allocated are the ones still in txn_taken_ (a page
  // it freed again left both) and those past the old end of the file: clear
  // just those bits, so a small commit costs little in a large file.
  for (uint64_t p : txn_taken_) txn_allocated_.erase(p);
  for (uint64_t p = txn_start_page_count_; p < page_count_; ++p) txn_allocated_.erase(p);
  assert(txn_allocated_.empty());
  txn_taken_.clear();
  txn_freed_.clear();
}

size_t FreeSpace::pending_count() const {
  size_t n = 0;
  for (const auto& [g, v] : pending_) n += v.size();
  return n;
}

std::vector<uint64_t> FreeSpace::AllFree() const {
  PageSet set = reusable_;
  [[maybe_unused]] bool fresh = true;
  for (const auto& [g, v] : pending_) {
    for (uint64_t p : v) fresh &= set.insert(p);
  }
  for (uint64_t p : txn_freed_) fresh &= set.insert(p);
  assert(fresh && "a page is free twice");
  std::vector<uint64_t> all;
  all.reserve(set.size());
  set.for_each([&](uint64_t p) { all.push_back(p); });
  return all;
}

std::string FreeSpace::EncodeExtents(const std::vector<uint64_t>& pages) {
  std::string out;
  coding::PutVarint64(&out, pages.size());
  uint64_t prev_end = 0;
  for (size_t i = 0; i < pages.size();) {
    size_t j = i + 1;
    while (j < pages.size() && pages[j] == pages[j - 1] + 1) ++j;
    coding::PutVarint64(&out, pages[i] - prev_end);
    coding::PutVarint64(&out, j - i);
    prev_end = pages[j - 1] + 1;
    i = j;
  }
  return out;
}

Status FreeSpace::DecodeExtents(std::string_view in, uint64_t page_count, std::vector<uint64_t>* out,
                                const std::string& where) {
  uint64_t total;
  if (!coding::GetVarint64(&in, &total)) return Status::Corruption(where + ": free list: bad page count");
  if (total > page_count) {
    return Status::Corruption(where + ": free list claims " + std::to_string(total) + " free pages of " +
                              std::to_string(page_count));
  }
  out->clear();
  out->reserve(total);
  uint64_t next = 0;
  while (out->size() < total) {
    uint64_t delta, run;
    if (!coding::GetVarint64(&in, &delta) || !coding::GetVarint64(&in, &run) || run == 0) {
      return Status::Corruption(where + ": free list: malformed extent after " + std::to_string(out->size()) +
                                " pages");
    }
    uint64_t start = next + delta;
    if (start < next || start < kFirstDataPage || start >= page_count || run > total - out->size() ||
        run > page_count - start) {
      return Status::Corruption(where + ": free list: extent [" + std::to_string(start) + ", +" +
                                std::to_string(run) + ") outside pages [2, " + std::to_string(page_count) + ")");
    }
    for (uint64_t p = start; p < start + run; ++p) out->push_back(p);
    next = start + run;
  }
  return Status::OK();
}

}  // namespace ormdb::btree

// A set of page numbers as a bitmap: one bit per page of the file, so adding,
// removing and taking the lowest member cost a few word operations and no
// allocation, and members come out in order. The free space of a commit
// touches thousands of pages; a node-based set spent its time in malloc and
// cache misses (bench/README.md, btree_bench's inserts).
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

namespace ormdb::btree {

class PageSet {
 public:
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }

  bool contains(uint64_t page) const {
    const size_t w = page / 64;
    return w < words_.size() && (words_[w] >> (page % 64) & 1) != 0;
  }

  // Returns whether `page` was absent.
  bool insert(uint64_t page) {
    const size_t w = page / 64;
    if (w >= words_.size()) words_.resize(w + 1 + w / 8, 0);  // grows by an eighth beyond the need
    const uint64_t bit = uint64_t{1} << (page % 64);
    if ((words_[w] & bit) != 0) return false;
    words_[w] |= bit;
    ++count_;
    if (w < lowest_word_) lowest_word_ = w;
    return true;
  }

  // Returns whether `page` was present.
  bool erase(uint64_t page) {
    const size_t w = page / 64;
    const uint64_t bit = uint64_t{1} << (page % 64);
    if (w >= words_.size() || (words_[w] & bit) == 0) return false;
    words_[w] &= ~bit;
    --count_;
    return true;
  }

  // Removes and returns the lowest member; the set must not be empty.
  uint64_t take_lowest() {
    while (words_[lowest_word_] == 0) ++lowest_word_;
    uint64_t& word = words_[lowest_word_];
    const uint64_t page = lowest_word_ * 64 + static_cast<uint64_t>(std::countr_zero(word));
    word &= word - 1;
    --count_;
    return page;
  }

  // Removes every member >= `page`.
  void erase_from(uint64_t page) {
    for (size_t w = page / 64; w < words_.size(); ++w) {
      uint64_t keep = w == page / 64 ? (uint64_t{1} << (page % 64)) - 1 : 0;
      count_ -= static_cast<size_t>(std::popcount(words_[w] & ~keep));
      words_[w] &= keep;
    }
  }

  void clear() {
    words_.assign(words_.size(), 0);
    count_ = 0;
    lowest_word_ = 0;
  }

  // Calls fn(page) for every member in increasing order.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (size_t w = lowest_word_; w < words_.size(); ++w) {
      for (uint64_t word = words_[w]; word != 0; word &= word - 1) {
        fn(w * 64 + static_cast<uint64_t>(std::countr_zero(word)));
      }
    }
  }

 private:
  std::vector<uint64_t> words_;
  size_t count_ = 0;
  size_t lowest_word_ = 0;  // no member lies in a word below this one
};

}  // namespace ormdb::btree

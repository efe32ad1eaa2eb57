// The numbered batches the crash writer commits, defined so the checking side
// can replay them into a std::map: batch n is a pure function of (seed, n).
#pragma once

#include <map>
#include <random>
#include <string>

#include "btree/tree.h"

namespace ormdb::testing {

constexpr char kBatchKey[] = "\xff" "batch";

template <typename Fn>
void ForEachBatchOp(uint64_t seed, uint64_t n, Fn&& fn) {
  std::mt19937_64 rng(seed * 1000003 + n);
  int ops = 20 + static_cast<int>(rng() % 40);
  for (int i = 0; i < ops; ++i) {
    std::string key = "k" + std::to_string(rng() % 3000);
    if (rng() % 4 == 0) {
      fn(key, nullptr);
    } else {
      size_t len = rng() % 16 == 0 ? 1000 + rng() % 6000 : rng() % 200;
      std::string v(len, static_cast<char>('a' + n % 26));
      if (!v.empty()) v[0] = static_cast<char>(i);
      fn(key, &v);
    }
  }
  std::string b = std::to_string(n);
  fn(kBatchKey, &b);
}

// Txn: btree::WriteTxn or mvcc::WriteTxn.
template <typename Txn>
Status ApplyBatch(uint64_t seed, uint64_t n, Txn& txn) {
  Status result;
  ForEachBatchOp(seed, n, [&](const std::string& k, const std::string* v) {
    if (!result.ok()) return;
    result = v ? txn.Put(k, *v) : txn.Delete(k);
  });
  return result;
}

inline void ApplyBatch(uint64_t seed, uint64_t n, std::map<std::string, std::string>* model) {
  ForEachBatchOp(seed, n, [&](const std::string& k, const std::string* v) {
    if (v) {
      (*model)[k] = *v;
    } else {
      model->erase(k);
    }
  });
}

// Snap: btree::Snapshot or mvcc::ReadTxn.
template <typename Snap>
uint64_t LastBatch(const Snap& snap) {
  std::string v;
  if (!snap.Get(kBatchKey, &v).ok()) return 0;
  return std::stoull(v);
}

}  // namespace ormdb::testing

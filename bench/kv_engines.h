// The benchmark's dataset and the two key-value stores it drives: ormDB's
// copy-on-write B+tree and LMDB, behind one small interface so every workload
// is written once and both engines do exactly the same work.
//
// Dataset (reproducible by any splitmix64 implementation):
//   keys    16 bytes each: two splitmix64 draws (seed 42), little-endian.
//           Keys [0, loaded) are loaded before timing, in generation order
//           (random key order); the keys after them are the insert workloads'.
//   values  100 bytes each: splitmix64 seeded with the key's first 8 bytes
//           (little-endian) xor kValueSeedMix, draws little-endian, truncated.
//   lookups the point-get order: splitmix64 (seed 43) draws mod `loaded`.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace ormdb::bench {

constexpr size_t kKeyBytes = 16;
constexpr size_t kValueBytes = 100;
constexpr uint64_t kKeySeed = 42;
constexpr uint64_t kLookupSeed = 43;
constexpr uint64_t kValueSeedMix = 0x5bd1e9955bd1e995ull;

struct SplitMix64 {
  uint64_t state;
  uint64_t Next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
};

class Dataset {
 public:
  // `loaded` keys to load up front, `insert_pool` more for the insert workloads.
  Dataset(size_t loaded, size_t insert_pool, size_t lookups);

  size_t loaded() const { return loaded_; }
  size_t total() const { return total_; }
  std::string_view key(size_t i) const { return {keys_.data() + i * kKeyBytes, kKeyBytes}; }
  std::string_view value(size_t i) const { return {values_.data() + i * kValueBytes, kValueBytes}; }
  const std::vector<uint32_t>& lookup_order() const { return lookups_; }

 private:
  size_t loaded_;
  size_t total_;
  std::vector<char> keys_;
  std::vector<char> values_;
  std::vector<uint32_t> lookups_;
};

// Order-sensitive hash of a whole ordered scan (FNV-1a over each key's and
// value's length and bytes), to check that two engines hold the same data.
class ScanHash {
 public:
  void Add(std::string_view key, std::string_view value) {
    AddLength(key.size());
    AddBytes(key);
    AddLength(value.size());
    AddBytes(value);
    ++entries_;
  }
  uint64_t hash() const { return h_; }
  uint64_t entries() const { return entries_; }

 private:
  void AddBytes(std::string_view s) {
    for (unsigned char c : s) h_ = (h_ ^ c) * 0x100000001b3ull;
  }
  void AddLength(size_t n) { h_ = (h_ ^ n) * 0x100000001b3ull; }
  uint64_t h_ = 0xcbf29ce484222325ull;
  uint64_t entries_ = 0;
};

// What a timed scan returns: the entry count and a value that depends on
// every key and value read, so the compiler cannot drop the reads.
struct ScanTally {
  uint64_t entries = 0;
  uint64_t touched = 0;
};

class KvEngine {
 public:
  virtual ~KvEngine() = default;
  virtual const char* name() const = 0;
  // Settings and shape (pages, depth), printed with the results.
  virtual std::string Describe() = 0;

  // Puts keys [first, first + count) of the dataset in one write transaction
  // and commits it (durably when sync is on).
  virtual Status InsertBatch(const Dataset& data, size_t first, size_t count) = 0;
  // Point-gets the `n` keys named by `idx` under one read snapshot / read
  // transaction, each value copied into a reused std::string (ormDB's API
  // returns values that way, so LMDB's copy is counted too). Adds the value
  // bytes read to *bytes. A missing key is an error (NotFound).
  virtual Status GetBatch(const Dataset& data, const uint32_t* idx, size_t n, uint64_t* bytes) = 0;
  // One lookup, for verification.
  virtual Status Get(std::string_view key, std::string* value) = 0;
  // Reads every entry in key order under one snapshot, touching each key's
  // and value's bytes without copying them out.
  virtual Status Scan(ScanTally* tally) = 0;
  // Like Scan, but hashes everything (untimed verification and cache warming).
  virtual Status Hash(ScanHash* hash) = 0;
  // Switches durability for the commits that follow (untimed) and makes
  // everything written so far durable, so no write-back debt carries over.
  virtual Status SetSync(bool sync) = 0;
  virtual Status Flush() = 0;
};

struct EngineConfig {
  std::string dir;         // the engine's own directory (created here)
  bool sync = false;       // fsync at commit
  size_t cache_bytes = 0;  // ormDB's buffer cache
  bool direct_io = true;   // ormDB's O_DIRECT (its default)
  size_t map_bytes = 0;    // LMDB's map size
};

Result<std::unique_ptr<KvEngine>> OpenOrmdb(const EngineConfig& config);
Result<std::unique_ptr<KvEngine>> OpenLmdb(const EngineConfig& config);

}  // namespace ormdb::bench

// Checksums of pages and records: XXH3-64, fast and with strong mixing, so a
// flipped bit or a torn write is caught before its bytes are trusted.
#pragma once

#include <cstddef>
#include <cstdint>

#include <xxhash.h>

namespace ormdb {

inline uint64_t Checksum64(const void* data, size_t n, uint64_t seed = 0) {
  return XXH3_64bits_withSeed(data, n, seed);
}

}  // namespace ormdb

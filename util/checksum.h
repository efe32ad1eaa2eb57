// Checksums of pages and records: XXH3-64, fast and with strong mixing, so a
// flipped bit or a torn write is caught before its bytes are trusted.
#pragma once

#include <cstddef>
#include <cstdint>

#include <xxhash.h>
#if defined(__x86_64__)
#include <xxh_x86dispatch.h>
#endif

namespace ormdb {

inline uint64_t Checksum64(const void* data, size_t n, uint64_t seed = 0) {
#if defined(__x86_64__)
  // The same function, in the widest vector unit this CPU has (AVX2 or
  // AVX-512, chosen at run time) rather than the SSE2 of the x86-64 baseline.
  return XXH3_64bits_withSeed_dispatch(data, n, seed);
#else
  return XXH3_64bits_withSeed(data, n, seed);
#endif
}

}  // namespace ormdb

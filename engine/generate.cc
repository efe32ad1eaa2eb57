#include "engine/generate.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <random>

namespace ormdb::engine {
namespace {

std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }());
  return rng;
}

std::string Base36(uint64_t v, size_t width) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string s(width, '0');
  for (size_t i = width; i-- > 0;) {
    s[i] = kDigits[v % 36];
    v /= 36;
  }
  return s;
}

}  // namespace

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string NewUuidBytes(int version) {
  std::string b(16, '\0');
  uint64_t hi = Rng()(), lo = Rng()();
  for (int i = 0; i < 8; ++i) {
    b[static_cast<size_t>(i)] = static_cast<char>(hi >> (56 - 8 * i));
    b[static_cast<size_t>(8 + i)] = static_cast<char>(lo >> (56 - 8 * i));
  }
  if (version == 7) {
    uint64_t ms = static_cast<uint64_t>(NowMicros() / 1000);
    for (int i = 0; i < 6; ++i) b[static_cast<size_t>(i)] = static_cast<char>(ms >> (40 - 8 * i));
  }
  b[6] = static_cast<char>((b[6] & 0x0f) | (version == 7 ? 0x70 : 0x40));
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return b;
}

std::string NewCuid(int version) {
  if (version == 2) {
    std::string s = Base36(Rng()() % 26 + 10, 1);  // a letter first
    while (s.size() < 24) s += Base36(Rng()(), 12);
    s.resize(24);
    return s;
  }
  static std::atomic<uint64_t> counter{0};
  uint64_t ms = static_cast<uint64_t>(NowMicros() / 1000);
  uint64_t fingerprint = static_cast<uint64_t>(::getpid()) * 2654435761u;
  return "c" + Base36(ms, 8) + Base36(counter.fetch_add(1) % (36ull * 36 * 36 * 36), 4) +
         Base36(fingerprint % (36ull * 36 * 36 * 36), 4) + Base36(Rng()() % 2821109907456ull, 8);
}

}  // namespace ormdb::engine

// Helpers shared by the tests: a scratch directory per test, seeded
// randomness that prints its seed, and a scale knob for long runs.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "util/status.h"

namespace ormdb::testing {

// A fresh directory under $TMPDIR, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// ORMDB_TEST_SCALE (default 1) multiplies operation counts of model tests.
double TestScale();

// The seed for a randomized test: ORMDB_TEST_SEED if set, else from the clock.
uint64_t TestSeed();

std::string RandomBytes(std::mt19937_64& rng, size_t n);

}  // namespace ormdb::testing

#define ASSERT_OK(expr)                                          \
  do {                                                           \
    ::ormdb::Status _s = (expr);                                 \
    ASSERT_TRUE(_s.ok()) << #expr << ": " << _s.ToString();      \
  } while (0)
#define EXPECT_OK(expr)                                          \
  do {                                                           \
    ::ormdb::Status _s = (expr);                                 \
    EXPECT_TRUE(_s.ok()) << #expr << ": " << _s.ToString();      \
  } while (0)

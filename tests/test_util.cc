#include "tests/test_util.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>

namespace ormdb::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/ormdb-test-XXXXXX";
  char* p = ::mkdtemp(tmpl.data());
  if (p == nullptr) std::abort();
  path_ = p;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

double TestScale() {
  const char* s = std::getenv("ORMDB_TEST_SCALE");
  return s ? std::atof(s) : 1.0;
}

uint64_t TestSeed() {
  const char* s = std::getenv("ORMDB_TEST_SEED");
  if (s) return std::strtoull(s, nullptr, 10);
  return static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}

std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

}  // namespace ormdb::testing

// Integrity check of a whole data file: every page reachable from the newest
// root is read and verified (checksum, number, type, level, key order within
// its separators), overflow chains are followed, and reachable plus free
// pages must account for every page exactly once.
#pragma once

#include <cstdint>
#include <string>

#include "btree/tree.h"

namespace ormdb::btree {

struct IntegrityReport {
  uint64_t branch_pages = 0;
  uint64_t leaf_pages = 0;
  uint64_t overflow_pages = 0;
  uint64_t free_pages = 0;
  uint64_t entries = 0;
  int depth = 0;
  std::string ToString() const;
};

// No write transaction may be open meanwhile (free space would be in flux).
Result<IntegrityReport> CheckIntegrity(Tree& tree);

}  // namespace ormdb::btree

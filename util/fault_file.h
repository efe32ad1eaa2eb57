// Fault injection behind the file interface: every layer above can be tested
// with a full disk, torn writes, failing syncs and unreadable blocks without
// root privileges or a special file system.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "util/file.h"

namespace ormdb {

struct FaultPlan {
  // Bytes that may still be written before writes fail (-1: unlimited). A write
  // that crosses the budget is torn: the part that fits lands, then it fails.
  std::atomic<int64_t> write_budget_bytes{-1};
  std::atomic<int> write_errno{28};  // ENOSPC
  std::atomic<bool> fail_sync{false};
  // Any read touching this byte offset fails with EIO (-1: none).
  std::atomic<int64_t> fail_read_offset{-1};

  std::atomic<uint64_t> writes{0};
  std::atomic<uint64_t> syncs{0};
};

// Opens files through `base` and wraps them so they obey `plan`.
FileOpener FaultInjectingOpener(std::shared_ptr<FaultPlan> plan, FileOpener base = OpenFile);

}  // namespace ormdb

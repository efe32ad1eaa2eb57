// commit_bench's recovery measurement: how long ormDB's Store::Open takes to
// replay a log of one-put commits, per GiB of log.
#pragma once

#include <cstdint>
#include <string>

#include "util/status.h"

namespace ormdb::bench {

struct RecoveryResult {
  uint64_t log_bytes = 0;          // the log segments' total size on disk
  uint64_t records = 0;            // commit records written
  uint64_t recovered_records = 0;  // what Store::Open replayed
  double write_s = 0;              // writing the log (untimed setup)
  double open_s = 0;               // Store::Open: read, replay, checkpoint
  double peak_rss_growth_mib = 0;  // peak resident memory during Store::Open, over that before it
};

// In `dir` (created, and left for the caller to remove): creates an empty
// store, closes it without a checkpoint, and appends `log_bytes` of log
// records to its log (`dir`/wal), exactly those Store::Commit writes for
// one-put transactions (commit_engines.h's keys and values, consecutive
// commit versions), so the data file covers none of them. Then syncs the
// files, drops them from the OS cache and times Store::Open, which replays
// the log and checkpoints the result. Checks that every record was replayed
// and the keys and values are there.
//
// The records go to the log through wal::LogWriter rather than through
// Store::Commit because, with checkpoints off, the store keeps every page
// version it publishes in memory (about 23 KiB per one-put commit), so
// writing a log of a few hundred MiB through it needs tens of GiB.
Status MeasureRecovery(const std::string& dir, uint64_t log_bytes, RecoveryResult* out);

}  // namespace ormdb::bench

// The three stores commit_bench drives, behind one small interface so each
// engine does exactly the same work per operation: one transaction that
// writes one new 16-byte key with a 100-byte value, committed durably.
//
//   ormDB   mvcc::Store, log.sync on (group commit: concurrent committers
//           share one fdatasync), everything else at its defaults
//   SQLite  WAL mode, synchronous=FULL, one connection per client thread,
//           busy_timeout, BEGIN IMMEDIATE ... COMMIT, prepared statements,
//           table kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID
//   LMDB    default environment flags (sync and meta sync on); LMDB admits
//           one write transaction at a time, so clients queue on its
//           writer lock
//
// Operation i writes key(i) = 8 bytes of splitmix64(i ^ kKeySeed) then i,
// both big-endian (unique per operation, random insert position), and value
// (i) = 100 bytes of splitmix64 draws seeded with i, little-endian.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "util/status.h"

namespace ormdb::bench {

constexpr size_t kCommitKeyBytes = 16;
constexpr size_t kCommitValueBytes = 100;

void CommitKey(uint64_t i, char* out);    // kCommitKeyBytes
void CommitValue(uint64_t i, char* out);  // kCommitValueBytes

// One client's connection (SQLite) or handle (the others); used by one
// thread at a time.
class CommitSession {
 public:
  virtual ~CommitSession() = default;
  // One durable transaction writing one key.
  virtual Status Commit(std::string_view key, std::string_view value) = 0;
};

class CommitEngine {
 public:
  virtual ~CommitEngine() = default;
  virtual const char* name() const = 0;
  // Version and settings, printed with the results.
  virtual std::string Describe() = 0;
  virtual Result<std::unique_ptr<CommitSession>> NewSession() = 0;
  // Keys held (checked against the commits made).
  virtual Result<uint64_t> Count() = 0;
  // Log flushes and records so far, where the engine reports them (ormDB);
  // false otherwise.
  virtual bool SyncCounters(uint64_t* syncs, uint64_t* records) {
    (void)syncs;
    (void)records;
    return false;
  }
};

enum class EngineKind { kOrmdb, kSqlite, kLmdb };
constexpr int kEngineKinds = 3;
const char* EngineName(EngineKind kind);

// Opens a fresh database of that engine in `dir` (which must exist, empty).
Result<std::unique_ptr<CommitEngine>> OpenCommitEngine(EngineKind kind, const std::string& dir);

}  // namespace ormdb::bench

// A write transaction: reads its snapshot through its own buffered writes
// (an ordered write set), and commits them all or nothing.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "btree/cursor.h"
#include "btree/tree.h"
#include "mvcc/version.h"

namespace ormdb::mvcc {

class Store;
class TxnIterator;
enum class Isolation;

// A key range a serializable transaction scanned: [lo, hi], where an empty
// `lo` means from the start and no `hi` means to the end.
struct ScannedRange {
  std::string lo;
  std::optional<std::string> hi;
};

class WriteTxn {
 public:
  ~WriteTxn();
  WriteTxn(const WriteTxn&) = delete;
  WriteTxn& operator=(const WriteTxn&) = delete;

  Status Get(std::string_view key, std::string* value);
  // Key and value sizes are checked here, so a commit never fails on them later.
  Status Put(std::string_view key, std::string_view value);
  Status Delete(std::string_view key);
  // Puts `value` under `prefix` + the commit version (8 bytes, big-endian)
  // + `suffix`: a key only the commit can name, since the version is given
  // out inside it. The change log (engine/changes.h) keeps each commit's
  // events so. Not visible to this transaction's own reads.
  Status PutStamped(std::string prefix, std::string suffix, std::string value);
  // Iterates the snapshot merged with this transaction's writes; sees writes
  // made while it is open.
  std::unique_ptr<TxnIterator> NewIterator(btree::CursorOptions options = {});

  // Durable and visible when it returns. Conflict (retryable) when a
  // concurrent commit got there first; the transaction is over either way.
  Result<CommitVersion> Commit();
  // Commit up to the log append, for a caller that must not wait for the
  // flush: a conflict or a log error is known at once; otherwise the
  // commit becomes durable and visible later (the store's flusher sees to
  // it) and nobody may be told it happened before Store::Settled says so
  // and Store::AwaitDurable returns OK. The transaction is over either way.
  Result<Appended> Append();
  void Rollback();

  CommitVersion snapshot_version() const { return snapshot_; }

  // Makes the commit fail with a conflict if `key`, or any key in [lo, hi]
  // (no hi: to the end), was written by a commit since this transaction's
  // snapshot, whatever the isolation level. Constraint checks use this: a
  // transaction that saw a referenced row exist, or no row reference the one
  // it deletes, or a unique value free, cannot commit alongside a concurrent
  // one that changed what it saw.
  void ValidateRead(std::string_view key);
  void ValidateRange(std::string lo, std::optional<std::string> hi);

 private:
  friend class Store;
  friend class TxnIterator;
  WriteTxn(Store* store, btree::Snapshot snap, Isolation isolation, bool read_only);
  bool serializable() const;

  Store* store_;
  btree::Snapshot snap_;
  Isolation isolation_;
  CommitVersion snapshot_;
  std::map<std::string, std::optional<std::string>, std::less<>> writes_;  // nullopt: deleted
  struct Stamped {
    std::string prefix, suffix, value;
  };
  std::vector<Stamped> stamped_;  // PutStamped, keyed at commit
  std::set<std::string, std::less<>> read_keys_;  // serializable, or ValidateRead
  std::vector<ScannedRange> read_ranges_;         // serializable, or ValidateRange
  uint64_t writes_version_ = 0;  // bumped by every write, for open iterators
  bool done_ = false;
  // From Store::BeginReadOnly: not registered with the store, refuses writes,
  // and records no reads (nothing to validate at its commit).
  const bool read_only_;
};

// Merges a snapshot cursor with the write set: the write set's entries
// replace the snapshot's, its deletions hide them.
class TxnIterator {
 public:
  void Seek(std::string_view key);
  void SeekForPrev(std::string_view key);
  void SeekToFirst();
  void SeekToLast();
  void Next();
  void Prev();
  bool Valid() const { return valid_; }
  // Valid until the next move. An entry of the snapshot is read in place
  // (no copy) while the cursor stays on it.
  std::string_view key() const { return fast_ ? base_->key() : std::string_view(key_); }
  std::string_view value() const { return fast_ ? base_->value() : std::string_view(value_); }
  const Status& status() const { return base_->status(); }
  ~TxnIterator();

 private:
  friend class WriteTxn;
  TxnIterator(WriteTxn* txn, btree::CursorOptions options);
  // Positions on the first visible entry at/after (forward) or at/before
  // (backward) the sub-iterators' current places.
  void Settle(bool forward);
  void Note();  // widens the scanned range (serializable)
  bool InBounds(std::string_view k) const;
  // Copies the current entry out of the base cursor before it moves.
  void Materialize();

  WriteTxn* txn_;
  btree::CursorOptions options_;
  std::unique_ptr<btree::Cursor> base_;
  using WriteIt = std::map<std::string, std::optional<std::string>, std::less<>>::iterator;
  WriteIt ws_;       // forward: first write >= position; backward: one past the last write <= position
  bool forward_ = true;
  bool valid_ = false;
  std::string key_, value_;  // the current entry, unless fast_
  bool fast_ = false;        // the current entry is the base cursor's: key_ and value_ are stale
  int range_ = -1;  // index into txn_->read_ranges_
};

}  // namespace ormdb::mvcc

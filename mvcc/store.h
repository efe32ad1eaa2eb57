// The transactional store: snapshot reads, buffered optimistic writes,
// durable group commits through the write-ahead log, checkpoints in the
// background, and recovery at open. This is the embedded API the schema and
// query layers build on.
//
// A commit: validated against the commits since its snapshot (first
// committer wins), given the next commit version, appended to the log (the
// order of versions is the order of the log), made durable by a shared
// fdatasync, then applied to the tree together with whatever other durable
// commits are waiting (one copy-on-write generation per group) and published.
// Commit returns once its version is visible to new readers.
//
// A committer that must not block (a server's event loop) splits this:
// WriteTxn::Append does everything up to the log append and asks the
// store's flusher thread for a flush; an applied listener tells the caller
// when to look, Settled says whether the commit is visible (or failed), and
// only after AwaitDurable returns OK may the caller tell anyone of it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "btree/tree.h"
#include "mvcc/version.h"
#include "wal/log_writer.h"

namespace ormdb::mvcc {

enum class Isolation {
  kSnapshot,      // first committer wins on write-write conflicts
  kSerializable,  // also fails when anything it read (keys and scanned ranges) was written since its snapshot
};

struct StoreOptions {
  btree::TreeOptions tree;
  wal::LogOptions log;
  // A background checkpoint starts when the log has grown this much since the
  // last one, or this long has passed with commits waiting.
  uint64_t checkpoint_log_bytes = uint64_t{64} << 20;
  // ...or when the pages published but not yet written (held in memory)
  // reach this size.
  uint64_t checkpoint_unwritten_bytes = uint64_t{64} << 20;
  uint32_t checkpoint_interval_ms = 30000;
  bool background_checkpoints = true;
  bool checkpoint_on_close = true;  // off: the next open replays the log (tests)
};

struct StoreStats {
  uint64_t commits = 0;
  uint64_t conflicts = 0;
  uint64_t apply_groups = 0;  // tree generations that applied commits
  uint64_t checkpoints = 0;
  wal::LogStats log;
  uint64_t recovered_records = 0;
  uint64_t conflict_window = 0;  // commits kept for validating open writers
};

class ReadTxn;
class WriteTxn;

// A commit in the log, not yet known durable (WriteTxn::Append).
struct Appended {
  CommitVersion version;
  wal::Lsn end;        // the log position its flush must reach
  bool logged = true;  // false: it wrote nothing, so there is nothing to wait for
};

class Store {
 public:
  // Opens (creating if needed) the store in `dir`: the data file
  // `dir`/tree.odb and the log `dir`/wal/. Replays the log past the data
  // file's checkpoint.
  static Result<std::unique_ptr<Store>> Open(const std::string& dir, const StoreOptions& options);
  // Stops the checkpointer and writes a final checkpoint.
  ~Store();

  std::unique_ptr<ReadTxn> BeginRead();
  std::unique_ptr<WriteTxn> BeginWrite(Isolation isolation = Isolation::kSnapshot);
  // A WriteTxn that only reads its snapshot (the engine's transactions are
  // WriteTxns): it takes no lock and is not registered for commit
  // validation (what a read sees is consistent by construction), so a read
  // costs no more than pinning the snapshot. Its writes are refused.
  std::unique_ptr<WriteTxn> BeginReadOnly();

  // Writes every published commit to the data file and drops the log before it.
  Status Checkpoint();

  CommitVersion last_committed() const;
  StoreStats stats() const;

  // Makes an appended commit durable and visible, leading or joining a
  // flush: what Commit does after the append. Returns at once when it
  // already is (the flusher got there first).
  Status AwaitDurable(const Appended& a);
  // Whether an appended commit is visible, or can no longer become so (the
  // log or the tree failed: AwaitDurable then returns why at once).
  bool Settled(const Appended& a) const {
    return !a.logged || applied_.load() >= a.version.value() || failed_.load();
  }
  // Called, from whichever thread applied them, after each group of
  // commits becomes visible, and once when the store fails. Must return at
  // once (post a wake-up). Returns a handle for RemoveAppliedListener.
  uint64_t AddAppliedListener(std::function<void()> fn);
  // After this returns the listener is not running and is never called again.
  void RemoveAppliedListener(uint64_t handle);
  btree::Tree& tree() { return *tree_; }

 private:
  friend class WriteTxn;
  struct Committed {  // what validation compares against
    CommitVersion version;
    std::vector<std::string> keys;  // sorted
  };
  struct ToApply {
    CommitVersion version;
    wal::Lsn end;
    std::map<std::string, std::optional<std::string>> writes;
  };

  Store(std::string dir, const StoreOptions& options);
  Status Recover();
  Result<CommitVersion> Commit(WriteTxn& txn);
  Result<Appended> Append(WriteTxn& txn);
  // Asks the flusher for a flush reaching `end`, without waiting for it.
  void FlushSoon(wal::Lsn end);
  void FlusherLoop();
  // Remembers that the store can no longer commit, and tells the listeners.
  void Fail();
  void NotifyApplied();
  Status ApplyDurable(CommitVersion upto);
  void CheckpointLoop();
  bool CheckpointDue() const;
  void Unregister(CommitVersion snapshot);
  void PruneLocked();  // commit_mu_ held

  const std::string dir_;
  const StoreOptions options_;
  std::unique_ptr<btree::Tree> tree_;
  std::unique_ptr<wal::LogWriter> log_;

  // Orders validation, version assignment and the log append.
  mutable std::mutex commit_mu_;
  CommitVersion last_assigned_;
  std::deque<Committed> recent_;              // versions after the oldest open writer's snapshot
  std::multiset<CommitVersion> writers_;      // snapshots of open write transactions
  std::deque<ToApply> to_apply_;              // logged, not yet applied, in version order
  Status failure_;                            // applying a durable commit failed: reopen

  std::mutex apply_mu_;  // one applier at a time; taken after commit_mu_, never before
  std::atomic<uint64_t> applied_{0};          // newest version visible to readers
  std::atomic<bool> failed_{false};           // a flush or an apply failed: nothing more commits

  std::mutex listeners_mu_;  // guards listeners_, held while they run
  std::vector<std::pair<uint64_t, std::function<void()>>> listeners_;
  uint64_t next_listener_ = 1;
  std::atomic<bool> have_listeners_{false};

  // The flusher: flushes for commits appended by callers that do not wait.
  std::mutex flush_mu_;  // guards what follows
  std::condition_variable flush_cv_;
  uint64_t flush_wanted_ = 0;  // a log position some Append asked to be made durable
  bool flusher_stop_ = false;
  std::thread flusher_;

  std::mutex checkpoint_mu_;  // one checkpoint at a time
  std::condition_variable checkpoint_cv_;
  std::mutex checkpoint_wait_mu_;  // guards stop_
  bool stop_ = false;
  std::thread checkpointer_;
  std::atomic<uint64_t> last_checkpoint_lsn_{0};  // log position the data file covers

  std::atomic<uint64_t> commits_{0}, conflicts_{0}, apply_groups_{0}, checkpoints_{0};
  uint64_t recovered_records_ = 0;
};

class ReadTxn {
 public:
  Status Get(std::string_view key, std::string* value) const { return snap_.Get(key, value); }
  std::unique_ptr<btree::Cursor> NewCursor(btree::CursorOptions options = {}) const {
    return snap_.NewCursor(std::move(options));
  }
  CommitVersion version() const { return CommitVersion(snap_.meta().user_version); }

 private:
  friend class Store;
  explicit ReadTxn(btree::Snapshot s) : snap_(std::move(s)) {}
  btree::Snapshot snap_;
};

}  // namespace ormdb::mvcc

#include "mvcc/write_txn.h"
